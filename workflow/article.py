"""Articles: one English Markdown file with YAML front matter.

The file is kept as text; nothing is regenerated from parsed values.  The
front matter is parsed with PyYAML's composer so every key and value keeps
its position: errors point at the line of the offending key, and translated
values replace exactly the source span of the original scalar, in the same
quoting style where that stays valid YAML.  See `segment` for the body.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ArticleError
from .files import read_with_status
from .guard import CONTROL_RE, control_name
from .segment import (
    SEGMENT_MODES,
    Segment,
    Slot,
    SpanSlot,
    assemble_text,
    segment_body,
    split_lines,
)

#: Used with fullmatch: a `$` would accept a name ending in a newline.
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Front-matter fields that are translated, in catalog order.
TRANSLATABLE_FIELDS = ("title", "lead", "section")
#: Every front-matter field the tool reads.  Any other key is refused with a
#: suggestion: a misspelt `leed:` would otherwise drop the lead's translations
#: to obsolete and publish every edition without a lead, silently.
KNOWN_FIELDS = ("title", "date", "lead", "section", "period", "authors", "tags")
#: A newsroom's own fields start with one of these and are kept as they are.
OWN_FIELD_PREFIXES = ("x_", "x-")
_DELIMITER = re.compile(r"^---[ \t]*$")
_CLOSERS = ("---", "...")

Lookup = Callable[[Segment], str | None]


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader (libyaml's when present) that leaves dates as text.

    A bad date is then our error with a line, not a crash in PyYAML's
    timestamp constructor.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class FrontMatter:
    title: str
    date: dt.date
    lead: str | None = None
    section: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    authors: tuple[str, ...] = ()
    #: Each author's name per locale (``{en: ..., be: ..., ru: ...}``); a
    #: name given as plain text has the one key "".
    author_names: tuple[dict[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    #: Every key as YAML read it, including ones the tool does not know.
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Article:
    slug: str
    path: str
    text: str
    front_matter: FrontMatter
    #: The Markdown body, after the closing front-matter line.
    body: str
    #: 1-based file line where the body starts.
    body_line: int
    segments: tuple[Segment, ...]
    skeleton: tuple[Slot, ...]

    @property
    def title(self) -> str:
        return self.front_matter.title

    @property
    def date(self) -> dt.date:
        return self.front_matter.date

    def assemble(self, lookup: Lookup) -> str:
        """The article with each segment replaced by ``lookup(segment)``
        (`segment.assemble_text`: escaped for its place; ``None`` or the
        msgid itself keeps the source bytes)."""
        return assemble_text(self.text, self.segments, self.skeleton, lookup)


def slug_for(path: str | Path) -> str:
    return Path(path).name.removesuffix(".md")


def load_article(path: str | Path, mode: str = "sentence") -> Article:
    """Read and parse ``articles/<slug>.md``; errors name the file and line."""
    return read_article(path, mode)[0]


def read_article(path: str | Path, mode: str = "sentence") -> tuple[Article, bytes, os.stat_result]:
    """`load_article`, with the bytes it parsed and the file's status when
    read (`workflow.files.read_with_status`)."""
    p = Path(path)
    try:
        data, status = read_with_status(p)
    except OSError as exc:
        raise ArticleError(f"cannot read the file: {exc.strerror}", path=p) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArticleError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
            path=p,
            line=line,
            hint="save the file as UTF-8",
        ) from exc
    return parse_article(text, path=str(p), mode=mode), data, status


def parse_article(
    text: str, path: str = "<string>", mode: str = "sentence", segment: bool = True
) -> Article:
    """Parse an article's text; ``path`` names it in errors and gives the slug.

    ``segment=False`` leaves the body unsegmented (the article then has only
    its front matter's segments): for an article that is only rendered.
    """
    if mode not in SEGMENT_MODES:
        raise ArticleError(f"unknown segment mode {mode!r}", hint="use 'sentence' or 'block'")
    slug = slug_for(path)
    if path != "<string>" and not SLUG_RE.fullmatch(slug):
        raise ArticleError(
            f"file name {slug!r} is not a valid slug",
            path=path,
            line=1,
            hint="rename it to lowercase letters, digits and single hyphens, e.g. 'week-21-review.md'",
        )
    nul = text.find("\0")
    if nul >= 0:
        raise ArticleError("contains a NUL character", path=path, line=text.count("\n", 0, nul) + 1)
    lines = split_lines(text)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    first = lines[0][len(bom) :] if lines else ""
    if not lines or not _DELIMITER.match(first.rstrip("\r\n")):
        raise ArticleError(
            "missing front matter",
            path=path,
            line=1,
            hint="start the file with a line '---', the YAML fields (title, date, ...), and '---'",
        )
    close = None
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip(" \t") in _CLOSERS:
            close = i
            break
    if close is None:
        raise ArticleError(
            "unterminated front matter: no closing '---' line",
            path=path,
            line=1,
            hint="end the front matter with a line containing only '---'",
        )
    fm_start = len(lines[0])
    fm_text = "".join(lines[1:close])
    body_offset = fm_start + len(fm_text) + len(lines[close])
    body = text[body_offset:]
    body_line = close + 2
    front, fm_slots, fm_segments = _parse_front_matter(fm_text, fm_start, path)
    if not body.strip():
        raise ArticleError(
            "empty body: the article has front matter but no text",
            path=path,
            line=close + 1,
            hint="write the article below the closing '---'",
        )
    try:
        body_segments, body_slots = (
            segment_body(body, body_line, body_offset, mode, len(fm_segments), lines[close + 1 :])
            if segment
            else ([], [])
        )
    except ArticleError as exc:
        exc.path = exc.path or path
        raise
    return Article(
        slug=slug,
        path=path,
        text=text,
        front_matter=front,
        body=body,
        body_line=body_line,
        segments=tuple(fm_segments + body_segments),
        skeleton=tuple(fm_slots + body_slots),
    )


def _parse_front_matter(
    fm_text: str, base: int, path: str
) -> tuple[FrontMatter, list[Slot], list[Segment]]:
    """Values, slots and segments of the front matter (line 2 onwards in the file)."""
    try:
        if "*" in fm_text:
            _refuse_aliases(fm_text, path)
        loader = _Loader(fm_text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = _line_at(fm_text, mark.index) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        hint = "check quoting: a value containing ': ' or starting with a quote must be quoted"
        at = mark.index if mark is not None else 0
        line_start = fm_text.rfind("\n", 0, at) + 1
        if "\t" in fm_text[line_start : at + 1] or "\\t" in problem:
            hint = "YAML is indented with spaces only: replace the tabs with spaces"
        raise ArticleError(
            f"invalid YAML in front matter: {problem}", path=path, line=line, hint=hint
        ) from exc
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise ArticleError(
            "front matter must be a YAML mapping of fields",
            path=path,
            line=2,
            hint="write 'title: ...' and 'date: YYYY-MM-DD' lines",
        )
    key_lines: dict[str, int] = {}
    value_nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        key_lines[key] = _line_at(fm_text, key_node.start_mark.index)
        value_nodes[key] = value_node

    def fail(key: str, message: str, hint: str | None = None) -> ArticleError:
        return ArticleError(message, path=path, line=key_lines.get(key, 2), hint=hint)

    for key in key_lines:
        if key in KNOWN_FIELDS or key.startswith(OWN_FIELD_PREFIXES):
            continue
        guess = difflib.get_close_matches(key, KNOWN_FIELDS, n=1, cutoff=0.6)
        hint = f"did you mean '{guess[0]}'?" if guess else "known: " + ", ".join(KNOWN_FIELDS)
        raise fail(
            key,
            f"unknown front-matter field '{key}'",
            hint + " A newsroom's own field starts with 'x_' and is kept as it is",
        )

    for required in ("title", "date"):
        if required not in data or data[required] in (None, ""):
            raise ArticleError(
                f"missing required field '{required}' in front matter",
                path=path,
                line=2,
                hint=f"add a line '{required}: ...'",
            )
    texts: dict[str, str | None] = {}
    for name in TRANSLATABLE_FIELDS:
        value = data.get(name)
        if value is None:
            texts[name] = None
        elif isinstance(value, str):
            texts[name] = value
        else:
            raise fail(
                name, f"'{name}' must be text, not {type(value).__name__}", "quote the value"
            )
    for name in ("title", "lead", "section", "authors", "tags"):
        _refuse_controls(data.get(name), name, fail)
    title = texts["title"]
    assert title is not None
    date = _as_date(data["date"], lambda msg: fail("date", msg, "write the date as YYYY-MM-DD"))
    period_start = period_end = None
    if data.get("period") is not None:
        period = data["period"]
        if not isinstance(period, dict) or "start" not in period or "end" not in period:
            raise fail(
                "period",
                "'period' must have 'start' and 'end' dates",
                "write 'period:' then indented 'start: YYYY-MM-DD' and 'end: YYYY-MM-DD'",
            )
        period_start = _as_date(
            period["start"], lambda m: fail("period", f"period start: {m}", "use YYYY-MM-DD")
        )
        period_end = _as_date(
            period["end"], lambda m: fail("period", f"period end: {m}", "use YYYY-MM-DD")
        )
        if period_end < period_start:
            raise fail("period", "period ends before it starts", "swap 'start' and 'end'")
    author_names = _as_authors(
        data.get("authors"),
        lambda m: fail(
            "authors",
            f"'authors' {m}",
            "write [Name One, Name Two], or per locale [{en: Name, be: Імя, ru: Имя}]",
        ),
    )
    authors = tuple(next(iter(names.values())) for names in author_names)
    tags = _as_strings(
        data.get("tags"), lambda m: fail("tags", f"'tags' {m}", "write [tag-one, tag-two]")
    )
    front = FrontMatter(
        title=title.strip(),
        date=date,
        lead=texts["lead"].strip() if texts["lead"] else None,
        section=texts["section"].strip() if texts["section"] else None,
        period_start=period_start,
        period_end=period_end,
        authors=authors,
        author_names=author_names,
        tags=tags,
        extra=dict(data),
    )
    # Fields may come in any order in the file; the skeleton needs slots in
    # file order, and segments follow it.
    placed = sorted(
        (node.start_mark.index, name, node)
        for name in TRANSLATABLE_FIELDS
        if (text := texts[name])
        and text.strip()
        and isinstance(node := value_nodes.get(name), yaml.ScalarNode)
    )
    slots: list[Slot] = []
    segments: list[Segment] = []
    for start, name, value_node in placed:
        text = texts[name]
        assert text is not None
        end = value_node.end_mark.index
        segments.append(
            Segment(
                msgid=text.strip(),
                msgctxt=name,
                kind=name,
                line=_line_at(fm_text, start),
                comment=f"front matter: {name}",
            )
        )
        encoder = _yaml_encoder(value_node.style, fm_text[start:end])
        slots.append(SpanSlot(base + start, base + end, len(segments) - 1, encoder))
    return front, slots, segments


def _refuse_aliases(fm_text: str, path: str) -> None:
    """Refuse any YAML alias (``*name``) before the document is built.

    Front matter has no use for them, and nested aliases expand
    exponentially (a "billion laughs"): even an error message showing the
    value would be megabytes.  Scanning tokens is linear in the text.
    """
    for token in yaml.scan(fm_text, Loader=_Loader):
        if isinstance(token, yaml.AliasToken):
            raise ArticleError(
                "YAML aliases (*name) are not allowed in front matter",
                path=path,
                line=_line_at(fm_text, token.start_mark.index),
                hint="write the value out in full",
            )


def _refuse_controls(
    value: object, name: str, fail: Callable[[str, str, str | None], ArticleError]
) -> None:
    """Refuse control characters (NUL, escapes such as \\x0b) in text fields:
    they would reach the catalogs, and gettext's tools refuse them there."""
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, str) and (found := CONTROL_RE.search(item)):
            char = control_name(found.group())
            raise fail(name, f"'{name}' contains the control character {char}", "remove it")


def _short(value: object) -> str:
    """``repr(value)`` cut short: never megabytes in an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_date(value: object, fail: Callable[[str], ArticleError]) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text).date()
        except ValueError as exc:
            if re.match(r"^\d{4}-\d{2}-\d{2}", text):
                # ISO in form, but no such day: say which part is wrong.
                error = fail(f"{text!r} is not a date in the calendar: {exc}")
                error.hint = "the form is right but that day does not exist: check day and month"
                raise error from exc
    raise fail(f"{_short(value)} is not an ISO date")


def _as_authors(value: object, fail: Callable[[str], ArticleError]) -> tuple[dict[str, str], ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | dict) else value
    if not isinstance(items, list):
        raise fail("must be a list of names")
    out: list[dict[str, str]] = []
    for item in items:
        if isinstance(item, str | int | float) and str(item).strip():
            out.append({"": str(item)})
        elif (
            isinstance(item, dict)
            and item
            and all(
                isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in item.items()
            )
        ):
            out.append({str(k): str(v) for k, v in item.items()})
        else:
            raise fail("must be a list of names (text, or a table of a name per locale)")
    return tuple(out)


def _as_strings(value: object, fail: Callable[[str], ArticleError]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise fail("must be a list of names")


def _line_at(fm_text: str, index: int) -> int:
    """File line of an index into the front matter (which starts on line 2).

    YAML's own marks count U+2028, NEL and lone CR as line breaks; editors
    and our error messages count only newlines.
    """
    return fm_text.count("\n", 0, index) + 2


def _yaml_encoder(style: str | None, raw: str) -> Callable[[str], str]:
    """Write a translated value as a YAML scalar, in the source's style where valid."""
    trailing = raw[len(raw.rstrip()) :] if style in ("|", ">") else ""

    def encode(text: str) -> str:
        text = text.strip()
        if style == "'" and "\n" not in text:
            return "'" + text.replace("'", "''") + "'"
        if style in (None, "") and _plain_ok(text):
            return text
        return _double_quoted(text) + trailing

    return encode


def _plain_ok(text: str) -> bool:
    if not text or "\n" in text or text != text.strip():
        return False
    try:
        return bool(yaml.safe_load(f"k: {text}\n") == {"k": text})
    except yaml.YAMLError:
        return False


def _double_quoted(text: str) -> str:
    # JSON strings are YAML double-quoted scalars; keep letters readable.
    return json.dumps(text, ensure_ascii=False)


def parse_many(
    paths: Sequence[Path],
    mode: str = "sentence",
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[Article], list[ArticleError]]:
    """Load every article; one bad file never stops the others."""
    articles: list[Article] = []
    errors: list[ArticleError] = []
    for done, p in enumerate(paths):
        if progress is not None:
            progress("reading articles", done, len(paths))
        try:
            articles.append(load_article(p, mode))
        except ArticleError as exc:
            errors.append(exc)
    if progress is not None:
        progress("reading articles", len(paths), len(paths))
    return articles, errors
