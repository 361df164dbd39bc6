"""Each edition of an article as Markdown, for Hugo, MkDocs and the like.

The English file with every segment replaced by its reviewed translation
(front matter included, written as valid YAML), escaped for its place as
publish does it.  Gated like publish: by default only a ready edition (see
`status`) is written, and the report says which editions were held and why;
a held edition's earlier file is left as it was.  With ``include_all`` every
edition is written, and one that is not ready says so in its front matter:
``draft: true`` (which Hugo and MkDocs leave unpublished) and
``english_segments: N``, the number of entries still in English.

Links to other articles (`workflow.links`) stay as written where the linked
article's edition in the same language is ready (the files sit side by side
in ``OUT/<locale>/``), and point to the English file otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .article import Article
from .config import Settings
from .errors import WorkflowError
from .files import WriteBatch
from .links import linked_slugs, rewrite_markdown
from .progress import Progress, no_progress
from .site import _lookup, _reasons
from .status import Edition, collect


@dataclass
class Held:
    slug: str
    locale: str
    reasons: list[str]


@dataclass
class AssembleReport:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    #: Editions not written because they are not ready.
    held: list[Held] = field(default_factory=list)
    #: Editions written, not ready, marked ``draft: true``: path -> entries in English.
    drafts: dict[Path, int] = field(default_factory=dict)
    errors: list[WorkflowError] = field(default_factory=list)


def assemble_edition(article: Article, settings: Settings, locale: str) -> str:
    if locale == settings.source:
        return article.text
    path = settings.po_path(locale, article.slug)
    if not path.is_file():
        return article.text
    return article.assemble(_lookup(path, locale))


_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(\r\n|\r|\n)?", re.MULTILINE)
_MARK_KEYS = re.compile(r"^(?:draft|english_segments)[ \t]*:.*(?:\r\n|\r|\n)?", re.MULTILINE)


def mark_draft(text: str, english: int) -> str:
    """``text`` with ``draft: true`` and ``english_segments: N`` in its front
    matter (replacing keys of those names already there)."""
    first_end = text.find("\n") + 1
    close = _FM_CLOSE.search(text, first_end)
    if not text.startswith("---") or close is None:
        return text
    eol = close.group(1) or "\n"
    front = _MARK_KEYS.sub("", text[first_end : close.start()])
    marks = f"draft: true{eol}english_segments: {english}{eol}"
    return text[:first_end] + front + marks + text[close.start() :]


def _english(ed: Edition, article: Article) -> int:
    if ed.missing:
        return len({(s.msgctxt, s.msgid) for s in article.segments})
    return sum(n for state, n in ed.counts.items() if state.value != "reviewed")


def assemble(
    settings: Settings,
    articles: Sequence[Article],
    locales: Sequence[str],
    out: Path,
    progress: Progress = no_progress,
    include_all: bool = False,
) -> AssembleReport:
    report = AssembleReport()
    targets = [loc for loc in locales if loc != settings.source]
    # The articles linked to are looked at too: a link goes to the same
    # edition of the linked article only if that edition is ready.
    chosen = {a.slug for a in articles}
    linked = sorted({s for a in articles for s in linked_slugs(a.text)} - chosen)
    extra = [p for p in (settings.articles_dir / f"{s}.md" for s in linked) if p.is_file()]
    status = (
        collect(settings, [Path(a.path) for a in articles] + extra, targets, progress=progress)
        if targets
        else None
    )
    editions: dict[tuple[str, str], Edition] = {}
    if status is not None:
        report.errors.extend(e for e in status.errors if Path(str(e.path or "")) not in extra)
        for st in status.articles:
            for loc, ed in st.editions.items():
                editions[(st.article.slug, loc)] = ed

    def available(slug: str, locale: str) -> bool:
        found = editions.get((slug, locale))
        return found is not None and found.ready

    batch = WriteBatch()
    try:
        for done, article in enumerate(articles):
            progress("assembling editions", done, len(articles))
            for locale in locales:
                target = out / locale / f"{article.slug}.md"
                found = editions.get((article.slug, locale))
                ready = locale == settings.source or (found is not None and found.ready)
                if not ready and not include_all:
                    reasons = _reasons(found) if found else ["its catalog cannot be read"]
                    report.held.append(Held(article.slug, locale, reasons))
                    continue
                try:
                    text = assemble_edition(article, settings, locale)
                except WorkflowError as exc:
                    report.errors.append(exc)
                    continue
                text = rewrite_markdown(text, locale, settings.source, available)
                if not ready:
                    english = _english(found, article) if found else len(article.segments)
                    text = mark_draft(text, english)
                    report.drafts[target] = english
                data = text.encode("utf-8")
                if target.is_file() and target.read_bytes() == data:
                    report.unchanged.append(target)
                    continue
                batch.stage(target, data)
                report.written.append(target)
        progress("assembling editions", len(articles), len(articles))
        batch.commit()
    finally:
        batch.discard()
    return report
