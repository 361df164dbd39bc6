"""`edition serve`: the built site and the status dashboard on 127.0.0.1, for
editors, and the translators' preview (`workflow.preview`) under /preview/.

The dashboard is never shown stale: before answering a request for it, the
server asks ``refresh`` to bring it up to date (the CLI regenerates it when
an article, catalog or setting changed since it was last written).
"""

from __future__ import annotations

import functools
import http.server
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .dashboard import details_dir


class _Handler(http.server.SimpleHTTPRequestHandler):
    dashboard: Path | None = None
    refresh: Callable[[], None] | None = None
    #: `workflow.preview`'s folder, served under /preview/, and what renders it again.
    preview: tuple[Path, Callable[[], None]] | None = None

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        shown = self.preview
        if shown is not None and (clean == "/preview" or clean.startswith("/preview/")):
            folder, render = shown
            render()
            rest = clean[len("/preview") :].lstrip("/")
            if any(part in ("..", "") or part.startswith(".") for part in rest.split("/")[:-1]):
                return str(folder / ".missing")
            return str(folder / rest)
        board = self.dashboard
        if board is not None and (clean == "/status.html" or clean.startswith("/status/")):
            refresh = type(self).refresh  # a staticmethod: the plain function
            if refresh is not None:
                refresh()
            if clean == "/status.html":
                return str(board)
            name = clean[len("/status/") :]
            if "/" in name or name.startswith(".") or not name.endswith(".html"):
                return str(details_dir(board) / ".missing")
            return str(details_dir(board) / name)
        return super().translate_path(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(
    site: Path,
    dashboard: Path | None,
    port: int,
    refresh: Callable[[], None] | None = None,
    preview: tuple[Path, Callable[[], None]] | None = None,
) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1 only; ``port`` 0 picks a free one.
    Raises OSError when the port cannot be had."""
    handler = functools.partial(
        type(
            "Handler",
            (_Handler,),
            {
                "dashboard": dashboard,
                "refresh": staticmethod(refresh) if refresh is not None else None,
                "preview": preview,
            },
        ),
        directory=str(site),
    )
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(
    site: Path,
    dashboard: Path | None,
    port: int,
    announce: Callable[[str], None],
    refresh: Callable[[], None] | None = None,
    preview: tuple[Path, Callable[[], None]] | None = None,
) -> None:
    server = make_server(site, dashboard, port, refresh, preview)
    host, real_port = server.server_address[:2]
    announce(f"http://{host!s}:{real_port}/")
    try:
        server.serve_forever()
    finally:
        server.server_close()
