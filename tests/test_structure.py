"""A translation can never break the page (issue 15).

Every row of the issue's table is a case here: a hostile or careless
translation is either escaped on assembly, so the page keeps the English
structure, or `edition check` names the entry (PO line and article line) and
the edition is not ready.  The page's structure is read from markdown-it's
HTML (tags, hrefs, srcs), independently of `checks.structure`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from workflow import load_article
from workflow.cli import main
from workflow.poformat import format_po, read_po
from workflow.segment import segment_body

from .conftest import ROOT

ARTICLE = """\
---
title: Structure test
date: 2025-01-06
---

Intro paragraph one.

- First item of the list.
- Second item.

## Heading of the week

| indicator | trend |
|---|---|
| Exports | growth |

![A potash train](https://example.org/train.jpg "Train at Salihorsk")

The [briefing][brief] is out.

[brief]: https://example.org/briefing "The weekly briefing"

Closing paragraph here.
"""

SLUG = "week-1-structure"
_TAG = re.compile(r"<(/?[a-z0-9]+)(?:[^>]*?\b(?:href|src)=\"([^\"]*)\")?[^>]*>")


def page_shape(markdown: str) -> list[tuple[str, str]]:
    """The HTML elements (with link and image targets) a body renders to."""
    return [(m.group(1), m.group(2) or "") for m in _TAG.finditer(page_html(markdown))]


def page_html(markdown: str) -> str:
    return str(MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown))


def body(text: str) -> str:
    return text.split("---\n", 2)[2]


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "newsroom"
    (root / "articles").mkdir(parents=True)
    (root / "articles" / f"{SLUG}.md").write_text(ARTICLE, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.edition]\nlocales = ["be", "ru"]\n[tool.edition.checks]\n'
        'disable = ["spelling", "length", "end-punctuation", "numbers", "quotes", "identical"]\n',
        encoding="utf-8",
    )
    assert main(["sync", "--root", str(root), "-q"]) == 0
    capsys.readouterr()
    return root


def translate(root: Path, translations: dict[str, str], locale: str = "be") -> Path:
    """Give the entries these reviewed translations (others: Ж + English)."""
    path = root / "locales" / locale / f"{SLUG}.po"
    po = read_po(path)
    for entry in po:
        entry.msgstr = translations.get(entry.msgid, "Ж" + entry.msgid)
    path.write_text(format_po(po), encoding="utf-8")
    return path


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]]]:
    code = main(["check", "--root", str(root), "--locale", "be", "--json"])
    out, _err = capsys.readouterr()
    return code, [r for r in json.loads(out) if r["check"] == "structure"]


def assembled(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = root / "editions"
    main(["assemble", "--root", str(root), "--out", str(out), "--locale", "be", "--all"])
    capsys.readouterr()
    return (out / "be" / f"{SLUG}.md").read_text(encoding="utf-8")


#: (row of the issue's table, English entry, translation, text the page must show)
ESCAPED = [
    ("paragraph starting '- '", "Intro paragraph one.", "- Так, — сказаў ён.", "- Так"),
    ("paragraph starting '* '", "Intro paragraph one.", "* Зорка.", "* Зорка."),
    ("paragraph starting '+ '", "Intro paragraph one.", "+ Плюс.", "+ Плюс."),
    ("list item starting '- '", "First item of the list.", "- Першы пункт.", "- Першы пункт."),
    ("paragraph starting '2024. '", "Intro paragraph one.", "2024. год быў цяжкі.", "2024. год"),
    ("list item starting '1) '", "Second item.", "1) Другі пункт.", "1) Другі"),
    ("paragraph starting '# '", "Closing paragraph here.", "# Не загаловак.", "# Не загаловак."),
    ("paragraph starting '> '", "Closing paragraph here.", "> Не цытата.", "&gt; Не цытата."),
    ("'|' in a table cell", "growth", "рост | спад", "рост | спад"),
    ("newline inside a heading", "Heading of the week", "Загаловак\nтыдня", "Загаловак тыдня"),
    ("newline inside a cell", "growth", "рост\nспад", "рост спад"),
    ("newline inside a paragraph", "Intro paragraph one.", "Першы\n\nабзац.", "Першы абзац."),
    ("'\"' in an image title", "Train at Salihorsk", 'Цягнік "Беларуськалію"', "Беларуськалію"),
    ("'\"' in a link reference title", "The weekly briefing", 'Агляд "Тыдзень"', "Тыдзень"),
    ("']' in image alt text", "A potash train", "Калійны ] цягнік", "Калійны ] цягнік"),
    (
        "a blank line and a reference definition",
        "Closing paragraph here.",
        "Канец [тут][x].\n\n[x]: https://evil.example/phish",
        "[x]: https://evil.example/phish",
    ),
    ("a code fence opened", "Closing paragraph here.", "```", "```"),
    ("a tilde fence opened", "Intro paragraph one.", "~~~ python", "~~~ python"),
    ("a setext underline", "Second item.", "===", "==="),
    ("a thematic break", "Intro paragraph one.", "* * *", "* * *"),
    ("an HTML block opened", "Intro paragraph one.", "<div>", "&lt;div&gt;"),
    ("closing hashes in a heading", "Heading of the week", "Тыдзень #", "Тыдзень #"),
]


@pytest.mark.parametrize(
    ("row", "msgid", "msgstr", "shown"), ESCAPED, ids=[row for row, *_ in ESCAPED]
)
def test_a_translation_is_escaped_into_the_english_structure(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    row: str,
    msgid: str,
    msgstr: str,
    shown: str,
) -> None:
    translate(root, {msgid: msgstr})
    edition = assembled(root, capsys)
    assert page_shape(body(edition)) == page_shape(body(ARTICLE)), row
    assert shown in page_html(body(edition)), (row, edition)
    _code, errors = check(root, capsys)
    assert errors == [], errors


#: (what the translation does, English entry, translation, words check must use)
REPORTED = [
    (
        "drops a link",
        "The [briefing][brief] is out.",
        "Агляд выйшаў.",
        "the link to example.org/briefing is missing",
    ),
    (
        "adds a link",
        "Closing paragraph here.",
        "Канец [тут](https://evil.example/phish).",
        "this translation adds a link to evil.example/phish",
    ),
    (
        "changes a link's target",
        "The [briefing][brief] is out.",
        "[Агляд](https://evil.example/) выйшаў.",
        "evil.example/",
    ),
    ("adds emphasis", "Intro paragraph one.", "Першы **абзац**.", "adds bold text"),
    ("adds raw HTML", "Intro paragraph one.", "Першы <script>x</script>.", "<script>"),
]


@pytest.mark.parametrize(
    ("what", "msgid", "msgstr", "words"), REPORTED, ids=[w for w, *_ in REPORTED]
)
def test_check_names_the_entry_that_changes_the_page(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    msgid: str,
    msgstr: str,
    words: str,
) -> None:
    po_path = translate(root, {msgid: msgstr})
    code, errors = check(root, capsys)
    assert code == 1, what
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["msgid"] == msgid and error["severity"] == "error"
    assert words in str(error["message"])
    # The PO line is the entry's, and the article line is the segment's.
    entry = next(e for e in read_po(po_path) if e.msgid == msgid)
    assert error["line"] == entry.linenum
    source_line = ARTICLE.splitlines().index(msgid) + 1
    assert f"articles/{SLUG}.md:{source_line}" in str(error["message"])
    # The edition is not ready, so it is not assembled by default.
    status = main(["status", "--root", str(root), "--locale", "be", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0 and data["articles"][0]["locales"]["be"]["ready"] is False
    out = root / "editions"
    main(["assemble", "--root", str(root), "--out", str(out), "--locale", "be"])
    assert "held" in capsys.readouterr().out
    assert not (out / "be" / f"{SLUG}.md").exists()


def test_a_ignore_comment_does_not_silence_the_structure_check(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = translate(root, {"Intro paragraph one.": "Першы [абзац](https://evil.example/)."})
    po = read_po(path)
    next(e for e in po if e.msgid == "Intro paragraph one.").tcomment = "check: ignore structure"
    path.write_text(format_po(po), encoding="utf-8")
    code, errors = check(root, capsys)
    assert code == 1 and len(errors) == 1


def test_the_culprit_is_found_among_many_translations(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = load_article(root / "articles" / f"{SLUG}.md")
    assert len(article.segments) >= 12
    translate(root, {"Second item.": "Другі [пункт](https://evil.example/)."})
    _code, errors = check(root, capsys)
    assert [e["msgid"] for e in errors] == ["Second item."]


def test_no_false_errors_on_the_sample_newsroom(
    newsroom: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--root", str(newsroom), "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r for r in rows if r["check"] == "structure"] == []
    assert code == 0
    code = main(["status", "--root", str(newsroom), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert all(a["ready"] for a in data["articles"]), data["totals"]


def test_sample_translations_made_hostile_are_escaped_or_reported() -> None:
    """Every reviewed sample translation, prefixed with each hostile marker.

    A marker at the start of a line is escaped: the page keeps its shape.  A
    fence's backticks in the middle of a block pair up into inline code
    across sentences: the check must then report it.
    """
    from workflow.checks import check_structure

    escaped = ("- ", "* ", "2024. ", "1) ", "# ", "> ", "\n\n[x]: https://e.example\n\n")
    for article_path in sorted((ROOT / "articles").glob("*.md")):
        article = load_article(article_path)
        po = read_po(ROOT / "locales" / "be" / f"{article.slug}.po")
        table = {e.msgid: e.msgstr for e in po if e.msgstr and not e.msgctxt}
        for marker in (*escaped, "```\n"):
            hostile = {m: marker + t for m, t in table.items()}
            text = article.assemble(lambda s, h=hostile: h.get(s.msgid))  # type: ignore[misc]
            start = len(article.text) - len(article.body)
            kept = page_shape(text[start:]) == page_shape(article.body)
            for entry in po:
                if entry.msgid in hostile:
                    entry.msgstr = hostile[entry.msgid]
            reported = check_structure(article, po)
            assert kept == (reported == []), (article.slug, repr(marker), reported)
            assert kept or marker not in escaped, (article.slug, repr(marker))
            for entry in po:
                if entry.msgid in table:
                    entry.msgstr = table[entry.msgid]


@pytest.mark.parametrize(
    ("source", "segments"),
    [
        # A hard break outside any span: two segments.
        ("One line  \nanother line.\n", ["One line", "another line."]),
        ("One line\\\nanother line.\n", ["One line", "another line."]),
        # Inside a code span, raw HTML or a link title it is no break: one segment.
        ("Run `make  \ntest` now.\n", ["Run `make test` now."]),
        ('An <abbr title="Belarus  \nRussia">BR</abbr> deal.\n', None),
        ('The [report](https://e.org "Annual\\\nreport") is out.\n', None),
    ],
)
def test_a_hard_break_is_a_boundary_only_where_commonmark_makes_one(
    source: str, segments: list[str] | None
) -> None:
    found, slots = segment_body(source, mode="block")
    if segments is not None:
        assert [s.msgid for s in found] == segments
    else:
        assert len(found) == 1 and len(slots) == 1, found
        msgid = found[0].msgid
        assert msgid.count("<") == msgid.count(">") and msgid.count('"') % 2 == 0


@pytest.mark.parametrize(
    ("encode", "text", "written"),
    [
        ("encode_cell", "рост | спад", "рост \\| спад"),
        ("encode_cell", "рост \\| спад", "рост \\| спад"),  # the translator's escape stays
        ("encode_cell", "канец\\", "канец\\\\"),  # would escape the next pipe
        ("encode_alt", "альт [1] тэкст", "альт \\[1\\] тэкст"),
        ("encode_title", 'назва "x"\nдалей', 'назва \\"x\\" далей'),
        ("encode_title", "назва\\", "назва\\\\"),
        ("escape_line_start", "- так", "\\- так"),
        ("escape_line_start", "2024. год", "2024\\. год"),
        ("escape_line_start", "```foo``", "```foo``"),  # inline code, not a fence
        ("escape_line_start", "<abbr>ЕС</abbr> кажа", "<abbr>ЕС</abbr> кажа"),
        ("escape_line_start", "<div class='x'>", "\\<div class='x'>"),
        ("escape_line_start", "-1 градус", "-1 градус"),
        ("escape_line_start", "\\- ужо", "\\- ужо"),
    ],
)
def test_only_what_would_change_the_structure_is_escaped(
    encode: str, text: str, written: str
) -> None:
    from workflow import segment

    assert getattr(segment, encode)(text) == written


def test_a_draft_mark_replaces_earlier_marks_and_keeps_line_endings() -> None:
    from workflow.assemble import mark_draft

    text = "---\r\ntitle: T\r\ndraft: false\r\ndate: 2025-01-06\r\n---\r\n\r\nBody.\r\n"
    marked = mark_draft(text, 3)
    assert marked == (
        "---\r\ntitle: T\r\ndate: 2025-01-06\r\ndraft: true\r\nenglish_segments: 3\r\n"
        "---\r\n\r\nBody.\r\n"
    )
