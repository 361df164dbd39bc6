"""Cut an article body into translatable segments and a lossless skeleton.

Rules (the contract translators and the catalogs rely on):

* The body is CommonMark plus GFM tables, parsed by markdown-it-py.  Block
  tokens carry source line ranges; everything is cut from the source by those
  ranges, never regenerated from the parse tree.
* Translatable: headings, paragraphs, list items (nested too), block quotes,
  table cells, the alt text and title of a standalone image, and the titles of
  link reference definitions.  Code blocks, raw HTML blocks, thematic breaks,
  URLs and everything else stay in the skeleton as they are.  Inline code,
  links and HTML inside a sentence stay in that sentence's msgid, so the
  translator can move them; the checks make sure they come back intact.
* A block's soft line breaks become single spaces in the msgid, so reflowing
  the English does not invalidate translations.  A hard break (two trailing
  spaces or a backslash) ends a segment and is kept in the skeleton, where
  CommonMark makes it one: not inside a code span, raw HTML or a title.
* In ``sentence`` mode a block is split into sentences with sentencex; a
  boundary that would cut an inline span (emphasis, link, code, HTML) is
  dropped, which is detected by rendering both halves and comparing them with
  the rendering of the whole.
* The skeleton is a list of slots, each owning a span of the source.  A slot
  whose segments all come back untranslated (``None``) or equal to their
  msgid writes its original bytes, which is what makes assembly with the
  identity lookup byte-for-byte lossless.  Otherwise the block is rebuilt on
  one line per hard-break group: the first source line's prefix (list
  marker, quote markers, indentation), the translated sentences joined by
  single spaces, then the source's own line ending.
* A translation is escaped by position as it is inserted (`escape_line_start`,
  `encode_cell`, `encode_alt`, `encode_title`): at the start of a line,
  whatever would open a block (``- ``, ``2024. ``, ``#``, ``>``, a fence, a
  reference definition...) gets a backslash; ``|`` in a table cell, ``]`` in
  alt text and ``"`` in a title too; its line breaks become spaces.  Only
  translations are escaped, never the source's own text.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from .config import SEGMENT_MODES as SEGMENT_MODES  # re-exported
from .errors import ArticleError

#: A table cell that is only a number ("2023", "128.5", "1,234", "-2.4%") is
#: not an entry for translators: it never reaches a catalog (kind "number")
#: and is written in the locale's number format when an edition is
#: assembled (`workflow.site.localize_number`).
NUMBER_CELL = re.compile(r"([+\-−]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)")

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# markdown-it and sentencex are imported on first use: a no-op sync parses
# nothing.


_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
#: Characters that can open an inline span a sentence boundary could cut.
_SPAN_CHARS = frozenset("*_`[<!~")
#: Characters that can close one.
_CLOSE_CHARS = frozenset("*_`]>)~")
_HARD_BREAK_SPACES = re.compile(r"[ ]{2,}$")


@dataclass(frozen=True)
class Segment:
    """One translatable unit: one catalog entry's msgid at one place."""

    msgid: str
    msgctxt: str | None
    kind: str
    #: 1-based line in the article file where the segment starts.
    line: int
    #: What and where, for the catalog's ``#.`` comment.
    comment: str


@dataclass(frozen=True)
class SpanSlot:
    """A span of the source replaced by one segment's text, encoded."""

    start: int
    end: int
    segment: int
    encode: Callable[[str], str] | None = None

    @property
    def segments(self) -> Sequence[int]:
        return (self.segment,)

    def render(self, texts: Sequence[str], fresh: Sequence[bool] = ()) -> str:
        (text,) = texts
        return self.encode(text) if self.encode else text


@dataclass(frozen=True)
class LineGroup:
    """Source lines joined by soft breaks; written back as one line."""

    prefix: str
    segments: tuple[int, ...]
    #: What follows the text: a hard-break marker or trailing text, and the
    #: line ending.
    after: str


@dataclass(frozen=True)
class BlockSlot:
    """A block's text lines, rebuilt from its (translated) sentences."""

    start: int
    end: int
    groups: tuple[LineGroup, ...]
    #: An ATX heading (``## Title``): a closing run of ``#`` is escaped.
    atx: bool = False

    @property
    def segments(self) -> Sequence[int]:
        return tuple(i for group in self.groups for i in group.segments)

    def render(self, texts: Sequence[str], fresh: Sequence[bool] = ()) -> str:
        """The block's lines with ``texts`` in place.

        ``fresh[i]`` says that ``texts[i]`` is a translation rather than the
        source's own text: only a translation is escaped (`escape_line_start`),
        so the source's bytes come back as they were.
        """
        out: list[str] = []
        k = -1
        for group in self.groups:
            parts: list[str] = []
            for _seg in group.segments:
                k += 1
                text = _one_line(texts[k]).strip()
                if not text:
                    continue  # a sentence joined with the one before it ("=")
                if k < len(fresh) and fresh[k]:
                    if not parts:
                        text = escape_line_start(text)
                    if self.atx and k == len(texts) - 1:
                        text = _escape_closing_hashes(text)
                parts.append(text)
            out.append(group.prefix + " ".join(parts) + group.after)
        return "".join(out)


# -- escaping on assembly ------------------------------------------------------
#
# A translation is inserted where the source had text, and must stay text
# there: whatever would open a block at the start of a line is escaped with
# a backslash, and so are the characters that end a table cell, an image's
# alt text or a title.  Only those: every other character, and every escape
# the translator wrote, is kept as it is.

_NEWLINES = re.compile(r"[ \t]*(?:(?:\r\n|\r|\n)[ \t]*)+")
_BLOCK_START = re.compile(
    r"""(?:
      [-+*](?:[ \t]|$)              # a bullet list item
    | \#{1,6}(?:[ \t]|$)            # an ATX heading
    | >                             # a block quote
    | `{3,}[^`]*$ | ~{3,}           # a code fence (backticks: none after)
    | =+[ \t]*$ | -+[ \t]*$         # a setext underline
    | (?:[-*_][ \t]*){3,}$          # a thematic break
    | \[(?:[^\]\\]|\\.)+\]:         # a link reference definition
    )""",
    re.VERBOSE,
)
_ORDERED_START = re.compile(r"(\d{1,9})([.)])(?=[ \t]|$)")
_CLOSING_HASHES = re.compile(r"(?<=[ \t])#+[ \t]*$|^#+[ \t]*$")
_UNESCAPED = r"(?<!\\)((?:\\\\)*)"


def _one_line(text: str) -> str:
    """A translation on one line: its line breaks become spaces."""
    if "\n" not in text and "\r" not in text:
        return text
    return _NEWLINES.sub(" ", text)


def escape_line_start(text: str) -> str:
    """``text`` such that, at the start of a line, it opens no block."""
    if not text:
        return text
    match = _ORDERED_START.match(text)
    if match:
        return f"{match.group(1)}\\{text[match.end(1) :]}"
    if _BLOCK_START.match(text) or (text[0] == "<" and _opens_html_block(text)):
        return "\\" + text
    return text


def _opens_html_block(line: str) -> bool:
    from markdown_it.rules_block.html_block import HTML_SEQUENCES

    return any(opening.search(line) for opening, _closing, _ in HTML_SEQUENCES)


def _escape_closing_hashes(text: str) -> str:
    """An ATX heading's text ending in `` ##`` keeps its hashes."""
    match = _CLOSING_HASHES.search(text)
    if match is None:
        return text
    at = text.index("#", match.start())
    return f"{text[:at]}\\{text[at:]}"


def _escaper(chars: str) -> Callable[[str], str]:
    pattern = re.compile(_UNESCAPED + "([" + re.escape(chars) + "])")

    def encode(text: str) -> str:
        text = pattern.sub(r"\1\\\2", _one_line(text))
        # A lone backslash at the end would escape the delimiter after it.
        return text + "\\" if _odd_backslash(text) else text

    return encode


#: A table cell: ``|`` would end it.
encode_cell = _escaper("|")


def encode_first_cell(text: str) -> str:
    """A table cell that starts its line (a row without a leading pipe)."""
    return escape_line_start(encode_cell(text))


#: An image's alt text: a bracket would end it.
encode_alt = _escaper("[]")
#: A double-quoted title: ``"`` would end it.
encode_title = _escaper('"')


Slot = SpanSlot | BlockSlot


#: How deep lists and block quotes may nest (markdown-it's `maxNesting`,
#: 20 by default: list depth 10).  Deeper blocks are an error naming their
#: line: markdown-it would drop the rest of the article without a word.
NESTING = 100
_TOO_DEEP = "edition: too deep"


def _guard_nesting(md: MarkdownIt) -> MarkdownIt:
    """Make ``md`` note, in the parse's env, the line where nesting ran out."""
    md.options["maxNesting"] = NESTING
    tokenize = md.block.tokenize

    def guarded(state: Any, start: int, end: int) -> None:
        if state.level >= NESTING and _TOO_DEEP not in state.env:
            line = state.skipEmptyLines(start)
            if line < end and state.sCount[line] >= state.blkIndent:
                state.env[_TOO_DEEP] = line
        tokenize(state, start, end)

    md.block.tokenize = guarded  # type: ignore[method-assign,assignment]
    return md


def too_deep(env: dict[str, Any]) -> int | None:
    """The 0-based line where a parse with this env ran out of nesting, if it did."""
    line = env.get(_TOO_DEEP)
    return line if isinstance(line, int) else None


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The one Markdown dialect of the project: CommonMark with GFM tables."""
    from markdown_it import MarkdownIt

    return _guard_nesting(MarkdownIt("commonmark", {"html": True}).enable("table"))


@lru_cache(maxsize=1)
def block_parser() -> MarkdownIt:
    """`markdown_parser` without parsing inline content.

    Segmenting reads only block tokens (their line maps and raw inline
    content) and the reference definitions the block parse collects;
    inline children are needed only for the one paragraph shape that can be
    a standalone image, and `_Builder.standalone_image` parses those itself,
    as the core "inline" rule would, with the same references.  Skipping
    the inline pass of every other block is a third of the parsing time.
    """
    from markdown_it import MarkdownIt

    md = _guard_nesting(MarkdownIt("commonmark", {"html": True}).enable("table"))
    md.core.ruler.disable(["inline", "text_join"])
    return md


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split exactly as CommonMark does (LF, CR, CRLF)."""
    return _LINE_RE.findall(text)


def _strip_eol(line: str) -> tuple[str, str]:
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith(("\n", "\r")):
        return line[:-1], line[-1]
    return line, ""


#: `_Builder.sentences` of texts rendered without link references, by text.
_SENTENCES: dict[str, tuple[tuple[int, str], ...]] = {}
_SENTENCES_MAX = 20_000
#: The version of the sentence rules (`_Builder._sentences` and what it
#: calls): change it with them, and the splits stored by earlier syncs
#: (`workflow.sentcache`) are no longer used.
SENTENCE_RULES = "1"


class SplitStore(Protocol):
    """Splits kept between runs (`workflow.sentcache.SentenceStore`)."""

    def get(self, text: str) -> tuple[tuple[int, str], ...] | None:
        """A split recorded earlier, or None."""

    def put(self, text: str, split: tuple[tuple[int, str], ...]) -> None:
        """Record that this text was split so (found or computed)."""


#: The store `sentences` consults after `_SENTENCES` (see `split_store`).
_STORE: SplitStore | None = None


@contextmanager
def split_store(store: SplitStore | None) -> Iterator[None]:
    """Within the block, sentence splits are also looked up in, and new ones
    given to, ``store``."""
    global _STORE
    previous, _STORE = _STORE, store
    try:
        yield
    finally:
        _STORE = previous


class _Builder:
    """Collects segments and slots while walking one body."""

    def __init__(
        self,
        body: str,
        first_line: int,
        offset: int,
        mode: str,
        base: int = 0,
        lines: list[str] | None = None,
    ) -> None:
        self.lines = split_lines(body) if lines is None else lines
        self.first_line = first_line
        #: Each line's offset in the file text, and where the body ends.
        self.starts = list(itertools.accumulate(map(len, self.lines), initial=offset))
        self.end = self.starts.pop()
        self.mode = mode
        #: The number of the first segment (`segment_body`'s ``base``).
        self.base = base
        self.segments: list[Segment] = []
        self.slots: list[Slot] = []
        self.env: dict[str, Any] = {}

    # -- helpers -------------------------------------------------------
    def file_line(self, body_line: int) -> int:
        return self.first_line + body_line

    def line_start(self, body_line: int) -> int:
        return self.starts[body_line] if body_line < len(self.starts) else self.end

    def add_segment(self, msgid: str, kind: str, body_line: int, comment: str) -> int:
        self.segments.append(Segment(msgid, None, kind, self.file_line(body_line), comment))
        return self.base + len(self.segments) - 1

    # -- sentences -----------------------------------------------------
    def sentences(self, text: str) -> list[tuple[int, str]]:
        """(offset, sentence) pairs of a normalized block text."""
        if self.mode == "block":
            return [(0, text)]
        if self.env:
            # Link reference definitions change how the text renders, and so
            # which boundaries `_clean_boundary` keeps: not shareable.
            return self._sentences(text)
        # Without them the result depends on the text alone, and the same
        # texts recur across articles (boilerplate, footers).
        store = _STORE
        found = _SENTENCES.get(text)
        if found is None:
            found = None if store is None else store.get(text)
            if found is None:
                found = tuple(self._sentences(text))
            if len(_SENTENCES) >= _SENTENCES_MAX:
                _SENTENCES.clear()
            _SENTENCES[text] = found
        if store is not None:
            store.put(text, found)
        return list(found)

    def _sentences(self, text: str) -> list[tuple[int, str]]:
        from sentencex import segment as sentencex_segment

        parts = list(sentencex_segment("en", text))
        if len(parts) <= 1:
            return [(0, text)]
        bounds: list[int] = []
        pos = 0
        for part in parts[:-1]:
            pos += len(part)
            bounds.append(pos)
        bounds = [_shift_past_closers(text, b) for b in bounds if not _after_abbreviation(text, b)]
        if bounds and _SPAN_CHARS.intersection(text):
            whole: list[str] = []  # rendered once, on the first boundary that needs it
            bounds = [b for b in bounds if self._clean_boundary(text, b, whole)]
        out: list[tuple[int, str]] = []
        prev = 0
        for b in [*bounds, len(text)]:
            piece = text[prev:b]
            lead = len(piece) - len(piece.lstrip())
            if piece.strip():
                out.append((prev + lead, piece.strip()))
            prev = b
        return out

    def _clean_boundary(self, text: str, bound: int, whole: list[str]) -> bool:
        left, right = text[:bound], text[bound:]
        sep_left = left.rstrip()
        sep = left[len(sep_left) :]
        if not sep:
            return False
        # No span can cross the boundary if nothing on the left can open one
        # or nothing on the right can close one.
        if not _SPAN_CHARS.intersection(sep_left) or not _CLOSE_CHARS.intersection(right):
            return True
        if "<" in sep_left and _open_html(sep_left):
            return False
        md = markdown_parser()
        if not whole:
            whole.append(md.renderInline(text, dict(self.env)))
        halves = (
            md.renderInline(sep_left, dict(self.env)) + sep + md.renderInline(right, dict(self.env))
        )
        return bool(whole[0] == halves)

    # -- blocks --------------------------------------------------------
    def text_block(
        self, first: int, content: str, kind: str, label: str, atx: bool = False
    ) -> None:
        """Map an inline token's content back onto its source lines."""
        if "\n" in content:
            self._lines_block(first, content, kind, label, atx)
        else:
            self._one_line_block(first, content, kind, label, atx)

    def _lines_block(self, first: int, content: str, kind: str, label: str, atx: bool) -> None:
        """`text_block` of a block on any number of lines."""
        pieces = content.split("\n")
        positions: list[tuple[int, int]] = []  # (start, end) of each piece in its raw line
        for i, piece in enumerate(pieces):
            if first + i >= len(self.lines):
                return
            raw, _eol = _strip_eol(self.lines[first + i])
            found = _locate(raw, piece, atx and i == 0)
            if found is None:
                # markdown-it rewrote the line (tabs expanded, NUL replaced):
                # keep the block as it is rather than guess.
                return
            positions.append((found, found + len(piece)))

        # Lines ending in a hard break close a group: where CommonMark makes
        # one, not inside a code span, raw HTML or a link's title.
        breaks = [
            i
            for i, piece in enumerate(pieces[:-1])
            if _HARD_BREAK_SPACES.search(piece) or _odd_backslash(piece)
        ]
        if breaks:
            real = hard_break_lines(content, self.env)
            breaks = [i for i in breaks if i in real]
        group_ranges: list[tuple[int, int]] = []
        start = 0
        for b in breaks:
            group_ranges.append((start, b))
            start = b + 1
        group_ranges.append((start, len(pieces) - 1))

        groups: list[LineGroup] = []
        multi = len(group_ranges) > 1
        for gnum, (g0, g1) in enumerate(group_ranges, start=1):
            texts: list[str] = []
            line_at: list[tuple[int, int]] = []  # (offset in group text, body line)
            end_in_raw = positions[g1][1]
            for i in range(g0, g1 + 1):
                piece = pieces[i]
                if i == g1 and i != len(pieces) - 1:
                    stripped = piece.rstrip(" ")
                    if stripped.endswith("\\") and _odd_backslash(stripped):
                        stripped = stripped[:-1]
                    end_in_raw = positions[i][0] + len(stripped)
                    piece = stripped
                piece = piece.strip(" \t")
                if not piece:
                    continue
                offset = sum(len(t) + 1 for t in texts)
                texts.append(piece)
                line_at.append((offset, first + i))
            group_text = " ".join(texts)
            raw0, _ = _strip_eol(self.lines[first + g0])
            rawn, eoln = _strip_eol(self.lines[first + g1])
            prefix = raw0[: positions[g0][0]]
            after = rawn[end_in_raw:] + eoln
            seg_ids: list[int] = []
            if group_text:
                sents = self.sentences(group_text)
                offs = [o for o, _ in line_at]
                for snum, (off, sent) in enumerate(sents, start=1):
                    body_line = line_at[max(0, bisect_right(offs, off) - 1)][1]
                    where = label
                    if multi:
                        where += f", line {gnum}"
                    if len(sents) > 1:
                        where += f", sentence {snum}"
                    seg_ids.append(self.add_segment(sent, kind, body_line, where))
            groups.append(LineGroup(prefix, tuple(seg_ids), after))
        last = first + len(pieces) - 1
        self.slots.append(
            BlockSlot(self.line_start(first), self.line_start(last + 1), tuple(groups), atx)
        )

    def _one_line_block(self, first: int, content: str, kind: str, label: str, atx: bool) -> None:
        """`text_block` of a block on one line (most paragraphs and headings):
        the same slot and segments, without the bookkeeping of line groups."""
        if first >= len(self.lines):
            return
        raw, eol = _strip_eol(self.lines[first])
        found = _locate(raw, content, atx)
        if found is None:
            return
        text = content.strip(" \t")
        seg_ids: list[int] = []
        if text:
            sents = self.sentences(text)
            if len(sents) == 1:
                seg_ids.append(self.add_segment(sents[0][1], kind, first, label))
            else:
                for snum, (_off, sent) in enumerate(sents, start=1):
                    where = f"{label}, sentence {snum}"
                    seg_ids.append(self.add_segment(sent, kind, first, where))
        group = LineGroup(raw[:found], tuple(seg_ids), raw[found + len(content) :] + eol)
        self.slots.append(
            BlockSlot(self.line_start(first), self.line_start(first + 1), (group,), atx)
        )

    def table_row(self, body_line: int, cells: list[str], label: str) -> None:
        raw, _eol = _strip_eol(self.lines[body_line])
        # markdown-it drops cells past the header's count and pads short rows
        # with empty ones; anything else means the row cannot be mapped safely.
        spans = _cell_spans(raw)[: len(cells)]
        found = [_unescape_pipes(raw[a:b]) for a, b in spans]
        if found != cells[: len(found)] or any(cells[len(found) :]):
            return
        base = self.line_start(body_line)
        for col, (a, b) in enumerate(spans[: len(cells)], start=1):
            text = raw[a:b]
            if not text:
                continue
            kind = "number" if NUMBER_CELL.fullmatch(text.strip()) else "table_cell"
            seg = self.add_segment(text, kind, body_line, f"{label}, column {col}")
            # A row without a leading pipe starts with its first cell.
            at_start = not raw[:a].strip(" \t>")
            encode = encode_first_cell if at_start else encode_cell
            self.slots.append(SpanSlot(base + a, base + b, seg, encode))

    def standalone_image(self, body_line: int, token: Token, label: str) -> bool:
        """Alt text and title of an image that is a paragraph of its own."""
        if "![" not in token.content:
            return False  # no image without its opening "!["
        # What the core "inline" and "text_join" rules make of this block's
        # content (parseInline runs both), with the document's references.
        (inline,) = markdown_parser().parseInline(token.content, self.env)
        children = [c for c in (inline.children or []) if not (c.type == "text" and not c.content)]
        if len(children) != 1 or children[0].type != "image":
            return False
        if token.map is None or token.map[1] - token.map[0] != 1:
            return False
        raw, _eol = _strip_eol(self.lines[body_line])
        match = _IMAGE_RE.search(raw)
        if match is None:
            return False
        image = children[0]
        title = image.attrGet("title")
        if title and match.group("title") is None:
            return False
        base = self.line_start(body_line)
        alt_start, alt_end = match.span("alt")
        if raw[alt_start:alt_end].strip():
            seg = self.add_segment(
                raw[alt_start:alt_end], "image_alt", body_line, f"{label}, alt text"
            )
            self.slots.append(SpanSlot(base + alt_start, base + alt_end, seg, encode_alt))
        if match.group("title"):
            t_start, t_end = match.span("title")
            seg = self.add_segment(raw[t_start:t_end], "link_title", body_line, f"{label}, title")
            self.slots.append(SpanSlot(base + t_start, base + t_end, seg, encode_title))
        return True

    def reference_titles(self, covered: set[int]) -> None:
        references = self.env.get("references", {})
        if not references:
            return
        for i, line in enumerate(self.lines):
            if i in covered:
                continue
            raw, _eol = _strip_eol(line)
            match = _REFDEF_RE.match(raw)
            if not match:
                continue
            label = match.group("label")
            title_span = match.span("title")
            if title_span[0] < 0 or not match.group("title").strip():
                continue
            key = _normalize_label(label)
            if key not in references or not references[key].get("title"):
                continue
            base = self.line_start(i)
            seg = self.add_segment(
                match.group("title"), "link_title", i, f"link reference [{label}], title"
            )
            self.slots.append(
                SpanSlot(base + title_span[0], base + title_span[1], seg, encode_title)
            )


_IMAGE_RE = re.compile(
    r"^\s*(?:>\s?)*\s*!\[(?P<alt>(?:[^\[\]\\]|\\.)*)\]\(\s*(?:<[^>\n]*>|[^\s()]+)"
    r"(?:\s+(?:\"(?P<title>(?:[^\"\\]|\\.)*)\"|'(?P<title2>(?:[^'\\]|\\.)*)'))?\s*\)\s*$"
)
_REFDEF_RE = re.compile(
    r"^ {0,3}\[(?P<label>(?:[^\[\]\\]|\\.)+)\]:[ \t]*(?:<[^>\n]*>|\S+)[ \t]+"
    r"\"(?P<title>(?:[^\"\\]|\\.)*)\"[ \t]*$"
)


#: Abbreviations sentencex does not know, lowercased; a boundary right after
#: one of them is not a sentence end.  Months and titles are common in news.
ABBREVIATIONS = frozenset(
    """
    approx. appr. ca. cf. e.g. i.e. vs. viz. no. nos. fig. vol. pp. p. art. para.
    mr. mrs. ms. dr. prof. st. gen. col. lt. maj. capt. sgt. gov. sen. rep. rev. hon.
    pres. jr. sr. inc. ltd. co. corp. dept. est. min. max. govt. univ. assn.
    jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec.
    mon. tue. tues. wed. thu. thurs. fri. sat. sun.
    """.split()
)
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")
_CLOSERS = re.compile(r"[*_`)\]\"'”’»]+\s+")


def _after_abbreviation(text: str, bound: int) -> bool:
    left = text[:bound].rstrip()
    last = left.rsplit(None, 1)[-1] if left else ""
    stripped = last.lstrip("([\"'“‘«*_")
    return stripped.lower() in ABBREVIATIONS or bool(_INITIAL.search(left))


def _shift_past_closers(text: str, bound: int) -> int:
    """Move a boundary past closing markup glued to the sentence end.

    sentencex splits ``*One.* Two`` after the period; the span closes after it.
    """
    match = _CLOSERS.match(text, bound)
    if match and not text[bound - 1 : bound].isspace():
        return match.end()
    return bound


@lru_cache(maxsize=1)
def _break_parser() -> MarkdownIt:
    """`markdown_parser` whose inline parse records where hard breaks are."""
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import escape, newline
    from markdown_it.rules_inline.state_inline import StateInline

    def wrap(rule: Callable[[StateInline, bool], bool], at: int) -> Any:
        def recording(state: StateInline, silent: bool) -> bool:
            pos, count = state.pos, len(state.tokens)
            found = rule(state, silent)
            top = state.env.get("_break_src")
            if (
                found
                and not silent
                and state.src == top
                and len(state.tokens) > count
                and state.tokens[-1].type == "hardbreak"
            ):
                state.env["_breaks"].append(pos + at)
            return found

        return recording

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.inline.ruler.at("newline", wrap(newline, 0))
    md.inline.ruler.at("escape", wrap(escape, 1))
    return md


def hard_break_lines(content: str, env: dict[str, Any]) -> set[int]:
    """The lines of an inline ``content`` that end in a hard break (0-based)."""
    scratch = dict(env)
    scratch["_break_src"] = content
    scratch["_breaks"] = []
    md = _break_parser()
    # Image alt text is parsed from a shorter string: its breaks are not ours.
    md.parseInline(content, scratch)
    return {content.count("\n", 0, pos) for pos in scratch["_breaks"]}


_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def _open_html(text: str) -> bool:
    """Whether inline HTML opened in ``text`` is still open at its end.

    Raw HTML renders verbatim, so the rendering comparison cannot see a
    boundary between ``<span>`` and ``</span>``.
    """
    depth = 0
    for closing, name, selfclosing in _HTML_TAG.findall(text):
        if selfclosing or name.lower() in _VOID:
            continue
        depth += -1 if closing else 1
    return depth > 0


def _normalize_label(label: str) -> str:
    return " ".join(label.strip().split()).casefold().upper()


def _odd_backslash(text: str) -> bool:
    count = len(text) - len(text.rstrip("\\"))
    return count % 2 == 1


def _locate(raw: str, piece: str, atx: bool) -> int | None:
    """Where an inline content line starts in its raw source line."""
    if atx:
        hashes = raw.find("#")
        if hashes < 0:
            return None
        after = hashes
        while after < len(raw) and raw[after] == "#":
            after += 1
        found = raw.find(piece, after)
        return found if found >= 0 else None
    # Content is the end of the line, up to trailing whitespace.
    tail = len(raw) - len(raw.rstrip(" \t"))
    for extra in range(tail + 1):
        start = len(raw) - extra - len(piece)
        if start < 0:
            break
        if raw[start : start + len(piece)] == piece and not raw[start + len(piece) :].strip(" \t"):
            return start
    return None


def _cell_spans(row: str) -> list[tuple[int, int]]:
    """Stripped cell spans of a table row, split as markdown-it's escapedSplit."""
    spans: list[tuple[int, int]] = []
    # Leading container markers and indentation are not part of the row.
    lead = len(row) - len(row.lstrip(" \t>"))
    start = lead
    escaped = False
    for pos in range(lead, len(row)):
        ch = row[pos]
        if ch == "|" and not escaped:
            spans.append((start, pos))
            start = pos + 1
        escaped = ch == "\\"
    spans.append((start, len(row)))
    if spans and spans[0][0] == spans[0][1]:
        spans.pop(0)
    if spans and spans[-1][0] == spans[-1][1]:
        spans.pop()
    out: list[tuple[int, int]] = []
    for a, b in spans:
        text = row[a:b]
        a2 = a + (len(text) - len(text.lstrip(" \t")))
        b2 = b - (len(text) - len(text.rstrip(" \t")))
        out.append((a2, max(a2, b2)))
    return out


def _unescape_pipes(text: str) -> str:
    return text.replace("\\|", "|")


def segment_body(
    body: str,
    first_line: int = 1,
    offset: int = 0,
    mode: str = "sentence",
    base: int = 0,
    lines: list[str] | None = None,
) -> tuple[list[Segment], list[Slot]]:
    """Segments and slots of a Markdown body.

    ``first_line`` is the file line of the body's first line and ``offset``
    the body's position in the file text, so that lines and slot spans refer
    to the whole file.  The slots number the segments from ``base`` (the
    front matter's segments come first in an article).  ``lines``:
    `split_lines` of the body, if the caller has them.
    """
    if mode not in SEGMENT_MODES:
        raise ValueError(f"unknown segment mode {mode!r}")
    b = _Builder(body, first_line, offset, mode, base, lines)
    tokens = block_parser().parse(body, b.env)
    deep = too_deep(b.env)
    if deep is not None:
        raise ArticleError(
            f"lists or block quotes nested more than {NESTING} levels deep",
            line=first_line + deep,
            hint="nest less: the text from this line on would be lost",
        )
    containers: list[str] = []
    counters = {"paragraph": 0, "heading": 0, "list_item": 0, "quote": 0, "table": 0, "image": 0}
    paragraphs_in: list[int] = []  # paragraphs seen in each open container
    table_row = 0
    in_head = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        if t == "blockquote_open":
            counters["quote"] += 1
            containers.append(f"quote {counters['quote']}")
            paragraphs_in.append(0)
        elif t == "list_item_open":
            counters["list_item"] += 1
            containers.append(f"list item {counters['list_item']}")
            paragraphs_in.append(0)
        elif t in ("blockquote_close", "list_item_close"):
            containers.pop()
            paragraphs_in.pop()
        elif t == "table_open":
            counters["table"] += 1
            table_row = 0
        elif t == "thead_open":
            in_head = True
        elif t == "thead_close":
            in_head = False
        elif t == "tr_open":
            cells: list[str] = []
            j = i + 1
            while tokens[j].type != "tr_close":
                if tokens[j].type == "inline":
                    cells.append(tokens[j].content)
                j += 1
            if tok.map is not None:
                row = "header" if in_head else f"row {table_row + 1}"
                b.table_row(tok.map[0], cells, f"table {counters['table']}, {row}")
            if not in_head:
                table_row += 1
            i = j
        elif t == "inline" and i > 0 and tok.map is not None:
            opener = tokens[i - 1]
            first = tok.map[0]
            if opener.type == "heading_open":
                counters["heading"] += 1
                b.text_block(
                    first,
                    tok.content,
                    "heading",
                    f"heading {counters['heading']}",
                    atx=opener.markup.startswith("#"),
                )
            elif opener.type == "paragraph_open":
                if containers:
                    paragraphs_in[-1] += 1
                    top = containers[-1]
                    kind = "list_item" if top.startswith("list") else "quote"
                    label = (
                        top if paragraphs_in[-1] == 1 else f"{top}, paragraph {paragraphs_in[-1]}"
                    )
                else:
                    kind = "paragraph"
                    label = f"paragraph {counters['paragraph'] + 1}"
                if b.standalone_image(first, tok, f"image {counters['image'] + 1}"):
                    counters["image"] += 1
                else:
                    if not containers:
                        counters["paragraph"] += 1
                    b.text_block(first, tok.content, kind, label)
        i += 1
    if b.env.get("references"):
        covered: set[int] = set()
        for tok in tokens:
            if tok.map is not None:
                covered.update(range(tok.map[0], tok.map[1]))
        b.reference_titles(covered)
    slots = b.slots
    numbers = [s for slot in slots for s in slot.segments]
    if numbers == list(range(base, base + len(numbers))) and all(
        slots[k].start < slots[k + 1].start for k in range(len(slots) - 1)
    ):
        return _under_headings(b.segments), slots  # already in document order, as usual
    # Segment order is document order: renumber by slot order.  (Reference
    # titles come last from the builder, wherever their definitions are.)
    slots = sorted(slots, key=lambda slot: slot.start)
    new_index: dict[int, int] = {}
    segments: list[Segment] = []
    for slot in slots:
        for s in slot.segments:
            new_index[s] = base + len(segments)
            segments.append(b.segments[s - base])
    return _under_headings(segments), [_renumber(slot, new_index) for slot in slots]


def _under_headings(segments: list[Segment]) -> list[Segment]:
    """Each segment's comment names the heading it sits under
    (``paragraph 4, sentence 2, under "What the plan contains"``): a
    translator in Poedit sees one entry at a time, and "paragraph 4" alone
    says nothing about what the text is about."""
    heading: str | None = None
    parts: list[str] = []
    current = ""
    out: list[Segment] = []
    for seg in segments:
        if seg.kind == "heading":
            label = seg.comment.split(",", 1)[0]
            if label != current:
                current, parts = label, []
            parts.append(seg.msgid)
            heading = " ".join(parts)
            out.append(seg)
            continue
        current = ""
        if heading is None:
            out.append(seg)
            continue
        shown = heading if len(heading) <= 60 else heading[:59] + "…"
        out.append(
            Segment(seg.msgid, seg.msgctxt, seg.kind, seg.line, f'{seg.comment}, under "{shown}"')
        )
    return out


def _renumber(slot: Slot, index: dict[int, int]) -> Slot:
    if isinstance(slot, SpanSlot):
        return SpanSlot(slot.start, slot.end, index[slot.segment], slot.encode)
    groups = tuple(
        LineGroup(g.prefix, tuple(index[s] for s in g.segments), g.after) for g in slot.groups
    )
    return BlockSlot(slot.start, slot.end, groups, slot.atx)


def assemble_text(
    text: str,
    segments: Sequence[Segment],
    skeleton: Sequence[Slot],
    lookup: Callable[[Segment], str | None],
    start: int = 0,
    end: int | None = None,
) -> str:
    """``text`` with each segment replaced by ``lookup(segment)``, escaped
    for its place.

    ``None`` (or the msgid itself) keeps the source text; a slot whose
    segments are all kept writes its original bytes.  ``start`` and ``end``:
    only that part of the text (``skeleton``: the slots inside it).
    """
    out: list[str] = []
    pos = start
    for slot in skeleton:
        out.append(text[pos : slot.start])
        indices = slot.segments
        found = [lookup(segments[i]) for i in indices]
        fresh = [
            t is not None and t != segments[i].msgid for t, i in zip(found, indices, strict=True)
        ]
        if not any(fresh):
            out.append(text[slot.start : slot.end])
        else:
            texts = [
                t if t is not None else segments[i].msgid
                for t, i in zip(found, indices, strict=True)
            ]
            out.append(slot.render(texts, fresh))
        pos = slot.end
    out.append(text[pos:end])
    return "".join(out)
