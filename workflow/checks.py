"""Quality checks on translations: small named functions with a severity.

Each check takes a `Pair` (source, translation, locale and the entry's
comments) and yields messages quoting the offending text.  Errors block
publishing; warnings are shown to translators and editors.  A translator
silences one check for one entry with the comment ``# check: ignore NAME``
(several names may be listed, separated by commas or spaces), like a
linter's noqa.

Checks run on every non-empty translation, fuzzy or not: a draft with broken
links is worth knowing about before anybody reviews it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polib
from markdown_it import MarkdownIt

from .config import Settings


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Pair:
    source: str
    translation: str
    locale: str
    settings: Settings | None = None


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    msgctxt: str | None
    msgid: str
    #: The entry's line in the PO file, when known.
    line: int | None = None


CheckFunc = Callable[[Pair], Iterator[str]]


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    func: CheckFunc
    doc: str


CHECKS: dict[str, Check] = {}


def check(name: str, severity: Severity) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under ``name``."""

    def register(func: CheckFunc) -> CheckFunc:
        CHECKS[name] = Check(name, severity, func, (func.__doc__ or "").strip())
        return func

    return register


_IGNORE_RE = re.compile(r"^check:\s*ignore\s+(.+)$", re.MULTILINE)


def ignored(tcomment: str) -> set[str]:
    """Check names silenced by ``# check: ignore NAME`` comments."""
    names: set[str] = set()
    for match in _IGNORE_RE.finditer(tcomment or ""):
        names.update(n for n in re.split(r"[\s,]+", match.group(1)) if n)
    return names


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# -- inline markup -----------------------------------------------------------

_md = MarkdownIt("commonmark", {"html": True})


@dataclass(frozen=True)
class _Markup:
    #: Opening/closing markers in order: "em", "strong", "link", "image", "code", "html".
    shape: tuple[str, ...]
    urls: tuple[str, ...]
    code: tuple[str, ...]
    html: tuple[str, ...]


def _markup(text: str) -> _Markup:
    shape: list[str] = []
    urls: list[str] = []
    code: list[str] = []
    html: list[str] = []
    for block in _md.parseInline(text):
        for tok in block.children or []:
            if tok.type.endswith("_open") or tok.type.endswith("_close"):
                shape.append(tok.type)
                if tok.type == "link_open":
                    urls.append(str(tok.attrGet("href") or ""))
            elif tok.type == "image":
                shape.append("image")
                urls.append(str(tok.attrGet("src") or ""))
            elif tok.type == "code_inline":
                shape.append("code")
                code.append(tok.content)
            elif tok.type == "html_inline":
                shape.append("html")
                html.append(tok.content)
    return _Markup(tuple(shape), tuple(urls), tuple(code), tuple(html))


@check("markup", Severity.ERROR)
def check_markup(pair: Pair) -> Iterator[str]:
    """Inline markup (emphasis, links, images, code, HTML) must match the source."""
    src, dst = _markup(pair.source), _markup(pair.translation)
    if sorted(src.shape) != sorted(dst.shape):
        yield (
            f"inline markup differs from the source: {' '.join(src.shape) or 'none'}"
            f" in the source, {' '.join(dst.shape) or 'none'} in {_quote(pair.translation)}"
        )


@check("urls", Severity.ERROR)
def check_urls(pair: Pair) -> Iterator[str]:
    """Link and image URLs must be kept exactly."""
    src, dst = _markup(pair.source), _markup(pair.translation)
    for url in sorted(set(src.urls) - set(dst.urls)):
        yield f"link target {_quote(url)} is missing or changed in {_quote(pair.translation)}"
    for url in sorted(set(dst.urls) - set(src.urls)):
        yield f"link target {_quote(url)} is not in the source"


@check("code", Severity.ERROR)
def check_code(pair: Pair) -> Iterator[str]:
    """Inline code and raw HTML must be kept exactly."""
    src, dst = _markup(pair.source), _markup(pair.translation)
    for piece in sorted(set(src.code + src.html) - set(dst.code + dst.html)):
        yield f"{_quote(piece)} is missing or changed in {_quote(pair.translation)}"


@check("whitespace", Severity.ERROR)
def check_whitespace(pair: Pair) -> Iterator[str]:
    """Leading and trailing whitespace must match the source."""
    s, t = pair.source, pair.translation
    if s[: len(s) - len(s.lstrip())] != t[: len(t) - len(t.lstrip())]:
        yield f"leading whitespace differs from the source in {_quote(t)}"
    if s[len(s.rstrip()) :] != t[len(t.rstrip()) :]:
        yield f"trailing whitespace differs from the source in {_quote(t)}"


# -- running -----------------------------------------------------------------


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs of an entry's non-empty msgstr forms."""
    if entry.msgid_plural:
        return [
            (entry.msgid if n == 0 else entry.msgid_plural, text)
            for n, text in sorted(entry.msgstr_plural.items())
            if text
        ]
    return [(entry.msgid, entry.msgstr)] if entry.msgstr else []


def check_entry(
    entry: polib.POEntry, locale: str, settings: Settings | None = None
) -> list[Finding]:
    """Every finding of every check on one entry, minus the silenced ones."""
    if entry.obsolete:
        return []
    skip = ignored(entry.tcomment)
    findings: list[Finding] = []
    for source, translation in translations(entry):
        pair = Pair(source, translation, locale, settings)
        for chk in CHECKS.values():
            if chk.name in skip:
                continue
            for message in chk.func(pair):
                findings.append(
                    Finding(
                        chk.name,
                        chk.severity,
                        message,
                        entry.msgctxt,
                        entry.msgid,
                        entry.linenum or None,
                    )
                )
    return findings


def check_catalog(po: polib.POFile, locale: str, settings: Settings | None = None) -> list[Finding]:
    """Findings for every live entry of a catalog, in catalog order."""
    findings: list[Finding] = []
    for entry in po:
        findings.extend(check_entry(entry, locale, settings))
    return findings
