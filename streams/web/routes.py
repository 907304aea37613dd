"""The dashboard's HTML pages and form actions: alerts (with acknowledge and silence), story,
calendar, rules, feeds, and the static files. Each page renders the dict its /api/ twin
returns (streams/web/api.py), through an autoescaping template."""

from __future__ import annotations

from aiohttp.web import Request
from faust.web import Response

import streams.web.alerts as alert_data
from streams.store.views import SilenceError
from streams.web.calendar import CalendarQueryError, calendar, calendar_query
from streams.web.dashboard import HERE, DashboardView
from streams.web.feeds import feed_health
from streams.web.rules import rules_overview
from streams.web.stories import story_detail

STATIC = HERE / "static"
CONTENT_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
DURATIONS = (("1h", "1 hour"), ("8h", "8 hours"), ("1d", "1 day"), ("7d", "7 days"))


class AlertsPage(DashboardView):
    """Alerts, newest first, with filters, actions and the live refresh."""

    async def get(self, request: Request) -> Response:
        flt = alert_data.AlertFilter.from_query(request.query)
        data = await alert_data.list_alerts(self.dash.running.store, flt)
        version = await alert_data.alerts_version(self.dash.running.store)
        return self.page(
            request, "alerts.html", nav="alerts", flt=flt, data=data, version=version,
            statuses=alert_data.STATUSES, severities=alert_data.SEVERITIES,
            durations=DURATIONS, next_url=request.path_qs,
            notice=request.query.get("notice", ""),
        )


class AlertRows(DashboardView):
    """The alert table's rows alone, for the live refresh (static/live.js)."""

    async def get(self, request: Request) -> Response:
        flt = alert_data.AlertFilter.from_query(request.query)
        data = await alert_data.list_alerts(self.dash.running.store, flt)
        next_url = "/alerts" + (f"?{request.query_string}" if request.query_string else "")
        return self.page(request, "alert_rows.html", data=data, durations=DURATIONS,
                         next_url=next_url)


class AckAlert(DashboardView):
    async def post(self, request: Request, alert_id: str) -> Response:
        form = await self._form(request)
        done = await alert_data.acknowledge(self.dash.running.store, alert_id, "dashboard")
        if done is None:
            return self.fail(request, 404, f"No alert {alert_id}.")
        return self.redirect(form.get("next", "/alerts"))


class SilenceAlert(DashboardView):
    async def post(self, request: Request, alert_id: str) -> Response:
        form = await self._form(request)
        try:
            done = await alert_data.silence(
                self.dash.running.store, alert_id, form.get("scope", "story"),
                form.get("duration", "1d"), form.get("reason", ""))
        except SilenceError as exc:
            return self.fail(request, 400, str(exc))
        if done is None:
            return self.fail(request, 404, f"No alert {alert_id}.")
        return self.redirect(form.get("next", "/alerts"))


class StoryPage(DashboardView):
    async def get(self, request: Request, story_id: str) -> Response:
        data = await story_detail(self.dash.running.store, story_id)
        if data is None:
            return self.fail(request, 404, f"No story {story_id}.")
        return self.page(request, "story.html", nav="", data=data)


class CalendarPage(DashboardView):
    async def get(self, request: Request) -> Response:
        try:
            start, days = calendar_query(request.query, self.dash.now().date())
        except CalendarQueryError as exc:
            # The page itself, with the message and the form to pick another day.
            empty = {"from": "", "until": "", "days": []}
            return self.page(request, "calendar.html", status=400, nav="calendar",
                             data=empty, error=str(exc))
        data = await calendar(self.dash.running.store, start, days)
        return self.page(request, "calendar.html", nav="calendar", data=data)


class RulesPage(DashboardView):
    async def get(self, request: Request) -> Response:
        runtime = self.dash.running
        data = await rules_overview(runtime.store, runtime.rules, self.dash.now())
        return self.page(request, "rules.html", nav="rules", data=data)


class FeedsPage(DashboardView):
    async def get(self, request: Request) -> Response:
        feeds = await feed_health(self.dash.running.store, self.dash.now())
        return self.page(request, "feeds.html", nav="feeds", feeds=feeds)


class Home(DashboardView):
    """`/`: the dashboard starts at the alerts (instead of Faust's bare {"status": "OK"})."""

    async def get(self, request: Request) -> Response:
        return self.redirect("/alerts")


class Static(DashboardView):
    """The CSS and JS files, by name only (no paths)."""

    async def get(self, request: Request, name: str) -> Response:
        path = STATIC / name
        if "/" in name or name.startswith(".") or path.suffix not in CONTENT_TYPES \
                or not path.is_file():
            return self.fail(request, 404, "No such file.")
        return self.web.bytes(path.read_bytes(), content_type=CONTENT_TYPES[path.suffix])


# "/" is registered with the app's pages, before Faust adds its own production index at
# server start; aiohttp answers with the first route registered for a path, so ours wins.
ROUTES: dict[str, type[DashboardView]] = {
    "/": Home,
    "/alerts": AlertsPage,
    "/alerts/rows": AlertRows,
    "/alerts/{alert_id}/ack": AckAlert,
    "/alerts/{alert_id}/silence": SilenceAlert,
    "/stories/{story_id}": StoryPage,
    "/calendar": CalendarPage,
    "/rules": RulesPage,
    "/feeds": FeedsPage,
    "/static/{name}": Static,
}
