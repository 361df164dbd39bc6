"""The status dashboard: a small overview page plus one page per article.

The overview (``status.html``) has one card per article: slug, title, per
locale the percent reviewed, a stacked bar and the counts, and whether the
article is ready; it filters by state and locale with plain HTML and CSS
(radio buttons, no script), and reads on a 390 px phone screen.  The
entries still to review and the checks' findings, with their PO file and
line and the English, are on a page of their own per article
(``status/<slug>.html``), so the overview stays small however large the
newsroom.  Stale entries show what changed in the English: a word diff of
the old source (``#| msgid``) against the new one.  Jinja2, autoescaped.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .catalog import State
from .files import atomic_write
from .status import Report

_ORDER = (State.REVIEWED, State.DRAFT, State.STALE, State.UNTRANSLATED)
#: What the overview filters on, besides the four states.
FILTERS = ("held", "ready", "untranslated", "draft", "stale", "errors")
_TOKEN = re.compile(r"\s+|[^\s]+")


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("workflow", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _bars(counts: dict[State, int]) -> list[dict[str, Any]]:
    total = sum(counts.values()) or 1
    return [
        {"state": s.value, "count": counts[s], "width": round(100 * counts[s] / total, 2)}
        for s in _ORDER
    ]


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pieces turning ``old`` into ``new`` word by word;
    kind is ``same``, ``del`` or ``ins``."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


@dataclass(frozen=True)
class Dashboard:
    """The overview page and the per-article pages, as text."""

    overview: str
    #: slug -> the article's page
    articles: dict[str, str]


def render_dashboard(
    report: Report, generated: dt.datetime | None = None, details: str = "status"
) -> Dashboard:
    """The pages for ``report``; article pages are linked as ``DETAILS/<slug>.html``."""
    generated = generated or dt.datetime.now(dt.UTC)
    stamp = generated.strftime("%Y-%m-%d %H:%M UTC")
    env = _environment()
    rows = []
    pages: dict[str, str] = {}
    for status in report.articles:
        slug = status.article.slug
        cells = []
        classes = {"ready" if status.ready else "held"}
        for loc in report.locales:
            ed = status.editions[loc]
            data = ed.as_json()
            marks = {"ready" if ed.ready else "held"}
            marks |= {
                s.value for s in (State.UNTRANSLATED, State.DRAFT, State.STALE) if ed.counts[s]
            }
            if ed.missing:
                marks.add("untranslated")
            if ed.errors or ed.unreadable:
                marks.add("errors")
            classes |= {m for m in marks if m not in ("ready", "held")}
            classes |= {f"{m}-{loc}" for m in marks}
            po_file = f"locales/{loc}/{slug}.po"
            cells.append(
                {
                    "locale": loc,
                    "data": data,
                    "unreadable": ed.unreadable,
                    "bars": _bars(ed.counts),
                    "file": po_file,
                    "pending": [
                        {
                            "p": p,
                            "diff": word_diff(p.previous, p.msgid) if p.previous else None,
                        }
                        for p in ed.pending
                    ],
                    "findings": sorted(
                        ed.findings, key=lambda f: (f.severity.value != "error", f.line or 0)
                    ),
                }
            )
        rows.append(
            {
                "status": status,
                "cells": cells,
                # Prefixed: the bare names are the colours of the bars.
                "classes": " ".join(sorted(f"has-{c}" for c in classes)),
                "link": f"{details}/{slug}.html",
            }
        )
        pages[slug] = env.get_template("dashboard_article.html.j2").render(
            report=report, status=status, cells=cells, generated=stamp, back=f"{details}.html"
        )
    data = report.as_json()
    overview = env.get_template("dashboard.html.j2").render(
        report=report,
        rows=rows,
        totals=data["totals"],
        engines=data["engines"],
        generated=stamp,
        filters=FILTERS,
    )
    return Dashboard(overview, pages)


def details_dir(path: Path) -> Path:
    """Where the article pages of the overview at ``path`` go: beside it,
    named after it (``status.html`` -> ``status/``; ``board`` -> ``board_files/``)."""
    return path.with_suffix("") if path.suffix else path.with_name(path.name + "_files")


def write_dashboard(
    path: Path, report: Report, generated: dt.datetime | None = None, prune: bool = True
) -> list[Path]:
    """Write the overview at ``path`` and its article pages; with ``prune``
    (the report covers every article), pages of articles no longer in it are
    removed.  Returns what was written."""
    folder = details_dir(path)
    board = render_dashboard(report, generated, folder.name)
    written: list[Path] = []
    for slug, page in board.articles.items():
        target = folder / f"{slug}.html"
        atomic_write(target, page.encode("utf-8"))
        written.append(target)
    if prune:
        _remove_others(folder, set(board.articles))
    atomic_write(path, board.overview.encode("utf-8"))
    written.append(path)
    return written


def _remove_others(folder: Path, keep: set[str]) -> None:
    if not folder.is_dir():
        return
    for page in folder.glob("*.html"):
        if page.stem not in keep:
            page.unlink(missing_ok=True)


def newest_change(paths: Sequence[Path]) -> int:
    """The latest modification time (ns) among ``paths``, for a server to
    know whether its dashboard is stale."""
    latest = 0
    for p in paths:
        try:
            latest = max(latest, p.stat().st_mtime_ns)
        except OSError:
            continue
    return latest
