"""Merge a catalog sync wrote itself, from its text, parsing only what changed.

When an article changes, most of its catalog's entries keep their English:
`merge` would carry each one over unchanged but for its ``#.`` comment and
``#:`` references, which come from the new template.  Parsing every entry of
the old catalog to do that, and rendering every entry again, is most of the
cost of a sync after an edit.  `splice` does the same merge on the text:

* The old catalog must be sync's own output (the caller checks its content
  hash against the state sync recorded), so each of its entry blocks is
  exactly the rendering of the entry it holds, in the order `_entry_lines`
  writes lines: translator comments (``#``), extracted comments and
  references (``#.``, ``#:``), flags (``#,``), previous fields (``#|``),
  msgctxt and msgid, then msgstr.
* An active, singular old block whose msgctxt and msgid lines are
  character for character those of a template entry's block holds that
  entry's key.  Carried over (`catalog._carry`), its rendering is the old
  block with the template's ``#.`` and ``#:`` lines in place of its own:
  every other line comes from the old entry's own fields, rendered as
  before.  So those blocks are copied, not parsed or rendered.
* Everything else (blocks of changed or removed text, obsolete, plural or
  unusual blocks) is parsed and merged by `catalog.merge_entries`, the code
  `merge` runs, and rendered by `poformat`.

The template is rendered the same way (`splice_template`): an entry whose
msgctxt and msgid the old template has takes those lines from it, and only
its ``#.`` and ``#:`` lines are rendered.

The results are byte for byte what parsing, `merge` and `format_po` give;
the tests compare the two on generated edits.  Whenever the text is not as
described, these return None and the caller takes the full path.  Text
rendered by an older formatter is never taken as sync's own
(`config.FORMAT_VERSION`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polib

from .catalog import MergeStats, key_of, merge_entries, merged_header
from .config import Settings
from .errors import CatalogError
from .poformat import (
    RenderCache,
    comment_lines,
    entry_text,
    is_written,
    parse_header,
    parse_po,
)


@dataclass
class Spliced:
    """A merged catalog: its header as a catalog, and its entries' text."""

    header: polib.POFile
    #: The entries' blocks joined, as `format_body` returns them.
    body: str
    stats: MergeStats
    #: The old catalog's POT-Creation-Date ("" if none).
    date: str
    #: Whether the old catalog's live entries are exactly the template's
    #: (msgctxt, msgid): the catalog is up to date, whatever else differs.
    current: bool = False


#: A template entry's block as (its ``#.`` and ``#:`` lines, each with its
#: newline; its msgctxt and msgid lines), or None when it is not made of
#: those and ``msgstr ""``.
Parts = tuple[str, str] | None


def template_parts(
    template: polib.POFile, cache: RenderCache | None = None, width: int = 79
) -> list[Parts]:
    """`splice`'s view of each template entry: computed once per template,
    it serves the catalogs of every locale."""
    return [_template_parts(entry_text(tentry, width, cache)) for tentry in template]


def template_parts_of_body(template: polib.POFile, body: str) -> list[Parts] | None:
    """`template_parts` from the template's `format_body` text, which holds
    every entry's block (a template has no obsolete entries); None if the
    blocks cannot be told apart."""
    blocks = body.split("\n\n")
    if len(blocks) != len(template):
        return None
    return [_template_parts(block) for block in blocks]


def splice_template(
    template: polib.POFile, old_text: str, cache: RenderCache | None = None, width: int = 79
) -> tuple[str, list[Parts], bool] | None:
    """`format_body` of ``template``, reusing the msgctxt and msgid lines of
    the old template ``old_text`` (sync's own rendering), and its parts.

    A template entry's block is its ``#.`` and ``#:`` lines, its msgctxt
    and msgid lines, which depend on nothing but those two texts, and
    ``msgstr ""``.  So an entry whose texts the old template has takes
    those lines from it, and only its comment lines are rendered; other
    entries are rendered whole.  None when the old text is not as expected.
    The flag says whether the old template has exactly the new one's
    entries (the same msgctxt and msgid lines).
    """
    if not old_text.endswith("\n"):
        return None
    known: dict[tuple[str | None, str], str] = {}
    old_ids: set[str] = set()
    for block in old_text[:-1].split("\n\n")[1:]:
        m = _TEMPLATE_RE.fullmatch(block)
        if m is None:
            return None
        old_ids.add(m["ids"])
        key = _key_of(m["ids"])
        if key is not None:
            known[key] = m["ids"]
    blocks: list[str] = []
    parts: list[Parts] = []
    for tentry in template:
        ids = known.get((tentry.msgctxt, tentry.msgid))
        if ids is None:
            text = entry_text(tentry, width, cache)
            blocks.append(text)
            parts.append(_template_parts(text))
            continue
        lines = comment_lines(tentry, width)
        comments = "\n".join(lines) + "\n" if lines else ""
        blocks.append(f'{comments}{ids}\nmsgstr ""')
        parts.append((comments, ids))
    new_ids = {part[1] for part in parts if part is not None}
    same = None not in parts and new_ids == old_ids
    return "\n\n".join(blocks), parts, same


def _key_of(ids: str) -> tuple[str | None, str] | None:
    """(msgctxt, msgid) of msgctxt and msgid lines whose strings hold no
    escape sequence; None for any other (the entry is then rendered)."""
    context: list[str] | None = None
    current: list[str] = []
    for line in ids.split("\n"):
        if line.startswith("msgctxt "):
            context = current = []
            line = line[8:]
        elif line.startswith("msgid "):
            current = []
            line = line[6:]
        if "\\" in line or len(line) < 2:
            return None
        current.append(line[1:-1])
    return (None if context is None else "".join(context), "".join(current))


def _template_parts(text: str) -> Parts:
    m = _TEMPLATE_RE.fullmatch(text)
    return None if m is None else (m["comments"], m["ids"])


_IDS = r'(?P<ids>(?:msgctxt\ "[^\n]*\n(?:"[^\n]*\n)*)?msgid\ "[^\n]*(?:\n"[^\n]*)*)'
_TEMPLATE_RE = re.compile(r"(?P<comments>(?:\#[.:][^\n]*\n)*)" + _IDS + r'\nmsgstr\ ""', re.VERBOSE)
#: An active, singular entry block in `_entry_lines`' order: translator
#: comments, extracted comments and references, flags, previous fields,
#: msgctxt and msgid (with their continuation lines), msgstr.
_BLOCK_RE = re.compile(
    r"""
    (?P<head>(?:\#(?:\ [^\n]*)?\n)*)
    (?P<comments>(?:\#[.:][^\n]*\n)*)
    (?P<tail>(?:\#,[^\n]*\n)?(?:\#\|\ [^\n]*\n)*)
    """
    + _IDS
    + r"""
    \n(?P<strs>msgstr\ "[^\n]*(?:\n"[^\n]*)*)
    """,
    re.VERBOSE,
)


def splice(
    template: polib.POFile,
    old_text: str,
    path: str,
    locale: str,
    settings: Settings,
    cache: RenderCache | None = None,
    parts: list[Parts] | None = None,
    width: int = 79,
) -> Spliced | None:
    """`merge` of ``template`` into the catalog ``old_text`` (sync's own
    rendering of it), rendered; None when the text is not as expected.

    ``parts``: `template_parts` of ``template``, if the caller has them.
    """
    if not old_text.endswith("\n") or "\r" in old_text:
        return None
    blocks = old_text[:-1].split("\n\n")
    try:
        head = parse_header(blocks[0] + "\n", path)
    except CatalogError:
        return None
    if len(head) == 0:
        blocks = blocks[1:]  # the header entry
    else:
        head = polib.POFile(wrapwidth=79)  # no header: the first block is an entry
    # Each matchable block by its msgctxt and msgid lines, with its index.
    matchable: dict[str, tuple[int, re.Match[str]]] = {}
    for index, text in enumerate(blocks):
        found = _BLOCK_RE.fullmatch(text)
        if found is None:
            continue
        ids = found["ids"]
        if ids in matchable:
            return None  # two entries with one key: not sync's output
        matchable[ids] = (index, found)

    tentries = list(template)
    copied: dict[int, str] = {}
    taken: set[int] = set()
    if parts is None:
        parts = template_parts(template, cache, width)
    for t, part in enumerate(parts):
        if part is None:
            continue
        comments, ids = part
        hit = matchable.get(ids)
        if hit is None:
            continue
        index, block = hit
        taken.add(index)
        copied[t] = f"{block['head']}{comments}{block['tail']}{ids}\n{block['strs']}"

    rest = [text for index, text in enumerate(blocks) if index not in taken]
    old: list[polib.POEntry] = []
    if rest:
        try:
            catalog = parse_po("\n\n".join(rest) + "\n", path)
        except CatalogError:
            return None
        if catalog.metadata or catalog.header or len(catalog) != len(rest):
            return None  # a block that is a header, or not one entry
        old = list(catalog)
    active, tail, stats = merge_entries(tentries, old, frozenset(copied))
    out: list[str] = []
    for t, entry in enumerate(active):
        if entry is None:
            out.append(copied[t])
        else:
            out.append(entry_text(entry, width, cache))
    out += [entry_text(entry, width, cache) for entry in tail if is_written(entry)]
    header = merged_header(template, head, locale, settings)
    date = head.metadata.get("POT-Creation-Date", "")
    had = {key_of(tentries[t]) for t in copied} | {key_of(e) for e in old if not e.obsolete}
    current = had == {key_of(t) for t in tentries}
    return Spliced(header, "\n\n".join(out), stats, date, current)
