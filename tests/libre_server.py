"""A LibreTranslate-compatible HTTP server for offline tests and benchmarks.

`LibreServer` listens on 127.0.0.1 on a free port, in a background thread,
and answers like a self-hosted LibreTranslate:

- ``GET /languages``: ``[{"code", "name", "targets"}]`` from `languages`.
- ``POST /translate``: parameters from the query string (as deep-translator
  sends them), a form body or a JSON body; ``q`` is a string or a list, and
  ``translatedText`` comes back in the same shape.  An unsupported pair is
  400, a wrong or missing key (when `api_key` is set) is 403, as upstream.

So that the deep-translator clients of other providers can be driven for real,
it also answers their wire formats under a prefix (see `provider_url`):
``/google/m`` (Google's HTML page), ``/mymemory/get`` (MyMemory JSON),
``/deepl/v2/translate`` (DeepL JSON) and ``/microsoft/{languages,translate}``.

The translation is deterministic and keeps every token of the text, so
placeholders survive: `fake_translate` prefixes ``[target] ``.

Faults are scripted per request to any translate route, first in first out:

    server.fail_next(2, status=429, retry_after=0.01)   # two 429s, then normal
    server.fail_next(status=500)
    server.stall_next(seconds=2.0)                       # answer after 2 s
    server.garbage_next(body=b"<html>oops")              # 200 with junk body
    server.drop_placeholders_next(pattern=r"⟦\\d+⟧")     # translation loses tokens
    server.transform_next(fn)                            # any change to each text

What tests read back: `translate_requests` (count), `texts` (every text received,
in order), `requests` (`Received` records: route, source, target, texts,
api_key, via), `high_water` (most translate requests in flight at once), and
`reset()` clears counters and pending faults.  `latency` adds a delay to every
translate request (the benchmark uses 0.1 s).

Use the `libre_server` pytest fixture (import it into a test module or a
conftest) or the context manager ``with LibreServer() as server:``.
`closed_port_url()` gives a URL where nothing listens (connection refused).
"""

from __future__ import annotations

import html
import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

#: Placeholder shapes dropped by `drop_placeholders_next` unless told otherwise.
DEFAULT_PLACEHOLDER_PATTERN = r"⟦[^⟧]*⟧|\{\d+\}|<x\d+/>|__[A-Z]+\d+__"

DEFAULT_LANGUAGES: dict[str, list[str]] = {
    "en": ["ru", "be"],
    "ru": ["en", "be"],
    "be": ["en", "ru"],
}


def fake_translate(text: str, target: str) -> str:
    """The server's deterministic "translation": every token kept, prefixed."""
    return f"[{target}] {text}"


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@dataclass(frozen=True)
class Received:
    """One translate request as the server saw it."""

    route: str  # "libre", "google", "mymemory", "deepl", "microsoft"
    source: str
    target: str
    texts: tuple[str, ...]
    api_key: str | None
    via: str  # "query", "form" or "json"


@dataclass
class _Fault:
    kind: str  # "status", "stall", "garbage", "transform"
    status: int = 200
    retry_after: str | None = None
    seconds: float = 0.0
    body: bytes = b""
    content_type: str = "application/json"
    transform: Callable[[str], str] | None = None


@dataclass
class LibreServer:
    """See the module docstring.  Start with `start()` or ``with``."""

    api_key: str | None = None
    languages: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_LANGUAGES))
    latency: float = 0.0

    translate_requests: int = 0
    high_water: int = 0
    texts: list[str] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    _faults: deque[_Fault] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _in_flight: int = field(default=0, repr=False)
    _closing: threading.Event = field(default_factory=threading.Event, repr=False)
    _httpd: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> LibreServer:
        handler = _make_handler(self)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LibreServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL with the trailing slash, e.g. ``http://127.0.0.1:4711/``."""
        return f"http://127.0.0.1:{self.port}/"

    def provider_url(self, provider: str) -> str:
        """The base URL to configure for a deep-translator provider's fake."""
        paths = {
            "libre": "",
            "google": "google/m",
            "mymemory": "mymemory/get",
            "deepl": "deepl/v2/",
            "microsoft": "microsoft/",
        }
        return self.url + paths[provider]

    # -- scripting ---------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        retry_after: float | str | None = None,
        error: str = "scripted failure",
    ) -> None:
        """The next `count` translate requests answer `status` with a JSON error."""
        body = json.dumps({"error": error}).encode()
        ra = None if retry_after is None else str(retry_after)
        self._push(count, _Fault("status", status=status, retry_after=ra, body=body))

    def stall_next(self, count: int = 1, *, seconds: float = 2.0) -> None:
        """The next `count` translate requests wait `seconds` before answering."""
        self._push(count, _Fault("stall", seconds=seconds))

    def garbage_next(
        self,
        count: int = 1,
        *,
        body: bytes = b"<html><body>Bad gateway</body></html>",
        status: int = 200,
        content_type: str = "text/html",
    ) -> None:
        """The next `count` translate requests answer `body` instead of a translation."""
        self._push(count, _Fault("garbage", status=status, body=body, content_type=content_type))

    def transform_next(self, count: int = 1, *, fn: Callable[[str], str]) -> None:
        """The next `count` translate requests apply `fn` to each translated text."""
        self._push(count, _Fault("transform", transform=fn))

    def drop_placeholders_next(
        self, count: int = 1, *, pattern: str = DEFAULT_PLACEHOLDER_PATTERN
    ) -> None:
        """The next `count` translate requests delete placeholder tokens."""
        regex = re.compile(pattern)
        self.transform_next(count, fn=lambda text: regex.sub("", text))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.translate_requests = 0
            self.high_water = 0
            self.texts.clear()
            self.requests.clear()

    def _push(self, count: int, fault: _Fault) -> None:
        with self._lock:
            self._faults.extend(fault for _ in range(count))

    # -- bookkeeping used by the handler -------------------------------------

    def _enter(self, received: Received) -> _Fault | None:
        with self._lock:
            self.translate_requests += 1
            self.texts.extend(received.texts)
            self.requests.append(received)
            self._in_flight += 1
            self.high_water = max(self.high_water, self._in_flight)
            return self._faults.popleft() if self._faults else None

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)


def _make_handler(server: LibreServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet tests

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        # -- plumbing ------------------------------------------------------

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            route = parts.path.rstrip("/") or "/"
            try:
                if route == "/languages" and method == "GET":
                    self._languages()
                elif route == "/translate" and method == "POST":
                    self._libre(query, raw)
                elif route == "/google/m" and method == "GET":
                    self._google(query)
                elif route == "/mymemory/get" and method == "GET":
                    self._mymemory(query)
                elif route == "/deepl/v2/translate":
                    self._deepl(query, raw)
                elif route == "/microsoft/languages" and method == "GET":
                    codes = sorted({c for c in server.languages} | _all_targets(server))
                    self._send_json(200, {"translation": {c: {"name": c} for c in codes}})
                elif route == "/microsoft/translate" and method == "POST":
                    self._microsoft(query, raw)
                else:
                    self._send_json(404, {"error": "Not Found"})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to answer

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _send_json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
            body = json.dumps(data, ensure_ascii=False).encode()
            self._send(status, body, "application/json", extra or {})

        def _languages(self) -> None:
            data = [
                {"code": code, "name": code, "targets": targets}
                for code, targets in server.languages.items()
            ]
            self._send_json(200, data)

        def _translate(
            self,
            received: Received,
            respond: Callable[[list[str]], None],
            *,
            key_ok: bool = True,
        ) -> None:
            """Shared by every route: counting, faults, latency, auth, languages."""
            fault = server._enter(received)
            try:
                server._wait(server.latency)
                transform: Callable[[str], str] | None = None
                if fault is not None:
                    if fault.kind == "stall":
                        server._wait(fault.seconds)
                    elif fault.kind == "status":
                        extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                        self._send(fault.status, fault.body, "application/json", extra)
                        return
                    elif fault.kind == "garbage":
                        self._send(fault.status, fault.body, fault.content_type, {})
                        return
                    elif fault.kind == "transform":
                        transform = fault.transform
                if not key_ok:
                    self._send_json(403, {"error": "Invalid API key"})
                    return
                if received.target not in server.languages.get(received.source, []):
                    self._send_json(
                        400,
                        {"error": f"{received.target} is not supported from {received.source}"},
                    )
                    return
                out = [fake_translate(t, received.target) for t in received.texts]
                if transform is not None:
                    out = [transform(t) for t in out]
                respond(out)
            finally:
                server._leave()

        def _key_ok(self, given: str | None) -> bool:
            return server.api_key is None or given == server.api_key

        def _libre(self, query: dict[str, list[str]], raw: bytes) -> None:
            params: dict[str, Any]
            ctype = self.headers.get("Content-Type", "")
            if raw and "json" in ctype:
                try:
                    params = json.loads(raw)
                except ValueError:
                    self._send_json(400, {"error": "Invalid JSON"})
                    return
                via = "json"
            elif raw:
                params = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw.decode()).items()}
                via = "form"
            else:
                params = {k: v if len(v) > 1 else v[0] for k, v in query.items()}
                via = "query"
            q = params.get("q")
            if q is None or not isinstance(q, str | list):
                self._send_json(400, {"error": "Invalid request: missing q parameter"})
                return
            texts = [q] if isinstance(q, str) else [str(t) for t in q]
            key = params.get("api_key")
            received = Received(
                "libre",
                str(params.get("source", "")),
                str(params.get("target", "")),
                tuple(texts),
                key if isinstance(key, str) else None,
                via,
            )

            def respond(out: list[str]) -> None:
                self._send_json(200, {"translatedText": out[0] if isinstance(q, str) else out})

            self._translate(received, respond, key_ok=self._key_ok(received.api_key))

        def _google(self, query: dict[str, list[str]]) -> None:
            received = Received(
                "google",
                _one(query, "sl"),
                _one(query, "tl"),
                (_one(query, "q"),),
                None,
                "query",
            )

            def respond(out: list[str]) -> None:
                page = f'<html><body><div class="result-container">{html.escape(out[0])}</div></body></html>'
                self._send(200, page.encode(), "text/html; charset=utf-8", {})

            self._translate(received, respond)

        def _mymemory(self, query: dict[str, list[str]]) -> None:
            source, _, target = _one(query, "langpair").partition("|")
            received = Received(
                "mymemory",
                source.split("-")[0],
                target.split("-")[0],
                (_one(query, "q"),),
                None,
                "query",
            )

            def respond(out: list[str]) -> None:
                self._send_json(200, {"responseData": {"translatedText": out[0]}, "matches": []})

            self._translate(received, respond)

        def _deepl(self, query: dict[str, list[str]], raw: bytes) -> None:
            if raw:
                query = parse_qs(raw.decode())
            key = _one(query, "auth_key") or None
            received = Received(
                "deepl",
                _one(query, "source_lang").lower(),
                _one(query, "target_lang").lower(),
                (_one(query, "text"),),
                key,
                "query",
            )

            def respond(out: list[str]) -> None:
                self._send_json(200, {"translations": [{"text": out[0]}]})

            self._translate(received, respond, key_ok=self._key_ok(key))

        def _microsoft(self, query: dict[str, list[str]], raw: bytes) -> None:
            key = self.headers.get("Ocp-Apim-Subscription-Key")
            try:
                items = json.loads(raw or b"[]")
                texts = tuple(str(item["text"]) for item in items)
            except (ValueError, KeyError, TypeError):
                self._send_json(400, {"error": {"code": 400000, "message": "bad body"}})
                return
            received = Received(
                "microsoft",
                _one(query, "from"),
                _one(query, "to"),
                texts,
                key,
                "json",
            )

            def respond(out: list[str]) -> None:
                self._send_json(
                    200, [{"translations": [{"text": t, "to": received.target}]} for t in out]
                )

            self._translate(received, respond, key_ok=self._key_ok(key))

    return Handler


def _one(query: dict[str, list[str]], key: str) -> str:
    values = query.get(key)
    return values[0] if values else ""


def _all_targets(server: LibreServer) -> set[str]:
    return {t for targets in server.languages.values() for t in targets}


@pytest.fixture
def libre_server() -> Iterator[LibreServer]:
    """A started `LibreServer` (no API key, default languages), closed after the test."""
    with LibreServer() as server:
        yield server
