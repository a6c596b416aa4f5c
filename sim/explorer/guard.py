"""Who may talk to the explorer's server: an ASGI middleware in front of Solara's app.

Binding to 127.0.0.1 keeps other machines out, but not other web sites open in the user's
browser: a page on evil.example can point its own name at 127.0.0.1 (DNS rebinding) or open a
WebSocket to it (cross-site WebSocket hijacking) and drive the simulator. So every request
must name this server in its ``Host`` header, and every WebSocket upgrade must come from a
page this server served (``Origin`` equal to ``http://<Host>``); anything else gets 403.
"""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARDS = ("0.0.0.0", "::", "[::]")


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """Host header values that name this server; None when bound to every address (any name
    the machine is known by is then legitimate, so only the Origin check applies)."""
    if host in WILDCARDS:
        return None
    names = {host if ":" not in host or host.startswith("[") else f"[{host}]"}
    try:
        if host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback:
            names.update(LOOPBACK_NAMES)
    except ValueError:
        pass
    values = {f"{n}:{port}".lower() for n in names}
    if port == 80:
        values |= {n.lower() for n in names}
    return frozenset(values)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip().lower()
    return None


class HostOriginGuard:
    """Refuse (403) requests for another host and WebSocket upgrades from another origin."""

    def __init__(self, app, hosts: frozenset[str] | None):
        self.app = app
        self.hosts = hosts

    def refusal(self, scope) -> str | None:
        host = _header(scope, b"host")
        if host is None or (self.hosts is not None and host not in self.hosts):
            return f"Host {host!r} is not this server"
        if scope["type"] == "websocket":
            origin = _header(scope, b"origin")
            if origin not in (f"http://{host}", f"https://{host}"):
                return f"Origin {origin!r} is not this server's page"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        reason = self.refusal(scope)
        if reason is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await receive()  # websocket.connect; closing before accepting answers HTTP 403
            await send({"type": "websocket.close", "code": 1008})
            return
        body = f"403 Forbidden: {reason}\n".encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
