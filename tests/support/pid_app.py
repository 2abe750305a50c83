"""An ASGI app factory for the worker tests: every answer is the serving process's id (no database)."""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Receive, Scope, Send


def pid_app() -> ASGIApp:
    body = str(os.getpid()).encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app
