"""The dashboard, served by the worker's own web server (Faust's, on the health-check port).

`register_web(app, service)` adds the pages (streams/web/routes.py) and the JSON API
(streams/web/api.py); everything passes the guards in streams/web/security.py.
"""

from __future__ import annotations

import logging

from faust.types import AppT

from streams.web.dashboard import Dashboard, DashboardView, WebService
from streams.web.security import Guard

log = logging.getLogger(__name__)


def register_web(app: AppT, service: WebService, *, poll_ms: int = 5000) -> Dashboard:
    """Add the dashboard's views to a Faust app; `service.runtime` is read per request."""
    from streams.web import api, routes

    settings = service.settings
    token = settings.dashboard_token.get_secret_value() if settings.dashboard_token else None
    guard = Guard(web_host=settings.web_host, token=token or None)
    if guard.locked:
        log.warning("dashboard disabled: web_host %s is not loopback and "
                    "NEWSWATCH_DASHBOARD_TOKEN is not set", settings.web_host)
    dash = Dashboard(service, guard, poll_ms=poll_ms)
    for path, view in {**routes.ROUTES, **api.ROUTES}.items():
        bound = type(view.__name__, (view,), {"dash": dash, "__module__": view.__module__})
        app.page(path, name=f"web.{view.__name__}")(bound)
    return dash


__all__ = ["Dashboard", "DashboardView", "WebService", "register_web"]
