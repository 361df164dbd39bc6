"""Machine-translation engines behind one small interface.

An engine turns a batch of texts into a batch of translations, same length and
order, or raises `EngineError`.  Texts arrive with their markup already replaced
by placeholders (`workflow.markup`); an engine keeps whatever it is given and
adds nothing: no cache, no placeholders, no catalog.  Those belong to `draft`.

Rules every engine keeps:

- Every HTTP request has a timeout, and every failure becomes an `EngineError`
  saying whether a retry can help (`retryable`: 429, 5xx, timeouts, refused
  connections) and whether the engine is unusable for the rest of the run
  (`fatal`: bad key, unsupported language pair, not installed).
- A key never appears in an error message, a repr or a log: messages are
  built from status codes and our own words, server text is redacted, and
  errors from libraries that print keys (deep-translator's
  `AuthorizationException`) are not chained.
- Identical texts in one batch are sent once; empty texts are not sent;
  leading and trailing whitespace is kept from the source.
- An empty answer for a non-empty text is an error, never a translation.

Engines:

- ``libre``: the LibreTranslate HTTP API, spoken directly (JSON, texts batched in
  one request, ``GET /languages`` to learn whether the server offers ``be``).
  deep-translator's client refuses ``be``, demands a key even for a
  self-hosted server, and sends one request per text.
- ``google``, ``mymemory``, ``deepl``, ``microsoft``, ``yandex``: deep-translator's
  own clients, run inside `_http_scope` (timeouts, one pooled session per
  thread, base-URL override, the last response kept to recover the status and
  Retry-After that deep-translator's exceptions throw away).
- ``apertium``: ru↔be offline through Debian's ``apertium-bel-rus`` with the modes
  shipped in ``workflow/data/apertium/`` (the packaged rus-bel mode segfaults
  and prints nothing; see the README there).

Settings live in ``[tool.edition.engines]`` (scalars apply to every engine) and
``[tool.edition.engines.NAME]``; a key or URL may come from the environment
instead, which wins over the file (see `_SPECS`).
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import email.utils
import os
import random
import re
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import requests

from .config import Settings
from .errors import ConfigError, WorkflowError

ENGINE_NAMES: tuple[str, ...] = (
    "google",
    "mymemory",
    "deepl",
    "libre",
    "microsoft",
    "yandex",
    "apertium",
)

DEFAULT_TIMEOUT = 20.0


class EngineError(WorkflowError):
    """A request to an engine failed; says whether retrying or the engine can help."""

    def __init__(
        self,
        engine: str,
        message: str,
        *,
        retryable: bool = False,
        fatal: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{engine}: {message}")
        self.engine = engine
        self.retryable = retryable
        self.fatal = fatal
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"EngineError({self.message!r}, engine={self.engine!r}, retryable={self.retryable},"
            f" fatal={self.fatal}, status={self.status}, retry_after={self.retry_after})"
        )


@runtime_checkable
class Engine(Protocol):
    name: str
    max_concurrency: int

    def supports(self, source: str, target: str) -> bool: ...

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...


# -- retries -------------------------------------------------------------------


def call_with_retries(
    engine: Engine,
    texts: Sequence[str],
    source: str,
    target: str,
    *,
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> list[str]:
    """`engine.translate` with exponential backoff and full jitter.

    Only retryable errors are retried, at most `attempts` calls in all; the
    wait before retry n (0-based) is uniform in [0, min(max_delay,
    base_delay * 2**n)], or Retry-After when the server asked for longer.
    A Retry-After beyond `max_delay` is not waited for: the error is raised so
    the caller can fall through to another engine instead of hanging.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return engine.translate(texts, source, target)
        except EngineError as exc:
            if exc.fatal or not exc.retryable or attempt == attempts - 1:
                raise
            delay = rng() * min(max_delay, base_delay * 2**attempt)
            if exc.retry_after is not None:
                if exc.retry_after > max_delay:
                    raise
                delay = max(delay, exc.retry_after)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


# -- settings --------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """What one engine reads from settings, and from which environment variables."""

    keys: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)  # setting -> variable
    required: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()


_COMMON = ("timeout", "concurrency", "batch_size")
_SPECS: dict[str, _Spec] = {
    "google": _Spec(keys=(*_COMMON, "url")),
    "mymemory": _Spec(keys=(*_COMMON, "url", "email"), env={"email": "MYMEMORY_EMAIL"}),
    "deepl": _Spec(
        keys=(*_COMMON, "url", "api_key", "free"),
        env={"api_key": "DEEPL_API_KEY"},
        required=("api_key",),
        secrets=("api_key",),
    ),
    "libre": _Spec(
        keys=(*_COMMON, "url", "api_key"),
        env={"url": "LIBRETRANSLATE_URL", "api_key": "LIBRETRANSLATE_API_KEY"},
        required=("url",),
        secrets=("api_key",),
    ),
    "microsoft": _Spec(
        keys=(*_COMMON, "url", "api_key", "region"),
        env={"api_key": "MICROSOFT_API_KEY", "region": "MICROSOFT_REGION"},
        required=("api_key",),
        secrets=("api_key",),
    ),
    "yandex": _Spec(
        keys=(*_COMMON, "url", "api_key"),
        env={"api_key": "YANDEX_API_KEY"},
        required=("api_key",),
        secrets=("api_key",),
    ),
    "apertium": _Spec(keys=(*_COMMON, "pair_dir", "modes_dir")),
}
_TYPES: dict[str, tuple[type, ...]] = {
    "timeout": (int, float),
    "concurrency": (int,),
    "batch_size": (int,),
    "free": (bool,),
}
_DEFAULT_CONCURRENCY = {
    "google": 4,
    "mymemory": 2,
    "deepl": 4,
    "libre": 8,
    "microsoft": 4,
    "yandex": 4,
    "apertium": 2,
}
_DEFAULT_BATCH = {"libre": 50, "apertium": 1000}


def _engine_options(name: str, settings: Settings, environ: Mapping[str, str]) -> dict[str, Any]:
    """The validated options of one engine: engine table over shared scalars, env over both."""
    spec = _SPECS[name]
    where = settings.root / "pyproject.toml"
    table = settings.sections.get("engines", {})
    own = table.get(name, {})
    if not isinstance(own, dict):
        raise ConfigError(f"[tool.edition.engines.{name}] must be a table", path=where)
    options: dict[str, Any] = {
        k: v for k, v in table.items() if not isinstance(v, dict) and k in _COMMON
    }
    for key, value in table.items():
        if isinstance(value, dict):
            if key not in ENGINE_NAMES:
                raise ConfigError(
                    f"unknown engine [tool.edition.engines.{key}]",
                    path=where,
                    hint=_did_you_mean(key, ENGINE_NAMES),
                )
        elif key not in _COMMON:
            raise ConfigError(
                f"unknown setting '{key}' in [tool.edition.engines]",
                path=where,
                hint=_did_you_mean(key, _COMMON),
            )
    for key, value in own.items():
        if key not in spec.keys:
            raise ConfigError(
                f"unknown setting '{key}' in [tool.edition.engines.{name}]",
                path=where,
                hint=_did_you_mean(key, spec.keys),
            )
        options[key] = value
    for key, variable in spec.env.items():
        if environ.get(variable):
            options[key] = environ[variable]
    for key, value in options.items():
        expected = _TYPES.get(key, (str,))
        if (isinstance(value, bool) and bool not in expected) or not isinstance(value, expected):
            kind = " or ".join(t.__name__ for t in expected)
            # Never echo the value: it may be a key.
            raise ConfigError(f"'{key}' of engine {name} must be a {kind}", path=where)
    for key in ("timeout", "concurrency", "batch_size"):
        if key in options and options[key] <= 0:
            raise ConfigError(f"'{key}' of engine {name} must be positive", path=where)
    for key in spec.required:
        if not options.get(key):
            env_name = spec.env.get(key)
            via = f"set {env_name} or " if env_name is not None else "set "
            raise ConfigError(
                f"engine {name} needs '{key}'",
                path=where,
                hint=f"{via}'{key}' in [tool.edition.engines.{name}]",
            )
    return options


def _did_you_mean(word: str, known: Sequence[str]) -> str:
    guess = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean '{guess[0]}'?" if guess else "known: " + ", ".join(known)


def _redact(text: str, secrets: Sequence[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _status_error(
    engine: str, status: int, detail: str = "", retry_after: float | None = None
) -> EngineError:
    """The `EngineError` for an HTTP status other than 2xx."""
    text = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        return EngineError(
            engine, f"{text} (authentication refused; check the key)", fatal=True, status=status
        )
    retryable = status in (408, 425, 429) or status >= 500
    return EngineError(engine, text, retryable=retryable, status=status, retry_after=retry_after)


def _transport_error(engine: str, exc: requests.RequestException, timeout: float) -> EngineError:
    """A `requests` failure, described without its URL (which may carry a key)."""
    host = ""
    request = getattr(exc, "request", None)
    if request is not None and getattr(request, "url", None):
        host = urlsplit(str(request.url)).netloc.rpartition("@")[2]
    at = f" at {host}" if host else ""
    if isinstance(exc, requests.Timeout):
        return EngineError(engine, f"no answer{at} within {timeout:g} s", retryable=True)
    if isinstance(exc, requests.ConnectionError):
        return EngineError(engine, f"cannot connect{at}", retryable=True)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return EngineError(engine, "the configured URL is not valid", fatal=True)
    return EngineError(engine, f"request failed{at} ({type(exc).__name__})", retryable=True)


def _keep_whitespace(source: str, translated: str) -> str:
    lead = source[: len(source) - len(source.lstrip())]
    trail = source[len(source.rstrip()) :]
    return lead + translated.strip() + trail


class _Sessions:
    """One `requests.Session` per thread (a Session is not documented thread-safe).

    All are closed by `close()` or, failing that, when the owner is collected,
    so no pooled socket is left to a ResourceWarning.
    """

    def __init__(self, owner: object) -> None:
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(owner, _close_sessions, self._all, self._lock)

    def get(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._all.append(session)
        return session

    def close(self) -> None:
        self._local = threading.local()
        _close_sessions(self._all, self._lock)


def _close_sessions(sessions: list[requests.Session], lock: threading.Lock) -> None:
    with lock:
        for session in sessions:
            session.close()
        sessions.clear()


# -- LibreTranslate ----------------------------------------------------------------


class LibreEngine:
    """LibreTranslate over its HTTP API: ``POST /translate`` with JSON, batched."""

    name = "libre"

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_concurrency: int = _DEFAULT_CONCURRENCY["libre"],
        batch_size: int = _DEFAULT_BATCH["libre"],
    ) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self._api_key = api_key or None
        self.timeout = float(timeout)
        self.max_concurrency = max_concurrency
        self.batch_size = batch_size
        self._sessions = _Sessions(self)
        self._languages: dict[str, frozenset[str]] | None = None
        self._languages_known = False
        self._languages_lock = threading.Lock()

    def __repr__(self) -> str:
        keyed = ", api_key=***" if self._api_key else ""
        return f"LibreEngine(url={self.url!r}{keyed}, timeout={self.timeout:g})"

    def close(self) -> None:
        self._sessions.close()

    def languages(self) -> dict[str, frozenset[str]] | None:
        """Source code -> target codes, from the server's ``/languages`` (None if unreachable)."""
        with self._languages_lock:
            if not self._languages_known:
                self._languages = self._fetch_languages()
                self._languages_known = True
            return self._languages

    def _fetch_languages(self) -> dict[str, frozenset[str]] | None:
        try:
            response = self._sessions.get().get(self.url + "languages", timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
            return {
                str(item["code"]): frozenset(str(t) for t in item.get("targets", []))
                for item in data
            }
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return None

    def supports(self, source: str, target: str) -> bool:
        if source == target:
            return False
        languages = self.languages()
        if languages is None:
            # Server unknown: what deep-translator's table promises (no `be`);
            # `translate` will report why the server cannot be reached.
            from deep_translator.constants import LIBRE_LANGUAGES_TO_CODES

            codes = set(LIBRE_LANGUAGES_TO_CODES.values())
            return source in codes and target in codes
        return target in languages.get(source, frozenset())

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        unique = [t for t in dict.fromkeys(texts) if t.strip()]
        found: dict[str, str] = {}
        for start in range(0, len(unique), self.batch_size):
            chunk = unique[start : start + self.batch_size]
            for text, translated in zip(chunk, self._request(chunk, source, target), strict=True):
                found[text] = translated
        return [_keep_whitespace(t, found[t]) if t in found else t for t in texts]

    def _request(self, chunk: list[str], source: str, target: str) -> list[str]:
        payload: dict[str, Any] = {
            "q": [t.strip() for t in chunk],
            "source": source,
            "target": target,
            "format": "text",
        }
        if self._api_key:
            payload["api_key"] = self._api_key
        try:
            response = self._sessions.get().post(
                self.url + "translate", json=payload, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise _transport_error(self.name, exc, self.timeout) from None
        if not 200 <= response.status_code < 300:
            detail = ""
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                detail = str(response.json().get("error", ""))
            # Redact the whole body first: a key cut in two by the limit
            # would no longer match, and half of it would be shown.
            detail = _redact(detail, [self._api_key])[:200]
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            error = _status_error(self.name, response.status_code, detail, retry_after)
            if response.status_code == 400 and "not supported" in detail:
                error.fatal = True
            raise error
        try:
            out = response.json()["translatedText"]
        except (ValueError, KeyError, TypeError):
            raise EngineError(
                self.name, "the answer is not LibreTranslate JSON", status=response.status_code
            ) from None
        if not isinstance(out, list) or not all(isinstance(t, str) for t in out):
            raise EngineError(self.name, "the answer has no list of translations")
        if len(out) != len(chunk):
            raise EngineError(
                self.name, f"sent {len(chunk)} texts, got {len(out)} translations back"
            )
        if any(not t.strip() for t in out):
            raise EngineError(self.name, "the answer has an empty translation")
        return out


# -- deep-translator providers ---------------------------------------------------------

# deep-translator calls the module-level `requests.get/post` with no timeout and no
# session.  Patching `requests` itself would change every user of it in the process,
# and a global default timeout would race between threads.  Instead each provider
# module's `requests` name is pointed at `_ScopedRequests`, which forwards to the
# real module unless the calling thread (contextvar) is inside `_http_scope`: then
# the request goes through that scope's session with its timeout, the base URL may
# be rewritten (tests, proxies), and the response is kept so the status and
# Retry-After can be recovered.  Transport errors are raised as `_Transport`, which
# deep-translator's own handlers do not catch (they would turn a timeout into a
# bare `ServerException(503)`, or swallow it and crash on `None.json()`).


@dataclass
class _Scope:
    session: requests.Session
    timeout: float
    rewrite: tuple[str, str] | None
    last_response: requests.Response | None = None


_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "edition_http_scope", default=None
)


class _Transport(Exception):
    """Carries a `requests` failure past deep-translator's handlers; never escapes."""

    def __init__(self, cause: requests.RequestException) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


class _ScopedRequests:
    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        scope = _SCOPE.get()
        if scope is None:
            return self._real.request(method, url, **kwargs)  # type: ignore[no-any-return]
        if scope.rewrite is not None and url.startswith(scope.rewrite[0]):
            url = scope.rewrite[1] + url[len(scope.rewrite[0]) :]
        kwargs.setdefault("timeout", scope.timeout)
        try:
            response = scope.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise _Transport(exc) from None
        scope.last_response = response
        return response


_PATCH_LOCK = threading.Lock()


def _provider_module(module_name: str) -> ModuleType:
    import importlib

    module = importlib.import_module(f"deep_translator.{module_name}")
    with _PATCH_LOCK:
        if not isinstance(module.__dict__.get("requests"), _ScopedRequests):
            module.requests = _ScopedRequests(requests)  # type: ignore[attr-defined]
    return module


@contextlib.contextmanager
def _http_scope(
    session: requests.Session, timeout: float, rewrite: tuple[str, str] | None
) -> Iterator[_Scope]:
    scope = _Scope(session, timeout, rewrite)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


@dataclass(frozen=True)
class _Provider:
    module: str
    cls: str
    default_base: str  # what `url` replaces in every request the client makes
    languages: str | None  # name of the code table in deep_translator.constants
    max_chars: int


_PROVIDERS: dict[str, _Provider] = {
    "google": _Provider(
        "google",
        "GoogleTranslator",
        "https://translate.google.com/m",
        "GOOGLE_LANGUAGES_TO_CODES",
        5000,
    ),
    "mymemory": _Provider(
        "mymemory",
        "MyMemoryTranslator",
        "http://api.mymemory.translated.net/get",
        "MY_MEMORY_LANGUAGES_TO_CODES",
        500,
    ),
    "deepl": _Provider(
        "deepl", "DeeplTranslator", "https://api-free.deepl.com/v2/", "DEEPL_LANGUAGE_TO_CODE", 5000
    ),
    "microsoft": _Provider(
        "microsoft",
        "MicrosoftTranslator",
        "https://api.cognitive.microsofttranslator.com/",
        None,
        5000,
    ),
    "yandex": _Provider(
        "yandex", "YandexTranslator", "https://translate.yandex.net/api/", None, 5000
    ),
}


class DeepTranslatorEngine:
    """A deep-translator client made safe: timeouts, normalized errors, no leaked keys.

    One request per distinct text (deep-translator has no batch request); the
    caller gets speed from `max_concurrency` calls in parallel.
    """

    def __init__(
        self,
        name: str,
        *,
        options: Mapping[str, Any] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        url: str | None = None,
        max_concurrency: int | None = None,
        batch_size: int = 20,
    ) -> None:
        if name not in _PROVIDERS:
            raise ValueError(f"not a deep-translator provider: {name}")
        self.name = name
        self._provider = _PROVIDERS[name]
        self._options = dict(options or {})
        self.timeout = float(timeout)
        self.url = url
        self.max_concurrency = max_concurrency or _DEFAULT_CONCURRENCY[name]
        self.batch_size = batch_size
        default = self._provider.default_base
        if name == "deepl" and not self._options.get("use_free_api", True):
            default = "https://api.deepl.com/v2/"
        self._rewrite = (default, url) if url else None
        self._sessions = _Sessions(self)
        self._local = threading.local()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}=***" if k in ("api_key",) else f"{k}={v!r}" for k, v in self._options.items()
        )
        where = f", url={self.url!r}" if self.url else ""
        return f"DeepTranslatorEngine({self.name!r}{where}, timeout={self.timeout:g}{', ' + shown if shown else ''})"

    def close(self) -> None:
        self._sessions.close()

    def _secrets(self) -> list[str | None]:
        return [self._options.get("api_key")]

    def _code(self, language: str) -> str | None:
        """deep-translator's code for a gettext code (MyMemory wants ``be-BY``)."""
        table_name = self._provider.languages
        if table_name is None:
            return language
        from deep_translator import constants

        codes = set(getattr(constants, table_name).values())
        if language in codes:
            return language
        regional = sorted(c for c in codes if c.lower().startswith(language.lower() + "-"))
        return regional[0] if regional else None

    def supports(self, source: str, target: str) -> bool:
        # Microsoft and Yandex list their languages only over the network; they
        # are taken at their word here and refuse in `translate` (fatal) if not.
        return source != target and None not in (self._code(source), self._code(target))

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        source_code, target_code = self._code(source), self._code(target)
        if source_code is None or target_code is None:
            raise EngineError(self.name, f"does not translate {source} to {target}", fatal=True)
        unique = [t for t in dict.fromkeys(texts) if t.strip()]
        found: dict[str, str] = {}
        with _http_scope(self._sessions.get(), self.timeout, self._rewrite) as scope:
            client = self._client(source_code, target_code, scope)
            for text in unique:
                found[text] = self._one(client, text.strip(), scope)
        return [_keep_whitespace(t, found[t]) if t in found else t for t in texts]

    def _client(self, source: str, target: str, scope: _Scope) -> Any:
        clients: dict[tuple[str, str], Any] = self._local.__dict__.setdefault("clients", {})
        key = (source, target)
        if key not in clients:
            module = _provider_module(self._provider.module)
            factory = getattr(module, self._provider.cls)
            try:
                clients[key] = factory(source=source, target=target, **self._options)
            except Exception as exc:  # deep-translator raises bare and odd exceptions
                raise self._normalize(exc, scope) from None
        return clients[key]

    def _one(self, client: Any, text: str, scope: _Scope) -> str:
        if len(text) > self._provider.max_chars:
            raise EngineError(
                self.name, f"a text is longer than {self._provider.max_chars} characters"
            )
        scope.last_response = None
        try:
            out = client.translate(text)
        except Exception as exc:  # see _normalize: every failure shape, one error type
            raise self._normalize(exc, scope) from None
        if not isinstance(out, str) or not out.strip():
            raise EngineError(self.name, "the answer has no translation")
        return out

    def _normalize(self, exc: Exception, scope: _Scope) -> EngineError:
        """One `EngineError` for whatever deep-translator raised.

        Its exceptions lose the HTTP status (`ServerException`, `RequestError`,
        `TooManyRequests`) and some print the key (`AuthorizationException`),
        so the message is ours and the status comes from the kept response.
        """
        from deep_translator import exceptions as dt

        if isinstance(exc, _Transport):
            return _transport_error(self.name, exc.cause, self.timeout)
        if isinstance(exc, dt.LanguageNotSupportedException | dt.InvalidSourceOrTargetLanguage):
            return EngineError(self.name, "does not support this language pair", fatal=True)
        if isinstance(exc, dt.NotValidLength | dt.NotValidPayload):
            return EngineError(self.name, "refused the text (too long or not text)")
        if isinstance(exc, dt.ApiKeyException):
            return EngineError(self.name, "no API key", fatal=True)
        response = scope.last_response
        status = response.status_code if response is not None else None
        if response is not None and not 200 <= response.status_code < 300:
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            return _status_error(self.name, response.status_code, "", retry_after)
        if isinstance(exc, dt.TooManyRequests):
            return EngineError(self.name, "too many requests", retryable=True, status=429)
        if isinstance(exc, dt.AuthorizationException):
            return EngineError(self.name, "authentication refused; check the key", fatal=True)
        if isinstance(exc, dt.TranslationNotFound):
            return EngineError(self.name, "the answer has no translation", status=status)
        # ValueError from response.json(), KeyError/TypeError/AttributeError from
        # parsing an answer of the wrong shape, MicrosoftAPIerror with a 2xx...
        return EngineError(
            self.name,
            f"unexpected answer ({type(exc).__name__})",
            status=status,
        )


# -- Apertium ---------------------------------------------------------------------------------

_DEBIAN_PAIR_DIR = "/usr/share/apertium/apertium-bel-rus"
_APERTIUM_PAIRS = {("ru", "be"): "rus-bel", ("be", "ru"): "bel-rus"}
# The apertium stream format reserves these; apertium-destxt escapes the same set.
_STREAM_SPECIAL = re.compile(r"([\\\[\]^$@/<>{}])")
_OTHER_BLANK = re.compile(r"\s+")
_MARK = re.compile(r"\[#(\d+)\]")


def _packaged_modes_dir() -> Path:
    return Path(str(resources.files("workflow") / "data" / "apertium" / "modes"))


def _to_stream(index: int, text: str) -> str:
    """One text as apertium's stream format, tagged and NUL-terminated.

    Like apertium-destxt: reserved characters escaped, blanks other than one
    space kept in superblanks, and ``.[]`` appended (destxt's sentence end;
    it keeps a heading without a full stop from running into the next text).
    The leading superblank ``[#N]`` is passed through by every stage and proves
    which output belongs to which input.
    """
    body = _STREAM_SPECIAL.sub(r"\\\1", text)
    body = _OTHER_BLANK.sub(lambda m: m.group(0) if m.group(0) == " " else f"[{m.group(0)}]", body)
    return f"[#{index}]{body}.[]\0"


def _from_stream(chunk: str) -> str:
    """apertium-retxt for one chunk whose tag and final ``.[]`` were removed."""
    out: list[str] = []
    i = 0
    in_blank = False
    while i < len(chunk):
        char = chunk[i]
        if char == "\\" and i + 1 < len(chunk):
            out.append(chunk[i + 1])
            i += 2
            continue
        if char == "[" and not in_blank:
            in_blank = True
        elif char == "]" and in_blank:
            in_blank = False
        else:
            out.append(char)
        i += 1
    return "".join(out)


class ApertiumEngine:
    """Apertium ru↔be, offline: many texts per pipeline run, every output checked."""

    name = "apertium"
    _TOOLS = ("bash", "apertium-wblank-mode")

    def __init__(
        self,
        *,
        modes_dir: str | Path | None = None,
        pair_dir: str | None = None,
        timeout: float = 120.0,
        max_concurrency: int = _DEFAULT_CONCURRENCY["apertium"],
        batch_size: int = _DEFAULT_BATCH["apertium"],
    ) -> None:
        self.modes_dir = Path(modes_dir) if modes_dir else _packaged_modes_dir()
        self.pair_dir = pair_dir
        self.timeout = float(timeout)
        self.max_concurrency = max_concurrency
        self.batch_size = batch_size
        self._pipelines: dict[str, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApertiumEngine(modes_dir={str(self.modes_dir)!r}, timeout={self.timeout:g})"

    def close(self) -> None:
        pass  # nothing held between calls

    def _mode_text(self, mode: str) -> str:
        text = (self.modes_dir / f"{mode}.mode").read_text(encoding="utf-8").strip()
        if self.pair_dir:
            text = text.replace(_DEBIAN_PAIR_DIR, self.pair_dir.rstrip("/"))
        return text

    def missing(self, mode: str = "rus-bel") -> list[str]:
        """What is not installed for `mode`: programs and data files (empty if ready)."""
        path = self.modes_dir / f"{mode}.mode"
        if not path.is_file():
            return [str(path)]
        text = self._mode_text(mode)
        programs = {part.split()[0] for part in text.split("|") if part.strip()}
        absent = [p for p in sorted({*programs, *self._TOOLS}) if shutil.which(p) is None]
        files = re.findall(r"'(/[^']+)'", text)
        absent += [f for f in files if not Path(f).is_file()]
        return absent

    def supports(self, source: str, target: str) -> bool:
        mode = _APERTIUM_PAIRS.get((source, target))
        return mode is not None and not self.missing(mode)

    def _pipeline(self, mode: str) -> str:
        with self._lock:
            if mode not in self._pipelines:
                absent = self.missing(mode)
                if absent:
                    raise EngineError(
                        self.name, f"not installed: {', '.join(absent[:5])}", fatal=True
                    )
                # The same conversion `apertium -z` applies: -z on every stage, so
                # each NUL-terminated text is flushed through on its own.
                done = subprocess.run(
                    ["apertium-wblank-mode", "-z", "/dev/stdin"],
                    input=self._mode_text(mode),
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
                if done.returncode != 0 or not done.stdout.strip():
                    raise EngineError(self.name, f"cannot prepare mode {mode}", fatal=True)
                self._pipelines[mode] = "set -o pipefail; " + done.stdout.strip()
            return self._pipelines[mode]

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        mode = _APERTIUM_PAIRS.get((source, target))
        if mode is None:
            raise EngineError(self.name, f"does not translate {source} to {target}", fatal=True)
        pipeline = self._pipeline(mode)
        unique = [t for t in dict.fromkeys(texts) if t.strip()]
        found: dict[str, str] = {}
        for start in range(0, len(unique), self.batch_size):
            chunk = unique[start : start + self.batch_size]
            for text, out in zip(chunk, self._run(pipeline, chunk), strict=True):
                found[text] = out
        return [_keep_whitespace(t, found[t]) if t in found else t for t in texts]

    def _run(self, pipeline: str, chunk: list[str]) -> list[str]:
        stream = "".join(_to_stream(i, t.strip()) for i, t in enumerate(chunk))
        env = {**os.environ, "LC_ALL": "C.UTF-8"}
        try:
            # "$1" = -n: the generator prints no */#/@ marks (what `apertium -u` passes).
            done = subprocess.run(
                ["bash", "-c", pipeline, "apertium-mode", "-n", ""],
                input=stream.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(
                self.name, f"no output within {self.timeout:g} s", retryable=True
            ) from None
        except OSError as exc:
            raise EngineError(self.name, f"cannot run: {exc.strerror}", fatal=True) from None
        if done.returncode != 0:
            raise EngineError(self.name, f"the pipeline failed (exit status {done.returncode})")
        return self._parse(done.stdout.decode("utf-8", errors="replace"), len(chunk))

    def _parse(self, output: str, count: int) -> list[str]:
        # Each stage may add a NUL at the end of input: trailing empties are fine,
        # anything else out of place is not.
        chunks = output.split("\0")
        while chunks and not chunks[-1].strip():
            chunks.pop()
        if len(chunks) != count:
            raise EngineError(self.name, f"sent {count} texts, got {len(chunks)} back")
        results = []
        for index, chunk in enumerate(chunks):
            mark = _MARK.match(chunk)
            if mark is None or int(mark.group(1)) != index:
                raise EngineError(self.name, f"output {index} is out of step with the input")
            body = chunk[mark.end() :]
            if body.endswith(".[]"):
                body = body[:-3]
            text = _from_stream(body)
            if not text.strip():
                raise EngineError(self.name, f"empty output for text {index}")
            results.append(text)
        return results


# -- construction -----------------------------------------------------------------------------


def make_engine(
    name: str, settings: Settings, *, environ: Mapping[str, str] | None = None
) -> Engine:
    """The engine `name` configured from `settings` and the environment.

    Raises `ConfigError` for an unknown name or a missing key or URL; the
    message names the environment variable and the setting to use.
    """
    if name not in ENGINE_NAMES:
        raise ConfigError(
            f"unknown engine '{name}'",
            path=settings.root / "pyproject.toml",
            hint=_did_you_mean(name, ENGINE_NAMES),
        )
    env = os.environ if environ is None else environ
    options = _engine_options(name, settings, env)
    common: dict[str, Any] = {}
    if "timeout" in options:
        common["timeout"] = float(options["timeout"])
    if "concurrency" in options:
        common["max_concurrency"] = options["concurrency"]
    if "batch_size" in options:
        common["batch_size"] = options["batch_size"]
    if name == "libre":
        return LibreEngine(options["url"], api_key=options.get("api_key"), **common)
    if name == "apertium":
        return ApertiumEngine(
            modes_dir=options.get("modes_dir"), pair_dir=options.get("pair_dir"), **common
        )
    client: dict[str, Any] = {}
    if name == "mymemory" and options.get("email"):
        client["email"] = options["email"]
    if name in ("deepl", "microsoft", "yandex"):
        client["api_key"] = options["api_key"]
    if name == "deepl":
        client["use_free_api"] = options.get("free", str(options["api_key"]).endswith(":fx"))
    if name == "microsoft" and options.get("region"):
        client["region"] = options["region"]
    return DeepTranslatorEngine(name, options=client, url=options.get("url"), **common)
