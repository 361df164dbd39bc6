"""House terminology: a glossary per locale.

``locales/<lang>/glossary.csv`` (UTF-8, comma-separated, a header line
naming the columns ``source,target`` and optionally ``note``; lines starting
with ``#`` are comments) and/or ``locales/<lang>/glossary.tbx`` (TBX-Basic,
as ``edition glossary export`` writes it and Weblate exports a glossary).
Both are read when both exist; a source term in both takes the CSV's
rendering.

Effects:

* `workflow.sync` adds a line ``glossary: Lukashenka = Лукашэнка`` to the
  ``#.`` comment of every entry whose English has the term (`annotate`);
* `edition check` warns (`glossary`) when the English of an entry has a
  term and its translation has no form of the glossary's rendering.

Forms are matched by stem (`stem`): the rendering's words lose one
Belarusian or Russian inflectional ending, and a word of the translation
matches when it starts with that stem and has at most a few letters more
(Лукашэнка matches Лукашэнкі, Лукашэнку; Саюзная дзяржава matches Саюзнай
дзяржавы; Лукашенка does not match Лукашэнка).
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import WorkflowError

CSV_NAME = "glossary.csv"
TBX_NAME = "glossary.tbx"
CSV_COLUMNS = ("source", "target", "note")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class GlossaryError(WorkflowError):
    """A glossary file cannot be read."""


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    note: str = ""
    #: Where the term is defined (``locales/be/glossary.csv:4``), for messages.
    where: str = ""

    def comment(self) -> str:
        return f"glossary: {self.source} = {self.target}"


@dataclass(frozen=True)
class Glossary:
    locale: str
    terms: tuple[Term, ...] = ()
    #: Rows or files that could not be read (reported by sync and check).
    errors: tuple[GlossaryError, ...] = ()

    def in_source(self, text: str) -> list[Term]:
        """The terms whose source appears in ``text`` (English), in glossary order."""
        return [t for t in self.terms if _source_pattern(t.source).search(text)]


def glossary_paths(settings: Settings, locale: str) -> list[Path]:
    folder = settings.locales_dir / locale
    return [folder / CSV_NAME, folder / TBX_NAME]


def load_glossary(settings: Settings, locale: str) -> Glossary:
    """The locale's glossary (empty when there is none); cached by the
    files' modification times."""
    stamps: list[tuple[str, int | None, int | None]] = []
    for path in glossary_paths(settings, locale):
        try:
            st = path.stat()
            stamps.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append((str(path), None, None))
    return _load(str(settings.root), locale, tuple(stamps))


def fingerprint(settings: Settings, locale: str) -> str:
    """What a cached result that depends on the glossary must be keyed on."""
    from .files import sha256

    parts = []
    for path in glossary_paths(settings, locale):
        try:
            parts.append(sha256(_read(path, str(path))))
        except GlossaryError:
            parts.append("-")
    return ",".join(parts)


@functools.lru_cache(maxsize=16)
def _load(
    root: str, locale: str, stamps: tuple[tuple[str, int | None, int | None], ...]
) -> Glossary:
    terms: dict[str, Term] = {}
    errors: list[GlossaryError] = []
    csv_path, tbx_path = (Path(p) for p, _m, _s in stamps)
    rel = Path("locales") / locale
    if stamps[1][1] is not None:
        try:
            for term in read_tbx(tbx_path, locale, str(rel / TBX_NAME)):
                terms[term.source.casefold()] = term
        except GlossaryError as exc:
            errors.append(exc)
    if stamps[0][1] is not None:
        found, bad = read_csv(csv_path, str(rel / CSV_NAME))
        errors.extend(bad)
        for term in found:
            terms[term.source.casefold()] = term
    return Glossary(locale, tuple(terms.values()), tuple(errors))


def read_csv(path: Path, shown: str | None = None) -> tuple[list[Term], list[GlossaryError]]:
    """Terms of a glossary.csv, and one error per row that cannot be used."""
    shown = shown or str(path)
    try:
        text = _read(path, shown).decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [GlossaryError("not UTF-8", path=shown, hint="save the file as UTF-8")]
    except GlossaryError as exc:
        return [], [exc]
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)]
    rows = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        return [], []
    header_line, header = rows[0]
    columns = [c.strip().lower() for c in next(csv.reader([header]))]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown or "source" not in columns or "target" not in columns:
        return [], [
            GlossaryError(
                f"the header names the columns {', '.join(columns)}",
                path=shown,
                line=header_line,
                hint="the first line must be 'source,target' or 'source,target,note'",
            )
        ]
    terms: list[Term] = []
    errors: list[GlossaryError] = []
    for n, line in rows[1:]:
        values = next(csv.reader([line]), [])
        if len(values) > len(columns):
            errors.append(
                GlossaryError(
                    f"{len(values)} values for {len(columns)} columns",
                    path=shown,
                    line=n,
                    hint='quote a value with a comma in it: "Minsk, Belarus"',
                )
            )
            continue
        row = dict(zip(columns, (v.strip() for v in values), strict=False))
        source, target = row.get("source", ""), row.get("target", "")
        if not source or not target:
            errors.append(
                GlossaryError(
                    "a term needs both a source and a target",
                    path=shown,
                    line=n,
                    hint="write 'Union State,Саюзная дзяржава'",
                )
            )
            continue
        terms.append(Term(source, target, row.get("note", ""), f"{shown}:{n}"))
    return terms, errors


def read_tbx(path: Path, locale: str, shown: str | None = None, source: str = "en") -> list[Term]:
    """Terms of a TBX file (TBX-Basic, or Weblate's export) for ``locale``:
    every ``termEntry`` with a ``langSet`` in the source language and one in
    ``locale`` (``be`` also takes ``be_BY``, ``be-BY``)."""
    import xml.etree.ElementTree as ET

    shown = shown or str(path)
    data = _read(path, shown)
    if b"<!ENTITY" in data:
        raise GlossaryError("entity declarations are not accepted", path=shown)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise GlossaryError(f"not valid XML: {exc}", path=shown, line=line) from exc
    terms: list[Term] = []
    for entry in root.iter():
        if _local(entry.tag) != "termEntry":
            continue
        by_lang: dict[str, str] = {}
        note = ""
        for child in entry.iter():
            name = _local(child.tag)
            if name == "langSet":
                lang = _lang(child.get(_XML_LANG) or child.get("lang") or "")
                for term in child.iter():
                    if _local(term.tag) == "term" and (term.text or "").strip():
                        by_lang.setdefault(lang, " ".join((term.text or "").split()))
                        break
            elif name in ("descrip", "note") and not note:
                note = " ".join((child.text or "").split())
        src, dst = by_lang.get(_lang(source)), by_lang.get(_lang(locale))
        if src and dst:
            terms.append(Term(src, dst, note, shown))
    return terms


def _read(path: Path, shown: str) -> bytes:
    """A regular file's bytes (`workflow.guard`: a FIFO or device is refused, never opened)."""
    from .guard import read_regular

    try:
        return read_regular(path)[0]
    except WorkflowError as exc:
        raise GlossaryError(exc.message, path=shown, hint=exc.hint) from exc
    except OSError as exc:
        raise GlossaryError(f"cannot read: {exc.strerror or exc}", path=shown) from exc


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _lang(code: str) -> str:
    return code.replace("-", "_").split("_")[0].lower()


def tbx_bytes(source: str, locales: Sequence[str], rows: Iterable[dict[str, str]]) -> bytes:
    """A TBX-Basic document: one ``termEntry`` per row (``source``, and a
    rendering per locale under the locale's code; ``note`` as a definition)."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("xml", "http://www.w3.org/XML/1998/namespace")
    martif = ET.Element("martif", {"type": "TBX-Basic", _XML_LANG: source})
    header = ET.SubElement(martif, "martifHeader")
    file_desc = ET.SubElement(header, "fileDesc")
    source_desc = ET.SubElement(file_desc, "sourceDesc")
    ET.SubElement(source_desc, "p").text = "House terminology exported by edition"
    body = ET.SubElement(ET.SubElement(martif, "text"), "body")
    for n, row in enumerate(rows, 1):
        entry = ET.SubElement(body, "termEntry", {"id": f"t{n}"})
        if row.get("note"):
            ET.SubElement(entry, "descrip", {"type": "definition"}).text = row["note"]
        for lang in (source, *locales):
            if not row.get(lang):
                continue
            lang_set = ET.SubElement(entry, "langSet", {_XML_LANG: lang})
            tig = ET.SubElement(lang_set, "tig")
            ET.SubElement(tig, "term").text = row[lang]
    ET.indent(martif)
    out = io.BytesIO()
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(b'<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">\n')
    ET.ElementTree(martif).write(out, encoding="utf-8", xml_declaration=False)
    out.write(b"\n")
    return out.getvalue()


def csv_bytes(terms: Iterable[Term]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for term in terms:
        writer.writerow([term.source, term.target, term.note])
    return out.getvalue().encode("utf-8")


# -- matching -------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _source_pattern(source: str) -> re.Pattern[str]:
    """The English term as words, any case, with a plural or possessive."""
    words = r"\s+".join(re.escape(w) for w in source.split())
    return re.compile(rf"(?<![\w-]){words}(?:'s|’s|s)?(?![\w-])", re.IGNORECASE)


#: Belarusian and Russian inflectional endings of nouns and adjectives,
#: longest first: what a stem loses.
_ENDINGS = sorted(
    {
        *"а я о е э ы і и у ю ь й".split(),
        *"ая яя ое ее ае ые ія ыя ие ия ую юю ой ай ей ый ій ий ых іх их ым ім им".split(),
        *"ам ям ом ем ём ах ях ов ев оў аў еў ью ья ье".split(),
        *"ага яга ого его ому ему аму яму ымі імі ыми ими амі ямі ами ями".split(),
    },
    key=len,
    reverse=True,
)
#: A stem keeps at least this many letters; a matching word has at most
#: this many letters after it.
_MIN_STEM = 3
_MAX_TAIL = 4
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*")


def _norm(word: str) -> str:
    """Case, ё/е and the Belarusian ў after a vowel (на Ўсебеларускім) do not matter."""
    w = word.casefold().replace("ё", "е").replace("’", "'").replace("ʼ", "'")
    return "у" + w[1:] if w.startswith("ў") else w


def stem(word: str) -> str:
    w = _norm(word)
    for ending in _ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= _MIN_STEM:
            return w[: -len(ending)]
    return w


def renders(target: str, translation: str) -> bool:
    """Whether ``translation`` has a form of every word of ``target``."""
    words = [_norm(w) for w in _WORD.findall(translation)]
    for part in _WORD.findall(target):
        s = stem(part)
        if not any(w.startswith(s) and len(w) - len(s) <= _MAX_TAIL for w in words):
            return False
    return True


def annotate(comment: str, text: str, glossary: Glossary) -> str:
    """An entry's ``#.`` comment with a ``glossary:`` line for each term in its English."""
    lines = [line for line in comment.split("\n") if not line.startswith("glossary: ")]
    lines += [t.comment() for t in glossary.in_source(text)]
    return "\n".join(line for line in lines if line)


# -- export and import ------------------------------------------------------------


def export_tbx(
    settings: Settings, path: Path, locales: Sequence[str]
) -> tuple[int, list[GlossaryError]]:
    """Write the glossaries of ``locales`` as one TBX-Basic file (one
    ``termEntry`` per English term, a ``langSet`` per locale that renders
    it): with one locale, the bilingual file Weblate imports as a glossary.
    Returns the number of terms, and the rows that could not be read."""
    from .files import atomic_write

    rows: dict[str, dict[str, str]] = {}
    errors: list[GlossaryError] = []
    for locale in locales:
        glossary = load_glossary(settings, locale)
        errors.extend(glossary.errors)
        for term in glossary.terms:
            row = rows.setdefault(term.source.casefold(), {settings.source: term.source})
            row[locale] = term.target
            if term.note and not row.get("note"):
                row["note"] = term.note
    atomic_write(path, tbx_bytes(settings.source, list(locales), rows.values()))
    return len(rows), errors


@dataclass
class Imported:
    file: Path
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def import_tbx(settings: Settings, path: Path, locales: Sequence[str]) -> list[Imported]:
    """Merge the terms of a TBX file (Weblate's glossary export, or
    `export_tbx`'s) into each locale's glossary: new terms are added, a
    term's rendering (and note, when the file has one) is taken from the
    file, and no term is ever dropped.  A locale's ``glossary.csv`` is
    written when it exists, otherwise its ``glossary.tbx``.  A glossary with
    rows that cannot be read is not written (its error is raised)."""
    from .files import atomic_write

    results: list[Imported] = []
    for locale in locales:
        incoming = read_tbx(path, locale, source=settings.source)
        if not incoming:
            continue
        glossary = load_glossary(settings, locale)
        if glossary.errors:
            raise glossary.errors[0]
        csv_path, tbx_path = glossary_paths(settings, locale)
        target = csv_path if csv_path.is_file() else tbx_path
        merged = {t.source.casefold(): t for t in glossary.terms}
        result = Imported(target)
        for term in incoming:
            key = term.source.casefold()
            old = merged.get(key)
            if old is None:
                result.added += 1
            elif old.target == term.target and (not term.note or old.note == term.note):
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            note = term.note or (old.note if old else "")
            source = old.source if old else term.source
            merged[key] = Term(source, term.target, note)
        if result.added or result.updated:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target is csv_path:
                data = _csv_with_comments(csv_path, merged.values())
            else:
                rows = [
                    {settings.source: t.source, locale: t.target, "note": t.note}
                    for t in merged.values()
                ]
                data = tbx_bytes(settings.source, [locale], rows)
            atomic_write(target, data)
        results.append(result)
    return results


def _csv_with_comments(path: Path, terms: Iterable[Term]) -> bytes:
    """The CSV of ``terms``, keeping the ``#`` comment lines the file opens with."""
    head = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            head.append(line + "\n")
            continue
        break
    return "".join(head).encode("utf-8") + csv_bytes(terms)
