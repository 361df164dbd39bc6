"""Write PO files byte for byte as GNU ``msgcat`` 0.21 does, and read them safely.

Translators open our catalogs in Poedit, Lokalize and Weblate, all of which
rewrite a PO file through gettext's own writer.  If we wrote anything else,
every round trip through those tools would show up as a diff of re-wrapped
lines, so `format_po` reproduces ``msgcat FILE`` (default options, page width
79) exactly.  The rules below were read from gettext 0.21's ``write-po.c`` and
libunistring 1.0's ``unilbrk`` and checked against the installed binaries
(the tests run the real ``msgcat`` and call libunistring through ctypes).

What gettext does, and why we copy it:

* **Strings are cut into portions after every ``\\n``.**  Each portion is
  escaped (``\\a \\b \\t \\n \\v \\f \\r \\" \\\\``; every other character, even a
  control character, is written raw) and then wrapped on its own.  A string
  that contains a ``\\n`` anywhere but at its very end, or that needs wrapping,
  is written as ``msgid ""`` followed by continuation lines; otherwise it stays
  on the keyword's line.  This is also why the header is one line per field.
* **Wrapping is UAX #14 line breaking on the *escaped* text** (libunistring
  1.0's ``ulc_width_linebreaks``, not just spaces): breaks fall after spaces,
  after hyphens (``Belarus-Russia-`` / ``China``), after en dashes and on both
  sides of em dashes, after ``/`` and ``?`` in URLs, after ``e.`` in ``e.g.``
  (libunistring 1.0 does not implement LB29), after a thin space (U+2009);
  never after an opening bracket or quote, never around a no-break space
  (U+00A0, U+202F), never at a ``\t`` (the escape reads as letters).  An
  escape sequence is never split, and there is no break just before the final
  ``\n`` of a portion.  Classes come from uniseg, folded onto libunistring
  1.0's set with Python 3.11's Unicode 14 tables (the version 1.0 was built
  from) and a short override list; the tests compare every code point.
* **Line filling is greedy over "pieces"** (the text between two break
  opportunities, trailing spaces included): a line takes pieces while it fits
  in 79 columns, prefix, keyword and both quotes included; a piece that alone
  is too wide sits on its own line.  Columns are counted on the escaped text:
  East Asian wide characters count 2, combining marks 0, Cyrillic 1.  A string
  with no break opportunity stays on the keyword's line however long it is.
* **Comments are never wrapped, except ``#:``.**  Translator (``#``) and
  extracted (``#.``) comments are written one line each, with one space after
  the marker unless the line is empty.  References are deduplicated (same file
  and line), lose a leading ``./`` and are packed greedily into lines of at
  most 79 bytes.
* **Flags are normalised.**  ``fuzzy`` is written only when the msgstr is
  non-empty; known ``*-format`` flags follow gettext's language order; then
  ``range:`` and ``no-wrap``.  Flags gettext does not know (``wrap``,
  ``*-check``, Weblate's ``max-length:N``, ``read-only``...) are dropped by
  ``msgcat`` but kept here, after those, in their order: a translator's
  flags are never lost (issue 13).
* **Obsolete entries go last and need a translation.**  ``msgcat`` silently
  drops an obsolete entry whose (first) msgstr is empty; we keep one that
  has a translator comment (msgmerge would lose the comment); ``#~`` entries keep
  their comments, ``fuzzy``/format/``no-wrap`` flags and previous fields
  (``#~| msgid``).

Known, deliberate differences from ``msgcat`` (each one has a test):
a catalog with no messages still gets its header written (``msgcat`` writes
nothing without ``--force-po``); the metadata dict is written in its own
order (polib's ``ordered_metadata()`` would re-sort it, ``msgcat`` does not);
breaks inside printf-style format directives are not suppressed (gettext
does this only for entries flagged ``*-format``, which article text must not
be); flags gettext does not know are written, and an obsolete entry with only
a translator comment is kept (issue 13: a translator's flags and comments
are never lost); the output is always UTF-8 text.

`parse_po` is our own reader of gettext's grammar (``po-lex.c``/
``po-gram-gen.y``) that builds polib objects.  We do not use polib's parser:
``polib.pofile()`` treats its argument as a path when such a file exists, its
parser silently drops ``#~|`` previous fields of obsolete entries, accepts
unterminated strings, reads only one digit of ``msgstr[N]`` and splits lines
at U+2028.  Every syntax error becomes a `CatalogError` with the file and the
1-based line, using gettext's wording.  Where gettext itself loses data (it
keeps only the last ``#,`` line of an entry, so ``#, fuzzy`` followed by
``#, c-format`` loses ``fuzzy``) we keep all flags instead: losing ``fuzzy``
would publish an unreviewed draft.  polib's model has no place for a few
things gettext keeps, which are therefore lost or normalised: ``#.``, ``#:``,
``#|`` lines and flags other than ``fuzzy`` on the header entry; a header
msgstr that is not a series of ``Key: value\\n`` lines (polib strips values,
joins a line without a colon to the previous value and adds a missing final
``\\n``); a translator comment that is a lone ``#``.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polib

from workflow import _breaks
from workflow.errors import CatalogError
from workflow.guard import read_regular

__all__ = ["RenderCache", "format_header", "format_po", "parse_po"]

# --------------------------------------------------------------------------
# Line-break classes, numbered as in libunistring 1.0 (lbrktables.h) so the
# pair table below can be compared with the library's own table in the tests.

_WJ, _GL, _B2, _BA, _BB, _HY, _CL, _CP1, _CP2, _EX, _IN, _NS = range(12)
_OP1, _OP2, _QU, _IS, _NU, _PO, _PR, _SY, _AL, _H2, _H3 = range(12, 23)
_ID1, _ID2, _JL, _JV, _JT, _HL, _RI, _ZWJ, _EB, _EM = range(23, 33)
_BK, _CR, _LF, _CM, _ZW, _SP = range(33, 39)
# Not a character class: "the previous character was HL followed by HY/BA"
# (rule LB21a), tracked only while scanning.
_HL_BA = 100

# UAX #14 table 7.3 as tailored by libunistring 1.0 (lbrktables.c): row =
# class of the last non-space character, column = class of the next one.
# D: break allowed, I: allowed only if spaces come between, P: prohibited.
_PAIR_TABLE = (
    "PIIIIIPPPPIIIIIPIIIPIIIIIIIIIIIII",  # WJ
    "PIIIIIPPPPIIIIIPIIIPIIIIIIIIIIIII",  # GL
    "PIPIDIPPPPIIDDIPDDDPDDDDDDDDDDDDD",  # B2
    "PDDIDIPPPPIIDDIPDDDPDDDDDDDDDDDDD",  # BA
    "PIIIIIPPPPIIIIIPIIIPIIIIIIIIIIIII",  # BB
    "PDDIDIPPPPIIDDIPIDDPDDDDDDDDDDDDD",  # HY
    "PIDIDIPPPPIPDDIPDIIPDDDDDDDDDDDDD",  # CL
    "PIDIDIPPPPIIDDIPIIIPIDDDDDDDIDIDD",  # CP1
    "PIDIDIPPPPIIDDIPDIIPDDDDDDDDDDDDD",  # CP2
    "PIDIDIPPPPIIDDIPDDDPDDDDDDDDDDDDD",  # EX
    "PIDIDIPPPPIIDDIPDDDPDDDDDDDDDDDDD",  # IN
    "PIDIDIPPPPIIDDIPDDDPDDDDDDDDDDDDD",  # NS
    "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP",  # OP1
    "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP",  # OP2
    "PIIIIIPPPPIIPPIPIIIPIIIIIIIIIIIII",  # QU
    "PIDIDIPPPPIIDDIPIDDPDDDDDDDDDDDDD",  # IS
    "PIDIDIPPPPIIIDIPIIIPIDDDDDDDIDIDD",  # NU
    "PIDIDIPPPPIIIIIPIDDPIDDDDDDDIDIDD",  # PO
    "PIDIDIPPPPIIIIIPIDDPIIIIIIIIIDIII",  # PR
    "PIDIDIPPPPIIDDIPIDDPDDDDDDDDIDDDD",  # SY
    "PIDIDIPPPPIIIDIPIIIPIDDDDDDDIDIDD",  # AL
    "PIDIDIPPPPIIDDIPDIDPDDDDDDIIDDDDD",  # H2
    "PIDIDIPPPPIIDDIPDIDPDDDDDDDIDDDDD",  # H3
    "PIDIDIPPPPIIDDIPDIDPDDDDDDDDDDDDD",  # ID1
    "PIDIDIPPPPIIDDIPDIDPDDDDDDDDDDDDI",  # ID2
    "PIDIDIPPPPIIDDIPDIDPDIIDDIIDDDDDD",  # JL
    "PIDIDIPPPPIIDDIPDIDPDDDDDDIIDDDDD",  # JV
    "PIDIDIPPPPIIDDIPDIDPDDDDDDDIDDDDD",  # JT
    "PIDIDIPPPPIIIDIPIIIPIDDDDDDDIDIDD",  # HL
    "PIDIDIPPPPIIDDIPDDDPDDDDDDDDDDDDD",  # RI
    "PIDIDIPPPPIIIDIPIIIPIDDIIDDDIDIII",  # ZWJ
    "PIDIDIPPPPIIDDIPDIDPDDDDDDDDDDDDI",  # EB
    "PIDIDIPPPPIIDDIPDIDPDDDDDDDDDDDDD",  # EM
)

# uniseg knows newer Unicode versions than libunistring 1.0 (Unicode 14), so
# its class names are folded onto 1.0's set.  AI, CB, SA and XX are resolved
# the way libunistring resolves them for a UTF-8 (non-CJK) locale.
_UNISEG_CLASSES = {
    "WJ": _WJ, "GL": _GL, "B2": _B2, "BA": _BA, "BB": _BB, "HY": _HY,
    "CL": _CL, "EX": _EX, "IN": _IN, "NS": _NS, "CJ": _NS, "QU": _QU,
    "IS": _IS, "NU": _NU, "PO": _PO, "PR": _PR, "SY": _SY, "AL": _AL,
    "AK": _AL, "AP": _AL, "AS": _AL, "AI": _AL, "SA": _AL, "XX": _AL,
    "SG": _AL, "H2": _H2, "H3": _H3, "ID": _ID1, "CB": _ID1, "JL": _JL,
    "JV": _JV, "JT": _JT, "HL": _HL, "RI": _RI, "ZWJ": _ZWJ, "EB": _EB,
    "EM": _EM, "BK": _BK, "NL": _BK, "CR": _CR, "LF": _LF, "CM": _CM,
    "VI": _CM, "VF": _CM, "ZW": _ZW, "SP": _SP,
}  # fmt: skip

# Assigned characters whose class changed between Unicode 14 and uniseg's
# data, or that libunistring tailors; the tests compare every code point.
_CLASS_OVERRIDES = (
    (0x0600, 0x0605, _AL), (0x06DD, 0x06DD, _AL), (0x0890, 0x0891, _AL),
    (0x08E2, 0x08E2, _AL), (0x19DA, 0x19DA, _AL), (0x1B50, 0x1B59, _NU),
    (0x1B5C, 0x1B5C, _AL), (0x1B61, 0x1B6A, _AL), (0x1B74, 0x1B7C, _AL),
    (0x1DCD, 0x1DCD, _CM), (0x1DFC, 0x1DFC, _CM), (0x2057, 0x2057, _AL),
    (0x2E56, 0x2E56, _CL), (0x2E58, 0x2E58, _CL), (0x2E5A, 0x2E5A, _CL),
    (0x2E5C, 0x2E5C, _CL), (0xA9C1, 0xA9C6, _AL), (0xA9CA, 0xA9CD, _AL),
    (0xA9CF, 0xA9CF, _AL), (0xA9D0, 0xA9D9, _NU), (0xA9DE, 0xA9DF, _AL),
    (0xAA40, 0xAA42, _AL), (0xAA44, 0xAA4B, _AL), (0xAA50, 0xAA59, _NU),
    (0xAA5C, 0xAA5C, _AL), (0xFE10, 0xFE10, _IS), (0xFE13, 0xFE14, _IS),
    (0xFE20, 0xFE20, _CM), (0xFE22, 0xFE22, _CM), (0xFE24, 0xFE24, _CM),
    (0xFE26, 0xFE27, _CM), (0xFE29, 0xFE29, _CM), (0xFE2B, 0xFE2B, _CM),
    (0xFE2D, 0xFE2E, _CM), (0x11049, 0x1104D, _AL), (0x11052, 0x11065, _AL),
    (0x11066, 0x1106F, _NU), (0x1107F, 0x1107F, _CM), (0x110BD, 0x110BD, _AL),
    (0x110CD, 0x110CD, _AL), (0x1133D, 0x1133D, _AL), (0x1135D, 0x1135D, _AL),
    (0x11950, 0x11959, _NU), (0x11EF2, 0x11EF2, _AL), (0x11EF7, 0x11EF8, _AL),
    (0x1F10D, 0x1F10F, _ID1), (0x1F16D, 0x1F16F, _ID1), (0x1F1AD, 0x1F1AD, _ID1),
    (0x1F8B0, 0x1F8B1, _ID1),
)  # fmt: skip

# Code points unassigned in Unicode 14 get libunistring's defaults: reserved
# ideograph and pictograph blocks are ID, the currency block PR, the rest AL.
_UNASSIGNED_CLASSES = (
    (0x20A0, 0x20CF, _PR), (0x3400, 0x4DBF, _ID1), (0x4E00, 0x9FFF, _ID1),
    (0xF900, 0xFAFF, _ID1), (0x1F000, 0x1FAFF, _ID2), (0x1FC00, 0x1FFFD, _ID2),
    (0x20000, 0x2FFFD, _ID1), (0x30000, 0x3FFFD, _ID1),
)  # fmt: skip

# Where libunistring's uc_width() departs from "East Asian Wide/Fullwidth = 2,
# non-spacing = 0": a few spacing Mn and unassigned slots in wide blocks.
_WIDTH_OVERRIDES = (
    (0x0CBF, 0x0CBF, 1), (0x0CC6, 0x0CC6, 1), (0x2E9A, 0x2E9A, 2),
    (0x2EF4, 0x2EFF, 2), (0x2FD6, 0x2FEF, 2), (0x2FFC, 0x2FFF, 2),
    (0x3040, 0x3040, 2), (0x3097, 0x3098, 2), (0x3100, 0x3104, 2),
    (0x3130, 0x3130, 2), (0x318F, 0x318F, 2), (0x31E4, 0x31EF, 2),
    (0x321F, 0x321F, 2), (0xA48D, 0xA48F, 2), (0xA4C7, 0xA4CF, 2),
    (0xFA6E, 0xFA6F, 2), (0xFADA, 0xFAFF, 2), (0xFE1A, 0xFE1F, 2),
    (0xFE53, 0xFE53, 2), (0xFE67, 0xFE67, 2), (0xFE6C, 0xFE6F, 2),
    (0xFF00, 0xFF00, 2), (0x11A07, 0x11A08, 1), (0x11C3F, 0x11C3F, 1),
    (0x1F203, 0x1F20F, 2), (0x1F23C, 0x1F23F, 2), (0x1F249, 0x1F24F, 2),
    (0x1F252, 0x1F25F, 2), (0x1F266, 0x1F2FF, 2), (0x2A6E0, 0x2A6FF, 2),
    (0x2B739, 0x2B73F, 2), (0x2B81E, 0x2B81F, 2), (0x2CEA2, 0x2CEAF, 2),
    (0x2EBE1, 0x2F7FF, 2), (0x2FA1E, 0x2FFFF, 2), (0x3134B, 0x3FFFF, 2),
)  # fmt: skip


def _line_break_class(ch: str) -> int:
    """libunistring 1.0's resolved line-break class of one character."""
    cp = ord(ch)
    for lo, hi, cls in _CLASS_OVERRIDES:
        if lo <= cp <= hi:
            return cls
    # Python 3.11's unicodedata is Unicode 14, the version libunistring 1.0
    # was generated from, so it tells which code points 1.0 saw as unassigned.
    if unicodedata.category(ch) == "Cn":
        for lo, hi, cls in _UNASSIGNED_CLASSES:
            if lo <= cp <= hi:
                return cls
        return _AL
    from uniseg.linebreak import line_break  # only for characters off the fast path

    name = line_break(ch).name
    if name in ("OP", "CP"):
        # LB30 treats East Asian brackets differently, so libunistring splits
        # both classes by width.
        wide = unicodedata.east_asian_width(ch) in ("F", "W", "H")
        if name == "OP":
            return _OP2 if wide else _OP1
        return _CP2 if wide else _CP1
    return _UNISEG_CLASSES[name]


def _char_width(ch: str) -> int:
    """libunistring 1.0's uc_width(): columns, or -1 for a control character."""
    cp = ord(ch)
    for lo, hi, width in _WIDTH_OVERRIDES:
        if lo <= cp <= hi:
            return width
    if cp < 0x20 or 0x7F <= cp < 0xA0:
        return 0 if cp == 0 else -1
    category = unicodedata.category(ch)
    if category == "Cn":
        return 1
    if category in ("Mn", "Me", "Cf"):
        return 0
    if 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:
        # Hangul medial and final jamo join the preceding syllable.
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


#: Lines git writes into a file it could not merge.
_CONFLICT_RE = re.compile(r"^(?:<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


class _Properties(dict[str, tuple[int, int]]):
    """Cache of (line-break class, columns) per character, for the slow path."""

    def __missing__(self, ch: str) -> tuple[int, int]:
        value = (_line_break_class(ch), max(_char_width(ch), 0))
        self[ch] = value
        return value


_PROPERTIES = _Properties()

# The fast path.  For text made only of one-column characters whose classes
# need no state beyond "last non-space class, spaces seen, next class" (no
# combining marks, joiners, regional indicators or Hebrew), a break before a
# character is decided by the pair table alone, so regular expressions over
# the characters themselves find breaks without a Python loop over the text.
# The repertoire covers Latin, Greek, Cyrillic and common punctuation and
# symbols; anything else takes the reference loop (_cuts_slow), and the tests
# check that both agree.
_FAST_BLOCKS = (
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x0370, 0x052F), (0x1E00, 0x1EFF),
    (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x22FF),
)  # fmt: skip
_FAST_CLASSES = [c for c in range(33) if c not in (_HL, _RI, _ZWJ)]


def _charset(code_points: list[int]) -> str:
    ranges: list[list[int]] = []
    for cp in sorted(code_points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return f"[{body}]"


def fast_path_sources() -> tuple[str, str, str]:
    """The sources of the fast path's three patterns, computed from the
    tables above; `workflow._breaks` holds them, so that importing this
    module does not classify some 4,000 characters (`write_fast_path`)."""
    members: dict[int, list[int]] = {}
    for lo, hi in _FAST_BLOCKS:
        for cp in range(lo, hi + 1):
            cls = _line_break_class(chr(cp))
            if (cls in _FAST_CLASSES or cls == _SP) and _char_width(chr(cp)) == 1:
                members.setdefault(cls, []).append(cp)
    present = [c for c in _FAST_CLASSES if c in members]

    def chars(classes: tuple[int, ...] | list[int]) -> str:
        return _charset([cp for c in classes for cp in members[c]])

    space = chars([_SP])
    # Group classes that behave alike, to keep the alternations short.
    forward: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
    backward: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
    for x in present:
        direct = tuple(y for y in present if _PAIR_TABLE[x][y] == "D")
        spaced = tuple(y for y in present if _PAIR_TABLE[x][y] in "DI")
        forward.setdefault((direct, spaced), []).append(x)
    for y in present:
        direct = tuple(x for x in present if _PAIR_TABLE[x][y] == "D")
        spaced = tuple(x for x in present if _PAIR_TABLE[x][y] in "DI")
        backward.setdefault((direct, spaced), []).append(y)
    # Forward: "X SP*" ending where a break before the next character is.
    fwd = []
    for (direct, spaced), xs in forward.items():
        if spaced:
            tail = f"{space}+(?={chars(spaced)})"
            if direct:
                tail = f"(?={chars(direct)})|{tail}"
            fwd.append(f"{chars(xs)}(?:{tail})")
    # Backward, matched on the reversed text: the first match at or after a
    # position is the last break before it, which greedy filling needs.
    bwd = []
    for (direct, spaced), ys in backward.items():
        if spaced:
            tail = f"(?={space}+{chars(spaced)})"
            if direct:
                tail = f"(?={chars(direct)})|{tail}"
            bwd.append(f"{chars(ys)}(?:{tail})")
    everything = chars([*present, _SP])
    return f"{everything}*", "|".join(fwd), "|".join(bwd)


def write_fast_path(path: Path | None = None) -> None:
    """Write `workflow/_breaks.py` from `fast_path_sources` (after a change
    to the tables above or to uniseg's data; a test says when)."""
    fast, forward, backward = fast_path_sources()
    text = (
        '"""Generated by `workflow.poformat.write_fast_path`: do not edit.\n\n'
        "The line-break fast path's patterns (see `workflow.poformat`).\n"
        '"""\n\n'
        f"FAST_TEXT = {json.dumps(fast)}\n"
        f"FORWARD = {json.dumps(forward)}\n"
        f"BACKWARD = {json.dumps(backward)}\n"
    )
    from .files import atomic_write

    atomic_write(path or Path(__file__).with_name("_breaks.py"), text.encode("utf-8"))


_FAST_TEXT_RE = re.compile(_breaks.FAST_TEXT)
_FORWARD_BREAK_RE = re.compile(_breaks.FORWARD)
_BACKWARD_BREAK_RE = re.compile(_breaks.BACKWARD)

_PROHIBITED, _POSSIBLE, _MANDATORY = 0, 1, 2
# gettext's "no limit" page width (--width=0, or a no-wrap entry).
_INT_MAX = 2**31 - 1


def _possible_breaks(classes: list[int]) -> list[int]:
    """Port of libunistring 1.0 u8_possible_linebreaks_v2 over classes."""
    result = [_PROHIBITED] * len(classes)
    prev_prop = last_prop = _BK
    seen_space = False
    ri_count = 0
    for i, prop in enumerate(classes):
        if prop in (_BK, _LF, _CR):
            # CR and LF never reach here (they are escaped), but U+2028,
            # U+2029 and U+0085 are written raw and are mandatory breaks.
            result[i] = _MANDATORY
            prev_prop, last_prop, seen_space = prop, _BK, False
        else:
            if prop == _SP:
                seen_space = True
            elif prop == _ZW:
                last_prop, seen_space = _ZW, False
            elif prop in (_CM, _ZWJ):
                if last_prop == _BK:
                    last_prop, seen_space = _AL, False
                elif last_prop == _ZW or seen_space:
                    result[i] = _POSSIBLE
                    last_prop, seen_space = _AL, False
                # else: X CM is treated as X; no break, state unchanged.
            else:
                if last_prop == _BK:
                    pass  # (LB4-6) not at the start of the text
                elif last_prop == _ZW:
                    result[i] = _POSSIBLE
                elif prev_prop == _ZWJ:
                    pass
                elif last_prop == _RI and prop == _RI:
                    if seen_space or ri_count % 2 == 0:
                        result[i] = _POSSIBLE
                elif prev_prop == _HL_BA:
                    pass
                else:
                    rule = _PAIR_TABLE[last_prop][prop]
                    if rule == "D" or (rule == "I" and seen_space):
                        result[i] = _POSSIBLE
                last_prop, seen_space = prop, False
            prev_prop = _HL_BA if prev_prop == _HL and prop in (_HY, _BA) else prop
        ri_count = ri_count + 1 if prop == _RI else 0
    return result


def _is_escape_tail(escaped: str, i: int) -> bool:
    """Is position i the second character of a backslash escape?"""
    j = i - 1
    while j >= 0 and escaped[j] == "\\":
        j -= 1
    return (i - 1 - j) % 2 == 1


def _cuts_slow(escaped: str, start_column: int, width: int) -> list[int]:
    """Port of u8_width_linebreaks with gettext's overrides (the reference)."""
    n = len(escaped)
    properties = [_PROPERTIES[ch] for ch in escaped]
    breaks = _possible_breaks([cls for cls, _ in properties])
    for i in range(1, n):
        if _is_escape_tail(escaped, i):
            breaks[i] = _PROHIBITED
    if escaped.endswith("\\n") and _is_escape_tail(escaped, n - 1):
        breaks[n - 2] = _PROHIBITED
    cuts: list[int] = []
    last_p = -1
    last_column = start_column
    piece_width = 0
    for i, (_, columns) in enumerate(properties):
        brk = breaks[i]
        if brk != _PROHIBITED and last_p >= 0 and last_column + piece_width > width:
            cuts.append(last_p)
            last_column = 0
        if brk == _MANDATORY:
            # A mandatory break only restarts the column count: gettext
            # writes a newline for UC_BREAK_POSSIBLE alone.
            last_p, last_column, piece_width = -1, 0, 0
            continue
        if brk == _POSSIBLE:
            last_p = i
            last_column += piece_width
            piece_width = 0
        piece_width += columns
    if last_p >= 0 and last_column + piece_width > width:
        cuts.append(last_p)
    # A line's first break is marked again when its first piece alone is
    # wider than the line.
    return sorted(set(cuts))


def _cuts_fast(escaped: str, start_column: int, width: int) -> list[int]:
    """Same result as _cuts_slow, for text that _FAST_TEXT_RE matches."""
    n = len(escaped)
    cuts: list[int] = []
    if start_column + n <= width:
        return cuts
    # No break just before the "\\n" that ends a portion (gettext override).
    last_allowed = n - 2 if escaped.endswith("\\n") and _is_escape_tail(escaped, n - 1) else n

    def allowed(b: int) -> bool:
        # Never inside an escape sequence (the other gettext override).
        if escaped[b - 1] == "\\" and _is_escape_tail(escaped, b):
            return False
        return b != last_allowed

    reversed_text = escaped[::-1]
    start, column = 0, start_column
    while column + n - start > width:
        # The last break b with start < b and the line [start, b) fitting.
        b = -1
        k = max(n - 1 - (start + width - column), 0)
        while (m := _BACKWARD_BREAK_RE.search(reversed_text, k, n - start)) is not None:
            if allowed(n - 1 - m.start()):
                b = n - 1 - m.start()
                break
            k = m.start() + 1
        if b <= start:
            # Nothing fits: the first piece overflows and sits alone.
            b = -1
            for m in _FORWARD_BREAK_RE.finditer(escaped, start):
                if allowed(m.end()):
                    b = m.end()
                    break
            if b < 0:
                break
        cuts.append(b)
        start, column = b, 0
    return cuts


def _cuts(escaped: str, start_column: int, width: int) -> list[int]:
    """Where gettext breaks an escaped portion (indexes of line starts)."""
    if _FAST_TEXT_RE.fullmatch(escaped) is not None:
        return _cuts_fast(escaped, start_column, width)
    return _cuts_slow(escaped, start_column, width)


# --------------------------------------------------------------------------
# Writing.

# gettext escapes exactly these, plus '"', "\\", "\n" and "\t"; every other
# character, control characters included, is written raw.
_RARE_ESCAPES = str.maketrans({"\a": "\\a", "\b": "\\b", "\v": "\\v", "\f": "\\f", "\r": "\\r"})
_NEEDS_ESCAPE_RE = re.compile(r'[\a\b\t\n\v\f\r"\\]')
_RARE_ESCAPE_RE = re.compile(r"[\a\b\v\f\r]")


def _escape(text: str) -> str:
    # str.translate() looks every character up in Python; chained replace()
    # calls stay in C, and most strings need none of this.
    if _NEEDS_ESCAPE_RE.search(text) is None:
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    if _RARE_ESCAPE_RE.search(text) is not None:
        text = text.translate(_RARE_ESCAPES)
    return text


def _portions(value: str) -> list[str]:
    if "\n" not in value:
        return [value]
    # str.splitlines() would also split at U+2028 and friends; gettext only
    # cuts after "\n".
    parts = value.split("\n")
    portions = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        portions.append(parts[-1])
    return portions


def _wrap(prefix: str, keyword: str, value: str, page_width: int, wrap: bool) -> tuple[str, ...]:
    """The lines of one keyword and its string, as gettext's wrap() writes them."""
    if type(value) is str:
        return _wrap_cached(prefix, keyword, value, page_width, wrap)
    return _wrap_lines(prefix, keyword, value, page_width, wrap)


@functools.lru_cache(maxsize=8192)
def _wrap_cached(
    prefix: str, keyword: str, value: str, page_width: int, wrap: bool
) -> tuple[str, ...]:
    """`_wrap_lines`, remembered: the result depends on the arguments alone,
    and the same strings come back often (every empty msgstr, and sentences
    many articles share: boilerplate, footers, the template and each catalog
    made from it)."""
    return _wrap_lines(prefix, keyword, value, page_width, wrap)


def _wrap_lines(
    prefix: str, keyword: str, value: str, page_width: int, wrap: bool
) -> tuple[str, ...]:
    width = (page_width if wrap else _INT_MAX) - 1 - (len(prefix) + 1)
    lines: list[str] = []
    first_line = True
    portions = _portions(value)
    for index, portion in enumerate(portions):
        escaped = _escape(portion)
        start_column = len(keyword) + 1 if first_line else 0
        cuts = _cuts(escaped, start_column, width)
        if first_line and escaped:
            last = index == len(portions) - 1
            if not last or start_column > width or cuts:
                lines.append(f'{prefix}{keyword} ""')
                first_line = False
                cuts = _cuts(escaped, 0, width)
        bounds = [0, *cuts, len(escaped)]
        for i in range(len(bounds) - 1):
            head = f"{prefix}{keyword} " if first_line else prefix
            first_line = False
            lines.append(f'{head}"{escaped[bounds[i] : bounds[i + 1]]}"')
    return tuple(lines)


# gettext 0.21's format_language[] order, which is the order flags are
# written in.
_FORMAT_LANGUAGES = (
    "c", "objc", "python", "python-brace", "java", "java-printf", "csharp",
    "javascript", "scheme", "lisp", "elisp", "librep", "ruby", "sh", "awk",
    "lua", "object-pascal", "smalltalk", "qt", "qt-plural", "kde", "kde-kuit",
    "boost", "tcl", "perl", "perl-brace", "php", "gcc-internal",
    "gfc-internal", "ycp",
)  # fmt: skip
_FLAG_SEPARATORS = re.compile(r"[\n \t\r\f\v,]+")
_RANGE_RE = re.compile(r"([0-9]+)\.\.([0-9]+)")


@dataclass
class _Flags:
    fuzzy: bool = False
    formats: dict[str, str] = field(default_factory=dict)
    range: tuple[int, int] | None = None
    wrap: bool = True
    #: Flags gettext does not know (Weblate's ``max-length:400``,
    #: ``ignore-end-punctuation``, ``read-only``...), in their order.
    others: list[str] = field(default_factory=list)


def _clamp(digits: str) -> int:
    """A decimal number as gettext stores it: saturated at INT_MAX."""
    digits = digits.lstrip("0") or "0"
    return _INT_MAX if len(digits) > 10 else min(int(digits), _INT_MAX)


def _split_flags(text: str) -> list[str]:
    """Flags as gettext tokenises them ("#, fuzzy c-format" is two flags)."""
    tokens = [t for t in _FLAG_SEPARATORS.split(text) if t]
    flags: list[str] = []
    for token in tokens:
        if flags and flags[-1] == "range:":
            flags[-1] = f"range: {token}"
        else:
            flags.append(token)
    return flags


def _parse_flags(flags: list[str]) -> _Flags:
    """Interpret flags as gettext's po_parse_comment_special() does."""
    result = _Flags()
    if not flags:
        return result
    tokens = [t for t in _FLAG_SEPARATORS.split(",".join(flags)) if t]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "fuzzy":
            result.fuzzy = True
        elif token == "wrap":
            result.wrap = True
        elif token == "no-wrap":
            result.wrap = False
        elif token == "range:" and i < len(tokens):
            m = _RANGE_RE.match(tokens[i])
            i += 1
            if m:
                low, high = (_clamp(g) for g in m.groups())
                if low <= high:
                    result.range = (low, high)
        elif token.endswith("-format"):
            name, value = token[: -len("-format")], "yes"
            for prefix, meaning in (("no-", "no"), ("possible-", "possible"), ("impossible-", "")):
                if name.startswith(prefix):
                    name, value = name[len(prefix) :], meaning
                    break
            if name in _FORMAT_LANGUAGES:
                result.formats[name] = value
            elif token not in result.others:
                result.others.append(token)
        elif token not in result.others:
            result.others.append(token)
    return result


def _flags_line(flags: _Flags, translated: bool, obsolete: bool) -> str | None:
    words = []
    if flags.fuzzy and (translated or obsolete):
        words.append("fuzzy")
    if flags.formats:
        for language in _FORMAT_LANGUAGES:
            value = flags.formats.get(language)
            if value:
                # "possible-" is written as plain "X-format" outside debug mode.
                words.append(f"no-{language}-format" if value == "no" else f"{language}-format")
    if flags.range is not None and not obsolete:
        words.append(f"range: {flags.range[0]}..{flags.range[1]}")
    if not flags.wrap:
        words.append("no-wrap")
    words += flags.others
    return "#, " + ", ".join(words) if words else None


def _comment_lines(marker: str, text: str) -> list[str]:
    if not text:
        return []
    return [f"{marker} {line}" if line else marker for line in text.split("\n")]


def _reference_lines(occurrences: list[tuple[str, str]], page_width: int) -> list[str]:
    seen: set[tuple[str, str]] = set()
    words: list[str] = []
    for file_name, line in occurrences:
        number = "" if line is None else str(line)
        if number.isdigit() and number.isascii():
            number = _line_number(number)
        key = (file_name, number)
        if key in seen:
            continue
        seen.add(key)
        while file_name.startswith("./"):
            file_name = file_name[2:]
        words.append(f"{file_name}:{number}" if number else file_name)
    if not words:
        return []
    lines: list[str] = []
    current = "#:"
    column = 2
    for word in words:
        # gettext measures references in bytes, not columns.
        size = len(word.encode("utf-8")) + 1
        if column > 2 and column + size > page_width:
            lines.append(current)
            current, column = "#:", 2
        current += " " + word
        column += size
    lines.append(current)
    return lines


def _is_plural(entry: polib.POEntry) -> bool:
    # polib cannot tell msgid_plural "" from no msgid_plural; the plural
    # forms can.
    return bool(entry.msgid_plural or entry.msgstr_plural)


def _msgstrs(entry: polib.POEntry) -> list[str]:
    if _is_plural(entry):
        if entry.msgstr_plural:
            return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
        return [entry.msgstr or "", ""]
    return [entry.msgstr or ""]


def _entry_lines(entry: polib.POEntry, page_width: int) -> list[str]:
    obsolete = bool(entry.obsolete)
    msgstrs = _msgstrs(entry)
    translated = msgstrs[0] != ""
    flags = _parse_flags(list(entry.flags))
    lines = _comment_lines("#", entry.tcomment or "")
    lines += _extracted_lines(entry, page_width)
    flags_line = _flags_line(flags, translated, obsolete)
    if flags_line is not None:
        lines.append(flags_line)
    previous_prefix, prefix = ("#~| ", "#~ ") if obsolete else ("#| ", "")
    for keyword, previous in (
        ("msgctxt", entry.previous_msgctxt),
        ("msgid", entry.previous_msgid),
        ("msgid_plural", entry.previous_msgid_plural),
    ):
        if previous is not None:
            lines += _wrap(previous_prefix, keyword, previous, page_width, flags.wrap)
    msgctxt: str | None = entry.msgctxt
    if msgctxt is not None:
        lines += _wrap(prefix, "msgctxt", msgctxt, page_width, flags.wrap)
    lines += _wrap(prefix, "msgid", entry.msgid, page_width, flags.wrap)
    if _is_plural(entry):
        lines += _wrap(prefix, "msgid_plural", entry.msgid_plural, page_width, flags.wrap)
        for i, msgstr in enumerate(msgstrs):
            lines += _wrap(prefix, f"msgstr[{i}]", msgstr, page_width, flags.wrap)
    else:
        lines += _wrap(prefix, "msgstr", msgstrs[0], page_width, flags.wrap)
    return lines


def _header_lines(catalog: polib.POFile, page_width: int) -> list[str]:
    msgstr = "".join(f"{key}: {value}\n" for key, value in catalog.metadata.items())
    lines = _comment_lines("#", catalog.header or "")
    if catalog.metadata_is_fuzzy and msgstr:
        lines.append("#, fuzzy")
    lines += _wrap("", "msgid", "", page_width, True)
    lines += _wrap("", "msgstr", msgstr, page_width, True)
    return lines


#: What `format_po` may remember between calls: the text of an entry, by
#: everything in the entry that the text depends on (see `_entry_key`).
RenderCache = dict[tuple[object, ...], str]


def _entry_key(entry: polib.POEntry, width: int) -> tuple[object, ...] | None:
    """Every field `_entry_lines` reads, or None when the entry is not cacheable.

    Two entries with equal keys are written identically.  The one place
    where equal values could print differently is a reference's line number
    (``str(1)``, ``str(1.0)`` and ``str(True)`` differ although the values
    compare equal), so only entries whose line numbers are all text are
    cached; every other field is text, None, a bool or a list of text.
    """
    occurrences = tuple(entry.occurrences)
    for occurrence in occurrences:
        if type(occurrence) is not tuple or type(occurrence[1]) is not str:
            return None
    return (
        width,
        bool(entry.obsolete),
        entry.msgctxt,
        entry.msgid,
        entry.msgid_plural,
        entry.msgstr,
        tuple(entry.msgstr_plural.items()),
        entry.tcomment,
        entry.comment,
        occurrences,
        tuple(entry.flags),
        entry.previous_msgctxt,
        entry.previous_msgid,
        entry.previous_msgid_plural,
    )


def _entry_text(entry: polib.POEntry, width: int, cache: RenderCache | None) -> str:
    if cache is None:
        return "\n".join(_entry_lines(entry, width))
    key = _entry_key(entry, width)
    if key is None:
        return "\n".join(_entry_lines(entry, width))
    try:
        text = cache.get(key)
    except TypeError:  # an unhashable value where text belongs
        return "\n".join(_entry_lines(entry, width))
    if text is None:
        text = cache[key] = "\n".join(_entry_lines(entry, width))
    return text


def format_header(catalog: polib.POFile, width: int = 79) -> str:
    """The header entry as `format_po` writes it, without its final newline.

    "" when `format_po` writes no header.  Otherwise ``format_po(catalog)``
    is this followed by the entries' text, so two catalogs whose entries
    render alike differ only here.
    """
    if not (catalog.metadata or catalog.header):
        return ""
    width = _INT_MAX if width <= 0 else max(width, 20)
    return "\n".join(_header_lines(catalog, width))


def format_po(catalog: polib.POFile, width: int = 79, cache: RenderCache | None = None) -> str:
    """Return the text `msgcat` would write for this catalog.

    The header entry comes first, built from ``catalog.header`` (its comment
    lines), ``catalog.metadata`` (``"Key: value\\n"`` lines, in dict order)
    and ``catalog.metadata_is_fuzzy``; it is left out when there is neither
    metadata nor a header comment.  Then the entries in order, and the
    obsolete entries last.  ``width`` is msgcat's ``--width`` (the page width;
    0 means unlimited, values below 20 count as 20, as in msgcat).

    ``cache``, a dict the caller keeps, lets calls share the text of entries
    that are equal in every written field: a template and the new catalogs
    made from it, or one catalog rendered again with another header date.
    """
    return join_po(format_header(catalog, width), format_body(catalog, width, cache))


def format_body(catalog: polib.POFile, width: int = 79, cache: RenderCache | None = None) -> str:
    """The entries as `format_po` writes them, without the final newline.

    ``format_po(c) == join_po(format_header(c), format_body(c))``: a catalog
    written again with another header (a new date) needs only its header
    rendered again.
    """
    # msgcat --width: 0 means no limit, and anything below 20 counts as 20.
    width = _INT_MAX if width <= 0 else max(width, 20)
    blocks: list[str] = []
    for entry in catalog:
        if not entry.obsolete:
            blocks.append(_entry_text(entry, width, cache))
    for entry in catalog:
        if entry.obsolete and is_written(entry):
            blocks.append(_entry_text(entry, width, cache))
    return "\n\n".join(blocks)


def comment_lines(entry: polib.POEntry, width: int = 79) -> list[str]:
    """An entry's extracted-comment (``#.``) and reference (``#:``) lines, as
    `format_body` writes them: what a template entry carries besides its
    msgctxt, msgid and empty msgstr."""
    return _extracted_lines(entry, _INT_MAX if width <= 0 else max(width, 20))


def _extracted_lines(entry: polib.POEntry, page_width: int) -> list[str]:
    return _comment_lines("#.", entry.comment or "") + _reference_lines(
        list(entry.occurrences), page_width
    )


def is_written(entry: polib.POEntry) -> bool:
    """Whether `format_body` writes the entry: msgcat drops obsolete entries
    that carry no translation; we keep one a translator commented on."""
    return not entry.obsolete or _msgstrs(entry)[0] != "" or bool(entry.tcomment)


def entry_text(entry: polib.POEntry, width: int = 79, cache: RenderCache | None = None) -> str:
    """One entry's block as `format_body` writes it, without a final newline."""
    width = _INT_MAX if width <= 0 else max(width, 20)
    return _entry_text(entry, width, cache)


def join_po(header: str, body: str) -> str:
    """A catalog's text from `format_header` and `format_body`."""
    # One blank line between entries, none at the end.
    blocks = [block for block in (header, body) if block]
    return "\n\n".join(blocks) + "\n" if blocks else ""


# --------------------------------------------------------------------------
# Reading.

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\f\v\n]+)
    | (?P<obsolete>\#~\|?)
    | (?P<previous>\#\|)
    | (?P<comment>\#[^\n]*)
    | (?P<string>"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*")
    | (?P<unterminated>"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*\\?)
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$]*)
    | (?P<number>[0-9]+)
    | (?P<bracket>[\[\]])
    | (?P<junk>.)
    """,
    re.VERBOSE,
)
_ESCAPE_RE = re.compile(r"\\(?:([ntbrfva\\\"])|([0-7]{1,3})|x([0-9A-Fa-f]+)|(.)|$)")
_SIMPLE_UNESCAPES = {
    "n": "\n", "t": "\t", "b": "\b", "r": "\r", "f": "\f", "v": "\v", "a": "\a",
    "\\": "\\", '"': '"',
}  # fmt: skip
_KEYWORDS = {"msgctxt": "MSGCTXT", "msgid": "MSGID", "msgid_plural": "MSGID_PLURAL"}
_KEYWORD_TOKENS = {**_KEYWORDS, "msgstr": "MSGSTR"}
_STRING_BODY = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_STRING_LINE_RE = re.compile(_STRING_BODY + r"[ \t\r\f\v]*")
_KEYWORD_LINE_RE = re.compile(
    r"(?:(msgctxt|msgid_plural|msgid|msgstr)|msgstr\[([0-9]+)\])[ \t]+"
    + _STRING_BODY
    + r"[ \t\r\f\v]*"
)


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    line: int
    obsolete: bool


class _Reader:
    """Recursive-descent reader over gettext's PO grammar."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.tokens = self._lex(text)
        self.pos = 0
        self.line = 1  # of the last token taken, for errors at the end of file
        self.obsolete = False  # of the message being read

    def error(self, message: str, line: int, hint: str | None = None) -> CatalogError:
        return CatalogError(message, path=self.path, line=line, hint=hint)

    def _lex(self, text: str) -> list[_Token]:
        text = text.removeprefix("\ufeff")
        conflict = (
            _CONFLICT_RE.search(text)
            if "<<<<<<<" in text or "=======" in text or ">>>>>>>" in text
            else None
        )
        if conflict is not None:
            # Said before anything else: the lexer would only see a stray '<'.
            raise self.error(
                "unresolved merge conflict: git left its <<<<<<< ======= >>>>>>> lines here",
                text.count("\n", 0, conflict.start()) + 1,
                hint="keep one side of each conflicting entry and delete the marker lines, "
                "then check with msgfmt -c; or take one side whole with "
                "git checkout --ours/--theirs FILE and run edition sync",
            )
        tokens: list[_Token] = []
        if "\\\n" in text:
            # gettext's lexer drops backslash-newline everywhere; remember
            # where, so that line numbers still point into the original text.
            pieces = text.split("\\\n")
            joins = list(itertools.accumulate(len(piece) for piece in pieces[:-1]))
            self._lex_text("".join(pieces), 1, joins, True, tokens)
            return tokens
        lines = text.split("\n")
        for number, line in enumerate(lines, 1):
            # Whole-line shortcuts for the shapes gettext itself writes; the
            # general tokenizer below gives the same tokens, only slower.
            if not line:
                continue
            first = line[0]
            if first == "#":
                if line[1:2] not in ("~", "|"):
                    tokens.append(_Token("COMMENT", line[1:], number, False))
                    continue
            elif first == '"':
                m = _STRING_LINE_RE.fullmatch(line)
                if m is not None:
                    value = self._unescape(m.group(1), number)
                    tokens.append(_Token("STRING", value, number, False))
                    continue
            elif first == "m":
                m = _KEYWORD_LINE_RE.fullmatch(line)
                if m is not None:
                    keyword, index, body = m.groups()
                    if index is None:
                        tokens.append(_Token(_KEYWORD_TOKENS[keyword], keyword, number, False))
                    else:
                        tokens += [
                            _Token("MSGSTR", "msgstr", number, False),
                            _Token("[", "[", number, False),
                            _Token("NUMBER", index, number, False),
                            _Token("]", "]", number, False),
                        ]
                    tokens.append(_Token("STRING", self._unescape(body, number), number, False))
                    continue
            self._lex_text(line, number, [], number == len(lines), tokens)
        return tokens

    def _lex_text(
        self, text: str, line: int, joins: list[int], ends_file: bool, tokens: list[_Token]
    ) -> None:
        """gettext's tokenizer (po-lex.c) over text starting at a given line."""
        obsolete = previous = False
        join_index = 0
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup
            while join_index < len(joins) and joins[join_index] <= m.start():
                join_index += 1
                line += 1
            if kind == "space":
                newlines = m.group().count("\n")
                if newlines:
                    line += newlines
                    obsolete = previous = False
            elif kind == "obsolete":
                obsolete = True
                previous = m.group().endswith("|")
            elif kind == "previous":
                previous = True
            elif kind == "comment":
                tokens.append(_Token("COMMENT", m.group()[1:], line, obsolete))
                obsolete = False
            elif kind == "string":
                value = self._unescape(m.group()[1:-1], line)
                tokens.append(
                    _Token("PREV_STRING" if previous else "STRING", value, line, obsolete)
                )
            elif kind == "unterminated":
                where = "end-of-file" if ends_file and m.end() == len(text) else "end-of-line"
                raise self.error(
                    f"{where} within string", line, hint='close the string with a double quote (")'
                )
            elif kind == "word":
                word = m.group()
                if word in _KEYWORDS:
                    kind_name = ("PREV_" if previous else "") + _KEYWORDS[word]
                elif word == "msgstr" and not previous:
                    kind_name = "MSGSTR"
                elif word == "domain" and not previous:
                    raise self.error('"domain" directives are not supported', line)
                elif tokens and tokens[-1].kind.endswith("STRING") and tokens[-1].line == line:
                    raise self._unescaped_quote(line)
                else:
                    raise self.error(
                        f'keyword "{word}" unknown',
                        line,
                        hint="expected msgctxt, msgid, msgid_plural or msgstr",
                    )
                tokens.append(_Token(kind_name, word, line, obsolete))
            elif kind == "number":
                tokens.append(_Token("NUMBER", m.group(), line, obsolete))
            elif kind == "bracket":
                tokens.append(_Token(m.group(), m.group(), line, obsolete))
            elif tokens and tokens[-1].kind.endswith("STRING") and tokens[-1].line == line:
                raise self._unescaped_quote(line)
            else:
                raise self.error(f"syntax error: unexpected {m.group()!r}", line)

    def _unescaped_quote(self, line: int) -> CatalogError:
        """Text after a string on its line: a quotation mark inside the
        translation ended the string early."""
        return self.error(
            'a quotation mark (") inside the text is not escaped, so the string ends early',
            line,
            hint='write it as \\" inside the quotes, or use «» or “” as the house style asks',
        )

    def _unescape(self, body: str, line: int) -> str:
        if "\\" not in body:
            value = body
        else:
            raw = bytearray()
            last = 0
            for m in _ESCAPE_RE.finditer(body):
                raw += body[last : m.start()].encode("utf-8", "surrogatepass")
                last = m.end()
                simple, octal, hexa, _other = m.groups()
                if simple is not None:
                    raw += _SIMPLE_UNESCAPES[simple].encode()
                elif octal is not None:
                    raw.append(int(octal, 8) & 0xFF)
                elif hexa is not None:
                    raw.append(int(hexa, 16) & 0xFF)
                else:
                    raise self.error("invalid control sequence", line)
            raw += body[last:].encode("utf-8", "surrogatepass")
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.error("invalid multibyte sequence in string", line) from exc
        if "\x04" in value:
            raise self.error("context separator <EOT> within string", line)
        if "\x00" in value:
            # gettext would silently cut the string here.
            raise self.error("NUL character within string", line)
        return value

    # -- grammar ---------------------------------------------------------

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def optional(self, kind: str) -> _Token | None:
        if self.pos >= len(self.tokens):
            return None
        token = self.tokens[self.pos]
        if token.kind != kind:
            return None
        if token.obsolete != self.obsolete:
            # Same place as gettext's check_obsolete(): the first token whose
            # "#~" differs from the start of its message.
            raise self.error(
                "inconsistent use of #~",
                token.line,
                hint="prefix every line of an obsolete entry with #~",
            )
        self.pos += 1
        self.line = token.line
        return token

    def expect(self, kind: str, what: str) -> _Token:
        token = self.optional(kind)
        if token is None:
            here = self.peek()
            raise self.error(
                f"syntax error: expected {what}", here.line if here is not None else self.line
            )
        return token

    def strings(self, kind: str) -> str:
        parts = [self.expect(kind, "a quoted string").text]
        while (token := self.optional(kind)) is not None:
            parts.append(token.text)
        return "".join(parts)

    def message(self, comments: list[_Token]) -> polib.POEntry:
        first = self.tokens[self.pos]
        self.obsolete = first.obsolete
        previous: dict[str, str] = {}
        if self.optional("PREV_MSGCTXT"):
            previous["msgctxt"] = self.strings("PREV_STRING")
            self.expect("PREV_MSGID", '"#| msgid" after "#| msgctxt"')
            previous["msgid"] = self.strings("PREV_STRING")
        elif self.optional("PREV_MSGID"):
            previous["msgid"] = self.strings("PREV_STRING")
        if "msgid" in previous and self.optional("PREV_MSGID_PLURAL"):
            previous["msgid_plural"] = self.strings("PREV_STRING")
        msgctxt = None
        if self.optional("MSGCTXT"):
            msgctxt = self.strings("STRING")
        intro = self.expect("MSGID", "msgid")
        msgid = self.strings("STRING")
        msgid_plural = ""
        msgstr = ""
        msgstr_plural: dict[int, str] = {}
        if plural := self.optional("MSGID_PLURAL"):
            msgid_plural = self.strings("STRING")
            msgstr_plural = self.plural_forms(plural)
        elif self.optional("MSGSTR"):
            if self.optional("["):
                raise self.error("missing 'msgid_plural' section", intro.line)
            msgstr = self.strings("STRING")
        else:
            raise self.error("missing 'msgstr' section", intro.line)
        entry = polib.POEntry(
            msgctxt=msgctxt,
            msgid=msgid,
            msgstr=msgstr,
            msgid_plural=msgid_plural,
            msgstr_plural=msgstr_plural,
            obsolete=self.obsolete,
            linenum=intro.line,
            previous_msgctxt=previous.get("msgctxt"),
            previous_msgid=previous.get("msgid"),
            previous_msgid_plural=previous.get("msgid_plural"),
        )
        self.attach_comments(entry, comments)
        return entry

    def plural_forms(self, plural: _Token) -> dict[int, str]:
        forms: dict[int, str] = {}
        while (msgstr := self.optional("MSGSTR")) is not None:
            self.expect("[", '"[" after msgstr')
            index = _clamp(self.expect("NUMBER", "a plural form index").text)
            self.expect("]", '"]"')
            if index != len(forms):
                message = (
                    "first plural form has nonzero index"
                    if not forms
                    else "plural form has wrong index"
                )
                raise self.error(message, msgstr.line)
            forms[index] = self.strings("STRING")
        if not forms:
            raise self.error("missing 'msgstr[]' section", plural.line)
        return forms

    def attach_comments(self, entry: polib.POEntry, comments: list[_Token]) -> None:
        translator: list[str] = []
        extracted: list[str] = []
        for token in comments:
            text = token.text
            if text.startswith("."):
                extracted.append(text[2:] if text.startswith(". ") else text[1:])
            elif text.startswith(":"):
                entry.occurrences.extend(_parse_references(text[1:]))
            elif text.startswith((",", "!")):
                entry.flags.extend(_split_flags(text[1:]))
            else:
                solaris = _parse_solaris_reference(text)
                if solaris is not None:
                    entry.occurrences.append(solaris)
                else:
                    translator.append(text[1:] if text.startswith(" ") else text)
        entry.tcomment = "\n".join(translator)
        entry.comment = "\n".join(extracted)

    def read(self) -> polib.POFile:
        catalog = polib.POFile(wrapwidth=79)
        seen: dict[tuple[str | None, str], int] = {}
        comments: list[_Token] = []
        header_found = False
        while (token := self.peek()) is not None:
            if token.kind == "COMMENT":
                comments.append(token)
                self.pos += 1
                continue
            if token.kind not in ("PREV_MSGCTXT", "PREV_MSGID", "MSGCTXT", "MSGID"):
                raise self.error(f"syntax error: unexpected {token.text!r}", token.line)
            entry = self.message(comments)
            comments = []
            key = (entry.msgctxt, entry.msgid)
            line = entry.linenum or token.line
            if key in seen:
                raise self.error(
                    "duplicate message definition",
                    line,
                    hint=f"the first definition is at line {seen[key]}",
                )
            seen[key] = line
            if (
                not header_found
                and not entry.obsolete
                and entry.msgctxt is None
                and entry.msgid == ""
            ):
                header_found = True
                self.set_header(catalog, entry)
            else:
                catalog.append(entry)
        # Comments after the last entry belong to nothing; gettext drops them.
        return catalog

    @staticmethod
    def set_header(catalog: polib.POFile, entry: polib.POEntry) -> None:
        catalog.header = entry.tcomment
        catalog.metadata_is_fuzzy = _parse_flags(list(entry.flags)).fuzzy
        key: str | None = None
        for line in entry.msgstr.split("\n"):
            if ":" in line:
                key, value = line.split(":", 1)
                catalog.metadata[key] = value.strip()
            elif key is not None and line.strip():
                catalog.metadata[key] += "\n" + line.strip()


_REFERENCE_SEPARATORS_RE = re.compile(r"[ \t\n]+")
_REFERENCE_RE = re.compile(r"(.+):([0-9]+)", re.ASCII | re.DOTALL)


def _line_number(digits: str) -> str:
    # As gettext prints it (%ld of the parsed number), without int() so that
    # absurdly long digit strings cannot raise.
    return digits.lstrip("0") or "0"


def _parse_references(text: str) -> list[tuple[str, str]]:
    """File references of a "#:" comment, as gettext reads them."""
    words = [word for word in _REFERENCE_SEPARATORS_RE.split(text) if word]
    if any(word[0] == ":" or word[-1] == ":" for word in words):
        # "file : 12" and "file: 12" are references too.
        return _parse_references_spaced(text)
    result: list[tuple[str, str]] = []
    for word in words:
        m = _REFERENCE_RE.fullmatch(word)
        result.append((m.group(1), _line_number(m.group(2))) if m else (word, ""))
    return result


def _parse_references_spaced(text: str) -> list[tuple[str, str]]:
    """Port of gettext's po_parse_comment_filepos (GNU "#:" syntax)."""
    result: list[tuple[str, str]] = []
    blanks = " \t\n"
    n = len(text)
    s = 0
    while s < n:
        while s < n and text[s] in blanks:
            s += 1
        if s >= n:
            break
        start = s
        while s < n and text[s] not in blanks:
            s += 1
        word = text[start:s]
        # "file : 12" or "file :12"
        p = s
        while p < n and text[p] in blanks:
            p += 1
        if p < n and text[p] == ":":
            p += 1
            while p < n and text[p] in blanks:
                p += 1
            q = p
            while q < n and text[q].isdigit() and text[q].isascii():
                q += 1
            if q > p and (q == n or text[q] in blanks):
                result.append((word, _line_number(text[p:q])))
                s = q
                continue
        # "file: 12"
        if word.endswith(":"):
            p = s
            while p < n and text[p] in blanks:
                p += 1
            q = p
            while q < n and text[q].isdigit() and text[q].isascii():
                q += 1
            if q > p and (q == n or text[q] in blanks):
                result.append((word[:-1], _line_number(text[p:q])))
                s = q
                continue
        # "file:12"
        m = re.search(r"[0-9]+\Z", word, re.ASCII)
        if m is not None and m.start() > 1 and word[m.start() - 1] == ":":
            result.append((word[: m.start() - 1], _line_number(m.group())))
            continue
        result.append((word, ""))
    return result


_SOLARIS_RE = re.compile(
    r" [Ff]ile:[ \t]*(?P<file>.*?)[ \t]*,[ \t]*line[ \t]*(?:number[ \t]*)?:(?P<line>[0-9]+)[ \t\n]*\Z",
    re.ASCII | re.DOTALL,
)


def _parse_solaris_reference(text: str) -> tuple[str, str] | None:
    """Sun-style "# File: a.c, line: 12" comments are references to gettext."""
    m = _SOLARIS_RE.match(text)
    if m is None:
        return None
    return (m.group("file"), _line_number(m.group("line")))


def parse_po(text: str, path: str) -> polib.POFile:
    """Parse PO text into a polib catalog, keeping every field gettext keeps.

    ``text`` is always the content, never a file name; ``path`` only labels
    errors.  Any syntax error raises `CatalogError` with ``path`` and the
    1-based line, in gettext's wording.  The header entry becomes
    ``catalog.header`` (its translator comments), ``catalog.metadata`` and
    ``catalog.metadata_is_fuzzy``; flags are kept as written, split at commas.
    """
    return _Reader(text, path).read()


#: A header entry as `format_header` writes it, whose strings hold no escape
#: but a final newline: its comment lines, the fuzzy flag, its strings.
_HEADER_RE = re.compile(
    r'((?:#(?: [^\n]*)?\n)*)(#, fuzzy\n)?msgid ""\nmsgstr ""((?:\n"[^"\\\n]*(?:\\n)?")*)'
)


def parse_header(text: str, path: str) -> polib.POFile:
    """`parse_po` of a catalog's first block, the header entry.

    The usual header (comment lines, perhaps ``#, fuzzy``, ``msgid ""`` and
    strings of ``Key: value\\n``) is read directly, with `parse_po`'s rules;
    anything else goes to `parse_po` itself.
    """
    m = _HEADER_RE.fullmatch(text.removesuffix("\n"))
    if m is not None:
        comments, fuzzy, strings = m.groups()
        lines = [line[2:] for line in comments.split("\n")[:-1]]
        if not any(_parse_solaris_reference(" " + line) for line in lines):
            entry = polib.POEntry(
                msgid="",
                msgstr="".join(s[1:-1].replace("\\n", "\n") for s in strings.split("\n")[1:]),
                tcomment="\n".join(lines),
                flags=["fuzzy"] if fuzzy else [],
            )
            catalog = polib.POFile(wrapwidth=79)
            _Reader.set_header(catalog, entry)
            return catalog
    return parse_po(text, path)


def read_po(path: str | Path) -> polib.POFile:
    """Read and parse a PO or POT file; `CatalogError` names the file and line."""
    file = Path(path)
    try:
        data, _status = read_regular(file)
    except OSError as exc:
        raise CatalogError(f"cannot read: {exc.strerror}", path=file) from exc
    return parse_po(decode_po(data, file), str(file))


def decode_po(data: bytes, path: Path) -> str:
    """A catalog's bytes as text; `CatalogError` names the line of a byte
    that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            "not UTF-8", path=path, line=line, hint="save the file as UTF-8"
        ) from exc
