"""Completion per article and locale: states in segments and words, QA, readiness.

Pure over values read at the edge (`collect` reads catalogs and asks `sync`
whether they are current).  Rules:

* States come from `catalog.entry_state`; obsolete entries never count.
* Words are the source words of an entry's msgid, counted once per entry.
* ``percent`` is reviewed words over total words.
* An edition is ready only when its catalog exists, is in step with the
  article (its entries are the article's, whatever tool saved it: sync has
  nothing to change), every entry is reviewed, no error-level check fails
  and ``msgfmt --check`` accepts it.  An out-of-date catalog is never complete.
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
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib

from .article import Article, load_article, parse_article
from .catalog import State, entry_state
from .checks import (
    Finding,
    Severity,
    check_catalog,
    check_links,
    check_structure,
    msgfmt_findings,
    word_list_path,
)
from .config import Settings
from .errors import CatalogError, WorkflowError
from .files import sha256
from .glossary import fingerprint as glossary_fingerprint
from .glossary import load_glossary
from .guard import read_regular
from .ledger import Ledger
from .poformat import read_po
from .progress import Progress, no_progress

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
    #: The English a stale entry was translated from (``#| msgid``).
    previous: str | None = None


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
    article: Article | None = None,
    path: Path | None = None,
    known: frozenset[str] | None = None,
) -> Edition:
    """Counts, words and findings of one article's catalog in one locale.

    With the ``article``, the findings include `checks.check_structure`:
    what the translations do to the page.

    ``segments`` (the article's distinct (msgctxt, msgid)) is only needed
    when there is no catalog: every segment then counts as untranslated.
    ``path``: the catalog's file, for ``msgfmt --check``.
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
                Pending(
                    state,
                    entry.msgctxt,
                    entry.msgid,
                    entry.msgstr,
                    entry.linenum or None,
                    entry.previous_msgid if state is State.STALE else None,
                )
            )
    ed.findings = check_catalog(po, locale, settings)
    if article is not None:
        ed.findings.extend(check_structure(article, po))
        if known is not None:
            ed.findings.extend(check_links(article, po, known))
    if path is not None:
        # A catalog msgfmt refuses is never ready (cached with the rest, by content).
        ed.findings += msgfmt_findings(path, po, settings, locale)
    ed.errors = sum(1 for f in ed.findings if f.severity is Severity.ERROR)
    ed.warnings = len(ed.findings) - ed.errors
    return ed


# -- the warm path: results cached by content hash -------------------------------

#: Bumped whenever counting or checking changes, so old results are recomputed.
CACHE_VERSION = "8"
_STATES = {s.value: s for s in State}
_SEVERITIES = {s.value: s for s in Severity}


def _fingerprint(settings: Settings, locale: str) -> str:
    checks = json.dumps(settings.sections.get("checks", {}), sort_keys=True, default=str)
    spelling = "hunspell" if shutil.which("hunspell") else "-"
    words = word_list_path(settings, locale)
    try:
        own = sha256(read_regular(words)[0])
    except OSError:
        own = "-"
    msgfmt = "msgfmt" if shutil.which("msgfmt") else "-"
    terms = glossary_fingerprint(settings, locale)
    return f"{CACHE_VERSION}|{settings.source}|{locale}|{checks}|{spelling}|{own}|{msgfmt}|{terms}"


def _summary_json(ed: Edition, engines: dict[str, EngineStats]) -> str:
    return json.dumps(
        [
            [ed.counts[s] for s in State],
            ed.reviewed_words,
            ed.total_words,
            ed.errors,
            ed.warnings,
            {name: [st.reviewed, st.unchanged, st.edit_total] for name, st in engines.items()},
        ],
        ensure_ascii=False,
    )


def _details_json(ed: Edition) -> str:
    return json.dumps(
        [
            [
                [f.check, f.severity.value, f.message, f.msgctxt, f.msgid, f.line]
                for f in ed.findings
            ],
            [[p.state.value, p.msgctxt, p.msgid, p.msgstr, p.line, p.previous] for p in ed.pending],
        ],
        ensure_ascii=False,
    )


def _edition_from_cache(
    locale: str, summary: str, details: str | None
) -> tuple[Edition, dict[str, EngineStats]]:
    counts, reviewed_words, total_words, n_errors, n_warnings, engines = json.loads(summary)
    ed = Edition(locale)
    ed.counts = dict(zip(State, (int(n) for n in counts), strict=True))
    ed.reviewed_words = int(reviewed_words)
    ed.total_words = int(total_words)
    ed.errors = int(n_errors)
    ed.warnings = int(n_warnings)
    if details is not None:
        findings, pending = json.loads(details)
        ed.findings = [
            Finding(c, _SEVERITIES[sev], m, ctxt, mid, line)
            for c, sev, m, ctxt, mid, line in findings
        ]
        ed.pending = [
            Pending(_STATES[st], ctxt, mid, text, line, prev)
            for st, ctxt, mid, text, line, prev in pending
        ]
    stats = {name: EngineStats(int(a), int(b), float(c)) for name, (a, b, c) in engines.items()}
    return ed, stats


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, title TEXT, date TEXT, segments INTEGER, words INTEGER, distinct_ TEXT
);
CREATE TABLE IF NOT EXISTS editions (key TEXT PRIMARY KEY, summary TEXT, details TEXT);
"""


class _Cache:
    """``.edition/status-cache.sqlite``: derived, rebuilt from the files whenever lost.

    SQLite rather than one JSON file: a warm run looks up a few thousand
    small rows and never decodes the findings and pending entries it does
    not show, and a run that recomputes one edition writes one row.  Any
    trouble with the file (damaged, locked, read-only) only costs speed.
    """

    def __init__(self, settings: Settings) -> None:
        self.path = settings.state_dir / "status-cache.sqlite"
        self.used: set[str] = set()
        self.pending = 0
        self.db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5.0)
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
            if row is None or row[0] != CACHE_VERSION:
                with db:
                    db.execute("DELETE FROM articles")
                    db.execute("DELETE FROM editions")
                    db.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('version', ?)", (CACHE_VERSION,)
                    )
            self.db = db
        except (OSError, sqlite3.Error):
            self.db = None
        # The JSON cache of earlier versions: derived, superseded.
        with contextlib.suppress(OSError):
            (settings.state_dir / "status-cache.json").unlink()

    def _query(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute(sql, params).fetchone()
        except sqlite3.Error:
            return None
        return tuple(row) if row is not None else None

    #: Rows written between commits: a killed cold run keeps most of its work,
    #: and a long run does not hold the database's write lock throughout.
    COMMIT_EVERY = 200

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        if self.db is None:
            return
        try:
            self.db.execute(sql, params)
            self.pending += 1
            if self.pending >= self.COMMIT_EVERY:
                self.db.commit()
                self.pending = 0
        except sqlite3.Error:
            self.close()

    def article(self, key: str) -> tuple[Any, ...] | None:
        return self._query(
            "SELECT title, date, segments, words FROM articles WHERE key = ?", (key,)
        )

    def distinct(self, key: str) -> list[tuple[str | None, str]] | None:
        row = self._query("SELECT distinct_ FROM articles WHERE key = ?", (key,))
        return None if row is None else [(c, m) for c, m in json.loads(row[0])]

    def put_article(
        self, key: str, info: ArticleInfo, distinct: list[tuple[str | None, str]], n_words: int
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                info.title,
                info.date.isoformat(),
                len(distinct),
                n_words,
                json.dumps(distinct, ensure_ascii=False),
            ),
        )

    def edition(self, key: str, details: bool) -> tuple[str, str | None] | None:
        self.used.add(key)
        column = "details" if details else "NULL"
        row = self._query(f"SELECT summary, {column} FROM editions WHERE key = ?", (key,))
        return None if row is None else (row[0], row[1])

    def put_edition(self, key: str, ed: Edition, engines: dict[str, EngineStats]) -> None:
        self.used.add(key)
        self._write(
            "INSERT OR REPLACE INTO editions VALUES (?, ?, ?)",
            (key, _summary_json(ed, engines), _details_json(ed)),
        )

    def close(self) -> None:
        """Commit, and drop what no run needs any more so the file does not grow forever."""
        if self.db is None:
            return
        db, self.db = self.db, None
        try:
            (rows,) = db.execute("SELECT count(*) FROM editions").fetchone()
            if rows > 4 * len(self.used) + 1000:
                db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")
                db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.used))
                db.execute("DELETE FROM editions WHERE key NOT IN (SELECT key FROM used)")
            db.commit()
        except sqlite3.Error:
            pass
        finally:
            db.close()


def _article_info(
    path: Path, data: bytes, cache: _Cache, settings: Settings
) -> tuple[ArticleInfo, int, int, str, Article | None]:
    """The article's info, segment and word counts, its cache key, and the
    article if it had to be parsed."""
    key = f"{settings.segment}|{sha256(data)}"
    found = cache.article(key)
    if found is not None:
        title, date, segments, n_words = found
        info = ArticleInfo(path.stem, str(path), str(title), dt.date.fromisoformat(date))
        return info, int(segments), int(n_words), key, None
    article = _parse(data, path, settings)
    distinct = _distinct(article)
    info = ArticleInfo(path.stem, str(path), article.title, article.date)
    n_words = sum(words(m) for _c, m in distinct)
    cache.put_article(key, info, distinct, n_words)
    return info, len(distinct), n_words, key, article


def _parse(data: bytes, path: Path, settings: Settings) -> Article:
    return parse_article(_decode_article(data, path), path=str(path), mode=settings.segment)


def _distinct(article: Article) -> list[tuple[str | None, str]]:
    """The article's distinct (msgctxt, msgid), in order: its catalog's entries."""
    return list(dict.fromkeys((s.msgctxt, s.msgid) for s in article.segments if s.kind != "number"))


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
    details: bool = True,
    progress: Progress = no_progress,
) -> Report:
    """Every selected article's editions; bad articles and catalogs are listed.

    Counts and findings are cached by the content of the article and the
    catalog, so a warm run reads files and hashes them, and parses nothing.
    ``details=False`` leaves each edition's ``findings`` and ``pending``
    empty (their counts are still right): all a table or a JSON summary needs.
    """
    from .sync import sync

    errors: list[WorkflowError] = []
    for locale in locales:
        errors.extend(load_glossary(settings, locale).errors)
    stale_files: set[Path] = set()
    if paths:
        check = sync(settings, paths, check=True, all_articles=False)
        stale_files = {c.path for c in check.written}
        # A template sync cannot read (a directory, a FIFO...): its article's
        # catalogs cannot be known up to date.  Catalogs are reported below.
        for error in check.errors:
            if error.path is not None and error.path.endswith(".pot"):
                errors.append(error)
                slug = Path(error.path).name.removesuffix(".pot")
                stale_files.update(settings.po_path(loc, slug) for loc in locales)
    engines: dict[str, dict[str, EngineStats]] = {loc: {} for loc in locales}
    statuses: list[ArticleStatus] = []
    cache = _Cache(settings)
    # A read-only command never creates the ledger; no ledger, no drafts.
    has_ledger = (settings.state_dir / "drafts.sqlite").is_file()
    ledger = Ledger.for_root(settings.state_dir) if has_ledger else None
    # Links to articles are checked against every article of the root.
    known = frozenset(p.stem for p in settings.article_paths())
    slugs = sha256("\n".join(sorted(known)).encode("utf-8"))
    fingerprints = {loc: f"{_fingerprint(settings, loc)}|{has_ledger}|{slugs}" for loc in locales}
    try:
        for done, path in enumerate(paths):
            progress("reading articles and catalogs", done, len(paths))
            try:
                data, _status = read_regular(path)
                info, n_segments, n_words, article_key, article = _article_info(
                    path, data, cache, settings
                )
            except WorkflowError as exc:
                errors.append(exc)
                continue
            except OSError as exc:
                errors.append(WorkflowError(f"cannot read: {exc.strerror}", path=path))
                continue
            article_sha = article_key.rpartition("|")[2]
            editions: dict[str, Edition] = {}
            for locale in locales:
                po_path = settings.po_path(locale, info.slug)
                outdated = po_path in stale_files
                try:
                    po_bytes, _status = read_regular(po_path)
                except FileNotFoundError:
                    distinct = cache.distinct(article_key)
                    if distinct is None:  # no cache: parse again
                        distinct = _distinct(load_article(path, settings.segment))
                    editions[locale] = edition_status(distinct, None, locale, settings, outdated)
                    continue
                except OSError as exc:  # a directory, a FIFO, a loop...
                    error = CatalogError(f"cannot read: {exc.strerror}", path=po_path)
                    errors.append(error)
                    editions[locale] = Edition(locale, outdated=outdated, unreadable=str(error))
                    continue
                key = f"{fingerprints[locale]}|{article_sha}|{sha256(po_bytes)}"
                found = cache.edition(key, details)
                if found is None:
                    try:
                        po = read_po(po_path)
                    except WorkflowError as exc:
                        errors.append(exc)
                        ed = Edition(locale, outdated=outdated, unreadable=str(exc))
                        editions[locale] = ed
                        continue
                    if article is None:
                        # Cached info (so these bytes parsed before), new edition.
                        article = _parse(data, path, settings)
                    ed = edition_status(
                        None, po, locale, settings, outdated, article, po_path, known
                    )
                    stats: dict[str, EngineStats] = {}
                    if ledger is not None:
                        _post_edit(po, ledger, locale, info.slug, stats)
                    cache.put_edition(key, ed, stats)
                    if not details:
                        ed.findings, ed.pending = [], []
                else:
                    ed, stats = _edition_from_cache(locale, *found)
                    ed.outdated = outdated
                editions[locale] = ed
                for name, st in stats.items():
                    total = engines[locale].setdefault(name, EngineStats())
                    total.reviewed += st.reviewed
                    total.unchanged += st.unchanged
                    total.edit_total += st.edit_total
            statuses.append(
                ArticleStatus(info, segments=n_segments, words=n_words, editions=editions)
            )
    finally:
        if ledger is not None:
            ledger.close()
        cache.close()
    progress("reading articles and catalogs", len(paths), len(paths))
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
