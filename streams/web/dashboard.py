"""The dashboard's base view: every page and API call passes the same guards (Host, token,
CSRF on POST) and leaves with the same security headers; templates autoescape everything.

A view is a Faust `View` (aiohttp underneath), so the dashboard is served by the worker's own
web server on the health-check port. Views reach the running service through `Dashboard`.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

import jinja2
from aiohttp.web import Request, RequestKey, StreamResponse
from faust.web import Response, View

from streams.web.queries import aware
from streams.web.security import (
    CSRF_COOKIE,
    HEADERS,
    TOKEN_COOKIE,
    Guard,
    new_cookie_value,
    safe_url,
    same_origin,
)

if TYPE_CHECKING:  # types only: the runtime imports the web (streams/runtime/worker.py)
    from streams.config.settings import Settings
    from streams.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
CSRF_NEW = RequestKey("nw_csrf_new", str)  # a CSRF cookie to set on this response
FORM = RequestKey("nw_form", dict[str, str])  # the request's form, read once


class WebService(Protocol):
    """What the dashboard needs of the worker's service (streams.runtime.worker's
    RuntimeService): its settings, and its runtime once built (None while starting)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def runtime(self) -> Runtime | None: ...


def when(value: object, missing: str = "—") -> str:
    """'2026-01-01 10:05Z' for an ISO text or datetime; the date alone for a bare date."""
    if isinstance(value, str) and len(value) == 10:
        return value
    moment = aware(value)
    return moment.strftime("%Y-%m-%d %H:%MZ") if moment else missing


def make_env() -> jinja2.Environment:
    """Templates from the package, autoescaped (text from feeds is never markup)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["when"] = when
    return env


class Dashboard:
    """What the views share: the worker's service (for its runtime), the guard, templates."""

    def __init__(self, service: WebService, guard: Guard, poll_ms: int = 5000) -> None:
        self.service = service
        self.guard = guard
        self.env = make_env()
        self.poll_ms = poll_ms

    @property
    def runtime(self) -> Runtime | None:
        """The running service's runtime, or None while the worker is starting."""
        return self.service.runtime

    @property
    def running(self) -> Runtime:
        """The runtime, for the views: dispatch answers 503 before them while it is None."""
        runtime = self.service.runtime
        if runtime is None:
            raise RuntimeError("newswatch is starting: no runtime yet")
        return runtime

    def now(self) -> dt.datetime:
        """The clock of the pipeline (tests can set it), else UTC now."""
        pipeline = getattr(self.runtime, "pipeline", None)
        clock = getattr(pipeline, "clock", None)
        return clock() if callable(clock) else dt.datetime.now(dt.UTC)


class DashboardView(View):
    """Base of every dashboard view; subclasses implement get/post as usual."""

    dash: ClassVar[Dashboard]
    api: ClassVar[bool] = False  # JSON errors instead of pages

    async def dispatch(self, request: Request) -> Response:
        response = await self._guarded(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.get(CSRF_NEW):
            _set_cookie(response, CSRF_COOKIE, request[CSRF_NEW])
        return response

    async def _guarded(self, request: Request) -> Response:
        guard = self.dash.guard
        if not guard.host_ok(request.headers.get("Host", "")):
            return self.fail(request, 403, "This dashboard answers on localhost only.")
        if guard.locked:
            return self.fail(request, 403, "The dashboard is disabled: the service listens "
                             "beyond loopback; set NEWSWATCH_DASHBOARD_TOKEN to enable it.")
        query_token = request.query.get("token")
        if not guard.token_ok(request.headers.get("Authorization", ""),
                              request.cookies.get(TOKEN_COOKIE), query_token):
            response = self.fail(request, 401, "A dashboard token is required "
                                 "(Authorization: Bearer <token>, or ?token=<token> once).")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if query_token and request.method == "GET" and guard.needs_token:
            return self._keep_token(request, query_token)
        if request.method == "POST" and not self._csrf_ok(request, await self._form(request)):
            return self.fail(request, 403, "The form has expired or came from another site: "
                             "reload the page and try again.")
        if self.dash.runtime is None:
            return self.fail(request, 503, "newswatch is starting; reload in a few seconds.")
        return await super().dispatch(request)

    def _keep_token(self, request: Request, token: str) -> Response:
        # the token moves from the URL into a cookie, and the URL loses it
        query = {k: v for k, v in request.query.items() if k != "token"}
        target = request.rel_url.with_query(query)
        response = self.web.html("", status=303, headers={"Location": str(target)})
        _set_cookie(response, TOKEN_COOKIE, token)
        return response

    async def _form(self, request: Request) -> dict[str, str]:
        if FORM not in request:
            ctype = request.content_type or ""
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                request[FORM] = {k: str(v) for k, v in (await request.post()).items()}
            elif ctype.startswith("application/json") and request.can_read_body:
                body = await request.json()
                request[FORM] = {k: str(v) for k, v in body.items()} if isinstance(
                    body, dict) else {}
            else:
                request[FORM] = {}
        form = request[FORM]
        return dict(form)

    def _csrf_ok(self, request: Request, form: dict[str, str]) -> bool:
        # a Bearer header cannot be sent cross-site without a CORS preflight we never allow
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return True
        if not same_origin(request.headers.get("Origin"), request.headers.get("Host", "")):
            return False
        submitted = form.get("csrf") or request.headers.get("X-CSRF-Token")
        return self.dash.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), submitted)

    def csrf(self, request: Request) -> str:
        """This browser's form token (setting its CSRF cookie on the response if new)."""
        cookie = request.cookies.get(CSRF_COOKIE) or request.get(CSRF_NEW)
        if not cookie:
            cookie = request[CSRF_NEW] = new_cookie_value()
        return self.dash.guard.csrf_token(cookie)

    def page(
        self, request: Request, template: str, status: int = 200, **context: object
    ) -> Response:
        """Render a page template with the shared context."""
        html = self.dash.env.get_template(template).render(
            csrf=self.csrf(request), poll_ms=self.dash.poll_ms, path=request.path, **context)
        return self.web.html(html, status=status)

    def fail(self, request: Request, status: int, message: str) -> Response:
        """An error as JSON for the API, as a small page otherwise."""
        if self.api or request.path.startswith("/api/"):
            return self.web.json({"error": message}, status=status)
        html = self.dash.env.get_template("error.html").render(
            status=status, message=message, path=request.path)
        return self.web.html(html, status=status)

    def redirect(self, location: str) -> Response:
        """303 See Other to a local path (anything else goes to the alerts page)."""
        if not location.startswith("/") or location.startswith("//") or "\\" in location:
            location = "/alerts"
        return self.web.html("", status=303, headers={"Location": location})


def _set_cookie(response: Response, name: str, value: str) -> None:
    """An HttpOnly, SameSite=Lax cookie for the whole site on a response. Faust's aiohttp
    driver (faust.web.drivers.aiohttp) builds every response as an aiohttp one."""
    cast(StreamResponse, response).set_cookie(name, value, httponly=True, samesite="Lax",
                                              path="/")
