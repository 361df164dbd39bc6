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

import atexit
import contextlib
import enum
import functools
import itertools
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polib
from markdown_it import MarkdownIt

from .config import Settings
from .guard import CONTROL_RE, control_name, read_regular

if TYPE_CHECKING:
    from .article import Article
    from .segment import Segment, Slot


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


_NO_MARKUP = _Markup((), (), (), ())
#: Without one of these, CommonMark finds no emphasis, link, image, code or HTML.
_MARKUP_CHARS = re.compile(r"[*_`\[<]")


@functools.lru_cache(maxsize=8192)
def _markup(text: str) -> _Markup:
    """The inline markup of a text (cached: three checks and two locales ask)."""
    if not _MARKUP_CHARS.search(text):
        return _NO_MARKUP  # most sentences: no parse needed
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


@check("control", Severity.ERROR)
def check_control(pair: Pair) -> Iterator[str]:
    """No control characters (Word's line break U+000B, DEL, NUL, U+FFFE...):
    invisible in an editor, they break the page and its front matter."""
    found = sorted(set(CONTROL_RE.findall(pair.translation)))
    if found:
        names = ", ".join(control_name(c) for c in found)
        yield f"control characters {names} in {_quote(pair.translation)}"


#: Checks a comment or a setting cannot silence: what they find cannot be published.
_MANDATORY = frozenset({"control"})
#: What a translator calls each kind of inline markup.
_MARKUP_NAMES = {
    "em": "italics",
    "strong": "bold",
    "link": "link",
    "image": "image",
    "code": "inline code",
    "html": "HTML tag",
    "s": "strikethrough",
}


def describe_markup(shape: tuple[str, ...]) -> str:
    """``strong_open strong_close link_open link_close`` as ``bold, link``."""
    counts: dict[str, int] = {}
    closes: dict[str, int] = {}
    for token in shape:
        base, _, side = token.rpartition("_")
        if side == "close":
            closes[base] = closes.get(base, 0) + 1
            continue
        name = base if side == "open" else token
        counts[name] = counts.get(name, 0) + 1
    parts = []
    for name, n in counts.items():
        label = _MARKUP_NAMES.get(name, name)
        parts.append(label if n == 1 else f"{n}× {label}")
        if name in closes and closes[name] != n:
            parts[-1] += " (not closed)"
    for name, n in closes.items():
        if name not in counts:
            parts.append(f"{n}× stray end of {_MARKUP_NAMES.get(name, name)}")
    return ", ".join(parts) or "none"


@check("markup", Severity.ERROR)
def check_markup(pair: Pair) -> Iterator[str]:
    """Inline markup (emphasis, links, images, code, HTML) must match the source."""
    src, dst = _markup(pair.source), _markup(pair.translation)
    if sorted(src.shape) != sorted(dst.shape):
        yield (
            f"formatting differs from the source: the source has {describe_markup(src.shape)},"
            f" the translation {describe_markup(dst.shape)} in {_quote(pair.translation)}"
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


# -- numbers -----------------------------------------------------------------

_STRIP = re.compile(r"\]\([^)]*\)|`[^`]*`|<[^>]+>|https?://\S+|\{\d+\}")
# A number may follow a letter ("Q3"), never another digit or a separator.
_NUM_EN = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\d,])\d+(?:\.\d+)?(?!\d)")
# be/ru: groups by a space, no-break space or narrow no-break space; comma decimals.
_NUM_EU = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?!\d)|(?<![\d.,])\d+(?:[.,]\d+)?(?!\d)"
)


def _plain(text: str) -> str:
    return _STRIP.sub(" ", text)


def numbers(text: str, locale: str) -> list[Decimal]:
    """Numeric values in prose, read in the locale's own notation."""
    found: list[Decimal] = []
    pattern = _NUM_EN if locale.split("_")[0] == "en" else _NUM_EU
    for match in pattern.finditer(_plain(text)):
        token = match.group()
        if pattern is _NUM_EN:
            token = token.replace(",", "")
        else:
            token = re.sub(r"[ \u00a0\u202f]", "", token).replace(",", ".")
        try:
            found.append(Decimal(token))
        except InvalidOperation:
            continue
    return sorted(found)


@check("numbers", Severity.ERROR)
def check_numbers(pair: Pair) -> Iterator[str]:
    """Every number of the source, by value, and no others."""
    source_lang = pair.settings.source if pair.settings is not None else "en"
    src = numbers(pair.source, source_lang)
    dst = numbers(pair.translation, pair.locale)
    if src == dst:
        return
    missing = _multiset_minus(src, dst)
    extra = _multiset_minus(dst, src)
    parts = []
    if missing:
        parts.append("missing " + ", ".join(_fmt(n) for n in missing))
    if extra:
        parts.append("not in the source " + ", ".join(_fmt(n) for n in extra))
    yield f"numbers differ from the source ({'; '.join(parts)}) in {_quote(pair.translation)}"


def _multiset_minus(a: list[Decimal], b: list[Decimal]) -> list[Decimal]:
    rest = list(b)
    out = []
    for n in a:
        if n in rest:
            rest.remove(n)
        else:
            out.append(n)
    return out


def _fmt(n: Decimal) -> str:
    return format(n.normalize(), "f")


# -- punctuation, quotes, letters ---------------------------------------------

_END = ".!?:;…"
_CLOSERS = "\"'»”’)]*_`"


def _end_mark(text: str) -> str:
    stripped = text.rstrip().rstrip(_CLOSERS).rstrip()
    return stripped[-1] if stripped and stripped[-1] in _END else ""


@check("end-punctuation", Severity.WARNING)
def check_end_punctuation(pair: Pair) -> Iterator[str]:
    """The sentence ends as the source does (full stop, question, colon...)."""
    src, dst = _end_mark(pair.source), _end_mark(pair.translation)
    if src != dst and {src, dst} != {".", "…"}:
        yield (
            f"ends with {src or 'no punctuation'!r} in the source but "
            f"{dst or 'no punctuation'!r} in {_quote(pair.translation)}"
        )


_DEFAULT_QUOTES = {"be": "«»", "ru": "«»", "uk": "«»", "en": "“”"}
_ALL_QUOTES = '"“”„«»'


def _house_quotes(pair: Pair) -> str | None:
    lang = pair.locale.split("_")[0]
    configured: Any = {}
    if pair.settings is not None:
        configured = pair.settings.sections.get("checks", {}).get("quotes", {})
    value = configured.get(lang) if isinstance(configured, dict) else None
    return str(value) if value else _DEFAULT_QUOTES.get(lang)


@check("quotes", Severity.WARNING)
def check_quotes(pair: Pair) -> Iterator[str]:
    """Quotation marks in the locale's house style («» for be and ru by default)."""
    style = _house_quotes(pair)
    if not style:
        return
    # „“ are the conventional inner quotes inside «», so they pass too.
    allowed = set(style) | ({"„", "“"} if style == "«»" else set())
    wrong = sorted({ch for ch in _plain(pair.translation) if ch in _ALL_QUOTES} - allowed)
    if wrong:
        yield f"quotes {' '.join(wrong)} are not the house style {style} in {_quote(pair.translation)}"


_LETTER = re.compile(r"[^\W\d_]")


@check("identical", Severity.WARNING)
def check_identical(pair: Pair) -> Iterator[str]:
    """A translation identical to the English is usually untranslated."""
    if pair.translation == pair.source and len(_LETTER.findall(_plain(pair.source))) > 3:
        yield f"translation is identical to the source {_quote(pair.source)}"


@check("length", Severity.WARNING)
def check_length(pair: Pair) -> Iterator[str]:
    """Length far outside the usual ratio often means a dropped or doubled sentence."""
    # URLs and code are copied, not translated: compare the prose only.
    source, translation = _plain(pair.source), _plain(pair.translation)
    if len(source) < 20:
        return
    ratio = len(translation) / len(source)
    if not 0.5 <= ratio <= 2.2:
        yield f"translation is {ratio:.1f}× the length of the source: {_quote(pair.translation)}"


_FOREIGN_LETTERS = {"be": "ИиЩщЪъ", "ru": "ІіЎў"}


@check("alphabet", Severity.WARNING)
def check_alphabet(pair: Pair) -> Iterator[str]:
    """Russian-only letters (и, щ, ъ) in Belarusian text, and і, ў in Russian."""
    letters = _FOREIGN_LETTERS.get(pair.locale.split("_")[0])
    if not letters:
        return
    text = _plain(pair.translation)
    found = sorted({ch for ch in text if ch in letters})
    if found:
        words = sorted({w for w in re.findall(r"\w+", text) if any(c in letters for c in w)})
        yield f"letters {' '.join(found)} do not belong to {pair.locale}: {', '.join(words[:5])}"


# -- spelling (hunspell, where installed) --------------------------------------

_DICTIONARIES = {"be": "be_BY", "ru": "ru_RU"}


class _Hunspell:
    """One long-running ``hunspell -a`` (ispell pipe mode) per dictionary."""

    def __init__(self, dictionary: str) -> None:
        self.proc = subprocess.Popen(
            ["hunspell", "-a", "-i", "utf-8", "-d", dictionary],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # the version banner
        self.known: dict[str, bool] = {}

    def misspelt(self, words: list[str]) -> list[str]:
        todo = [w for w in dict.fromkeys(words) if w not in self.known]
        if todo:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            for word in todo:
                # '^' makes hunspell treat the rest of the line as text.
                self.proc.stdin.write("^" + word + "\n")
                self.proc.stdin.flush()
                ok = True
                while (line := self.proc.stdout.readline()) not in ("\n", ""):
                    if line[:1] in "&#":
                        ok = False
                self.known[word] = ok
        return [w for w in words if not self.known[w]]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()


_spellers: dict[str, _Hunspell | None] = {}


def _speller(locale: str) -> _Hunspell | None:
    lang = locale.split("_")[0]
    if lang not in _spellers:
        dictionary = _DICTIONARIES.get(lang)
        found = dictionary is not None and shutil.which("hunspell") is not None
        found = found and any(
            Path(d, f"{dictionary}.dic").is_file()
            for d in ("/usr/share/hunspell", "/usr/share/myspell", "/usr/share/myspell/dicts")
        )
        try:
            _spellers[lang] = _Hunspell(str(dictionary)) if found else None
        except OSError:
            _spellers[lang] = None
    return _spellers[lang]


@atexit.register
def _close_spellers() -> None:
    for speller in _spellers.values():
        if speller is not None:
            speller.close()
    _spellers.clear()


_CYR = "А-Яа-яЁёІіЎў"
#: A word: Cyrillic letters, with apostrophes (' ’ ʼ, as in прэм'ер, п’ецца)
#: and hyphens (прэм'ер-міністр) inside it, not next to a Latin letter or digit.
_CYRILLIC_WORD = re.compile(rf"(?<![\w'’ʼ-])[{_CYR}]+(?:['’ʼ-][{_CYR}]+)*(?![\w'’ʼ]|-\w)")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'"})


def word_list_path(settings: Settings, locale: str) -> Path:
    """``locales/<lang>/words.txt``: the newsroom's own words for one
    locale, in hunspell's personal-dictionary format (one word a line,
    ``word/FLAGS`` allowed, ``#`` comments)."""
    return settings.locales_dir / locale.split("_")[0] / "words.txt"


def newsroom_words(settings: Settings | None, locale: str) -> frozenset[str]:
    """Words the spelling check accepts for this newsroom and locale:
    ``[tool.edition.checks] words`` plus ``locales/<lang>/words.txt``."""
    if settings is None:
        return frozenset()
    path = word_list_path(settings, locale)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    listed = settings.sections.get("checks", {}).get("words", [])
    return _newsroom_words(str(path), stamp, tuple(str(w) for w in listed))


@functools.lru_cache(maxsize=16)
def _newsroom_words(path: str, stamp: int | None, listed: tuple[str, ...]) -> frozenset[str]:
    words = set(listed)
    if stamp is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in read_regular(path)[0].decode("utf-8").splitlines():
                word = line.split("#", 1)[0].strip()
                if word.startswith("*"):
                    continue  # hunspell's "forbidden word": not a word we accept
                word = word.split("/", 1)[0]
                if word:
                    words.add(word)
    return frozenset(w.translate(_APOSTROPHES) for w in words)


@check("spelling", Severity.WARNING)
def check_spelling(pair: Pair) -> Iterator[str]:
    """Words the locale's hunspell dictionary does not know (a warning: dictionaries have gaps)."""
    speller = _speller(pair.locale)
    if speller is None:
        return
    own = newsroom_words(pair.settings, pair.locale)
    # Acronyms (ЕС, РЖД) are names, not words a dictionary knows.
    words = [
        w
        for w in _CYRILLIC_WORD.findall(_plain(pair.translation))
        if len(w) > 1 and not w.isupper() and not _known(w, own)
    ]
    bad = speller.misspelt(words)
    if bad:
        # A compound hunspell does not know is fine when each part is a word.
        parts = [p for w in bad if "-" in w for p in w.split("-") if len(p) > 1]
        wrong_parts = set(speller.misspelt(parts)) if parts else set()
        bad = [
            w
            for w in bad
            if "-" not in w or any(p in wrong_parts and not _known(p, own) for p in w.split("-"))
        ]
    if bad:
        yield (
            f"not in the {pair.locale} dictionary: {', '.join(dict.fromkeys(bad))} "
            f"(a correct word goes in locales/{pair.locale.split('_')[0]}/words.txt)"
        )


def _known(word: str, own: frozenset[str]) -> bool:
    if not own:
        return False
    w = word.translate(_APOSTROPHES)
    return w in own or w.lower() in own or w.capitalize() in own


_LATIN_IN_CYRILLIC = re.compile(rf"[{_CYR}\w]*(?:[{_CYR}][a-zA-Z]|[a-zA-Z][{_CYR}])[{_CYR}\w]*")
_ANY_LATIN = re.compile(r"[a-zA-Z]")
#: Latin letters that look like Cyrillic ones, named for the message.
_LOOKALIKES = {
    "i": "і",
    "I": "І",
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "A": "А",
    "B": "В",
    "E": "Е",
    "K": "К",
    "M": "М",
    "H": "Н",
    "O": "О",
    "P": "Р",
    "C": "С",
    "T": "Т",
    "X": "Х",
}


@check("mixed-script", Severity.ERROR)
def check_mixed_script(pair: Pair) -> Iterator[str]:
    """A Latin letter inside a Cyrillic word (`iх`, `апублiкаваны`): it looks right and is
    not, so search, hyphenation and spelling all fail on it."""
    lang = pair.locale.split("_")[0]
    if lang not in ("be", "ru", "uk") or not _ANY_LATIN.search(pair.translation):
        return  # most translations: no Latin letter at all
    words: list[str] = []
    letters: set[str] = set()
    for word in dict.fromkeys(_LATIN_IN_CYRILLIC.findall(_plain(pair.translation))):
        latin = {c for c in word if "a" <= c.lower() <= "z"}
        cyrillic = sum(1 for c in word if c.isalpha() and not ("a" <= c.lower() <= "z"))
        if cyrillic < len(latin):
            continue  # a Latin word with a Cyrillic slip is for spelling to catch
        words.append(repr(word))
        letters |= latin
    if words:
        fixes = ", ".join(
            f"Latin {c!r}" + (f" (Cyrillic {_LOOKALIKES[c]!r})" if c in _LOOKALIKES else "")
            for c in sorted(letters)
        )
        yield f"{', '.join(words)}: {fixes} inside a Cyrillic word (retype the letter)"


# -- running -----------------------------------------------------------------


@check("glossary", Severity.WARNING)
def check_glossary(pair: Pair) -> Iterator[str]:
    """A term of the locale's glossary in the English, and no form of its
    rendering in the translation (matched by stem: `workflow.glossary`)."""
    if pair.settings is None:
        return
    from .glossary import load_glossary, renders

    for term in load_glossary(pair.settings, pair.locale).in_source(pair.source):
        if not renders(term.target, pair.translation):
            yield (
                f"the English has '{term.source}', which the glossary renders as "
                f"'{term.target}' ({term.where}), and the translation has no form of it"
            )


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
    entry: polib.POEntry,
    locale: str,
    settings: Settings | None = None,
    joined: Sequence[str] = (),
) -> list[Finding]:
    """Every finding of every check on one entry, minus the silenced ones.
    ``joined``: the sources of the following entries whose translation is
    "=" (joined with this one): this translation stands for all of them."""
    if entry.obsolete:
        return []
    skip = (ignored(entry.tcomment) | _disabled(settings)) - _MANDATORY
    findings: list[Finding] = []
    pairs = translations(entry)
    if joined and pairs:
        pairs = [(" ".join([pairs[0][0], *joined]), pairs[0][1])]
    for source, translation in pairs:
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


def _disabled(settings: Settings | None) -> set[str]:
    if settings is None:
        return set()
    value = settings.sections.get("checks", {}).get("disable", [])
    return {str(v) for v in value} if isinstance(value, list) else set()


_SENTENCE_NO = re.compile(r"\bsentence (\d+)")


def check_catalog(po: polib.POFile, locale: str, settings: Settings | None = None) -> list[Finding]:
    """Findings for every live entry of a catalog, in catalog order.

    An entry translated as "=" is joined with the previous one (see
    `workflow.catalog.JOINED`): it is checked as part of that entry, and it
    must follow a sentence of the same block that has a translation."""
    from .catalog import is_joined

    live = [e for e in po if not e.obsolete]
    findings: list[Finding] = []
    for i, entry in enumerate(live):
        if is_joined(entry):
            number = _SENTENCE_NO.search(entry.comment or "")
            before = live[i - 1] if i else None
            if number is None or int(number.group(1)) < 2 or before is None or not before.msgstr:
                findings.append(
                    Finding(
                        "join",
                        Severity.ERROR,
                        '"=" joins a sentence with the one before it in the same paragraph, '
                        "and this entry has none (translate it, or put the joined translation "
                        "in the previous sentence's entry)",
                        entry.msgctxt,
                        entry.msgid,
                        entry.linenum or None,
                    )
                )
            continue
        joined: list[str] = []
        for following in live[i + 1 :]:
            if not is_joined(following):
                break
            joined.append(following.msgid)
        findings.extend(check_entry(entry, locale, settings, joined))
    return findings


#: ``FILE:LINE: message`` as msgfmt writes it (LC_ALL=C).
_MSGFMT_LINE = re.compile(r"^(?P<file>.*?):(?P<line>[0-9]+): (?P<message>.*)$")


def _msgfmt_could_object(po: polib.POFile, locale: str | None) -> bool:
    """Whether the catalog has anything ``msgfmt --check`` checks beyond
    what parsing it already proved: format flags, plural forms, a leading or
    trailing newline, duplicate entries, or a Plural-Forms or Content-Type
    other than the ones sync writes.  Running msgfmt on the thousands of
    catalogs that have none of these would double a cold `edition status`."""
    from .catalog import plural_forms

    content_type = po.metadata.get("Content-Type", "").replace(" ", "").lower()
    if content_type not in ("", "text/plain;charset=utf-8"):
        return True
    forms = po.metadata.get("Plural-Forms")
    if forms is not None and (locale is None or forms != plural_forms(locale)):
        return True
    keys: set[tuple[str | None, str]] = set()
    for entry in po:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if key in keys or entry.msgid_plural or entry.msgstr_plural:
            return True
        keys.add(key)
        for flag in entry.flags:
            for word in _FLAG_WORDS.split(flag):
                if word.endswith("-format") and not word.startswith("no-"):
                    return True
        for text in (entry.msgid, entry.msgstr):
            if text.startswith("\n") or text.endswith("\n"):
                return True
    return False


_FLAG_WORDS = re.compile(r"[\s,]+")


def msgfmt_findings(
    path: Path, po: polib.POFile, settings: Settings | None = None, locale: str | None = None
) -> list[Finding]:
    """What GNU ``msgfmt --check`` says of the catalog file, as findings
    (check ``msgfmt``): its errors are errors, since Poedit, Weblate and
    ``msgfmt`` itself refuse such a catalog (a ``python-format`` flag Babel
    put on "60% of" fails it); its warnings are warnings.  Nothing when
    msgfmt is not installed or the check is disabled, and when the catalog
    has nothing msgfmt could object to (`_msgfmt_could_object`)."""
    if "msgfmt" in _disabled(settings) or not _msgfmt_could_object(po, locale):
        return []
    program = shutil.which("msgfmt")
    if program is None:
        return []
    try:
        done = subprocess.run(
            [program, "--check", "-o", "/dev/null", "--", str(path)],
            capture_output=True,
            text=True,
            errors="replace",
            env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Finding("msgfmt", Severity.ERROR, f"msgfmt could not run: {exc}", None, "")]
    live = sorted(((e.linenum or 0, e) for e in po if not e.obsolete), key=lambda p: p[0])
    findings: list[Finding] = []
    for text in done.stderr.splitlines():
        m = _MSGFMT_LINE.match(text)
        if m is None:
            continue
        line = int(m["line"])
        message = m["message"]
        severity = Severity.ERROR
        if message.startswith("warning: "):
            severity, message = Severity.WARNING, message[len("warning: ") :]
        # The entry the line belongs to: the last one starting at or before it.
        entry = None
        for start, candidate in live:
            if start > line:
                break
            entry = candidate
        findings.append(
            Finding(
                "msgfmt",
                severity,
                message,
                entry.msgctxt if entry is not None else None,
                entry.msgid if entry is not None else "",
                line,
            )
        )
    if done.returncode != 0 and not any(f.severity is Severity.ERROR for f in findings):
        last = (done.stderr.strip().splitlines() or ["msgfmt --check failed"])[-1]
        findings.append(Finding("msgfmt", Severity.ERROR, last, None, "", None))
    return findings


# -- structure: what the page becomes ------------------------------------------
#
# The checks above look at one entry's text.  This one looks at the page: the
# article's body is assembled with every non-empty translation (escaped for its
# place, as publish and assemble do it), parsed as CommonMark, and its block and
# inline structure (element types, heading levels, table rows and cells, link
# and image targets) compared with the English body's.  Any difference is an
# error that no ``# check: ignore`` and no ``disable`` setting silences: it is
# the page, not a style question.  The entries to blame are found by putting
# the English back for half of the translations at a time.

#: A structure item: the element, and the target of a link or image.
_Item = tuple[str, str]


#: Link reference definitions as markdown-it keeps them: label -> href.
_Refs = tuple[tuple[str, str], ...]


def structure(body: str) -> tuple[_Item, ...]:
    """The block and inline structure of a Markdown body (text left out)."""
    return _structure(body, ())


@functools.lru_cache(maxsize=512)
def _structure(body: str, refs: _Refs) -> tuple[_Item, ...]:
    """`structure` of a part of a body, with the whole body's references:
    a definition the part adds is part of its structure."""
    from .segment import markdown_parser

    env: dict[str, Any] = {"references": {k: {"href": h, "title": ""} for k, h in refs}}
    out: list[_Item] = []
    for tok in markdown_parser().parse(body, env):
        if tok.type != "inline":
            if tok.type == "ordered_list_open":
                out.append((tok.type, str(tok.attrGet("start") or 1)))
            else:
                out.append((tok.type, tok.tag))
            continue
        for child in tok.children or ():
            kind = child.type
            if kind in ("text", "softbreak", "text_special"):
                continue
            if kind == "link_open":
                out.append((kind, str(child.attrGet("href") or "")))
            elif kind == "image":
                out.append((kind, str(child.attrGet("src") or "")))
            elif kind == "html_inline":
                # Whitespace inside a tag is not structure (a soft break in
                # the English becomes a space in its msgid).
                out.append((kind, " ".join(child.content.split())))
            else:
                out.append((kind, ""))
    known = dict(refs)
    for label, ref in env["references"].items():
        if label not in known:
            out.append(("reference", f"{label} {ref['href']}"))
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _parts(body: str) -> tuple[_Refs, tuple[tuple[int, int], ...]]:
    """A body's references, and the character ranges of its parts: each
    top-level block, and the lines between them (where definitions are)."""
    from .segment import markdown_parser, split_lines

    env: dict[str, Any] = {}
    tokens = markdown_parser().parse(body, env)
    refs = tuple(sorted((k, str(v["href"])) for k, v in env.get("references", {}).items()))
    lines = split_lines(body)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    cuts = {0, len(lines)}
    for tok in tokens:
        if tok.level == 0 and tok.map is not None and tok.nesting >= 0:
            cuts.update(tok.map)
    bounds = sorted(c for c in cuts if c <= len(lines))
    return refs, tuple(
        (offsets[x], offsets[y]) for x, y in itertools.pairwise(bounds) if offsets[x] < offsets[y]
    )


_NOUNS = {
    "bullet_list_open": "a list",
    "ordered_list_open": "a numbered list",
    "list_item_open": "a list item",
    "heading_open": "a heading",
    "blockquote_open": "a block quote",
    "fence": "a code block",
    "code_block": "a code block",
    "html_block": "an HTML block",
    "hr": "a horizontal line",
    "table_open": "a table",
    "tr_open": "a table row",
    "th_open": "a table cell",
    "td_open": "a table cell",
    "paragraph_open": "a paragraph",
    "hardbreak": "a line break",
    "em_open": "emphasis (*…*)",
    "strong_open": "bold text (**…**)",
    "code_inline": "inline code (`…`)",
    "s_open": "strikethrough",
    "reference": "a link definition",
}


def _noun(item: _Item) -> str | None:
    kind, detail = item
    if kind == "link_open":
        return f"a link to {_bare_url(detail)}"
    if kind == "image":
        return f"an image {_bare_url(detail)}"
    if kind == "html_inline":
        return None if detail.startswith("</") else f"the HTML tag {detail}"
    return _NOUNS.get(kind)


def _bare_url(url: str) -> str:
    return re.sub(r"^[a-z][a-z0-9+.-]*://", "", url) or "(empty)"


def _definite(noun: str) -> str:
    if noun.startswith("the "):
        return noun
    return "the " + noun.removeprefix("a ").removeprefix("an ")


def describe_change(source: Sequence[_Item], page: Sequence[_Item]) -> str:
    """What a translation does to the page, in a translator's words."""
    import difflib

    added: list[str] = []
    lost: list[str] = []
    matcher = difflib.SequenceMatcher(None, list(source), list(page), autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            lost.extend(n for item in source[a0:a1] if (n := _noun(item)))
        if op in ("insert", "replace"):
            added.extend(n for item in page[b0:b1] if (n := _noun(item)))
    added = list(dict.fromkeys(added))
    lost = list(dict.fromkeys(lost))
    # A split paragraph shows as one more paragraph: say it plainly.
    parts = []
    if added:
        parts.append("this translation adds " + ", ".join(added[:3]))
    if lost:
        the = [_definite(n) for n in lost[:3]]
        verb = "is" if len(the) == 1 else "are"
        parts.append(", ".join(the) + f" {verb} missing")
    if not parts:
        return "this translation changes the page's structure"
    return "; ".join(parts)


@dataclass(frozen=True)
class StructureProblem:
    """Translations that change the page, and how."""

    #: The (msgctxt, msgid) of the entries to blame.
    keys: tuple[tuple[str | None, str], ...]
    #: The article line of the first one's segment.
    line: int
    message: str


def structure_problems(
    text: str,
    body_start: int,
    segments: Sequence[Segment],
    skeleton: Sequence[Slot],
    translations: dict[str, str],
) -> list[StructureProblem]:
    """The entries whose translation changes the body's structure.

    ``translations``: msgid -> translation of the body's entries (no
    msgctxt).  ``segments`` and ``skeleton`` are the article's
    (`workflow.segment`); ``body_start`` is where its body starts in ``text``.

    One parse of the translated body decides whether anything changed.  If
    it did, each top-level block is parsed alone (with the body's link
    definitions) to find where, and within a changed block the English is
    put back for half of its translations at a time to find which.
    """
    from .segment import assemble_text

    candidates = [
        m
        for m in dict.fromkeys(s.msgid for s in segments if s.msgctxt is None)
        if (t := translations.get(m)) and t != m
    ]
    if not candidates:
        return []
    body = text[body_start:]
    source = structure(body)

    def lookup(chosen: set[str]) -> Callable[[Segment], str | None]:
        return lambda s: translations[s.msgid] if s.msgctxt is None and s.msgid in chosen else None

    # Front matter is untouched, so the body starts where it did.
    whole = assemble_text(text, segments, skeleton, lookup(set(candidates)))[body_start:]
    if structure(whole) == source:
        return []
    refs, parts = _parts(body)
    blamed: dict[tuple[str, ...], tuple[tuple[_Item, ...], tuple[_Item, ...]]] = {}
    for a, b in parts:
        start, end = body_start + a, body_start + b
        inside = [slot for slot in skeleton if start <= slot.start and slot.end <= end]
        keys = [
            m
            for m in dict.fromkeys(segments[i].msgid for slot in inside for i in slot.segments)
            if m in candidates
        ]
        if not keys:
            continue
        expected = _structure(text[start:end], refs)

        page = functools.partial(
            _part_structure, text, segments, inside, start, end, refs, translations
        )
        shown = page(keys)
        if shown != expected:
            for found, found_shown in _bisect(keys, shown, expected, page):
                blamed.setdefault(tuple(found), (expected, found_shown))
    if not blamed:
        # Only the whole body shows it: bisect the whole body.
        def whole_page(chosen: Sequence[str]) -> tuple[_Item, ...]:
            return structure(
                assemble_text(text, segments, skeleton, lookup(set(chosen)))[body_start:]
            )

        for found, found_shown in _bisect(candidates, structure(whole), source, whole_page):
            blamed.setdefault(tuple(found), (source, found_shown))
    line_of: dict[str, int] = {}
    for s in segments:
        if s.msgctxt is None:
            line_of.setdefault(s.msgid, s.line)
    problems = []
    seen: set[str] = set()
    for blame, (expected, shown) in blamed.items():
        if blame[0] in seen:
            continue
        seen.add(blame[0])
        message = describe_change(expected, shown)
        if len(blame) > 1:
            message += (
                " (together with the translations of lines "
                + ", ".join(str(line_of[k]) for k in blame[1:4])
                + ")"
            )
        problems.append(
            StructureProblem(tuple((None, k) for k in blame), line_of[blame[0]], message)
        )
    return problems


def _part_structure(
    text: str,
    segments: Sequence[Segment],
    inside: Sequence[Slot],
    start: int,
    end: int,
    refs: _Refs,
    translations: dict[str, str],
    chosen: Sequence[str],
) -> tuple[_Item, ...]:
    """The structure of ``text[start:end]`` with the ``chosen`` translations."""
    from .segment import assemble_text

    keep = set(chosen)
    part = assemble_text(
        text,
        segments,
        inside,
        lambda s: translations[s.msgid] if s.msgctxt is None and s.msgid in keep else None,
        start,
        end,
    )
    return _structure(part, refs)


def _bisect(
    keys: list[str],
    shown: tuple[_Item, ...],
    expected: tuple[_Item, ...],
    page: Callable[[Sequence[str]], tuple[_Item, ...]],
) -> list[tuple[list[str], tuple[_Item, ...]]]:
    """The smallest groups of ``keys`` whose translations alone change the page."""
    if len(keys) == 1:
        return [(keys, shown)]
    half = len(keys) // 2
    found: list[tuple[list[str], tuple[_Item, ...]]] = []
    for part in (keys[:half], keys[half:]):
        part_page = page(part)
        if part_page != expected:
            found.extend(_bisect(part, part_page, expected, page))
    return found or [(keys, shown)]  # only together: blamed together


def check_structure(article: Article, po: polib.POFile) -> list[Finding]:
    """`structure_problems` of an article (`workflow.article.Article`) with a
    catalog's non-empty translations, fuzzy or not, as findings on its entries."""
    entries = {
        e.msgid: e
        for e in po
        if not e.obsolete and e.msgctxt is None and not e.msgid_plural and e.msgstr
    }
    # "=" (joined with the previous sentence) prints nothing of its own.
    translations = {m: ("" if e.msgstr == "=" else e.msgstr) for m, e in entries.items()}
    body_start = len(article.text) - len(article.body)
    where = f"articles/{article.slug}.md"
    findings = []
    for problem in structure_problems(
        article.text, body_start, article.segments, article.skeleton, translations
    ):
        msgid = problem.keys[0][1]
        entry = entries[msgid]
        findings.append(
            Finding(
                "structure",
                Severity.ERROR,
                f"{problem.message} ({where}:{problem.line}: the page must keep the "
                "English structure)",
                None,
                msgid,
                entry.linenum or None,
            )
        )
    return findings


def check_links(article: Article, po: polib.POFile, known: frozenset[str]) -> list[Finding]:
    """Links to articles (`workflow.links`) that do not exist, as errors on
    the entries that hold them: in the English (naming the article's line)
    or put there by the translation."""
    from .links import article_links, line_of

    where = f"articles/{article.slug}.md"
    lines: dict[str, list[int]] = {}
    for found in article_links(article.text):
        if found.link.slug not in known:
            lines.setdefault(found.href, []).append(line_of(article.text, found.start))
    findings: list[Finding] = []
    for entry in po:
        if entry.obsolete:
            continue
        for text, whose in ((entry.msgid, "the English"), (entry.msgstr, "the translation")):
            for found in article_links(text):
                slug = found.link.slug
                if slug in known or (whose == "the translation" and found.href in entry.msgid):
                    continue
                at = ", ".join(f"{where}:{n}" for n in lines.get(found.href, []))
                place = f" ({at})" if at else ""
                findings.append(
                    Finding(
                        "links",
                        Severity.ERROR,
                        f"{whose} links to {found.href!r}{place}, and there is no article "
                        f"'{slug}' in articles/ (correct the link's target, or write that "
                        "article)",
                        entry.msgctxt,
                        entry.msgid,
                        entry.linenum or None,
                    )
                )
    return findings
