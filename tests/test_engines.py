"""Engines against the loopback LibreTranslate server and the real apertium.

No test reaches the internet: deep-translator's real clients are pointed at
`tests/libre_server.py` (or at a closed port) through the engines' `url`.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.libre_server import LibreServer, closed_port_url, fake_translate, libre_server
from workflow.config import Settings
from workflow.engines import (
    ENGINE_NAMES,
    ApertiumEngine,
    DeepTranslatorEngine,
    Engine,
    EngineError,
    LibreEngine,
    _from_stream,
    _to_stream,
    call_with_retries,
    make_engine,
)
from workflow.errors import ConfigError, WorkflowError

__all__ = ["libre_server"]  # the fixture, imported for pytest

SECRET = "sk-test-0123456789abcdef"


def settings_with(tmp_path: Path, engines: dict[str, Any]) -> Settings:
    return Settings(root=tmp_path, sections={"engines": engines})


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    """Engines appended here are closed after the test."""
    engines: list[Any] = []
    yield engines
    for engine in engines:
        engine.close()


def libre(server: LibreServer, tmp_path: Path, closing: list[Any], **options: Any) -> LibreEngine:
    engine = make_engine(
        "libre", settings_with(tmp_path, {"libre": {"url": server.url, **options}}), environ={}
    )
    assert isinstance(engine, LibreEngine)
    closing.append(engine)
    return engine


def provider(
    name: str,
    url: str,
    tmp_path: Path,
    closing: list[Any],
    environ: dict[str, str] | None = None,
    **options: Any,
) -> DeepTranslatorEngine:
    engine = make_engine(
        name, settings_with(tmp_path, {name: {"url": url, **options}}), environ=environ or {}
    )
    assert isinstance(engine, DeepTranslatorEngine)
    closing.append(engine)
    return engine


def assert_no_secret(exc: BaseException, *extra: object) -> None:
    texts = [str(exc), repr(exc), *(repr(x) for x in extra)]
    cause = exc.__cause__
    while cause is not None:
        texts += [str(cause), repr(cause)]
        cause = cause.__cause__
    if not exc.__suppress_context__ and exc.__context__ is not None:
        texts += [str(exc.__context__), repr(exc.__context__)]
    for text in texts:
        assert SECRET not in text


# -- LibreTranslate ---------------------------------------------------------------


def test_libre_translates_a_batch_in_one_json_request(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = libre(libre_server, tmp_path, closing)
    texts = ["Read ⟦0⟧ now.", "  Padded \n", "Read ⟦0⟧ now.", "", "Second."]
    out = engine.translate(texts, "en", "be")
    assert out == [
        fake_translate("Read ⟦0⟧ now.", "be"),
        "  " + fake_translate("Padded", "be") + " \n",
        fake_translate("Read ⟦0⟧ now.", "be"),
        "",
        fake_translate("Second.", "be"),
    ]
    # Duplicates and empty texts are not sent; one request carries the batch.
    assert libre_server.translate_requests == 1
    assert libre_server.texts == ["Read ⟦0⟧ now.", "Padded", "Second."]
    (received,) = libre_server.requests
    assert (received.via, received.source, received.target) == ("json", "en", "be")
    assert received.api_key is None


def test_libre_splits_batches(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = libre(libre_server, tmp_path, closing, batch_size=2)
    texts = [f"Text {i}." for i in range(5)]
    assert engine.translate(texts, "en", "ru") == [fake_translate(t, "ru") for t in texts]
    assert [len(r.texts) for r in libre_server.requests] == [2, 2, 1]


def test_libre_sends_the_key_and_a_bad_key_is_fatal_and_never_shown(
    tmp_path: Path, closing: list[Any]
) -> None:
    with LibreServer(api_key=SECRET) as server:
        good = make_engine(
            "libre",
            settings_with(tmp_path, {}),
            environ={"LIBRETRANSLATE_URL": server.url, "LIBRETRANSLATE_API_KEY": SECRET},
        )
        closing.append(good)
        assert good.translate(["Hi."], "en", "ru") == [fake_translate("Hi.", "ru")]
        assert server.requests[-1].api_key == SECRET
        assert SECRET not in repr(good)

        bad = libre(server, tmp_path, closing, api_key="wrong-" + SECRET)
        with pytest.raises(EngineError) as caught:
            call_with_retries(bad, ["Hi."], "en", "ru", sleep=lambda s: None)
        assert caught.value.fatal and caught.value.status == 403
        assert server.translate_requests == 2  # no retry after a refused key
        assert_no_secret(caught.value, bad)


def test_libre_supports_be_only_where_the_server_offers_it(
    tmp_path: Path, closing: list[Any]
) -> None:
    with LibreServer() as server:
        assert libre(server, tmp_path, closing).supports("en", "be")
    with LibreServer(languages={"en": ["ru"], "ru": ["en"]}) as server:
        engine = libre(server, tmp_path, closing)
        assert engine.supports("en", "ru")
        assert not engine.supports("en", "be")
        with pytest.raises(EngineError) as caught:
            engine.translate(["Hi."], "en", "be")
        assert caught.value.fatal and caught.value.status == 400
    # Unreachable: deep-translator's static table, which has no `be`.
    engine = libre_engine_at(closed_port_url(), closing)
    assert engine.supports("en", "ru")
    assert not engine.supports("en", "be")
    assert not engine.supports("en", "en")


def libre_engine_at(url: str, closing: list[Any], timeout: float = 2.0) -> LibreEngine:
    engine = LibreEngine(url, timeout=timeout)
    closing.append(engine)
    return engine


def test_libre_429_is_retried_after_retry_after(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = libre(libre_server, tmp_path, closing)
    libre_server.fail_next(2, status=429, retry_after=0.05)
    with pytest.raises(EngineError) as caught:
        engine.translate(["Hi."], "en", "ru")
    assert caught.value.retryable and not caught.value.fatal
    assert (caught.value.status, caught.value.retry_after) == (429, 0.05)
    slept: list[float] = []
    out = call_with_retries(engine, ["Hi."], "en", "ru", sleep=slept.append, rng=lambda: 0.0)
    assert out == [fake_translate("Hi.", "ru")]
    assert slept == [0.05]
    assert libre_server.translate_requests == 3


def test_libre_500_exhausts_attempts_and_raises_the_last_error(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = libre(libre_server, tmp_path, closing)
    libre_server.fail_next(3, status=503, error="overloaded")
    slept: list[float] = []
    with pytest.raises(EngineError) as caught:
        call_with_retries(engine, ["Hi."], "en", "ru", attempts=3, sleep=slept.append)
    assert caught.value.retryable and caught.value.status == 503
    assert "overloaded" in str(caught.value)
    assert libre_server.translate_requests == 3
    assert len(slept) == 2


def test_libre_stall_past_the_timeout_is_a_retryable_timeout(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = libre(libre_server, tmp_path, closing, timeout=0.3)
    libre_server.stall_next(seconds=5)
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        engine.translate(["Hi."], "en", "ru")
    assert time.monotonic() - started < 3
    assert caught.value.retryable and "within 0.3 s" in str(caught.value)


def test_libre_connection_refused_is_retryable(closing: list[Any]) -> None:
    engine = libre_engine_at(closed_port_url(), closing)
    with pytest.raises(EngineError) as caught:
        engine.translate(["Hi."], "en", "ru")
    assert caught.value.retryable and "cannot connect" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        b'{"translatedText": "one string for a list"}',
        b'{"translatedText": ["only one"]}',
        b'{"translatedText": ["", "empty"]}',
        b"",
    ],
)
def test_libre_garbage_is_an_error_never_a_translation(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any], body: bytes
) -> None:
    engine = libre(libre_server, tmp_path, closing)
    libre_server.garbage_next(body=body, content_type="application/json")
    with pytest.raises(EngineError) as caught:
        engine.translate(["One.", "Two."], "en", "ru")
    assert not caught.value.retryable and not caught.value.fatal


def test_libre_is_safe_from_many_threads(tmp_path: Path, closing: list[Any]) -> None:
    with LibreServer(latency=0.05) as server:
        engine = libre(server, tmp_path, closing, batch_size=1)
        batches = [[f"Batch {b} text {i}." for i in range(3)] for b in range(16)]
        with ThreadPoolExecutor(max_workers=engine.max_concurrency) as pool:
            results = list(pool.map(lambda b: engine.translate(b, "en", "ru"), batches))
        assert results == [[fake_translate(t, "ru") for t in b] for b in batches]
        assert 1 < server.high_water <= engine.max_concurrency


# -- the server itself, as deep-translator and other tests use it ------------------------------


def test_server_answers_deep_translators_own_libre_client(libre_server: LibreServer) -> None:
    from deep_translator import LibreTranslator

    client = LibreTranslator(source="en", target="ru", api_key="x", custom_url=libre_server.url)
    assert client.translate("Hello ⟦1⟧.") == fake_translate("Hello ⟦1⟧.", "ru")
    assert libre_server.requests[0].via == "query"


def test_server_form_bodies_string_q_and_scripted_transforms(libre_server: LibreServer) -> None:
    import requests

    libre_server.drop_placeholders_next()
    with requests.Session() as session:
        form = session.post(
            libre_server.url + "translate",
            data={"q": "Link ⟦0⟧ here", "source": "en", "target": "be"},
            timeout=5,
        )
        assert form.json() == {"translatedText": "[be] Link  here"}
        again = session.post(
            libre_server.url + "translate",
            data={"q": "Link ⟦0⟧ here", "source": "en", "target": "be"},
            timeout=5,
        )
        assert again.json() == {"translatedText": "[be] Link ⟦0⟧ here"}
    assert [r.via for r in libre_server.requests] == ["form", "form"]
    libre_server.reset()
    assert libre_server.translate_requests == 0 and libre_server.texts == []


# -- deep-translator providers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target", "options"),
    [
        ("google", "be", {}),
        ("mymemory", "be", {"email": "desk@example.org"}),
        ("deepl", "ru", {"api_key": SECRET}),
        ("microsoft", "ru", {"api_key": SECRET, "region": "westeurope"}),
    ],
)
def test_provider_translates_through_deep_translators_client(
    libre_server: LibreServer,
    tmp_path: Path,
    closing: list[Any],
    name: str,
    target: str,
    options: dict[str, Any],
) -> None:
    if name in ("deepl", "microsoft"):
        libre_server.api_key = SECRET
    engine = provider(name, libre_server.provider_url(name), tmp_path, closing, **options)
    assert engine.supports("en", target)
    texts = ["Hello ⟦0⟧ world.", "Hello ⟦0⟧ world.", " Bye. "]
    out = engine.translate(texts, "en", target)
    assert out == [
        fake_translate("Hello ⟦0⟧ world.", target),
        fake_translate("Hello ⟦0⟧ world.", target),
        " " + fake_translate("Bye.", target) + " ",
    ]
    assert libre_server.texts == ["Hello ⟦0⟧ world.", "Bye."]
    assert {r.route for r in libre_server.requests} == {name}
    assert SECRET not in repr(engine)


def test_provider_language_tables(tmp_path: Path, closing: list[Any]) -> None:
    url = closed_port_url()
    google = provider("google", url, tmp_path, closing)
    deepl = provider("deepl", url, tmp_path, closing, api_key=SECRET)
    assert google.supports("en", "be") and google.supports("ru", "be")
    assert deepl.supports("en", "ru") and not deepl.supports("en", "be")
    with pytest.raises(EngineError) as caught:
        deepl.translate(["Hi."], "en", "be")
    assert caught.value.fatal


def test_provider_recovers_status_and_retry_after_that_deep_translator_drops(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = provider("google", libre_server.provider_url("google"), tmp_path, closing)
    libre_server.fail_next(status=429, retry_after=7)
    libre_server.fail_next(status=502)
    libre_server.fail_next(status=404)
    with pytest.raises(EngineError) as first:
        engine.translate(["Hi."], "en", "ru")
    assert (first.value.status, first.value.retry_after, first.value.retryable) == (429, 7.0, True)
    with pytest.raises(EngineError) as second:
        engine.translate(["Hi."], "en", "ru")
    assert (second.value.status, second.value.retryable) == (502, True)
    with pytest.raises(EngineError) as third:
        engine.translate(["Hi."], "en", "ru")
    assert (third.value.status, third.value.retryable, third.value.fatal) == (404, False, False)
    assert engine.translate(["Hi."], "en", "ru") == [fake_translate("Hi.", "ru")]


@pytest.mark.parametrize("name", ["google", "mymemory", "deepl", "microsoft", "yandex"])
def test_provider_connection_refused_is_retryable(
    tmp_path: Path, closing: list[Any], name: str
) -> None:
    options: dict[str, Any] = (
        {"api_key": SECRET} if name in ("deepl", "microsoft", "yandex") else {}
    )
    engine = provider(name, closed_port_url(), tmp_path, closing, timeout=2, **options)
    with pytest.raises(EngineError) as caught:
        engine.translate(["Hi."], "en", "ru")
    assert caught.value.retryable and not caught.value.fatal
    assert "cannot connect" in str(caught.value)
    assert_no_secret(caught.value, engine)


def test_provider_timeouts_are_per_engine_and_per_thread(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    url = libre_server.provider_url("mymemory")
    quick = provider("mymemory", url, tmp_path, closing, timeout=0.3)
    patient = provider("mymemory", url, tmp_path / "other", closing, timeout=10)
    libre_server.stall_next(2, seconds=1.0)
    errors: list[EngineError] = []
    results: list[list[str]] = []

    def run(engine: DeepTranslatorEngine) -> None:
        try:
            results.append(engine.translate(["Hi."], "en", "ru"))
        except EngineError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in (quick, patient)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [str(e) for e in errors] == [
        "mymemory: no answer at " + url.split("/")[2] + " within 0.3 s"
    ]
    assert results == [[fake_translate("Hi.", "ru")]]


@pytest.mark.parametrize("name", ["deepl", "microsoft"])
def test_provider_bad_key_is_fatal_and_the_key_never_shows(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any], name: str
) -> None:
    libre_server.api_key = "the-right-key"
    engine = provider(name, libre_server.provider_url(name), tmp_path, closing, api_key=SECRET)
    with pytest.raises(EngineError) as caught:
        engine.translate(["Hi."], "en", "ru")
    assert caught.value.fatal and caught.value.status == 403
    assert_no_secret(caught.value, engine)


def test_provider_garbage_and_stalls(
    libre_server: LibreServer, tmp_path: Path, closing: list[Any]
) -> None:
    engine = provider("mymemory", libre_server.provider_url("mymemory"), tmp_path, closing)
    libre_server.garbage_next(body=b"<html>maintenance</html>")
    with pytest.raises(EngineError) as garbage:
        engine.translate(["Hi."], "en", "ru")
    assert not garbage.value.retryable and "unexpected answer" in str(garbage.value)
    slow = provider(
        "mymemory", libre_server.provider_url("mymemory"), tmp_path, closing, timeout=0.2
    )
    libre_server.stall_next(seconds=3)
    with pytest.raises(EngineError) as stalled:
        slow.translate(["Hi."], "en", "ru")
    assert stalled.value.retryable


def test_provider_client_outside_an_engine_is_untouched(libre_server: LibreServer) -> None:
    # The engines re-point deep-translator's `requests`; a plain client still works.
    from deep_translator import GoogleTranslator

    make_engine("google", Settings(root=Path(".")), environ={})
    client = GoogleTranslator(source="en", target="ru")
    client._base_url = libre_server.provider_url("google")
    assert client.translate("Hi.") == fake_translate("Hi.", "ru")


# -- retries --------------------------------------------------------------------------------


class Scripted:
    """A fake engine failing with the given errors, then translating."""

    name = "scripted"
    max_concurrency = 1

    def __init__(self, *errors: EngineError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return [t.upper() for t in texts]


def retryable(retry_after: float | None = None) -> EngineError:
    return EngineError("scripted", "HTTP 503", retryable=True, status=503, retry_after=retry_after)


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    engine = Scripted(*(retryable() for _ in range(5)))
    slept: list[float] = []
    with pytest.raises(EngineError):
        call_with_retries(
            engine, ["a"], "en", "ru", attempts=5, base_delay=1, max_delay=5,
            sleep=slept.append, rng=lambda: 1.0,
        )  # fmt: skip
    assert slept == [1, 2, 4, 5]
    assert engine.calls == 5
    halves: list[float] = []
    engine = Scripted(retryable(), retryable())
    assert call_with_retries(
        engine, ["a"], "en", "ru", base_delay=1, sleep=halves.append, rng=lambda: 0.5
    ) == ["A"]
    assert halves == [0.5, 1.0]


def test_retry_after_is_honoured_and_absurd_ones_are_not_waited_for() -> None:
    slept: list[float] = []
    engine = Scripted(retryable(retry_after=3.0))
    assert call_with_retries(engine, ["a"], "en", "ru", sleep=slept.append, rng=lambda: 0.1) == [
        "A"
    ]
    assert slept == [3.0]
    engine = Scripted(retryable(retry_after=3600.0))
    with pytest.raises(EngineError):
        call_with_retries(engine, ["a"], "en", "ru", sleep=slept.append, max_delay=30)
    assert engine.calls == 1 and slept == [3.0]


@pytest.mark.parametrize(
    "error",
    [
        EngineError("scripted", "HTTP 400", status=400),
        EngineError("scripted", "HTTP 401", fatal=True, status=401),
    ],
)
def test_non_retryable_and_fatal_errors_are_raised_at_once(error: EngineError) -> None:
    engine = Scripted(error)
    with pytest.raises(EngineError) as caught:
        call_with_retries(engine, ["a"], "en", "ru", sleep=lambda s: pytest.fail("slept"))
    assert caught.value is error and engine.calls == 1


# -- construction and settings --------------------------------------------------------------


def test_every_engine_name_builds_an_engine(tmp_path: Path, closing: list[Any]) -> None:
    environ = {
        "DEEPL_API_KEY": SECRET,
        "LIBRETRANSLATE_URL": "http://127.0.0.1:9/",
        "MICROSOFT_API_KEY": SECRET,
        "YANDEX_API_KEY": SECRET,
    }
    for name in ENGINE_NAMES:
        engine = make_engine(name, settings_with(tmp_path, {}), environ=environ)
        closing.append(engine)
        assert isinstance(engine, Engine)
        assert engine.name == name and engine.max_concurrency >= 1
        assert SECRET not in repr(engine)


def test_unknown_engine_is_a_config_error_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown engine 'gogle'") as caught:
        make_engine("gogle", settings_with(tmp_path, {}), environ={})
    assert "did you mean 'google'" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("deepl", "DEEPL_API_KEY"),
        ("libre", "LIBRETRANSLATE_URL"),
        ("microsoft", "MICROSOFT_API_KEY"),
        ("yandex", "YANDEX_API_KEY"),
    ],
)
def test_missing_key_names_the_variable_and_the_setting(
    tmp_path: Path, name: str, variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_engine(name, settings_with(tmp_path, {}), environ={})
    assert variable in str(caught.value)
    assert f"[tool.edition.engines.{name}]" in str(caught.value)
    assert isinstance(caught.value, WorkflowError)


def test_settings_precedence_and_validation(tmp_path: Path, closing: list[Any]) -> None:
    engines = {"timeout": 7, "concurrency": 3, "libre": {"url": "http://a/", "timeout": 2.5}}
    engine = make_engine("libre", settings_with(tmp_path, engines), environ={})
    closing.append(engine)
    assert isinstance(engine, LibreEngine)
    assert (engine.url, engine.timeout, engine.max_concurrency) == ("http://a/", 2.5, 3)
    engine = make_engine(
        "libre", settings_with(tmp_path, engines), environ={"LIBRETRANSLATE_URL": "http://b"}
    )
    closing.append(engine)
    assert isinstance(engine, LibreEngine) and engine.url == "http://b/"
    google = make_engine("google", settings_with(tmp_path, engines), environ={})
    closing.append(google)
    assert isinstance(google, DeepTranslatorEngine) and google.timeout == 7

    with pytest.raises(ConfigError, match="did you mean 'api_key'"):
        make_engine("deepl", settings_with(tmp_path, {"deepl": {"apikey": SECRET}}), environ={})
    with pytest.raises(ConfigError) as caught:
        make_engine("deepl", settings_with(tmp_path, {"deepl": {"api_key": 12345}}), environ={})
    assert "'api_key' of engine deepl must be a str" in str(caught.value)
    assert "12345" not in str(caught.value)
    with pytest.raises(ConfigError, match="must be positive"):
        make_engine("google", settings_with(tmp_path, {"timeout": 0}), environ={})
    with pytest.raises(ConfigError, match=r"unknown engine \[tool.edition.engines.libr\]"):
        make_engine("google", settings_with(tmp_path, {"libr": {}}), environ={})
    with pytest.raises(ConfigError, match="did you mean 'timeout'"):
        make_engine("google", settings_with(tmp_path, {"timout": 3}), environ={})


def test_deepl_key_suffix_chooses_the_free_api(tmp_path: Path, closing: list[Any]) -> None:
    free = make_engine("deepl", settings_with(tmp_path, {}), environ={"DEEPL_API_KEY": "k:fx"})
    paid = make_engine("deepl", settings_with(tmp_path, {}), environ={"DEEPL_API_KEY": "k"})
    closing += [free, paid]
    assert isinstance(free, DeepTranslatorEngine) and isinstance(paid, DeepTranslatorEngine)
    assert free._rewrite is None and paid._rewrite is None
    assert free._options["use_free_api"] is True and paid._options["use_free_api"] is False


# -- Apertium -------------------------------------------------------------------------------

needs_apertium = pytest.mark.skipif(
    shutil.which("lt-proc") is None or not ApertiumEngine().supports("ru", "be"),
    reason="apertium-bel-rus is not installed",
)

# The packaged rus-bel mode's tagger segfaults on this one and prints nothing.
CRASHER = "Правительство объявило о новых мерах поддержки экономики."


@pytest.fixture(scope="module")
def apertium() -> ApertiumEngine:
    return ApertiumEngine()


@needs_apertium
def test_apertium_translates_both_ways(apertium: ApertiumEngine) -> None:
    assert apertium.supports("ru", "be") and apertium.supports("be", "ru")
    assert not apertium.supports("en", "be") and not apertium.supports("ru", "ru")
    (be,) = apertium.translate([CRASHER], "ru", "be")
    assert be.startswith("Урад ") and be.endswith("эканомікі.")
    (ru,) = apertium.translate(["Мінск — сталіца Беларусі."], "be", "ru")
    assert ru == "Минск — столица Беларуси."


BATCH = [
    CRASHER,
    "Заголовок без точки",
    "Он сказал",
    "Ссылка ⟦0⟧ и код ⟦1⟧ остаются на месте.",
    "Скобки [вот] и знаки ^ $ @ / < > { } \\ не ломают поток.",
    "Первая строка.\nВторая строка.",
    "Цена — 5\u00a0000 рублей,  двойной пробел.",
    "5 * 3 = 15, а Шнобелевская премия неизвестна.",
    "  Пробелы по краям  ",
    "Он сказал",
    "",
]


@needs_apertium
def test_apertium_batch_equals_one_text_per_process(apertium: ApertiumEngine) -> None:
    """The NUL separator and the [#N] tags survive: batching changes nothing."""
    batch = apertium.translate(BATCH, "ru", "be")
    assert len(batch) == len(BATCH)
    single = [apertium.translate([t], "ru", "be")[0] for t in BATCH]
    assert batch == single
    assert batch[-1] == "" and batch[2] == batch[9]
    assert batch[1] == "Загаловак без кропкі"  # no full stop added
    assert "⟦0⟧" in batch[3] and "⟦1⟧" in batch[3]
    assert "[" in batch[4] and "^ $ @ / < > { } \\" in batch[4]
    assert batch[5].count("\n") == 1
    assert "\u00a0" in batch[6] and "  " in batch[6]
    assert "5 * 3 = 15" in batch[7] and "*Шнобел" not in batch[7]  # -u: no unknown marks
    assert batch[8].startswith("  ") and batch[8].endswith("  ")


@needs_apertium
def test_apertium_batch_equals_the_apertium_command(apertium: ApertiumEngine) -> None:
    """Same output as `apertium -u -d workflow/data/apertium rus-bel`, text by text."""
    modes = apertium.modes_dir.parent
    texts = [t for t in BATCH[:4] if t]
    expected = [
        subprocess.run(
            ["apertium", "-u", "-d", str(modes), "rus-bel"],
            input=t,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for t in texts
    ]
    assert apertium.translate(texts, "ru", "be") == expected


@needs_apertium
def test_apertium_packaged_crashing_mode_is_an_error_not_a_translation(tmp_path: Path) -> None:
    packaged = Path("/usr/share/apertium/modes")
    if not (packaged / "rus-bel.mode").is_file():
        pytest.skip("no packaged mode")
    engine = ApertiumEngine(modes_dir=packaged)
    with pytest.raises(EngineError, match="exit status 139") as caught:
        engine.translate(["Президент встретился с министрами.", CRASHER], "ru", "be")
    assert not caught.value.fatal


@needs_apertium
@pytest.mark.parametrize(
    ("stage", "problem"),
    [
        ("sed 's/Второй[^\\x00]*//'", "empty output for text 1"),  # loses a text, exits 0
        ("sed 's/\\[#1\\]//'", "output 1 is out of step"),  # loses a tag, exits 0
        ("tr -d '\\000'", "pipeline failed"),  # loses the separators
    ],
)
def test_apertium_broken_stage_is_detected(tmp_path: Path, stage: str, problem: str) -> None:
    modes = tmp_path / "modes"
    modes.mkdir()
    mode = (ApertiumEngine().modes_dir / "rus-bel.mode").read_text()
    first, rest = mode.split("|", 1)
    (modes / "rus-bel.mode").write_text(f"{first}| {stage} |{rest}")
    engine = ApertiumEngine(modes_dir=modes)
    with pytest.raises(EngineError, match=problem):
        engine.translate(["Первый.", "Второй."], "ru", "be")


def test_apertium_missing_pair_data_is_fatal_and_unsupported(tmp_path: Path) -> None:
    engine = ApertiumEngine(pair_dir=str(tmp_path / "nowhere"))
    assert not engine.supports("ru", "be")
    assert any("nowhere" in m for m in engine.missing("rus-bel"))
    with pytest.raises(EngineError) as caught:
        engine.translate(["Да."], "ru", "be")
    assert caught.value.fatal and "not installed" in str(caught.value)


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("[#0]Да..[]\0[#1]Не.[]\0\0\0", None),
        ("[#0]Да..[]\0\0\0", "got 1 back"),
        ("", "got 0 back"),
        ("[#1]Не.[]\0[#0]Да..[]\0", "out of step"),
        ("[#0]Да..[]Не.[]\0[#1]\0", "empty output for text 1"),
        ("[#0]Да..[]\0[#1].[]\0", "empty output for text 1"),
        ("Да..[]\0Не.[]\0", "out of step"),
    ],
)
def test_apertium_output_is_checked_text_by_text(output: str, problem: str | None) -> None:
    engine = ApertiumEngine()
    if problem is None:
        assert engine._parse(output, 2) == ["Да.", "Не"]
    else:
        with pytest.raises(EngineError, match=problem):
            engine._parse(output, 2)


@given(st.text(alphabet=st.characters(blacklist_characters="\0", codec="utf-8")))
def test_stream_format_round_trips(text: str) -> None:
    stream = _to_stream(3, text)
    assert stream.startswith("[#3]") and stream.endswith(".[]\0")
    body = stream[len("[#3]") : -len(".[]\0")]
    assert "\0" not in body
    assert _from_stream(body) == text
