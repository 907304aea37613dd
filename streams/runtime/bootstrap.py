"""The composition root: the one place that reads the settings (`settings_for_command`,
the only caller of load_settings) and builds the clients, the spaCy model, the rulebook,
the store, the sinks and the pipeline, and hands them to whoever runs them (the Faust
worker, the backtest, the CLI, the quality tool). Library modules receive the settings, or
the value they need, as a parameter: none reads the environment on first use. No I/O
happens at import or in constructors elsewhere; it all starts here.

It imports only the settings at module level (the CLI asks it for settings on every
command, `--help` and `config show` included); the rest is imported where it is built.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from streams.config.settings import SEED_FEED, Settings, load_settings

if TYPE_CHECKING:  # built here, imported where they are built (each only when it is used)
    from connectors.seed_server import SeedServer
    from streams.deliver.dispatcher import Dispatcher
    from streams.evaluate.hot_reload import RulebookHolder
    from streams.extract.extractor import Extractor
    from streams.extract.process_pool import ProcessExtractor
    from streams.knowledge.gazetteer import Gazetteer
    from streams.runtime.metrics import Metrics
    from streams.runtime.pipeline import Pipeline
    from streams.store import Store

log = logging.getLogger(__name__)


def settings_for_command(**overrides: object) -> Settings:
    """The settings from the environment (NEWSWATCH_*), `overrides` on top: what every
    command, the worker and the quality tool start from. Raises SettingsError naming each
    variable at fault (the destinations and routes too: streams.deliver.routing)."""
    from streams.deliver.routing import check_settings

    settings = load_settings(**overrides)
    check_settings(settings)
    return settings


@dataclass
class Runtime:
    """Everything a running newswatch needs, built once."""

    settings: Settings
    store: Store
    pipeline: Pipeline
    gazetteer: Gazetteer
    rules: RulebookHolder
    feeds: list[str]
    seed_server: SeedServer | None = None
    dispatcher: Dispatcher | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # new alerts in the outbox

    async def close(self) -> None:
        """Stop the servers and close the clients and the store, in reverse order of start;
        one log line per component stopped."""
        extractors = self.pipeline.close()
        await self.pipeline.client.aclose()
        log.info("stopped: pipeline (polling, cleaning, extraction, rules)")
        if extractors:
            log.info("stopped: %d extraction worker process(es)", extractors)
        if self.dispatcher is not None:
            log.info("stopped: delivery (%s)", ", ".join(sorted(self.dispatcher.sinks)) or "none")
        if self.seed_server is not None:
            await self.seed_server.stop()
            log.info("stopped: seed server (%s)", self.seed_server.feed_url)
        await self.store.close()
        log.info("stopped: store")


def load_gazetteer(settings: Settings) -> Gazetteer:
    """The gazetteer of the settings' taxonomy folder."""
    from streams.knowledge.gazetteer import Gazetteer

    return Gazetteer.load(Path(settings.taxonomy_dir) / "gazetteer.yaml")


def load_rules(
    settings: Settings, gazetteer: Gazetteer, rules_dir: Path | None = None
) -> RulebookHolder:
    """Load the rule folder into a holder; invalid files are logged with file:line:field."""
    from streams.evaluate.hot_reload import RulebookHolder
    from streams.evaluate.rulebook import load_rulebook
    from streams.knowledge.taxonomy import Taxonomy

    folder = Path(rules_dir or settings.rules_dir)
    taxonomy = Taxonomy.load(Path(settings.taxonomy_dir) / "event_types.yaml")
    max_bytes = settings.rules_max_file_bytes
    result = load_rulebook(folder, gazetteer, taxonomy.types, max_bytes)
    for error in result.errors:
        log.error("rule error: %s", error)
    return RulebookHolder.from_result(result, folder, max_bytes)


def make_extractor(settings: Settings) -> Extractor | ProcessExtractor:
    """The extractor the settings ask for: NEWSWATCH_NLP_PROCESSES worker processes (one per
    core by default), each loading the model, or the model in this process (0). The caller
    closes a ProcessExtractor (`close()`) when done."""
    from streams.extract.extractor import build_extractor
    from streams.extract.process_pool import ProcessExtractor

    processes = settings.extract_processes()
    if processes == 0:
        return build_extractor(settings)
    pool = ProcessExtractor(
        settings.spacy_model, Path(settings.taxonomy_dir), settings.batch_size, processes,
        load_gazetteer(settings), settings.nlp_matmul,
    ).start()
    log.info("extraction: %d worker process(es), model %s", processes, settings.spacy_model)
    return pool


async def build_runtime(
    settings: Settings,
    *,
    deliver: bool = True,
    rules_dir: Path | None = None,
    extractor: Extractor | ProcessExtractor | None = None,
    metrics: Metrics | None = None,
) -> Runtime:
    """Open the store, start the seed server if configured, load model and rules."""
    from concurrent.futures import ThreadPoolExecutor

    from connectors.http import make_client
    from streams.runtime.pipeline import Pipeline
    from streams.store import Store
    from streams.store.rule_state import StoreRuleState

    store = await Store(settings.database).open()
    seed_server = None
    feeds = list(settings.feeds)
    if SEED_FEED in feeds:
        feeds.remove(SEED_FEED)
        if settings.serve_seeds:
            from connectors.seed_server import SeedServer

            seed_server = SeedServer(Path(settings.seeds_dir), port=settings.seed_port)
            await seed_server.start()
            feeds.insert(0, seed_server.feed_url)
    # an extractor given (the backtest's, started beforehand) loaded the same taxonomy's
    # gazetteer already: a second load costs the run about a second
    gazetteer = getattr(extractor, "gazetteer", None)
    if gazetteer is None:
        gazetteer = load_gazetteer(settings)
    rules = load_rules(settings, gazetteer, rules_dir)
    owns_extractor = extractor is None
    if extractor is None:
        # loading spaCy takes a second or two (per process): off the event loop
        extractor = await asyncio.get_running_loop().run_in_executor(
            None, make_extractor, settings
        )
    threads = getattr(extractor, "slots", 1)  # a thread waits on each batch a process holds
    pipeline = Pipeline(
        settings=settings,
        store=store,
        client=make_client(settings),
        extractor=extractor,
        rules=rules,
        rule_state=StoreRuleState(store),
        nlp_pool=ThreadPoolExecutor(threads, thread_name_prefix="spacy"),
        owns_extractor=owns_extractor,
    )
    if metrics is not None:
        pipeline.metrics = metrics
    runtime = Runtime(
        settings=settings,
        store=store,
        pipeline=pipeline,
        gazetteer=gazetteer,
        rules=rules,
        feeds=feeds,
        seed_server=seed_server,
    )
    if deliver:
        from streams.deliver.dispatcher import Dispatcher
        from streams.deliver.retry_policy import RetryPolicy
        from streams.deliver.sinks.registry import build_sinks, retry_policies

        runtime.dispatcher = Dispatcher(
            store,
            build_sinks(settings),
            policy=RetryPolicy(max_attempts=settings.delivery_max_attempts),
            policies=retry_policies(settings),
            exclusive=settings.embedded,  # one dispatcher per store only when embedded
            metrics=pipeline.metrics,
        )
        # destinations a rule names but the settings do not configure are skipped, not
        # queued forever (logged once per alert)
        pipeline.destinations = frozenset(runtime.dispatcher.sinks)
    pipeline.wake = runtime.wake  # recording an alert wakes the dispatcher
    return runtime
