"""1,212 Markdown documents nobody here wrote (issue 15).

The corpus is ``../shared/external-markdown/`` beside the repository (CI
clones the repository with ``../shared`` next to it; the files are never
copied into the project): CommonMark and GFM spec examples, po4a, mdpo and
markdown-it-py test files, each named with its source in ``MANIFEST.json``.

* Every document round-trips byte for byte through segmentation and assembly,
  with every translation missing and with every translation equal to its msgid.
* With a translation that upper-cases letters (keeping code, URLs and markup,
  as `workflow.markup` protects them for machine translation) and with each
  hostile translation of the issue's table, the rendered page keeps the
  source's shape exactly when the structure check reports nothing.  The shape
  here is markdown-it's HTML with the text taken out (every tag with its
  attributes, whitespace collapsed, translated ``alt``/``title`` values
  dropped): another reading than the check's own token walk.
* A hostile marker at the start of a line is escaped: it changes no page
  that a neutral translation (``Ж`` + msgid) leaves intact.

Two documents change shape under any translation, hostile or not: a link
destination ``<foo⏎bar>`` split over two lines (cm-0493, and markdown-it's
coverage-parselinkdestination): a msgid joins the lines of its block with a
space, so the URL changes.  The check reports both.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import cache

import pytest
from markdown_it import MarkdownIt

from workflow.checks import structure_problems
from workflow.markup import PlaceholderError, protect, restore
from workflow.segment import Segment, Slot, assemble_text, segment_body

from .conftest import ROOT

CORPUS = ROOT.parent / "shared" / "external-markdown"
EXPECTED_DOCUMENTS = 1212

_HTML = MarkdownIt("commonmark", {"html": True}).enable("table")
_TAG = re.compile(r"<[^<>]*>")
_TRANSLATED_ATTR = re.compile(r'\s(?:alt|title)="[^"]*"')


@cache
def documents() -> tuple[tuple[str, str, tuple[Segment, ...], tuple[Slot, ...]], ...]:
    """(name, text, segments, slots) of every corpus document."""
    if not (CORPUS / "MANIFEST.json").is_file():
        pytest.fail(
            f"the external Markdown corpus is missing: expected {CORPUS}/MANIFEST.json "
            "(clone the shared folder next to the repository as ../shared)"
        )
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    out = []
    for item in manifest:
        text = (CORPUS / item["file"]).read_bytes().decode("utf-8")
        segments, slots = segment_body(text)
        out.append((item["file"], text, tuple(segments), tuple(slots)))
    return tuple(out)


def shape(markdown: str) -> list[str]:
    html = _HTML.render(markdown)
    return [" ".join(_TRANSLATED_ATTR.sub("", m.group()).split()) for m in _TAG.finditer(html)]


def changed_and_reported(
    translate: Callable[[str], str | None],
) -> tuple[set[str], set[str]]:
    """Documents whose page shape changes, and documents the check reports."""
    changed: set[str] = set()
    reported: set[str] = set()
    for name, text, segments, slots in documents():
        table = {s.msgid: t for s in segments if (t := translate(s.msgid)) is not None}
        page = assemble_text(text, segments, slots, lambda s, t=table: t.get(s.msgid))  # type: ignore[misc]
        if shape(page) != shape(text):
            changed.add(name)
        if structure_problems(text, 0, segments, slots, table):
            reported.add(name)
    return changed, reported


def test_the_whole_corpus_is_read() -> None:
    assert len(documents()) == EXPECTED_DOCUMENTS
    assert sum(len(segments) for _n, _t, segments, _s in documents()) > 3000


def test_every_document_round_trips_byte_for_byte() -> None:
    broken = [
        name
        for name, text, segments, slots in documents()
        if assemble_text(text, segments, slots, lambda s: None) != text
        or assemble_text(text, segments, slots, lambda s: s.msgid) != text
    ]
    assert broken == []


def upper(msgid: str) -> str | None:
    protected = protect(msgid)
    try:
        return restore(protected.text.upper(), protected)
    except PlaceholderError:
        return None


@cache
def neutral() -> frozenset[str]:
    changed, reported = changed_and_reported(lambda m: "Ж" + m)
    assert changed == reported
    return frozenset(changed)


def test_upper_case_translation_keeps_the_page_or_is_reported() -> None:
    changed, reported = changed_and_reported(upper)
    assert changed <= reported
    # Upper-casing an attribute name inside a raw HTML tag that `protect`
    # cannot keep whole (it holds a quoted "<em>"): HTML ignores the case,
    # the check does not.
    assert reported - changed <= {"cmspec/cm-0618-raw-html.md"}
    # What changes is where `markup.protect` does not keep a URL (titles with
    # escaped quotes, <destinations>, ...): a few spec corner cases.
    assert len(changed) <= 25, sorted(changed)


#: The issue's table, as translations of every segment.
LINE_START = {
    "dash": lambda m: "- " + m,
    "star": lambda m: "* " + m,
    "plus": lambda m: "+ " + m,
    "year": lambda m: "2024. " + m,
    "paren": lambda m: "1) " + m,
    "heading": lambda m: "# " + m,
    "quote": lambda m: "> " + m,
    "tilde-fence": lambda m: "~~~\n" + m,
    "thematic-break": lambda m: "***\n" + m,
    "setext": lambda m: m + "\n===",
    "reference-definition": lambda m: m + "\n\n[x]: https://evil.example/phish\n\n",
    "pipe": lambda m: m + " | спад",
    "double-quote": lambda m: m + ' "так"',
    "bracket": lambda m: m + " ]",
}
#: Hostile translations that also break inline markup in the middle of a
#: line (backticks pairing up, a tag, text cut in two): reported, not escaped.
INLINE = {
    "backtick-fence": lambda m: "```\n" + m,
    "html-block": lambda m: "<div>\n" + m,
    "newline-inside": lambda m: m[: len(m) // 2] + "\n" + m[len(m) // 2 :],
    "blank-line-inside": lambda m: m[: len(m) // 2] + "\n\n" + m[len(m) // 2 :],
}


@pytest.mark.parametrize("name", sorted(LINE_START))
def test_a_hostile_line_start_is_escaped(name: str) -> None:
    changed, reported = changed_and_reported(LINE_START[name])
    assert changed == reported
    assert changed <= neutral(), sorted(changed - neutral())


@pytest.mark.parametrize("name", sorted(INLINE))
def test_hostile_inline_markup_is_reported(name: str) -> None:
    changed, reported = changed_and_reported(INLINE[name])
    assert changed == reported
    assert changed, "the hostile translation should change some page"


def test_the_corpus_runs_in_well_under_a_minute() -> None:
    start = time.perf_counter()
    documents.cache_clear()
    documents()
    changed_and_reported(upper)
    assert time.perf_counter() - start < 20
