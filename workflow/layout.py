"""Keep the layout of a catalog a translator's tool saved.

Poedit, Lokalize, Weblate (translate-toolkit), polib, Babel and ``msgcat``
with its options all write valid gettext in layouts of their own: another
page width, no wrapping at all, breaks in other places, other header
whitespace.  None of that is content.  Rules:

* A catalog is up to date when its active entries' (msgctxt, msgid) are
  exactly the article's (`workflow.prepare` tests this); sync then leaves
  the file alone, whatever its layout.
* When the entries must change, `merge_keeping_layout` writes the merge so
  that only the lines of changed entries move: an entry whose text is still
  in the article keeps its block as the file had it, byte for byte (its
  ``#.`` and ``#:`` lines are replaced only when their content changed), an
  entry already obsolete keeps its block, and the header keeps its text but
  for POT-Creation-Date.  New and changed entries are rendered by
  `workflow.poformat` in the layout family the file has where gettext has
  one (`detect_width`: msgcat's page width 79, 77, or ``--no-wrap``).
* Whenever the file cannot be cut into one block per entry (no blank line
  between two entries, CRLF line ends, stray comments), the whole merge is
  rendered in the detected family instead: still nothing is lost.
"""

from __future__ import annotations

import polib

from .catalog import Key, MergeStats, key_of, merge_entries, merged_header
from .config import Settings
from .poformat import (
    RenderCache,
    comment_lines,
    entry_text,
    format_header,
    format_po,
    is_written,
    join_po,
)

#: Page widths of the layouts gettext can write: msgcat's default (and
#: Weblate's: translate-toolkit's ``po_line_wrap`` 77 counts the text
#: inside the quotes only), ``-w 77``, and ``--no-wrap`` (0).
FAMILIES = (79, 77, 0)
#: Entries that tell the families apart, looked at before deciding.
_SAMPLE = 40


def _could_wrap(entry: polib.POEntry) -> bool:
    """Whether the entry's strings are long enough for the families to differ."""
    texts = [entry.msgid, entry.msgstr or "", entry.msgctxt or "", entry.previous_msgid or ""]
    texts += list(entry.msgstr_plural.values())
    return any(len(t) > 50 for t in texts)


def _string_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line and line[0] != "#"]


def detect_width(blocks: list[str], entries: list[polib.POEntry], default: int) -> int:
    """The page width whose rendering of the entries' strings matches the
    file's blocks most often (``blocks[i]`` holds ``entries[i]``);
    ``default`` when no entry tells the families apart."""
    candidates = list(dict.fromkeys((default, *FAMILIES)))
    scores = dict.fromkeys(candidates, 0)
    seen = 0
    for block, entry in zip(blocks, entries, strict=True):
        if entry.obsolete or not _could_wrap(entry):
            continue
        renders = {w: _string_lines(entry_text(entry, w)) for w in candidates}
        if len({tuple(r) for r in renders.values()}) == 1:
            continue
        lines = set(block.split("\n"))
        for width, render in renders.items():
            if all(line in lines for line in render):
                scores[width] += 1
        seen += 1
        if seen >= _SAMPLE:
            break
    best = max(scores.values())
    if best == 0 or scores[default] == best:
        return default
    return next(w for w in candidates if scores[w] == best)


def _blocks(text: str, catalog: polib.POFile) -> tuple[str | None, list[str]] | None:
    """The header's block and one block per entry of ``catalog`` (parsed
    from ``text``), in file order; None when the text is not cut that way."""
    if "\r" in text or not text.endswith("\n"):
        return None
    blocks = text[:-1].split("\n\n")
    header: str | None = None
    if catalog.metadata or catalog.header or catalog.metadata_is_fuzzy:
        header, blocks = blocks[0], blocks[1:]
        if 'msgid ""' not in header.split("\n"):
            return None
    if len(blocks) != len(catalog):
        return None
    for block, entry in zip(blocks, catalog, strict=True):
        starts = [line for line in block.split("\n") if line.startswith(("msgid ", "#~ msgid "))]
        if len(starts) != 1 or starts[0].startswith("#~") != bool(entry.obsolete):
            return None
    return header, blocks


def _references(entry: polib.POEntry) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for file_name, line in entry.occurrences:
        item = (str(file_name), "" if line is None else str(line))
        if item not in out:
            out.append(item)
    return out


def _with_comments(block: str, lines: list[str]) -> str:
    """The block with its ``#.`` and ``#:`` lines replaced by ``lines``."""
    kept: list[str] = []
    at: int | None = None
    for line in block.split("\n"):
        if line.startswith(("#.", "#:")):
            if at is None:
                at = len(kept)
            continue
        kept.append(line)
    if at is None:
        # After the translator comments, where gettext writes them.
        at = 0
        while at < len(kept) and kept[at].startswith("#") and kept[at][1:2] not in ".:,|~":
            at += 1
    return "\n".join(kept[:at] + lines + kept[at:])


def _header_text(old_block: str, old: polib.POFile, new: polib.POFile, width: int) -> str:
    """The header's block: the old text with the new POT-Creation-Date, when
    that is all that changed; else rendered."""
    name = "POT-Creation-Date"
    before, after = dict(old.metadata), dict(new.metadata)
    if (
        old.header == new.header
        and old.metadata_is_fuzzy == new.metadata_is_fuzzy
        and name in before
        and list(before) == list(after)
        and {k: v for k, v in before.items() if k != name}
        == {k: v for k, v in after.items() if k != name}
    ):
        if before[name] == after[name]:
            return old_block
        field = f"{name}: {before[name]}\\n"
        if old_block.count(field) == 1 and "\\" not in before[name] + after[name]:
            return old_block.replace(field, f"{name}: {after[name]}\\n")
    return format_header(new, width)


def merge_keeping_layout(
    template: polib.POFile,
    text: str,
    current: polib.POFile,
    locale: str,
    settings: Settings,
    cache: RenderCache | None = None,
) -> tuple[str, MergeStats]:
    """`catalog.merge` of ``template`` into ``current`` (the catalog parsed
    from ``text``), written in ``text``'s layout: see the module's rules."""
    header = merged_header(template, current, locale, settings)
    old = list(current)
    origins: list[polib.POEntry | None] = []
    active, tail, stats = merge_entries(list(template), old, origins=origins)
    cut = _blocks(text, current)
    if cut is None:
        width = settings.width
        merged = polib.POFile(wrapwidth=79)
        merged.header, merged.metadata = header.header, header.metadata
        merged.metadata_is_fuzzy = header.metadata_is_fuzzy
        for entry in [*active, *tail]:
            assert entry is not None
            merged.append(entry)
        return format_po(merged, width, cache), stats
    old_header, blocks = cut
    width = detect_width(blocks, old, settings.width)
    where = {id(entry): i for i, entry in enumerate(old)}
    out: list[str] = []
    for entry, origin in zip([*active, *tail], origins, strict=True):
        assert entry is not None
        if origin is None or (origin.obsolete != entry.obsolete):
            # New, changed, revived or newly obsolete: rendered.
            if is_written(entry):
                out.append(entry_text(entry, width, cache))
            continue
        block = blocks[where[id(origin)]]
        if not entry.obsolete and (
            origin.comment != entry.comment or _references(origin) != _references(entry)
        ):
            block = _with_comments(block, comment_lines(entry, width))
        out.append(block)
    if old_header is None:
        head = format_header(header, width)
    else:
        head = _header_text(old_header, current, header, width)
    return join_po(head, "\n\n".join(out)), stats


def rewrite_keeping_layout(
    text: str, catalog: polib.POFile, changed: set[int], settings: Settings
) -> str:
    """``catalog`` (parsed from ``text``, then the entries whose ``id`` is in
    ``changed`` edited in place: `workflow.draft`) written in ``text``'s
    layout: every other entry and the header keep their lines."""
    cut = _blocks(text, catalog)
    if cut is None:
        return format_po(catalog, settings.width)
    head, blocks = cut
    entries = list(catalog)
    same = [(b, e) for b, e in zip(blocks, entries, strict=True) if id(e) not in changed]
    width = detect_width([b for b, _e in same], [e for _b, e in same], settings.width)
    out = [
        entry_text(entry, width) if id(entry) in changed else block
        for block, entry in zip(blocks, entries, strict=True)
        if id(entry) not in changed or is_written(entry)
    ]
    return join_po(head or "", "\n\n".join(out))


def active_keys(catalog: polib.POFile) -> set[Key]:
    """The (msgctxt, msgid) of the catalog's live entries: what it translates."""
    return {key_of(entry) for entry in catalog if not entry.obsolete}
