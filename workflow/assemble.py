"""Each edition as Markdown, for newsrooms whose site generator is Hugo or MkDocs.

``OUT/<lang>/<slug>.md`` for the source and every target locale: the
article's own bytes with each segment replaced by its reviewed translation
(front matter included, written as valid YAML).  Untranslated, draft and
stale segments keep the English, so a partial edition is still a readable
document; `status` says which editions are complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .article import Article
from .config import Settings
from .errors import WorkflowError
from .files import WriteBatch
from .progress import Progress, no_progress
from .site import _lookup


@dataclass
class AssembleReport:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    errors: list[WorkflowError] = field(default_factory=list)


def assemble_edition(article: Article, settings: Settings, locale: str) -> str:
    if locale == settings.source:
        return article.text
    path = settings.po_path(locale, article.slug)
    if not path.is_file():
        return article.text
    return article.assemble(_lookup(path, locale))


def assemble(
    settings: Settings,
    articles: Sequence[Article],
    locales: Sequence[str],
    out: Path,
    progress: Progress = no_progress,
) -> AssembleReport:
    report = AssembleReport()
    batch = WriteBatch()
    try:
        for done, article in enumerate(articles):
            progress("assembling editions", done, len(articles))
            for locale in locales:
                try:
                    text = assemble_edition(article, settings, locale)
                except WorkflowError as exc:
                    report.errors.append(exc)
                    continue
                target = out / locale / f"{article.slug}.md"
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
