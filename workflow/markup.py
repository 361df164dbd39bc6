"""Markup placeholders: what a machine-translation engine must never touch.

`protect` replaces URLs, link targets, inline code, HTML tags, autolinks and
Markdown markers with numbered tokens ``⟦0⟧``, ``⟦1⟧``, ... that the engines
pass through unchanged (LibreTranslate, the deep-translator providers and
Apertium all keep them, see tests).  `restore` puts the originals back and
refuses a draft whose tokens came back missing, duplicated, reordered out
of existence or mangled: such a draft would print a broken link.

Rules: the link text and emphasised words stay translatable; only the
markers around them are protected (``[`` ``](https://...)``, ``**``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_TOKEN = "⟦{}⟧"
_TOKEN_RE = re.compile(r"⟦(\d+)⟧")
# Anything that looks like a damaged token: a bracket of ours left over.
_DAMAGE_RE = re.compile(r"[⟦⟧]")

_PROTECT = re.compile(
    r"""
      `+[^`]*?`+                         # inline code (any backtick run)
    | \]\([^)\s]*(?:\s+"[^"]*")?\)        # ](target "title") of a link or image
    | \]\[[^\]]*\]                        # ][ref] of a reference link
    | <[a-zA-Z][^<>]*>|</[a-zA-Z][^<>]*>  # HTML tags and autolinks
    | https?://[^\s<>()]+[^\s<>().,;:!?"'»] # bare URLs
    | !?\[                                # [ and ![ opening a link or image
    | \*\*|__|\*|(?<!\w)_|_(?!\w)         # emphasis markers
    | \\[\\`*_{}\[\]()#+\-.!|]            # backslash escapes
    | [⟦⟧]                                # our own brackets, if the source has them
    """,
    re.VERBOSE,
)


class PlaceholderError(ValueError):
    """A draft lost, duplicated or damaged a placeholder."""


@dataclass(frozen=True)
class Protected:
    text: str
    pieces: tuple[str, ...]


def protect(text: str) -> Protected:
    pieces: list[str] = []

    def swap(match: re.Match[str]) -> str:
        pieces.append(match.group())
        return _TOKEN.format(len(pieces) - 1)

    return Protected(_PROTECT.sub(swap, text), tuple(pieces))


def protect_terms(protected: Protected, terms: Sequence[tuple[str, str]]) -> Protected:
    """``protected`` with each whole-word occurrence of a term's text (the
    first of a pair) also behind a placeholder, restored as the second: a
    glossary term an engine must not translate (`workflow.draft`)."""
    pieces = list(protected.pieces)
    text = protected.text

    def swap(rendering: str) -> Callable[[re.Match[str]], str]:
        def put(_match: re.Match[str]) -> str:
            pieces.append(rendering)
            return _TOKEN.format(len(pieces) - 1)

        return put

    for found, rendering in terms:
        text = re.sub(rf"(?<!\w){re.escape(found)}(?!\w)", swap(rendering), text)
    return Protected(text, tuple(pieces))


def restore(draft: str, protected: Protected) -> str:
    """The draft with every piece back; `PlaceholderError` says what went wrong."""
    found = [int(n) for n in _TOKEN_RE.findall(draft)]
    expected = list(range(len(protected.pieces)))
    if sorted(found) != expected:
        missing = sorted(set(expected) - set(found))
        extra = sorted(n for n in set(found) if found.count(n) > 1 or n not in expected)
        parts = []
        if missing:
            parts.append("lost " + ", ".join(repr(protected.pieces[n]) for n in missing))
        if extra:
            parts.append("repeated or unknown " + ", ".join(_TOKEN.format(n) for n in extra))
        raise PlaceholderError("; ".join(parts) or "placeholders out of order")
    out = _TOKEN_RE.sub(lambda m: protected.pieces[int(m.group(1))], draft)
    leftover = _DAMAGE_RE.search(_TOKEN_RE.sub("", draft))
    if leftover:
        raise PlaceholderError(
            f"damaged placeholder near {draft[max(0, leftover.start() - 8) :][:20]!r}"
        )
    return out
