"""The dashboard's data as JSON under /api/: the same dicts the pages render.

GET  /api/alerts?rule=&severity=&status=&source=&since=&until=&limit=
GET  /api/alerts/version          what the live refresh polls
POST /api/alerts/{id}/ack         acknowledge (CSRF token or Bearer token)
POST /api/alerts/{id}/silence     scope=story|rule, duration=1d, reason=
GET  /api/stories, /api/stories/{id}
GET  /api/calendar?from=YYYY-MM-DD&days=N
GET  /api/rules, /api/feeds
"""

from __future__ import annotations

from aiohttp.web import Request
from faust.web import Response

import streams.web.alerts as alert_data
from streams.store.views import SilenceError
from streams.web.calendar import CalendarQueryError, calendar, calendar_query
from streams.web.dashboard import DashboardView
from streams.web.feeds import feed_health
from streams.web.rules import rules_overview
from streams.web.stories import list_stories, story_detail


class ApiView(DashboardView):
    api = True


class AlertsApi(ApiView):
    async def get(self, request: Request) -> Response:
        try:
            flt = alert_data.AlertFilter.from_query(request.query, strict=True)
        except alert_data.FilterError as exc:
            return self.fail(request, 400, str(exc))
        data = await alert_data.list_alerts(self.dash.running.store, flt)
        return self.web.json({"filter": flt.query_args(), **data})


class AlertsVersionApi(ApiView):
    async def get(self, request: Request) -> Response:
        return self.web.json(await alert_data.alerts_version(self.dash.running.store))


class AckApi(ApiView):
    async def post(self, request: Request, alert_id: str) -> Response:
        done = await alert_data.acknowledge(self.dash.running.store, alert_id, "api")
        if done is None:
            return self.fail(request, 404, f"no alert {alert_id}")
        return self.web.json({"id": done, "status": "acknowledged"})


class SilenceApi(ApiView):
    async def post(self, request: Request, alert_id: str) -> Response:
        form = await self._form(request)
        try:
            silence_id = await alert_data.silence(
                self.dash.running.store, alert_id, form.get("scope", "story"),
                form.get("duration", "1d"), form.get("reason", ""))
        except SilenceError as exc:
            return self.fail(request, 400, str(exc))
        if silence_id is None:
            return self.fail(request, 404, f"no alert {alert_id}")
        return self.web.json({"id": alert_id, "silence": silence_id, "status": "silenced"})


class StoriesApi(ApiView):
    async def get(self, request: Request) -> Response:
        return self.web.json({"stories": await list_stories(self.dash.running.store)})


class StoryApi(ApiView):
    async def get(self, request: Request, story_id: str) -> Response:
        data = await story_detail(self.dash.running.store, story_id)
        if data is None:
            return self.fail(request, 404, f"no story {story_id}")
        return self.web.json(data)


class CalendarApi(ApiView):
    async def get(self, request: Request) -> Response:
        try:
            start, days = calendar_query(request.query, self.dash.now().date())
        except CalendarQueryError as exc:
            return self.fail(request, 400, str(exc))
        return self.web.json(await calendar(self.dash.running.store, start, days))


class RulesApi(ApiView):
    async def get(self, request: Request) -> Response:
        runtime = self.dash.running
        return self.web.json(await rules_overview(runtime.store, runtime.rules, self.dash.now()))


class FeedsApi(ApiView):
    async def get(self, request: Request) -> Response:
        feeds = await feed_health(self.dash.running.store, self.dash.now())
        return self.web.json({"feeds": feeds})


ROUTES: dict[str, type[DashboardView]] = {
    "/api/alerts": AlertsApi,
    "/api/alerts/version": AlertsVersionApi,
    "/api/alerts/{alert_id}/ack": AckApi,
    "/api/alerts/{alert_id}/silence": SilenceApi,
    "/api/stories": StoriesApi,
    "/api/stories/{story_id}": StoryApi,
    "/api/calendar": CalendarApi,
    "/api/rules": RulesApi,
    "/api/feeds": FeedsApi,
}
