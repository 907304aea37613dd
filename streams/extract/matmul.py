"""The library that multiplies the model's matrices, most of what parsing a text costs.

spaCy's networks multiply through thinc's NumpyOps, with blis by default. blis's wheels pick a
kernel for the CPU when they start and fall back to a generic one where they know none: on
the AMD EPYC servers newswatch is measured on, that one is three times slower than numpy's
OpenBLAS on the same matrices (OpenBLAS picks its kernel for the CPU at run time too). With
"numpy", the model is built to multiply through numpy; the annotations are the same
(tests/extract/test_matmul.py), the CPU per article is about a third lower there (make bench,
bench_extract.py). "blis" keeps spaCy's default.

One thread each, set when the model is loaded (`one_thread_here`): an extraction process
multiplies on its own core (N processes, N cores), rather than each starting a thread per
core that the others' threads then wait on (and the model in the service's own thread
likewise: OpenBLAS's idle threads spin, CPU for nothing). An operator who sets
OPENBLAS_NUM_THREADS (or OMP_/MKL_) has the last word.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

KINDS = ("numpy", "blis")
# the thread counts the BLAS libraries numpy may be built with read when they start
THREAD_COUNTS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def building_with(kind: str) -> Iterator[None]:
    """Models built (spacy.load) inside multiply with `kind`; nothing else changes."""
    if kind not in KINDS:
        raise ValueError(f"unknown matrix library {kind!r} (one of: {', '.join(KINDS)})")
    if kind == "blis":
        yield
        return
    from thinc.api import use_ops

    with use_ops("numpy", use_blis=False):
        yield


def one_thread_here() -> None:
    """This process's BLAS on one thread from now on, unless it was started with a count."""
    if any(os.environ.get(name) for name in THREAD_COUNTS):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
