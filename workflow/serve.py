"""`edition serve`: the built site and the status dashboard on 127.0.0.1, for editors."""

from __future__ import annotations

import functools
import http.server
from collections.abc import Callable
from pathlib import Path
from typing import Any


class _Handler(http.server.SimpleHTTPRequestHandler):
    dashboard: Path | None = None

    def translate_path(self, path: str) -> str:
        if self.dashboard is not None and path.split("?")[0] == "/status.html":
            return str(self.dashboard)
        return super().translate_path(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(site: Path, dashboard: Path | None, port: int) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1 only; ``port`` 0 picks a free one."""
    handler = functools.partial(
        type(
            "Handler",
            (_Handler,),
            {"dashboard": dashboard if dashboard and dashboard.is_file() else None},
        ),
        directory=str(site),
    )
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(site: Path, dashboard: Path | None, port: int, announce: Callable[[str], None]) -> None:
    server = make_server(site, dashboard, port)
    host, real_port = server.server_address[:2]
    announce(f"http://{host!s}:{real_port}/")
    try:
        server.serve_forever()
    finally:
        server.server_close()
