"""The records on the wire: the one place that turns streams.core.records into Faust bytes.

Each stream's topic (cluster mode) carries its record as the JSON Faust records were sent
as: the fields in declaration order, compact, with a `"__faust": {"ns": ...}` marker in
every record (nested ones too), so that messages already on a topic and workers of either
shape read each other. `codec(FeedItem)` is the Faust codec a topic is given;
`dumps`/`loads` are the same conversion for tests and tools that write a topic directly.
Embedded channels pass the objects themselves and never call the codec.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from faust.serializers.codecs import Codec
from faust.types.codecs import CodecT
from faust.utils import json as faust_json

from streams.core.records import Record

R = TypeVar("R", bound=Record)

# the namespace Faust knew each record by (its module and class when records were Faust's)
NAMESPACE = "streams.core.records"
MARKER = "__faust"


def _marked(value: Any) -> Any:
    """`to_dict` data with each record's namespace marker, as Faust wrote it."""
    if isinstance(value, Record):
        data = {f.name: _marked(getattr(value, f.name)) for f in dataclasses.fields(value)}
        data[MARKER] = {"ns": f"{NAMESPACE}.{type(value).__name__}"}
        return data
    if isinstance(value, list | tuple):
        return [_marked(v) for v in value]
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    return value


def dumps(record: Record) -> bytes:
    """The record's bytes on a topic."""
    return faust_json.dumps(_marked(record)).encode("utf-8")


def loads(cls: type[R], data: bytes | str | Mapping[str, Any]) -> R:
    """A record of this type from its bytes (markers ignored: `from_dict` drops them)."""
    return cls.from_dict(json.loads(data) if isinstance(data, bytes | str) else data)


class RecordCodec(Codec):
    """The Faust codec of one record type (a topic's value_serializer)."""

    def __init__(
        self, children: tuple[CodecT, ...] | None = None, *, cls: type[Record], **kwargs: Any
    ) -> None:
        super().__init__(children, cls=cls, **kwargs)  # kwargs: what Codec.clone passes on
        self.cls = cls

    def _dumps(self, s: Any) -> bytes:
        return dumps(s)

    def _loads(self, s: bytes) -> Any:
        return loads(self.cls, s)


def codec(cls: type[Record]) -> RecordCodec:
    """The codec for this record type."""
    return RecordCodec(cls=cls)
