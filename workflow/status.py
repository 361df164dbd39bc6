"""Completion per article and locale: states in segments and words, QA, readiness.

Pure over values read at the edge (`collect` reads catalogs and asks `sync`
whether they are current).  Rules:

* States come from `catalog.entry_state`; obsolete entries never count.
* Words are the source words of an entry's msgid, counted once per entry.
* ``percent`` is reviewed words over total words.
* An edition is ready only when its catalog exists, is in step with the
  article (sync has nothing to change), every entry is reviewed, and no
  error-level check fails.  An out-of-date catalog is never complete.
* Post-edit distance: for each reviewed entry that began as a machine draft
  (the ledger has the draft), the character edit ratio between the draft and
  the reviewed text, averaged per engine and locale.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib

from .article import load_article, parse_article
from .catalog import State, entry_state
from .checks import Finding, Severity, check_catalog
from .config import Settings
from .errors import WorkflowError
from .files import atomic_write, sha256
from .ledger import Ledger
from .poformat import read_po

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def words(text: str) -> int:
    """Source words, as a translator would count them (markup and URLs excluded)."""
    text = re.sub(r"\]\([^)]*\)|`[^`]*`|<[^>]+>|https?://\S+", " ", text)
    return len(_WORD.findall(text))


@dataclass
class Pending:
    """An entry that is not reviewed, for the dashboard's drill-down."""

    state: State
    msgctxt: str | None
    msgid: str
    msgstr: str
    line: int | None


@dataclass
class Edition:
    """One article in one locale."""

    locale: str
    counts: dict[State, int] = field(default_factory=lambda: dict.fromkeys(State, 0))
    reviewed_words: int = 0
    total_words: int = 0
    errors: int = 0
    warnings: int = 0
    missing: bool = False
    outdated: bool = False
    unreadable: str | None = None
    findings: list[Finding] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    @property
    def percent(self) -> float:
        if self.total_words == 0:
            return 100.0 if not (self.missing or self.unreadable) else 0.0
        return round(100.0 * self.reviewed_words / self.total_words, 1)

    @property
    def ready(self) -> bool:
        return (
            not self.missing
            and not self.outdated
            and self.unreadable is None
            and self.errors == 0
            and all(n == 0 for s, n in self.counts.items() if s is not State.REVIEWED)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "reviewed": self.counts[State.REVIEWED],
            "draft": self.counts[State.DRAFT],
            "stale": self.counts[State.STALE],
            "untranslated": self.counts[State.UNTRANSLATED],
            "reviewed_words": self.reviewed_words,
            "total_words": self.total_words,
            "percent": self.percent,
            "errors": self.errors,
            "warnings": self.warnings,
            "ready": self.ready,
            "outdated": self.outdated,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class ArticleInfo:
    """What status needs of an article, without parsing it when warm."""

    slug: str
    path: str
    title: str
    date: dt.date


@dataclass
class ArticleStatus:
    article: ArticleInfo
    segments: int
    words: int
    editions: dict[str, Edition]

    @property
    def ready(self) -> bool:
        return all(e.ready for e in self.editions.values())


@dataclass
class EngineStats:
    reviewed: int = 0
    unchanged: int = 0
    edit_total: float = 0.0

    def as_json(self) -> dict[str, Any]:
        mean = self.edit_total / self.reviewed if self.reviewed else 0.0
        return {"reviewed": self.reviewed, "unchanged": self.unchanged, "mean_edit": round(mean, 3)}


@dataclass
class Report:
    source: str
    locales: tuple[str, ...]
    articles: list[ArticleStatus]
    engines: dict[str, dict[str, EngineStats]]
    errors: list[WorkflowError]

    def totals(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for locale in self.locales:
            total = Edition(locale)
            for status in self.articles:
                ed = status.editions[locale]
                for state, n in ed.counts.items():
                    total.counts[state] += n
                total.reviewed_words += ed.reviewed_words
                total.total_words += ed.total_words
                total.errors += ed.errors
                total.warnings += ed.warnings
            data = total.as_json()
            data["ready"] = sum(1 for s in self.articles if s.editions[locale].ready)
            data["articles"] = len(self.articles)
            del data["outdated"], data["missing"]
            out[locale] = data
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "locales": list(self.locales),
            "articles": [
                {
                    "slug": s.article.slug,
                    "title": s.article.title,
                    "date": s.article.date.isoformat(),
                    "segments": s.segments,
                    "words": s.words,
                    "ready": s.ready,
                    "locales": {loc: ed.as_json() for loc, ed in s.editions.items()},
                }
                for s in self.articles
            ],
            "totals": self.totals(),
            "engines": {
                loc: {name: st.as_json() for name, st in sorted(by.items())}
                for loc, by in self.engines.items()
            },
        }


def edit_ratio(draft: str, final: str) -> float:
    """Share of characters a reviewer changed: 0 unchanged, 1 rewritten."""
    if draft == final:
        return 0.0
    return round(1.0 - difflib.SequenceMatcher(None, draft, final, autojunk=False).ratio(), 4)


def edition_status(
    segments: Sequence[tuple[str | None, str]] | None,
    po: polib.POFile | None,
    locale: str,
    settings: Settings | None,
    outdated: bool,
) -> Edition:
    """Counts, words and findings of one article's catalog in one locale.

    ``segments`` (the article's distinct (msgctxt, msgid)) is only needed
    when there is no catalog: every segment then counts as untranslated.
    """
    ed = Edition(locale, outdated=outdated)
    if po is None:
        ed.missing = True
        for ctxt, msgid in segments or ():
            ed.counts[State.UNTRANSLATED] += 1
            ed.total_words += words(msgid)
            ed.pending.append(Pending(State.UNTRANSLATED, ctxt, msgid, "", None))
        return ed
    for entry in po:
        if entry.obsolete:
            continue
        state = entry_state(entry)
        n = words(entry.msgid)
        ed.counts[state] += 1
        ed.total_words += n
        if state is State.REVIEWED:
            ed.reviewed_words += n
        else:
            ed.pending.append(
                Pending(state, entry.msgctxt, entry.msgid, entry.msgstr, entry.linenum or None)
            )
    ed.findings = check_catalog(po, locale, settings)
    ed.errors = sum(1 for f in ed.findings if f.severity is Severity.ERROR)
    ed.warnings = len(ed.findings) - ed.errors
    return ed


# -- the warm path: results cached by content hash -------------------------------

#: Bumped whenever counting or checking changes, so old results are recomputed.
CACHE_VERSION = "1"


def _fingerprint(settings: Settings, locale: str) -> str:
    checks = json.dumps(settings.sections.get("checks", {}), sort_keys=True, default=str)
    spelling = "hunspell" if shutil.which("hunspell") else "-"
    return f"{CACHE_VERSION}|{settings.source}|{locale}|{checks}|{spelling}"


def _edition_to_json(ed: Edition, engines: dict[str, EngineStats]) -> dict[str, Any]:
    return {
        "counts": {s.value: n for s, n in ed.counts.items()},
        "reviewed_words": ed.reviewed_words,
        "total_words": ed.total_words,
        "findings": [
            [f.check, f.severity.value, f.message, f.msgctxt, f.msgid, f.line] for f in ed.findings
        ],
        "pending": [[p.state.value, p.msgctxt, p.msgid, p.msgstr, p.line] for p in ed.pending],
        "engines": {
            name: [st.reviewed, st.unchanged, st.edit_total] for name, st in engines.items()
        },
    }


def _edition_from_json(data: dict[str, Any], locale: str) -> tuple[Edition, dict[str, EngineStats]]:
    ed = Edition(locale)
    ed.counts = {State(k): int(v) for k, v in data["counts"].items()}
    ed.reviewed_words = int(data["reviewed_words"])
    ed.total_words = int(data["total_words"])
    ed.findings = [
        Finding(c, Severity(sev), m, ctxt, mid, line)
        for c, sev, m, ctxt, mid, line in data["findings"]
    ]
    ed.errors = sum(1 for f in ed.findings if f.severity is Severity.ERROR)
    ed.warnings = len(ed.findings) - ed.errors
    ed.pending = [
        Pending(State(st), ctxt, mid, text, line) for st, ctxt, mid, text, line in data["pending"]
    ]
    engines = {
        name: EngineStats(int(a), int(b), float(c)) for name, (a, b, c) in data["engines"].items()
    }
    return ed, engines


class _Cache:
    """``.edition/status-cache.json``: derived, rebuilt from the files whenever lost."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.state_dir / "status-cache.json"
        self.data: dict[str, dict[str, Any]] = {"articles": {}, "editions": {}}
        self.used: dict[str, dict[str, Any]] = {"articles": {}, "editions": {}}
        self.changed = False
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and loaded.get("version") == CACHE_VERSION:
                self.data = {"articles": loaded["articles"], "editions": loaded["editions"]}
        except (OSError, ValueError, KeyError):
            pass

    def get(self, table: str, key: str) -> Any:
        found = self.data[table].get(key)
        if found is not None:
            self.used[table][key] = found
        return found

    def put(self, table: str, key: str, value: Any) -> None:
        self.used[table][key] = value
        self.changed = True

    def save(self) -> None:
        # Only what this run used is kept, so the file does not grow forever;
        # a run over a subset keeps the rest as it was.
        if not self.changed and len(self.used["editions"]) >= len(self.data["editions"]):
            return
        merged = {t: {**self.data[t], **self.used[t]} for t in ("articles", "editions")}
        if len(merged["editions"]) > 4 * max(1, len(self.used["editions"])) + 1000:
            merged = self.used
        payload = {"version": CACHE_VERSION, **merged}
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _article_info(
    path: Path, data: bytes, cache: _Cache, settings: Settings
) -> tuple[ArticleInfo, list[tuple[str | None, str]]]:
    key = f"{settings.segment}|{sha256(data)}"
    found = cache.get("articles", key)
    if found is None:
        article = parse_article(_decode_article(data, path), path=str(path), mode=settings.segment)
        distinct = list(dict.fromkeys((s.msgctxt, s.msgid) for s in article.segments))
        found = {
            "title": article.title,
            "date": article.date.isoformat(),
            "segments": [[c, m] for c, m in distinct],
        }
        cache.put("articles", key, found)
    segments = [(c, m) for c, m in found["segments"]]
    info = ArticleInfo(
        slug=path.stem,
        path=str(path),
        title=str(found["title"]),
        date=dt.date.fromisoformat(found["date"]),
    )
    return info, segments


def _decode_article(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # load_article gives the precise error with its line.
        return load_article(path).text


def collect(
    settings: Settings,
    paths: Sequence[Path],
    locales: Sequence[str],
) -> Report:
    """Every selected article's editions; bad articles and catalogs are listed.

    Counts and findings are cached by the content of the article and the
    catalog, so a warm run reads files and hashes them, and parses nothing.
    """
    from .sync import sync

    errors: list[WorkflowError] = []
    stale_files: set[Path] = set()
    if paths:
        check = sync(settings, paths, check=True, all_articles=False)
        stale_files = {c.path.resolve() for c in check.written}
    engines: dict[str, dict[str, EngineStats]] = {loc: {} for loc in locales}
    statuses: list[ArticleStatus] = []
    cache = _Cache(settings)
    # A read-only command never creates the ledger; no ledger, no drafts.
    has_ledger = (settings.state_dir / "drafts.sqlite").is_file()
    ledger = Ledger.for_root(settings.state_dir) if has_ledger else None
    try:
        for path in paths:
            try:
                data = path.read_bytes()
                info, segments = _article_info(path, data, cache, settings)
            except WorkflowError as exc:
                errors.append(exc)
                continue
            except OSError as exc:
                errors.append(WorkflowError(f"cannot read: {exc.strerror}", path=path))
                continue
            article_sha = sha256(data)
            editions: dict[str, Edition] = {}
            for locale in locales:
                po_path = settings.po_path(locale, info.slug)
                outdated = po_path.resolve() in stale_files
                try:
                    po_bytes = po_path.read_bytes()
                except FileNotFoundError:
                    editions[locale] = edition_status(segments, None, locale, settings, outdated)
                    continue
                key = "|".join(
                    (_fingerprint(settings, locale), article_sha, sha256(po_bytes), str(has_ledger))
                )
                found = cache.get("editions", key)
                if found is None:
                    try:
                        po = read_po(po_path)
                    except WorkflowError as exc:
                        errors.append(exc)
                        ed = Edition(locale, outdated=outdated, unreadable=str(exc))
                        editions[locale] = ed
                        continue
                    ed = edition_status(segments, po, locale, settings, outdated)
                    stats: dict[str, EngineStats] = {}
                    if ledger is not None:
                        _post_edit(po, ledger, locale, info.slug, stats)
                    cache.put("editions", key, _edition_to_json(ed, stats))
                else:
                    ed, stats = _edition_from_json(found, locale)
                    ed.outdated = outdated
                editions[locale] = ed
                for name, st in stats.items():
                    total = engines[locale].setdefault(name, EngineStats())
                    total.reviewed += st.reviewed
                    total.unchanged += st.unchanged
                    total.edit_total += st.edit_total
            statuses.append(
                ArticleStatus(
                    info,
                    segments=len(segments),
                    words=sum(words(msgid) for _c, msgid in segments),
                    editions=editions,
                )
            )
    finally:
        if ledger is not None:
            ledger.close()
        cache.save()
    statuses.sort(key=lambda s: (s.article.date, s.article.slug), reverse=True)
    return Report(settings.source, tuple(locales), statuses, engines, errors)


def _post_edit(
    po: polib.POFile, ledger: Ledger, locale: str, slug: str, into: dict[str, EngineStats]
) -> None:
    for entry in po:
        if entry.obsolete or entry_state(entry) is not State.REVIEWED:
            continue
        draft = ledger.lookup(locale, slug, entry.msgctxt, entry.msgid)
        if draft is None:
            continue
        stats = into.setdefault(draft.engine.split()[0], EngineStats())
        stats.reviewed += 1
        ratio = edit_ratio(draft.text, entry.msgstr)
        stats.edit_total += ratio
        if ratio == 0.0:
            stats.unchanged += 1
