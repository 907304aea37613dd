"""The worker: one Faust app with the runtime service (store, model, rules, seed server,
poll loop, outbox dispatcher, rule watcher) and the agents. `newswatch run` starts it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import socket
import sys
from typing import Any

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.web import Request, Response, View
from mode import Service

from streams.config.settings import SEED_FEED, Settings
from streams.core.records import FeedItem
from streams.poll.feeder import FairFeeder
from streams.poll.loop import PollLoop
from streams.runtime.agents import log_failure, register_agents
from streams.runtime.app import Streams, create_app, create_streams
from streams.runtime.bootstrap import Runtime, build_runtime
from streams.runtime.health import Facts, Health, as_json, assess
from streams.runtime.health_facts import gather_facts
from streams.runtime.metrics import Metrics
from streams.runtime.pipeline import CLEANING_THREADS, Pipeline
from streams.store.items import count_items, pending_items

log = logging.getLogger("newswatch")
DEFAULT_INFLIGHT = 32  # entries in processing at once when NEWSWATCH_INFLIGHT is empty


def inflight(settings: Settings, pipeline: Pipeline) -> int:
    """Entries in processing at once: the setting; by default enough that every extraction
    process holds its batches, with one more being assigned its stories and one filling up."""
    if settings.inflight is not None:
        return settings.inflight
    return max(DEFAULT_INFLIGHT, (pipeline.extract_slots + 1) * settings.batch_size)


class RuntimeService(Service):
    """Builds the runtime when the worker starts and closes it when the worker stops; runs
    the loops that are not stream agents (polling, delivery, rule reload, feed health)."""

    # mode logs each service's Starting.../Stopping... here: quiet unless debug
    logger = logging.getLogger("streams.runtime.worker.service")

    def __init__(self, settings: Settings, streams: Streams, **kwargs: Any) -> None:
        self.settings = settings
        self.streams = streams
        self.runtime: Runtime | None = None
        self._ready = asyncio.Event()
        self._failed: BaseException | None = None
        self.feeder: FairFeeder = None  # type: ignore[assignment]  # built in on_start
        self.poller: PollLoop = None  # type: ignore[assignment]
        self._resend_after = settings.resend_pending_after
        self.metrics = Metrics()
        self.faust_app: faust.App | None = None  # set by create_worker_app (leader check)
        self._dispatching: asyncio.Future[None] | None = None  # the outbox dispatcher's run
        super().__init__(**kwargs)

    async def ready(self) -> Runtime:
        """Wait until the runtime is built (agents call this before their first message)."""
        await self._ready.wait()
        if self.runtime is None:
            raise RuntimeError(f"newswatch could not start: {self._failed}")
        return self.runtime

    async def on_start(self) -> None:
        from streams.clean.trafilatura_pool import POOL

        POOL.prestart(CLEANING_THREADS)  # they start while the model loads
        try:
            self.runtime = await build_runtime(self.settings, metrics=self.metrics)
        except BaseException as exc:
            self._failed = exc
            self._ready.set()
            raise
        self._ready.set()
        stuck_before = None
        if not self.settings.embedded:
            # on Kafka, other workers hold most pending entries and the broker redelivers
            # what a dead worker had not committed; take over only entries that are stuck
            stuck_before = self.runtime.pipeline.clock() - dt.timedelta(
                seconds=self.settings.stall_after
            )
        self._resend_after = self.settings.resend_pending_after
        if not self.settings.embedded:  # the stuck ones only: Kafka redelivers the rest
            self._resend_after = max(self._resend_after, self.settings.stall_after)
        self.feeder = FairFeeder(
            self._send_item,
            inflight(self.settings, self.runtime.pipeline) if self.settings.embedded else None,
            expire_after=self._resend_after,
        )
        self.runtime.pipeline.on_finished = self.feeder.finished
        self.poller = PollLoop(self.runtime.pipeline, self.feeder)
        pending = await pending_items(self.runtime.store, recorded_before=stuck_before)
        if pending:
            log.info("re-processing %d entries left pending by the last run", len(pending))
        self.feeder.add(pending)
        log.info(
            "newswatch started: %d feeds, %d rules, store %s",
            len(self.runtime.feeds),
            len(self.runtime.rules.rulebook.rules),
            self.runtime.store.url,
        )

    def _is_leader(self) -> bool:
        return self.faust_app is not None and bool(self.faust_app.is_leader())

    async def on_stop(self) -> None:
        from streams.clean.trafilatura_pool import POOL

        dispatching = self._dispatching
        if dispatching is not None and not dispatching.done():
            # mode cancels the service's tasks only after on_stop: a delivery being recorded
            # would find the store closed (an error in the log); stopped first, its rows are
            # recovered at the next start like those of a crash
            dispatching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatching
        if self.runtime is not None:
            await self.runtime.close()
        cleaners = POOL.close()
        if cleaners:
            log.info("stopped: %d page-cleaning worker process(es)", cleaners)

    async def _send_item(self, item: FeedItem) -> None:
        await self.streams.items.send(key=item.key, value=item)

    @Service.task
    async def _poll_loop(self) -> None:
        from streams.store.feeds import all_feeds, ensure_feeds

        runtime = await self.ready()
        await ensure_feeds(runtime.store, runtime.feeds)
        try:
            while not self.should_stop:
                if not self.settings.embedded and not self._is_leader():
                    # on Kafka one worker polls (the group's leader, re-elected when it dies);
                    # the others only process what the topics bring
                    await self.sleep(1.0)
                    continue
                try:  # each due feed its own task (streams/poll/loop.py)
                    # configured feeds plus those added with `newswatch feeds add/import`
                    await self.poller.start_due(await all_feeds(runtime.store, runtime.feeds))
                except Exception as exc:  # the store failing must not stop the worker
                    log_failure("poll cycle", exc)
                await self.sleep(self.settings.poll_check_every)
        finally:
            await self.poller.stop()

    @Service.task
    async def _websub_loop(self) -> None:
        """WebSub subscriptions asked and renewed (only with NEWSWATCH_PUBLIC_URL)."""
        from streams.poll.websub import WebSubPolicy
        from streams.runtime.websub import subscribe_due
        from streams.store.feeds import all_feeds

        public_url = self.settings.public_url
        if not public_url:
            return
        runtime = await self.ready()
        policy = WebSubPolicy.from_settings(self.settings)
        while not self.should_stop:
            await self.sleep(self.settings.websub_check_every)
            if not self.settings.embedded and not self._is_leader():
                continue
            try:
                feeds = await all_feeds(runtime.store, runtime.feeds)
                await subscribe_due(runtime.store, runtime.pipeline.client, public_url, feeds,
                                    runtime.pipeline.clock(), policy)
            except Exception as exc:  # a hub or the store failing must not stop the worker
                log_failure("websub subscriptions", exc)

    @property
    def polls(self) -> int:
        """Feed polls completed (0 before the runtime is built)."""
        return self.poller.polls if self.poller is not None else 0

    @Service.task
    async def _feed_loop(self) -> None:
        """Entries to processing, round-robin by feed (streams/poll/feeder.py)."""
        await self.ready()
        await self.feeder.run()

    @Service.task
    async def _resend_loop(self) -> None:
        """Lost entries and due retries sent again, without a restart."""
        await self.ready()
        after = self._resend_after
        while not self.should_stop:
            await self.sleep(max(1.0, min(30.0, after / 4)))
            if not self.settings.embedded and not self._is_leader():
                continue
            try:
                await self.poller.resend(after)
            except Exception as exc:  # the store failing must not stop the worker
                log_failure("re-send sweep", exc)

    @Service.task
    async def _dispatch_loop(self) -> None:
        runtime = await self.ready()
        if runtime.dispatcher is not None:
            self._dispatching = asyncio.ensure_future(runtime.dispatcher.run(runtime.wake))
            await self._dispatching

    @Service.task
    async def _watch_rules(self) -> None:
        from streams.deliver.operator_alerts import record_operator_alert
        from streams.deliver.rules_alerts import folder_alert
        from streams.evaluate.hot_reload import STATUS_FILE, watch_rules

        runtime = await self.ready()

        async def operator_alert(problem: str | None, previous: str | None) -> None:
            # the rules folder went missing or empty (or is back): tell the operator
            now = runtime.pipeline.clock()
            since = runtime.rules.folder_problem_since
            start = dt.datetime.fromtimestamp(since, dt.UTC) if since else now
            alert = folder_alert(problem, previous, start, now, self.settings)
            sinks = runtime.dispatcher.sinks if runtime.dispatcher is not None else None
            await record_operator_alert(runtime.store, alert, sinks, wake=runtime.wake)

        await watch_rules(
            runtime.rules,
            self.settings.rules_dir,
            runtime.gazetteer,
            status_path=self.settings.data_dir / STATUS_FILE,
            load_timeout=self.settings.rules_load_timeout,
            on_problem=operator_alert,
        )

    @Service.task
    async def _tick_rules(self) -> None:
        """Time-driven rule kinds (flatline) fire even when no article arrives."""
        runtime = await self.ready()
        while not self.should_stop:
            await self.sleep(60.0)
            try:  # records the new alerts, which wakes the dispatcher
                await runtime.pipeline.tick()
            except Exception as exc:  # never let a rule check stop the worker
                log_failure("rule tick", exc)

    async def health(self) -> tuple[Health, Facts]:
        """The health model over the facts of now (streams.runtime.health), shown in the metrics."""
        runtime = self.runtime
        if runtime is None:
            facts = Facts(started=False)
        else:
            sinks = runtime.dispatcher.sinks if runtime.dispatcher is not None else {}
            facts = await gather_facts(
                runtime.store, self.settings, runtime.pipeline.clock(),
                len(runtime.rules.rulebook.rules), destinations=list(sinks),
                rule_problems=runtime.rules.problems())
            self.metrics.lag.set(facts.lag)
        health = assess(facts, self.settings.stall_after)
        self.metrics.show_health(health)
        return health, facts

    @Service.task
    async def _feed_health_loop(self) -> None:
        from streams.deliver.feed_health import check_feed_health
        from streams.deliver.operator_alerts import record_operator_alert

        runtime = await self.ready()
        while not self.should_stop:
            await self.sleep(self.settings.health_interval)
            try:
                alerts = await check_feed_health(
                    runtime.store, runtime.pipeline.clock(), self.settings
                )
                for alert in alerts:
                    await record_operator_alert(
                        runtime.store, alert, runtime.pipeline.destinations, runtime.wake)
                await self.health()  # keeps the metrics' health gauges current
            except Exception as exc:  # never let health checking stop the worker
                log_failure("feed health check", exc)


def create_worker_app(settings: Settings) -> tuple[faust.App, RuntimeService]:
    """The app with its streams, runtime service, agents and web pages."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust writes data_dir/faust first
    app = create_app(settings)
    streams = create_streams(app, settings)
    service = RuntimeService(settings, streams)
    service.faust_app = app
    # started with the app; app.service() takes a class, this needs its settings
    app._extra_services.append(service)  # type: ignore[arg-type]
    register_agents(app, streams, service)

    @app.page("/health")
    async def health(web: View, request: Request) -> Response:
        """200 when ok; 503 with every reason when degraded (or starting)."""
        model, facts = await service.health()
        extra: dict[str, Any] = {"polls": service.polls}
        if service.runtime is not None and not facts.store_error:
            extra["feeds"] = len(facts.feeds)
            extra["items"] = await count_items(service.runtime.store)
        return web.json(as_json(model, facts, extra), status=200 if model.ok else 503)

    @app.page("/ready")
    async def ready(web: View, request: Request) -> Response:
        """For orchestrators: 200 once started with a writable store, else 503."""
        model, facts = await service.health()
        return web.json(as_json(model, facts), status=200 if model.ready else 503)

    from streams.web import register_web  # the dashboard and /api/, on this same port

    register_web(app, service)
    from streams.web.websub import register_websub  # hubs' callbacks, outside the dashboard

    register_websub(app, service)
    setup_prometheus_sensors(app, registry=service.metrics.registry)

    if settings.embedded:
        # Faust keeps flow control suspended until Kafka assigns partitions, which never
        # happens without Kafka: resume it or the channels never deliver.
        app.flow_control.resume()
    return app, service


# Loggers of the libraries underneath: their INFO lines (Faust's supervisors starting and
# stopping, Alembic's context, each HTTP request) are internals, shown only at debug.
QUIET_LOGGERS = ("faust", "mode", "aiokafka", "alembic", "httpx", "aiohttp.access",
                 "streams.runtime.worker.service",
                 "streams.runtime.app")  # the last: Faust's app class
LINE_FORMAT = "[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """mode's logging setup, merged: every line names its logger (its component); the
    libraries' internals at WARNING unless NEWSWATCH_LOG_LEVEL=debug."""
    quiet = {} if level == "debug" else {name: {"level": "WARNING"} for name in QUIET_LOGGERS}
    return {
        "merge": True,
        "formatters": {
            "default": {"()": "mode.utils.logging.DefaultFormatter", "format": LINE_FORMAT},
            "colored": {"()": "mode.utils.logging.ExtensionFormatter",
                        "format": "%(log_color)s" + LINE_FORMAT},
        },
        "loggers": quiet,
    }


class Worker(faust.Worker):
    """Faust's worker, with Ctrl-C as one log line instead of a row of -INT- marks."""

    def _on_sigint(self) -> None:
        log.info("stopping (Ctrl-C)")
        self._schedule_shutdown(signal.SIGINT)

    def _on_sigterm(self) -> None:
        log.info("stopping (SIGTERM)")
        self._schedule_shutdown(signal.SIGTERM)


def busy_port(settings: Settings) -> str | None:
    """The line to print when a port newswatch listens on is taken, else None."""
    ports = [(settings.web_port, "NEWSWATCH_WEB_PORT")]
    if settings.serve_seeds and SEED_FEED in settings.feeds and settings.seed_port:
        ports.append((settings.seed_port, "NEWSWATCH_SEED_PORT"))
    for port, variable in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
            try:
                sock.bind((settings.web_host if variable.endswith("WEB_PORT") else "127.0.0.1",
                           port))
            except OSError as exc:
                return (f"port {port} ({variable}) is not available: {exc.strerror or exc}; "
                        f"another newswatch may be running: stop it or set {variable}")
    return None


def run_worker(settings: Settings) -> int:
    """Run until Ctrl-C / SIGTERM and stop cleanly; the exit status (2: a port is busy)."""
    busy = busy_port(settings)
    if busy is not None:
        print(f"newswatch: {busy}", file=sys.stderr)
        return 2
    app, service = create_worker_app(settings)
    worker = Worker(
        app,
        loglevel=settings.log_level,
        redirect_stdouts=False,
        logging_config=logging_config(settings.log_level),
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    return 0
