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

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib

from .article import Article
from .catalog import State, entry_state
from .checks import Finding, Severity, check_catalog
from .config import Settings
from .errors import WorkflowError
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


@dataclass
class ArticleStatus:
    article: Article
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
    article: Article,
    po: polib.POFile | None,
    locale: str,
    settings: Settings | None,
    outdated: bool,
) -> Edition:
    """Counts, words and findings of one article's catalog in one locale."""
    ed = Edition(locale, outdated=outdated)
    if po is None:
        ed.missing = True
        for key, msgid in {(s.msgctxt, s.msgid): s.msgid for s in article.segments}.items():
            ed.counts[State.UNTRANSLATED] += 1
            ed.total_words += words(msgid)
            ed.pending.append(Pending(State.UNTRANSLATED, key[0], msgid, "", None))
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


def collect(
    settings: Settings,
    articles: Sequence[Article],
    locales: Sequence[str],
    bad: Sequence[WorkflowError] = (),
) -> Report:
    """Read every selected catalog and build the report; bad catalogs are listed."""
    from .sync import sync

    errors: list[WorkflowError] = list(bad)
    paths = [Path(a.path) for a in articles]
    stale_files: set[Path] = set()
    if paths:
        check = sync(settings, paths, check=True, all_articles=False)
        stale_files = {c.path.resolve() for c in check.written}
    engines: dict[str, dict[str, EngineStats]] = {loc: {} for loc in locales}
    statuses: list[ArticleStatus] = []
    # A read-only command never creates the ledger; no ledger, no drafts.
    has_ledger = (settings.state_dir / "drafts.sqlite").is_file()
    ledger = Ledger.for_root(settings.state_dir) if has_ledger else None
    try:
        for article in sorted(articles, key=lambda a: (a.date, a.slug), reverse=True):
            editions: dict[str, Edition] = {}
            for locale in locales:
                path = settings.po_path(locale, article.slug)
                po: polib.POFile | None = None
                unreadable: str | None = None
                if path.is_file():
                    try:
                        po = read_po(path)
                    except WorkflowError as exc:
                        errors.append(exc)
                        unreadable = str(exc)
                ed = edition_status(
                    article, po, locale, settings, outdated=path.resolve() in stale_files
                )
                if unreadable is not None:
                    ed.missing = False
                    ed.unreadable = unreadable
                editions[locale] = ed
                if po is not None and ledger is not None:
                    _post_edit(po, ledger, locale, article.slug, engines[locale])
            distinct = {(s.msgctxt, s.msgid) for s in article.segments}
            statuses.append(
                ArticleStatus(
                    article,
                    segments=len(distinct),
                    words=sum(words(msgid) for _c, msgid in distinct),
                    editions=editions,
                )
            )
    finally:
        if ledger is not None:
            ledger.close()
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
