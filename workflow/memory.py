"""Translation memory: reviewed translations, found again for new text.

Sources, per locale: every reviewed entry of every catalog (obsolete ``#~``
entries included: a sentence cut last month may come back), and units
imported from TMX 1.4 files (OmegaT, Trados), kept under
``.edition/memory/``.  Drafts never feed the memory.

Lookup: an exact match first, then the closest text whose similarity
(difflib's ratio, in percent) reaches the threshold (default 75) and whose
numbers are the same: a fuzzy match on "18.9%" must not draft the "12,9%" of
the sentence it resembles, so a candidate whose numbers differ is skipped.  Fuzzy
candidates come from an inverted index of words, so a lookup compares with
a few dozen texts, not with every entry of the archive.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .catalog import JOINED, State, entry_state
from .config import Settings
from .errors import WorkflowError
from .files import atomic_write, root_lock
from .guard import read_regular
from .poformat import read_po

DEFAULT_THRESHOLD = 75
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
#: Candidates compared in full for one fuzzy lookup.
_CANDIDATES = 40


class TMXError(WorkflowError):
    """A TMX file cannot be read or written."""


@dataclass(frozen=True)
class Match:
    text: str
    score: int  # percent; 100 for an exact match
    source: str


class Memory:
    """Source text -> reviewed translation for one target locale."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for source, target in pairs:
            if source and target:
                votes[source][target] += 1
        # The translation used most often wins; ties go to the first seen.
        self.exact: dict[str, str] = {s: c.most_common(1)[0][0] for s, c in votes.items()}
        self.sources = list(self.exact)
        self.index: dict[str, list[int]] = defaultdict(list)
        for i, source in enumerate(self.sources):
            for word in set(_words(source)):
                self.index[word].append(i)

    def __len__(self) -> int:
        return len(self.exact)

    def lookup(self, text: str, threshold: int = DEFAULT_THRESHOLD) -> Match | None:
        found = self.exact.get(text)
        if found is not None:
            return Match(found, 100, text)
        words = set(_words(text))
        if not words:
            return None
        shared: Counter[int] = Counter()
        for word in words:
            postings = self.index.get(word, ())
            # Words in a large share of the memory say little; skip them.
            if len(postings) <= max(50, len(self.sources) // 10):
                shared.update(postings)
        best: Match | None = None
        numbers: Counter[str] | None = None
        for i, _n in shared.most_common(_CANDIDATES):
            candidate = self.sources[i]
            matcher = difflib.SequenceMatcher(None, text, candidate, autojunk=False)
            if (
                matcher.real_quick_ratio() * 100 < threshold
                or matcher.quick_ratio() * 100 < threshold
            ):
                continue
            score = int(matcher.ratio() * 100)
            if score < threshold or (best is not None and score <= best.score):
                continue
            if numbers is None:
                numbers = Counter(_NUMBER.findall(text))
            if Counter(_NUMBER.findall(candidate)) == numbers:
                best = Match(self.exact[candidate], score, candidate)
        return best


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def catalog_pairs(settings: Settings, locale: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every reviewed entry in the locale's catalogs."""
    pairs: list[tuple[str, str]] = []
    folder = settings.locales_dir / locale
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        try:
            po = read_po(path)
        except WorkflowError:
            continue  # reported by sync and status; the memory does without it
        for entry in [*po, *po.obsolete_entries()]:
            if (
                entry.msgid
                and not entry.msgid_plural
                and entry_state(entry) is State.REVIEWED
                and entry.msgstr != JOINED  # says nothing about this text alone
            ):
                pairs.append((entry.msgid, entry.msgstr))
    return pairs


def _imported_path(settings: Settings, locale: str) -> Path:
    return settings.state_dir / "memory" / f"imported-{locale}.json"


def imported_pairs(
    settings: Settings, locale: str, warnings: list[str] | None = None
) -> list[tuple[str, str]]:
    """Units imported for ``locale``.  The file is derived state: one that
    cannot be read is set aside (``.damaged``) with a warning, never fatal."""
    path = _imported_path(settings, locale)
    try:
        data, _status = read_regular(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TMXError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        units = json.loads(data.decode("utf-8"))
        if not isinstance(units, list):
            raise ValueError("not a list of units")
        pairs = []
        for unit in units:
            if (
                not isinstance(unit, list)
                or len(unit) != 2
                or not all(isinstance(text, str) for text in unit)
            ):
                raise ValueError("not a list of [source, target] pairs")
            pairs.append((unit[0], unit[1]))
    except ValueError as exc:  # UnicodeDecodeError and JSON's errors too
        aside = path.with_name(path.name + ".damaged")
        os.replace(path, aside)
        if warnings is not None:
            warnings.append(
                f"{path}: unreadable ({str(exc)[:80]}); moved to {aside.name}, "
                "import the TMX files again"
            )
        return []
    return pairs


def load_memory(settings: Settings, locale: str, warnings: list[str] | None = None) -> Memory:
    # Our own reviewed work comes first: it wins ties over imported units.
    return Memory([*catalog_pairs(settings, locale), *imported_pairs(settings, locale, warnings)])


# -- TMX 1.4 ------------------------------------------------------------------


def export_tmx(settings: Settings, path: Path, locales: Sequence[str]) -> int:
    """Write every reviewed translation as TMX 1.4; returns the number of units."""
    by_source: dict[str, dict[str, str]] = defaultdict(dict)
    for locale in locales:
        memory = Memory(catalog_pairs(settings, locale))
        for source, target in memory.exact.items():
            by_source[source][locale] = target
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<tmx version="1.4">',
        f'  <header creationtool="edition" creationtoolversion="1" datatype="plaintext"'
        f' segtype="sentence" adminlang="en" srclang={quoteattr(settings.source)}'
        ' o-tmf="gettext"/>',
        "  <body>",
    ]
    for source in sorted(by_source):
        lines.append("    <tu>")
        lines.append(f'      <tuv xml:lang="{settings.source}"><seg>{escape(source)}</seg></tuv>')
        for locale, target in sorted(by_source[source].items()):
            lines.append(f'      <tuv xml:lang="{locale}"><seg>{escape(target)}</seg></tuv>')
        lines.append("    </tu>")
    lines += ["  </body>", "</tmx>", ""]
    atomic_write(path, "\n".join(lines).encode("utf-8"))
    return len(by_source)


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _lang(code: str) -> str:
    return code.replace("-", "_").split("_")[0].lower()


#: Encodings refused even where Python has a codec: UTF-7 can hide markup
#: (``+ADw-`` is ``<``), and a parser that does not know it reads other text.
_REFUSED_ENCODINGS = {"utf_7"}
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def _decode_tmx(data: bytes, path: Path) -> str:
    """The text of an XML file, decoded by its byte-order mark, or else by
    its declaration (UTF-8 by default), so that what follows sees the same
    characters whatever the encoding (a UTF-16 file hides ``<!ENTITY`` from a
    byte search)."""
    boms = [
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ]
    encoding = None
    for bom, name in boms:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    if encoding is None:
        if data.startswith(b"<\0"):
            encoding = "utf-16-le"
        elif data.startswith(b"\0<"):
            encoding = "utf-16-be"
        else:
            match = _DECLARATION.match(data)
            declared = match.group(1).decode("ascii") if match else "utf-8"
            try:
                name = codecs.lookup(declared).name
            except LookupError:
                name = ""
            if not name or name.replace("-", "_") in _REFUSED_ENCODINGS:
                raise TMXError(
                    f"the encoding {declared!r} is not supported",
                    path=path,
                    line=1,
                    hint="export the memory as UTF-8 or UTF-16",
                )
            encoding = name
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TMXError(
            f"not valid {encoding}", path=path, line=line, hint="export the memory as UTF-8"
        ) from exc


class _NoDoctype(ET.TreeBuilder):
    """A tree builder that refuses a document type declaration."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise TMXError("DTDs and entities are not accepted in TMX files")


def import_tmx(
    settings: Settings, path: Path, wait: float = 30.0, warnings: list[str] | None = None
) -> dict[str, int]:
    """Keep the units of a TMX file for the memory; returns units per locale.

    Holds the root's lock, as sync does: two imports at once would each
    merge into what the other has not written yet, and one would be lost.
    """
    try:
        data, _status = read_regular(path)
    except OSError as exc:
        raise TMXError(f"cannot read: {exc.strerror}", path=path) from exc
    text = _decode_tmx(data, path)
    # No DTD, no entities: nothing in a memory file may expand or fetch.
    upper = text.upper()
    for refused in ("<!DOCTYPE", "<!ENTITY"):
        at = upper.find(refused)
        if at >= 0:
            raise TMXError(
                "DTDs and entities are not accepted in TMX files",
                path=path,
                line=text.count("\n", 0, at) + 1,
                hint="export the memory again without a DOCTYPE",
            )
    # The text is decoded: parse it as UTF-8 without its declaration.
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(body.encode("utf-8"))
        root = parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise TMXError(f"not valid XML: {exc}", path=path, line=line) from exc
    except TMXError as exc:
        raise TMXError(exc.message, path=path, line=1) from None
    if root.tag != "tmx":
        raise TMXError("not a TMX file (no <tmx> root)", path=path, line=1)
    header = root.find("header")
    srclang = (
        _lang(header.get("srclang", settings.source)) if header is not None else settings.source
    )
    if srclang not in (_lang(settings.source), "*all*"):
        raise TMXError(
            f"the memory's source language is {srclang}, not {settings.source}", path=path
        )
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for tu in root.iter("tu"):
        segs: dict[str, str] = {}
        for tuv in tu.findall("tuv"):
            lang = _lang(tuv.get(_XML_LANG) or tuv.get("lang") or "")
            seg = tuv.find("seg")
            if seg is not None:
                segs[lang] = "".join(seg.itertext())
        source = segs.get(_lang(settings.source))
        if not source:
            continue
        for locale in settings.locales:
            target = segs.get(_lang(locale))
            if target:
                found[locale].append((source, target))
    counts: dict[str, int] = {}
    with root_lock(settings.state_dir, wait, "memory import"):
        for locale, pairs in found.items():
            merged = dict(imported_pairs(settings, locale, warnings))
            merged.update(pairs)
            atomic_write(
                _imported_path(settings, locale),
                json.dumps(sorted(merged.items()), ensure_ascii=False, indent=0).encode("utf-8"),
            )
            counts[locale] = len(pairs)
    return counts
