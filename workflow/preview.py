"""`edition preview`: each edition as it would publish now, drafts and gaps included.

For translators and editors, never for readers: the pages go to
``.edition/preview/`` (never into the published site), and every segment
says where it stands:

* reviewed text as it is (the published page's text);
* a draft (fuzzy, never reviewed) highlighted, with the engine that wrote
  it (``# draft: ENGINE``);
* a stale entry (its English changed since it was translated) highlighted,
  with the old translation and the English change after it;
* an untranslated segment in English, marked.

Every segment carries its PO file and line (``data-po``, and its tooltip),
so a translator sees the sentence in its paragraph and knows which entry to
open.  Segments are marked before the Markdown is rendered (with characters
Markdown treats as punctuation, so emphasis around a sentence still closes)
and the marks become ``<span>`` elements afterwards; marks that end up
inside an attribute (an image's alt text) or the page's ``<head>`` are
dropped.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polib

from .article import load_article, parse_article
from .catalog import JOINED, State, draft_engine, entry_state
from .config import Settings
from .errors import WorkflowError
from .files import atomic_write
from .poformat import read_po
from .progress import Progress, no_progress
from .segment import Segment

#: Marks around a segment: START n MID text MID n END.  Unicode punctuation
#: (Ps, Pe, Po), so that CommonMark's emphasis rules treat them as punctuation.
START, MID, END = "\u2045", "\u2046", "\u204c"
_MARKS = re.compile(f"[{START}{MID}{END}]")
_OPEN = re.compile(f"{START}([0-9]+){MID}")
_SHUT = re.compile(f"{MID}([0-9]+){END}")
_ANY = re.compile(f"{START}[0-9]+{MID}|{MID}[0-9]+{END}")
_TAG = re.compile(r"(<[^>]*>)")

STATES = ("reviewed", "draft", "stale", "untranslated")

_STYLE = """
.preview-bar{position:sticky;top:0;z-index:2;background:#1f2937;color:#fff;padding:.5rem 1rem;
font:14px/1.4 system-ui,sans-serif;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
.preview-bar b{font-weight:600}
.preview-bar .key{padding:0 .35rem;border-radius:3px;color:#111}
.seg-draft{background:#fde68a;box-shadow:0 0 0 2px #fde68a}
.seg-stale{background:#fdba74;box-shadow:0 0 0 2px #fdba74}
.seg-untranslated{background:#fecaca;outline:2px dashed #dc2626;outline-offset:1px}
.seg-reviewed:hover{background:#dcfce7}
.seg[data-po]{cursor:help}
.engine{font:11px/1 system-ui,sans-serif;background:#92400e;color:#fff;border-radius:3px;
padding:1px 4px;margin-left:3px;vertical-align:super}
.change{display:block;font:13px/1.4 system-ui,sans-serif;background:#fff7ed;border-left:4px solid
#ea580c;padding:.25rem .5rem;margin:.25rem 0}
.change del{background:#fecaca}.change ins{background:#bbf7d0;text-decoration:none}
"""


@dataclass
class _Mark:
    state: str
    where: str
    engine: str | None = None
    #: For a stale entry: the English it was translated from, and the English now.
    was: str | None = None
    now: str | None = None


@dataclass
class PreviewReport:
    out: Path
    pages: list[Path] = field(default_factory=list)
    #: Segments per state, over every page.
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    errors: list[WorkflowError] = field(default_factory=list)


def default_out(settings: Settings) -> Path:
    return settings.state_dir / "preview"


def preview(
    settings: Settings,
    paths: Sequence[Path],
    locales: Sequence[str],
    out: Path | None = None,
    progress: Progress = no_progress,
) -> PreviewReport:
    """Write ``OUT/<locale>/<slug>/index.html`` for each article and locale,
    and ``OUT/index.html`` listing them."""
    from .site import Renderer, _site_settings

    out = (out if out is not None else default_out(settings)).absolute()
    site = (settings.root / "site").absolute()
    if out == site or site in out.parents or out in site.parents:
        raise WorkflowError(
            "the preview never goes into the published site",
            path=out,
            hint="leave --out out (.edition/preview/) or name another folder",
        )
    report = PreviewReport(out / "index.html")
    renderer = Renderer(settings, _site_settings(settings, None))
    listed: list[tuple[str, str, str, dict[str, int]]] = []
    for done, path in enumerate(paths):
        progress("rendering previews", done, len(paths))
        try:
            article = load_article(path, settings.segment)
        except WorkflowError as exc:
            report.errors.append(exc)
            continue
        for locale in locales:
            try:
                page, counts = _page(settings, renderer, article, locale)
            except WorkflowError as exc:
                report.errors.append(exc)
                continue
            target = out / locale / article.slug / "index.html"
            atomic_write(target, page.encode("utf-8"))
            report.pages.append(target)
            for state, n in counts.items():
                report.counts[state] += n
            listed.append((locale, article.slug, article.title, counts))
    progress("rendering previews", len(paths), len(paths))
    assert renderer.env.loader is not None
    css, _name, _up = renderer.env.loader.get_source(renderer.env, "site.css")
    atomic_write(out / "assets" / "site.css", css.encode("utf-8"))
    atomic_write(out / "index.html", _index(listed).encode("utf-8"))
    return report


def _page(
    settings: Settings, renderer: object, article: object, locale: str
) -> tuple[str, dict[str, int]]:
    from .article import Article
    from .site import Renderer, localize_number

    assert isinstance(renderer, Renderer) and isinstance(article, Article)
    po_path = settings.po_path(locale, article.slug)
    shown = str(po_path.relative_to(settings.root))
    table: dict[tuple[str | None, str], polib.POEntry] = {}
    if locale != settings.source and po_path.is_file():
        for entry in read_po(po_path):
            if not entry.obsolete:
                table[(entry.msgctxt, entry.msgid)] = entry
    marks: list[_Mark] = []

    def lookup(seg: Segment) -> str | None:
        if seg.kind == "number":
            return localize_number(seg.msgid, locale)
        entry = table.get((seg.msgctxt, seg.msgid))
        state = entry_state(entry) if entry is not None else State.UNTRANSLATED
        where = f"{shown}:{entry.linenum}" if entry is not None else f"{shown} (no entry)"
        if state is State.UNTRANSLATED:
            mark = _Mark("untranslated", where)
            text = seg.msgid
        else:
            assert entry is not None
            if entry.msgstr == JOINED:
                return ""  # joined with the previous sentence, which says both
            text = entry.msgstr
            mark = _Mark(state.value, where, draft_engine(entry))
            if state is State.STALE:
                mark.was, mark.now = entry.previous_msgid or "", entry.msgid
        marks.append(mark)
        n = len(marks) - 1
        return f"{START}{n}{MID}{_MARKS.sub('', text)}{MID}{n}{END}"

    text = article.assemble(lookup)
    edition = parse_article(text, path=article.path, mode="block", segment=False)
    page = renderer.page(edition, locale)
    page_html = renderer.article_html(page)
    counts = dict.fromkeys(STATES, 0)
    for mark in marks:
        counts[mark.state] += 1
    return _finish(page_html, marks, counts, locale, shown), counts


def _finish(page: str, marks: list[_Mark], counts: dict[str, int], locale: str, po: str) -> str:
    """The page with its marks as spans (in text only), and the preview bar."""
    head, sep, body = page.partition("<body>")
    if not sep:
        head, body = "", page
    head = _ANY.sub("", head)
    parts = _TAG.split(body)
    for i, part in enumerate(parts):
        if i % 2:  # a tag: marks inside attributes are dropped
            parts[i] = _ANY.sub("", part)
        else:
            part = _OPEN.sub(lambda m: _open(marks[int(m.group(1))]), part)
            parts[i] = _SHUT.sub(lambda m: _close(marks[int(m.group(1))]), part)
    body = "".join(parts)
    style = f"<style>{_STYLE}</style>\n"
    head = head.replace("</head>", style + "</head>", 1) if head else style
    summary = ", ".join(f"{counts[s]} {s}" for s in STATES)
    legend = "".join(
        f'<span class="key seg-{s}">{s}</span>' for s in ("draft", "stale", "untranslated")
    )
    bar = (
        f'<div class="preview-bar" role="note"><b>Preview of the {html.escape(locale)} edition '
        f"— not published.</b><span>{summary}</span><span>{legend}</span>"
        f"<span>{html.escape(po)}</span></div>\n"
    )
    body = body.replace("<body>", "", 1)
    return head + sep + "\n" + bar + body


def _open(mark: _Mark) -> str:
    title = f"{mark.where} · {mark.state}"
    if mark.engine:
        title += f" ({mark.engine})"
    attrs = f'class="seg seg-{mark.state}" data-po="{html.escape(mark.where)}"'
    attrs += f' data-state="{mark.state}" title="{html.escape(title)}"'
    if mark.state == "untranslated":
        attrs += ' lang="en"'
    return f"<span {attrs}>"


def _close(mark: _Mark) -> str:
    """The end of a segment's span: a draft's names its engine, a stale
    entry's shows the English change after it."""
    out = "</span>"
    if mark.engine and mark.state == "draft":
        out += f'<span class="engine">{html.escape(mark.engine)}</span>'
    if mark.state == "stale":
        out += _change(mark)
    return out


def _change(mark: _Mark) -> str:
    """The English change of a stale entry, word by word."""
    old, new = (mark.was or "").split(), (mark.now or "").split()
    parts: list[str] = []
    for op, a, b, c, d in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(html.escape(" ".join(old[a:b])))
            continue
        if a < b:
            parts.append(f"<del>{html.escape(' '.join(old[a:b]))}</del>")
        if c < d:
            parts.append(f"<ins>{html.escape(' '.join(new[c:d]))}</ins>")
    return f'<span class="change" lang="en">English changed: {" ".join(parts)}</span>'


def _index(listed: list[tuple[str, str, str, dict[str, int]]]) -> str:
    rows = []
    for locale, slug, title, counts in listed:
        summary = ", ".join(f"{counts[s]} {s}" for s in STATES if counts[s])
        rows.append(
            f'<li><a href="{html.escape(locale)}/{html.escape(slug)}/">'
            f"{html.escape(locale)}: {html.escape(title)}</a> — {html.escape(summary)}</li>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Preview — not published</title>\n"
        '<link rel="stylesheet" href="assets/site.css">\n</head>\n<body>\n<main>\n'
        "<h1>Preview of every edition — not published</h1>\n<ul>\n"
        + "\n".join(rows)
        + "\n</ul>\n</main>\n</body>\n</html>\n"
    )
