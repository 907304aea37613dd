"""The subscriber's one request to a WebSub hub (section 5.1): a form POST with hub.mode,
hub.topic, hub.callback, hub.secret and hub.lease_seconds, through the one HTTP client (SSRF
guard, timeouts). The hub answers 202 Accepted and verifies our intent later, with a GET on
the callback (streams/web/websub.py). Expected failures come back as a reason, never raised."""

from __future__ import annotations

import httpx

from connectors.http import FetchError

__all__ = ["subscribe"]


async def subscribe(
    client: httpx.AsyncClient, hub: str, topic: str, callback: str, secret: str, lease: int,
) -> str | None:
    """Ask `hub` to push `topic` to `callback`; None when it accepted (2xx), else the reason
    in one line naming the hub."""
    form = {
        "hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback,
        "hub.secret": secret, "hub.lease_seconds": str(lease),
    }
    try:
        response = await client.post(hub, data=form)
    except FetchError as exc:  # the SSRF guard refused the hub's address
        return _one_line(f"hub {hub}: {exc.reason}")
    except httpx.HTTPError as exc:
        return _one_line(f"hub {hub}: {type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return None
    return _one_line(f"hub {hub}: HTTP {response.status_code} {response.text[:200]}")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
