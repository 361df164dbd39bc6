"""Segmentation and the lossless skeleton, on golden cases and samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow import Segment, load_article, parse_article
from workflow.segment import block_parser, markdown_parser

from .conftest import GOLDEN, ROOT, check_golden

CASES = sorted((GOLDEN / "segment").glob("*.md"))
SAMPLES = sorted((ROOT / "articles").glob("*.md"))


def pseudo(segment: Segment) -> str | None:
    """A fake translation that keeps markup, like Sphinx's test locale.
    Number-only cells are not translated (they are never in a catalog)."""
    return None if segment.kind == "number" else "Ж" + segment.msgid


def describe(segments: tuple[Segment, ...]) -> str:
    rows = [
        {
            "line": s.line,
            "kind": s.kind,
            "msgctxt": s.msgctxt,
            "comment": s.comment,
            "msgid": s.msgid,
        }
        for s in segments
    ]
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


@pytest.mark.parametrize("path", CASES + SAMPLES, ids=lambda p: p.stem)
def test_identity_lookups_reproduce_the_file_byte_for_byte(path: Path) -> None:
    article = load_article(path)
    assert article.assemble(lambda s: None) == article.text
    assert article.assemble(lambda s: s.msgid) == article.text
    assert article.text.encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_segments_match_golden(path: Path) -> None:
    check_golden(path.with_suffix(".segments.json"), describe(load_article(path).segments))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_pseudo_translation_matches_golden(path: Path) -> None:
    article = load_article(path)
    out = article.assemble(pseudo)
    check_golden(path.with_suffix(".pseudo.md.txt"), out)


@pytest.mark.parametrize("path", CASES + SAMPLES, ids=lambda p: p.stem)
def test_translation_keeps_structure(path: Path) -> None:
    """Translated output is Markdown of the same shape: same kinds, same segments."""
    source = load_article(path, mode="block")
    translated = parse_article(source.assemble(pseudo), path=str(path), mode="block")
    assert [s.kind for s in translated.segments] == [s.kind for s in source.segments]
    assert [s.msgid for s in translated.segments] == [pseudo(s) or s.msgid for s in source.segments]
    assert [s.msgctxt for s in translated.segments] == [s.msgctxt for s in source.segments]


def test_translated_front_matter_is_valid_yaml() -> None:
    article = load_article(GOLDEN / "segment" / "front-matter-styles.md")
    tricky = {
        "title": 'Мінск і Масква: "новы" падатковы кодэкс',
        "lead": "Lead: with a colon # and a hash",
        "section": "It's 'quoted'",
    }
    out = article.assemble(lambda s: tricky.get(s.msgctxt or ""))
    front = yaml.safe_load(out.split("---\n")[1])
    assert front["title"] == tricky["title"]
    assert front["lead"] == tricky["lead"]
    assert front["section"] == tricky["section"]
    assert front["x_custom_field"] == "kept as it is"
    assert "# The editors keep this comment." in out
    # Untouched keys keep their exact source lines.
    assert 'authors: [Anna Kavalenka, "Ihar Sidarenka"]\n' in out


def test_sentences_are_joined_with_single_spaces_and_prefixes_kept() -> None:
    text = "---\ntitle: T\ndate: 2024-01-01\n---\n\n> One. Two\n> three.\n\n- Four.  Five.\n"
    article = parse_article(text)
    assert [s.msgid for s in article.segments] == ["T", "One.", "Two three.", "Four.", "Five."]
    out = article.assemble(lambda s: s.msgid.upper())
    assert out.endswith("---\n\n> ONE. TWO THREE.\n\n- FOUR. FIVE.\n")


def test_soft_breaks_become_spaces_and_reflow_keeps_msgids() -> None:
    wrapped = "---\ntitle: T\ndate: 2024-01-01\n---\n\nA long\nsentence wrapped\n  here.\n"
    flat = "---\ntitle: T\ndate: 2024-01-01\n---\n\nA long sentence wrapped here.\n"
    assert [s.msgid for s in parse_article(wrapped).segments] == [
        s.msgid for s in parse_article(flat).segments
    ]


def test_block_mode_keeps_blocks_whole() -> None:
    text = "---\ntitle: T\ndate: 2024-01-01\n---\n\nOne. Two. Three.\n"
    assert [s.msgid for s in parse_article(text, mode="block").segments][1:] == ["One. Two. Three."]
    assert [s.msgid for s in parse_article(text).segments][1:] == ["One.", "Two.", "Three."]


def test_inline_spans_are_never_split() -> None:
    text = (
        "---\ntitle: T\ndate: 2024-01-01\n---\n\n"
        "Start **bold. Still bold** end. A [link. Text](https://example.org/x. y) end. "
        "Code `a. B` end. HTML <span>x. Y</span> end.\n"
    )
    msgids = [s.msgid for s in parse_article(text).segments][1:]
    assert msgids == [
        "Start **bold. Still bold** end.",
        "A [link. Text](https://example.org/x. y) end.",
        "Code `a. B` end.",
        "HTML <span>x. Y</span> end.",
    ]


def test_lines_point_into_the_file() -> None:
    article = load_article(GOLDEN / "segment" / "sentences.md")
    lines = article.text.split("\n")
    for segment in article.segments[1:]:
        first_word = segment.msgid.split()[0].lstrip("*[`")
        assert first_word in lines[segment.line - 1], segment


_INLINE_DOCS = [
    '![Alt *text*](https://example.org/a.png "A title")\n',
    "![ref image][pic]\n\n[pic]: https://example.org/p.png 'Pic title'\n",
    "Text with \\![no image](x.png) and `![code](x)`.\n",
    '- ![In a list](a.png)\n- item with ![inline](b.png) image\n\n> ![quoted](q.png "t")\n',
    "| a | b |\n|---|---|\n| ![cell](c.png) | **x** |\n\n# Heading ![h](h.png)\n",
    "![a](b.png)\\\nline two\n\n![](empty.png)\n\n![x](<a b.png>)  \n",
    'Para with [link][ref] and ![img][ref].\n\n[ref]: /url "title"\n',
]


@pytest.mark.parametrize("body", _INLINE_DOCS)
def test_block_only_parse_matches_the_full_parse(body: str) -> None:
    """Skipping the inline pass changes no block token, and parsing one block's
    content on demand gives the children the full parse gives it."""
    full_env: dict[str, object] = {}
    full = markdown_parser().parse(body, full_env)
    env: dict[str, object] = {}
    blocks = block_parser().parse(body, env)
    assert env == full_env
    assert [(t.type, t.map, t.content, t.markup, t.info) for t in blocks] == [
        (t.type, t.map, t.content, t.markup, t.info) for t in full
    ]
    for token in full:
        if token.type != "inline":
            continue
        (again,) = markdown_parser().parseInline(token.content, env)
        assert [(c.type, c.content, c.attrs) for c in again.children or []] == [
            (c.type, c.content, c.attrs) for c in token.children or []
        ]


_ONE_LINE_DOCS = [
    "# Title #\n\nPara one. Para two.\n",
    "##   Spaced heading   ##  \n",
    "Setext heading\n==============\n\nText.\n",
    "- item one. Second sentence.\n- item two\n\n> quoted. Still quoted.\n",
    "1. first\n2) second\n\n   indented para\n",
    "Trailing spaces at the end  \n\nTab\tinside\t\n",
    "> > nested quote. With two sentences.\n>\n> and a lazy\ncontinuation\n",
    "   # indented heading\n\n\tcode block\n\nAfter code.\n",
    "Text with `code. Not a sentence.` and *emphasis. Across.* end.\n",
    "| a | b |\n|---|---|\n| c | d |\n\nPara after table.\n",
    "Line one  \nLine two\\\nLine three\n",
    "Dr. Smith met Gen. Jones on Jan. 5. They talked.\n",
    "#\n\n#    \n\n- \n\n>\n",
    "Ends without a newline. Really",
    "Windows line.\r\n\r\nOld Mac line.\rNext.\r",
]


def _both_paths(body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow import segment as seg

    fast = seg.segment_body(body, 5, 40, base=2)
    with monkeypatch.context() as m:
        m.setattr(seg._Builder, "_one_line_block", seg._Builder._lines_block)
        general = seg.segment_body(body, 5, 40, base=2)
    assert fast == general


@pytest.mark.parametrize("body", _ONE_LINE_DOCS + _INLINE_DOCS)
def test_one_line_blocks_take_a_shortcut_to_the_same_result(
    body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_Builder._one_line_block` gives exactly the segments and slots that
    the general `_lines_block` gives for a block on one line."""
    _both_paths(body, monkeypatch)


def test_one_line_shortcut_on_every_sample_article(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted((ROOT / "articles").glob("*.md")) + sorted((GOLDEN / "segment").glob("*.md"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        _both_paths(body, monkeypatch)


_LINE_STARTS = ["", "# ", "## ", "- ", "* ", "1. ", "> ", "> - ", "    ", "\t", "   ", "#"]
_LINE_WORDS = [
    "Word",
    "two. Then",
    "Dr.",
    "*em",
    "em*",
    "`co",
    "de`",
    "[l](u)",
    "x  ",
    "#",
    "|",
    "\\",
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(_LINE_STARTS),
            st.lists(st.sampled_from(_LINE_WORDS), max_size=6),
            st.sampled_from(["\n", "\n\n", "  \n", "\r\n"]),
        ),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=300, derandomize=True, database=None, deadline=None)
def test_one_line_shortcut_on_generated_bodies(
    lines: list[tuple[str, list[str], str]],
) -> None:
    body = "".join(start + " ".join(words) + end for start, words, end in lines)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both_paths(body, monkeypatch)


def test_comments_name_the_heading_a_segment_sits_under() -> None:
    article = load_article(ROOT / "articles" / "week-47-labour-shortages.md")
    by_text = {s.msgid: s.comment for s in article.segments}
    assert by_text["The shortage has several causes."] == (
        'paragraph 2, sentence 1, under "The week in brief"'
    )
    assert by_text["The week in brief"] == "heading 1"
    assert by_text["Society"] == "front matter: section"
    later = [s for s in article.segments if s.kind == "paragraph"][-1]
    assert "under" in later.comment and "The week in brief" not in later.comment
