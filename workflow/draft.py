"""Machine drafts: fill empty entries from memory, a sibling locale and MT engines.

Rules:

* Only entries whose msgstr is empty are drafted.  A draft gets ``#, fuzzy``
  and the translator comment ``draft: ENGINE`` (``memory 87%`` for a fuzzy
  memory match, ``pivot:ru+apertium`` for a pivot); nothing else a
  translator wrote is touched.
* Routes per locale (``[tool.edition.routes]``) are tried in order until one
  gives a draft; ``--engine`` replaces the route.  ``pivot:SRC+ENGINE``
  translates the *reviewed* translation of the same entry in SRC, never a
  draft.
* Markup is protected by placeholders (`workflow.markup`); a draft whose
  placeholders come back damaged is rejected and the next step of the route
  is tried.
* Never pay twice: results are cached in ``.edition/drafts-cache.sqlite`` by
  engine, language pair and text, committed as each batch arrives, so an
  interrupted run loses at most the requests in flight and a re-run resumes.
  Identical texts are sent once.  Keys and URLs are never stored.
* Catalogs are written one by one, atomically, under the root's lock; a
  translator's save that lands meanwhile is read again and the drafts are
  applied to it (only where its entries are still empty).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib

from .catalog import State, entry_state
from .config import Settings
from .engines import Engine, EngineError, call_with_retries, make_engine
from .errors import CatalogError, ConfigError, WorkflowError
from .files import WriteBatch, root_lock
from .glossary import Glossary, load_glossary, renders
from .guard import Kept, kept_count, trusted_catalog
from .layout import rewrite_keeping_layout
from .ledger import Draft, Ledger
from .markup import PlaceholderError, Protected, protect, protect_terms, restore
from .memory import DEFAULT_THRESHOLD, load_memory
from .poformat import decode_po, parse_po, read_po

DEFAULT_ROUTES: dict[str, tuple[str, ...]] = {
    "be": ("memory", "pivot:ru+apertium"),
    "ru": ("memory", "pivot:be+apertium"),
}
#: Consecutive failed batches after which an engine is dropped for the run.
MAX_FAILURES = 3
_WRITE_RETRIES = 5

Key = tuple[str | None, str]
EngineFactory = Callable[[str, Settings], Engine]


@dataclass
class Failure:
    locale: str
    slug: str
    msgid: str
    reason: str
    #: True when something went wrong (an engine failed, a draft was damaged,
    #: an engine could not be set up); False when no step of the route could
    #: draft the entry at all (no memory match, no reviewed sibling, a
    #: language pair no engine covers): routine for a new article.
    fault: bool = True


@dataclass
class DraftReport:
    drafted: Counter[tuple[str, str]] = field(default_factory=Counter)  # (engine, locale)
    failed: list[Failure] = field(default_factory=list)
    cache_hits: int = 0
    requests: int = 0
    sent: int = 0
    dropped: dict[str, str] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    errors: list[WorkflowError] = field(default_factory=list)
    #: Caches found damaged and started afresh.
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: Drafts (written, or that would be) whose text lacks a glossary term's
    #: rendering (`workflow.glossary`), per locale: each says so in a
    #: ``glossary:`` translator comment.
    glossary: Counter[str] = field(default_factory=Counter)

    @property
    def faults(self) -> list[Failure]:
        return [f for f in self.failed if f.fault]

    @property
    def uncovered(self) -> list[Failure]:
        return [f for f in self.failed if not f.fault]

    def as_json(self) -> dict[str, Any]:
        by_engine: dict[str, dict[str, int]] = {}
        for (engine, locale), n in sorted(self.drafted.items()):
            by_engine.setdefault(engine, {})[locale] = n
        return {
            "dry_run": self.dry_run,
            "drafted": by_engine,
            "total": sum(self.drafted.values()),
            "failed": [f.__dict__ for f in self.failed],
            "cache_hits": self.cache_hits,
            "requests": self.requests,
            "texts_sent": self.sent,
            "dropped_engines": self.dropped,
            "written": [str(p) for p in self.written],
            "glossary_misses": dict(sorted(self.glossary.items())),
        }


@dataclass
class _Todo:
    """One empty entry of one catalog."""

    locale: str
    slug: str
    key: Key
    msgid: str
    reasons: list[str] = field(default_factory=list)
    result: tuple[str, str] | None = None  # (engine label, text)
    fault: bool = False
    #: The English a fuzzy memory match was made from, for the reviewer.
    matched: str | None = None


def routes_for(settings: Settings, locale: str, engine: str | None) -> tuple[str, ...]:
    if engine is not None:
        return (engine,)
    table = settings.sections.get("routes", {})
    route = table.get(locale)
    if route is None:
        return DEFAULT_ROUTES.get(locale, ("memory",))
    if not isinstance(route, list) or not all(isinstance(r, str) for r in route):
        raise ConfigError(
            f"[tool.edition.routes] {locale} must be a list of engine names",
            path=settings.root / "pyproject.toml",
            hint='e.g. be = ["memory", "pivot:ru+apertium", "google"]',
        )
    return tuple(route)


def _threshold(settings: Settings) -> int:
    value = settings.sections.get("memory", {}).get("threshold", DEFAULT_THRESHOLD)
    if not isinstance(value, int) or not 1 <= value <= 100:
        raise ConfigError(
            "[tool.edition.memory] threshold must be a whole percent from 1 to 100",
            path=settings.root / "pyproject.toml",
        )
    return value


#: Engines that can draft from English here without a network: none.
#: Apertium, the only offline engine, covers Russian <-> Belarusian.
_MACHINE_STEPS = ("google", "mymemory", "deepl", "libre", "microsoft", "yandex")


def check_step(step: str, settings: Settings) -> None:
    """Refuse a route step that names no engine (for ``--engine``): once,
    before anything runs, instead of once per entry."""
    from .engines import ENGINE_NAMES

    name = step.partition("+")[2] if step.startswith("pivot:") else step
    known = ("memory", *ENGINE_NAMES)
    if name not in known:
        guess = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else "use one of " + ", ".join(known)
        raise ConfigError(f"unknown engine '{name}'", hint=hint)
    if step.startswith("pivot:"):
        src = step[len("pivot:") :].partition("+")[0]
        if src not in settings.locales:
            raise ConfigError(
                f"'{step}' pivots through '{src}', which is not a target locale",
                hint="targets are " + ", ".join(settings.locales),
            )


def advice(settings: Settings, report: DraftReport, engine: str | None = None) -> list[str]:
    """What to do about entries no step of the route could draft, in a few
    lines (the usual case for a brand-new article: nothing offline
    translates from English, and there is no reviewed sibling to pivot from)."""
    uncovered = report.uncovered
    if not uncovered:
        return []
    per_locale = Counter(f.locale for f in uncovered)
    articles = len({f.slug for f in uncovered})
    detail = ", ".join(f"{loc} {n}" for loc, n in sorted(per_locale.items()))
    n = len(uncovered)
    lines = [
        f"{n} {'entry' if n == 1 else 'entries'} in {articles} "
        f"{'article' if articles == 1 else 'articles'} not drafted ({detail}): "
        "no step of the route could draft them."
    ]
    if report.dry_run:
        return lines
    routes = {loc: routes_for(settings, loc, engine) for loc in sorted(per_locale)}
    has_mt = any(step in _MACHINE_STEPS for route in routes.values() for step in route)
    pivots = sorted(
        {step for route in routes.values() for step in route if step.startswith("pivot:")}
    )
    if not has_mt:
        lines.append(
            "No offline engine translates from English (Apertium covers only Russian <-> "
            "Belarusian). To get drafts:"
        )
    else:
        lines.append("To get drafts:")
    if pivots:
        sources = sorted({p[len("pivot:") :].partition("+")[0] for p in pivots})
        lines.append(
            f"  - translate one locale ({' or '.join(sources)}) and review it: "
            f"edition draft then drafts the other from it ({', '.join(pivots)});"
        )
    if not has_mt:
        lines.append("  - or add an online engine to the routes in pyproject.toml:")
        lines.append("      [tool.edition.routes]")
        for loc in sorted(per_locale):
            steps = [*routes_for(settings, loc, None), "google"]
            lines.append(
                f"      {loc} = [{', '.join(repr(x).replace(chr(39), chr(34)) for x in steps)}]"
            )
        lines.append(
            "    (google and mymemory need no key; deepl and libre cover ru only; "
            "for one run: edition draft --engine google)"
        )
    else:
        lines.append("  - or check the reasons with edition draft -v")
    return lines


# -- the cache --------------------------------------------------------------------


class Cache:
    """Engine results by (engine, source, target, protected text); thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        #: Why the cache was started afresh, if it was.
        self.warning: str | None = None
        try:
            self._db = self._open(path)
        except sqlite3.OperationalError as exc:  # full disk, read-only root
            raise WorkflowError(f"cannot open the draft cache: {exc}", path=path) from exc
        except sqlite3.DatabaseError as exc:
            # Derived state (README): a damaged cache is set aside, not fatal.
            aside = path.with_name(path.name + ".damaged")
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
            self.warning = f"{path}: unreadable ({exc}); moved to {aside.name}, starting afresh"
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
        try:
            with db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS cache (engine TEXT, source TEXT, target TEXT,"
                    " text TEXT, result TEXT, PRIMARY KEY (engine, source, target, text))"
                )
                db.execute("SELECT count(*) FROM cache").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def get(self, engine: str, source: str, target: str, text: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT result FROM cache WHERE engine=? AND source=? AND target=? AND text=?",
                (engine, source, target, text),
            ).fetchone()
        return None if row is None else str(row[0])

    def put(self, engine: str, source: str, target: str, results: dict[str, str]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO cache VALUES (?, ?, ?, ?, ?)",
                [(engine, source, target, t, r) for t, r in results.items()],
            )

    def forget(self, engine: str, source: str, target: str, text: str) -> None:
        with self._lock, self._db:
            self._db.execute(
                "DELETE FROM cache WHERE engine=? AND source=? AND target=? AND text=?",
                (engine, source, target, text),
            )

    def close(self) -> None:
        self._db.close()


# -- running ----------------------------------------------------------------------


class _Run:
    def __init__(
        self,
        settings: Settings,
        report: DraftReport,
        cache: Cache,
        factory: EngineFactory,
        dry_run: bool,
    ) -> None:
        self.settings = settings
        self.report = report
        self.cache = cache
        self.factory = factory
        self.dry_run = dry_run
        self.engines: dict[str, Engine | None] = {}
        self.failures: Counter[str] = Counter()

    def engine(self, name: str) -> Engine | None:
        if name not in self.engines:
            try:
                self.engines[name] = self.factory(name, self.settings)
            except WorkflowError as exc:
                self.report.dropped[name] = str(exc)
                self.engines[name] = None
        if name in self.report.dropped:
            return None
        return self.engines[name]

    def drop(self, name: str, reason: str) -> None:
        self.report.dropped.setdefault(name, reason)

    def translate(
        self, name: str, texts: Sequence[str], source: str, target: str
    ) -> tuple[dict[str, str], dict[str, tuple[str, bool]]]:
        """Translations of distinct ``texts``; (results, (failure reason, is a
        fault) per text)."""
        engine = self.engine(name)
        if engine is None:
            reason = f"{name} unavailable: {self.report.dropped.get(name, 'dropped')}"
            return {}, dict.fromkeys(texts, (reason, True))
        if not engine.supports(source, target):
            return {}, dict.fromkeys(texts, (f"{name} does not translate {source}→{target}", False))
        results: dict[str, str] = {}
        failed: dict[str, tuple[str, bool]] = {}
        todo = []
        for text in dict.fromkeys(texts):
            hit = self.cache.get(name, source, target, text)
            if hit is not None:
                results[text] = hit
                self.report.cache_hits += 1
            else:
                todo.append(text)
        if not todo:
            return results, failed
        if self.dry_run:
            self.report.sent += len(todo)
            return results, dict.fromkeys(todo, (f"dry run: would send to {name}", False))
        size = max(1, int(getattr(engine, "batch_size", 50)))
        batches = [todo[i : i + size] for i in range(0, len(todo), size)]
        workers = max(1, engine.max_concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"draft-{name}") as pool:
            futures = {pool.submit(self._batch, engine, b, source, target): b for b in batches}
            for future in as_completed(futures):
                batch = futures[future]
                try:
                    got = future.result()
                except EngineError as exc:
                    reason = exc.message  # already names the engine
                    failed.update(dict.fromkeys(batch, (reason, True)))
                    self.failures[name] += 1
                    if exc.fatal or self.failures[name] >= MAX_FAILURES:
                        self.drop(name, exc.message)
                    continue
                self.failures[name] = 0
                results.update(got)
        return results, failed

    def _batch(self, engine: Engine, batch: list[str], source: str, target: str) -> dict[str, str]:
        if engine.name in self.report.dropped:
            raise EngineError(
                engine.name, f"dropped for this run: {self.report.dropped[engine.name]}", fatal=True
            )
        out = call_with_retries(engine, batch, source, target)
        self.report.requests += 1
        self.report.sent += len(batch)
        got = dict(zip(batch, out, strict=True))
        # Committed as it arrives: an interrupted run keeps what it paid for.
        self.cache.put(engine.name, source, target, got)
        return got


def _reviewed(path: Path) -> dict[Key, str]:
    if not path.is_file():
        return {}
    try:
        po = read_po(path)
    except WorkflowError:
        return {}
    return {
        (e.msgctxt, e.msgid): e.msgstr
        for e in po
        if not e.obsolete and entry_state(e) is State.REVIEWED
    }


def _apply_step(run: _Run, step: str, locale: str, todos: list[_Todo], threshold: int) -> None:
    settings = run.settings
    pending = [t for t in todos if t.result is None]
    if not pending:
        return
    if step == "memory":
        memory = load_memory(settings, locale, run.report.warnings)
        for todo in pending:
            match = memory.lookup(todo.msgid, threshold)
            if match is None:
                todo.reasons.append("memory: no match")
            else:
                label = "memory" if match.score == 100 else f"memory {match.score}%"
                todo.result = (label, match.text)
                if match.score < 100:
                    todo.matched = match.source
        return
    if step.startswith("pivot:"):
        spec = step[len("pivot:") :]
        src, _, engine_name = spec.partition("+")
        if not src or not engine_name or src not in settings.locales or src == locale:
            raise ConfigError(
                f"bad route step {step!r} for {locale}",
                path=settings.root / "pyproject.toml",
                hint="write pivot:LOCALE+ENGINE with another target locale, e.g. pivot:ru+apertium",
            )
        # Apertium drafts from the sibling's reviewed text: a glossary term
        # there in its house form (Лукашенко) goes through as the target's
        # house form (Лукашэнка), never as the engine's guess (issue 17).
        pivots: dict[str, str] = {}
        target_glossary = load_glossary(settings, locale)
        if engine_name == "apertium":
            pivots = {t.source: t.target for t in load_glossary(settings, src).terms}
        work: list[tuple[_Todo, str, Terms]] = []
        reviewed: dict[str, dict[Key, str]] = {}
        for todo in pending:
            if todo.slug not in reviewed:
                reviewed[todo.slug] = _reviewed(settings.po_path(src, todo.slug))
            sibling = reviewed[todo.slug].get(todo.key)
            if sibling is None:
                todo.reasons.append(f"{step}: no reviewed {src} translation")
                continue
            terms = tuple(
                (pivots[t.source], t.target)
                for t in target_glossary.in_source(todo.msgid)
                if t.source in pivots
            )
            work.append((todo, sibling, terms))
        _machine(run, step, engine_name, src, locale, work)
        return
    _machine(run, step, step, settings.source, locale, [(t, t.msgid, ()) for t in pending])


#: Glossary terms an engine must keep: (text in the source, rendering).
Terms = tuple[tuple[str, str], ...]


def _machine(
    run: _Run,
    label: str,
    engine_name: str,
    source: str,
    target: str,
    work: list[tuple[_Todo, str, Terms]],
) -> None:
    """Draft each todo from its text through the engine; ``Terms`` are
    (text, rendering) pairs kept from the engine (`markup.protect_terms`)."""
    protected: dict[tuple[str, Terms], Protected] = {}
    for _todo, text, terms in work:
        if (text, terms) not in protected:
            protected[text, terms] = protect_terms(protect(text), terms)
    results, failed = run.translate(
        engine_name, list(dict.fromkeys(p.text for p in protected.values())), source, target
    )
    for todo, text, terms in work:
        p = protected[text, terms]
        if p.text in results:
            try:
                todo.result = (label, restore(results[p.text], p))
            except PlaceholderError as exc:
                # A rejected result is not worth keeping: the next run asks again.
                run.cache.forget(engine_name, source, target, p.text)
                todo.reasons.append(f"{label}: draft rejected, markup damaged ({exc})")
                todo.fault = True
        else:
            reason, fault = failed.get(p.text, (f"{label}: no result", True))
            todo.reasons.append(reason)
            todo.fault = todo.fault or fault


def _empty(entry: polib.POEntry) -> bool:
    return (
        not entry.obsolete and not entry.msgid_plural and bool(entry.msgid) and entry.msgstr == ""
    )


def glossary_misses(glossary: Glossary, source: str, draft: str) -> str | None:
    """The post-check of a draft from any engine: a translator comment line
    naming the glossary terms of ``source`` whose rendering ``draft`` lacks."""
    missing = [t for t in glossary.in_source(source) if not renders(t.target, draft)]
    if not missing:
        return None
    return "glossary: the draft lacks " + "; ".join(f"{t.target} ({t.source})" for t in missing)


def _with_draft(entry: polib.POEntry, label: str, text: str, matched: str | None = None) -> None:
    entry.msgstr = text
    if "fuzzy" not in entry.flags:
        entry.flags.append("fuzzy")
    note = f"draft: {label}"
    if matched is not None:
        # What the memory's translation was of: the reviewer sees what differs.
        note += "\nmatched: " + " ".join(matched.split())
    entry.tcomment = f"{entry.tcomment}\n{note}" if entry.tcomment else note


def _read_catalog(path: Path, kept: Kept) -> tuple[bytes, polib.POFile]:
    """A catalog's bytes and entries, only from a read `guard` trusts."""
    try:
        old, _status = trusted_catalog(path, kept.get(path))
    except OSError as exc:
        raise CatalogError(f"cannot read: {exc.strerror}", path=path) from exc
    text = decode_po(old, path)
    po = parse_po(text, str(path))
    kept.set(path, kept_count(text))
    return old, po


def _write_catalog(
    path: Path,
    drafts: dict[Key, tuple[str, str]],
    settings: Settings,
    kept: Kept,
    matched: dict[Key, str] | None = None,
) -> tuple[bool, list[tuple[Key, str, str]]]:
    """Apply drafts to still-empty entries, atomically; (written, applied)."""
    for _attempt in range(_WRITE_RETRIES):
        old, po = _read_catalog(path, kept)
        applied: list[tuple[Key, str, str]] = []
        changed: set[int] = set()
        glossary = load_glossary(settings, path.parent.name)
        for entry in po:
            key = (entry.msgctxt, entry.msgid)
            if key in drafts and _empty(entry):
                label, text = drafts[key]
                _with_draft(entry, label, text, (matched or {}).get(key))
                note = glossary_misses(glossary, entry.msgid, text)
                if note is not None:
                    entry.tcomment += "\n" + note
                applied.append((key, label, text))
                changed.add(id(entry))
        if not applied:
            return False, []
        # Only the drafted entries' lines move, in the layout the file has.
        text = rewrite_keeping_layout(old.decode("utf-8"), po, changed, settings)
        batch = WriteBatch()
        batch.stage(path, text.encode("utf-8"), expect=old)
        if not batch.commit():
            kept.set(path, kept_count(text))
            return True, applied
    raise WorkflowError(
        "the catalog kept changing while drafts were written",
        path=path,
        hint="run edition draft again",
    )


def draft(
    settings: Settings,
    slugs: Sequence[str],
    locales: Sequence[str],
    engine: str | None = None,
    dry_run: bool = False,
    factory: EngineFactory = make_engine,
    wait: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> DraftReport:
    """Draft every empty entry of the selected catalogs."""
    report = DraftReport(dry_run=dry_run)
    threshold = _threshold(settings)
    with root_lock(settings.state_dir, wait, "draft"):
        cache = Cache(settings.state_dir / "drafts-cache.sqlite")
        kept = Kept(settings.state_dir, settings.root)
        if cache.warning is not None:
            report.warnings.append(cache.warning)
        run = _Run(settings, report, cache, factory, dry_run)
        try:
            for locale in locales:
                todos: list[_Todo] = []
                for slug in slugs:
                    path = settings.po_path(locale, slug)
                    if not os.path.lexists(path):  # anything else is read, and refused there
                        report.errors.append(
                            WorkflowError("no catalog", path=path, hint="run edition sync first")
                        )
                        continue
                    try:
                        _old, po = _read_catalog(path, kept)
                    except WorkflowError as exc:
                        report.errors.append(exc)
                        continue
                    todos += [
                        _Todo(locale, slug, (e.msgctxt, e.msgid), e.msgid) for e in po if _empty(e)
                    ]
                for step in routes_for(settings, locale, engine):
                    if progress is not None:
                        left = sum(1 for t in todos if t.result is None)
                        progress(f"{locale}: {step} for {left} entries")
                    _apply_step(run, step, locale, todos, threshold)
                _finish(settings, report, locale, todos, dry_run, kept, progress)
            if not dry_run:
                kept.save()
        finally:
            cache.close()
            for eng in run.engines.values():
                close = getattr(eng, "close", None)
                if close is not None:
                    close()
    return report


def _finish(
    settings: Settings,
    report: DraftReport,
    locale: str,
    todos: list[_Todo],
    dry_run: bool,
    kept: Kept,
    progress: Callable[[str], None] | None = None,
) -> None:
    by_slug: dict[str, dict[Key, tuple[str, str]]] = {}
    matched: dict[str, dict[Key, str]] = {}
    for todo in todos:
        if todo.result is None:
            reason = "; ".join(todo.reasons) or "no route step gave a draft"
            report.failed.append(Failure(locale, todo.slug, todo.msgid, reason, todo.fault))
        else:
            by_slug.setdefault(todo.slug, {})[todo.key] = todo.result
            if todo.matched is not None:
                matched.setdefault(todo.slug, {})[todo.key] = todo.matched
    for done, (slug, drafts) in enumerate(by_slug.items()):
        if progress is not None:
            # Writing is the last seconds of a long run: say so, not the last step.
            progress(f"{locale}: writing catalogs {done}/{len(by_slug)}")
        glossary = load_glossary(settings, locale)
        for (_ctxt, msgid), (_label, text) in drafts.items():
            if glossary_misses(glossary, msgid, text) is not None:
                report.glossary[locale] += 1
        if dry_run:
            for label, _text in drafts.values():
                report.drafted[(label.split()[0], locale)] += 1
            continue
        path = settings.po_path(locale, slug)
        try:
            written, applied = _write_catalog(path, drafts, settings, kept, matched.get(slug))
        except WorkflowError as exc:
            report.errors.append(exc)
            continue
        if written:
            report.written.append(path)
        for _key, label, _text in applied:
            report.drafted[(label.split()[0], locale)] += 1
        with Ledger.for_root(settings.state_dir) as ledger:
            ledger.record(
                Draft(locale, slug, k[0], k[1], label, text) for k, label, text in applied
            )
