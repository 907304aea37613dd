"""Work the outbox of a store without the worker: `python -m streams.runtime.outbox STORE_URL
[--once]` builds the sinks from the settings (NEWSWATCH_*) and runs the Dispatcher
(streams/deliver/dispatcher.py) over that store; with --once it stops when nothing is due.
The delivery crash test kills and restarts it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from streams.runtime.bootstrap import settings_for_command


async def work_outbox(url: str, once: bool) -> None:
    """Deliver what the store's outbox holds; until nothing is due when `once`."""
    from streams.deliver.dispatcher import Dispatcher
    from streams.deliver.retry_policy import RetryPolicy
    from streams.deliver.sinks.registry import build_sinks, retry_policies
    from streams.store import Store

    settings = settings_for_command()
    store = await Store(url).open()
    sinks = build_sinks(settings)
    dispatcher = Dispatcher(store, sinks, policy=RetryPolicy(settings.delivery_max_attempts),
                            policies=retry_policies(settings))
    try:
        if once:
            await dispatcher.settle()
        else:
            await dispatcher.run(asyncio.Event())
    finally:
        for sink in sinks.values():
            await sink.aclose()
        await store.close()


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m streams.runtime.outbox STORE_URL [--once]`: work the outbox of a store."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("store_url")
    parser.add_argument("--once", action="store_true", help="stop when nothing is due")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(work_outbox(args.store_url, args.once))


if __name__ == "__main__":
    main()
