"""Settings: `[tool.edition]` in the content root's pyproject.toml.

Every setting is declared once below with its default and type, so a root
with no configuration works (source `en`, targets `be` and `ru`).  Unknown
keys are errors with a suggestion, because a misspelt setting silently doing
nothing is worse than a refusal.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

#: How article text is cut into entries (`workflow.segment`, which imports
#: this: loading settings must not compile the segmenter's patterns).
SEGMENT_MODES = ("sentence", "block")

#: The version of the catalogs' text as `workflow.poformat` renders it.
#: Bump it with any change to that text: sync keys its state on it, so that
#: no catalog rendered before the change is taken as sync's own rendering
#: (`workflow.splice` copies such text instead of rendering it again).
#: 3: unknown flags are written back, obsolete entries with only a translator
#: comment are kept, and the page width follows the `wrap` setting.
FORMAT_VERSION = "3"

#: `wrap` values besides a page width: gettext's ``--no-wrap``.
NO_WRAP = "no-wrap"
#: `references` values: msgcat's ``--add-location=full`` and ``=file``.
REFERENCE_MODES = ("lines", "file")

_LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")


@dataclass(frozen=True)
class Settings:
    root: Path
    #: The canonical language of `articles/`.
    source: str = "en"
    #: Target locales; one catalog per article per locale.
    locales: tuple[str, ...] = ("be", "ru")
    #: "sentence": blocks are split into sentences; "block": kept whole.
    segment: str = "sentence"
    #: Project-Id-Version in catalog headers.
    project: str = "edition"
    #: Language-Team, and Last-Translator of a catalog nobody has saved yet.
    team: str = "Newsroom translators <translators@example.org>"
    #: Report-Msgid-Bugs-To in catalog headers.
    bugs_to: str = ""
    #: Page width of the catalogs sync writes (msgcat ``-w``; 79 is gettext's
    #: and Weblate's default), or "no-wrap".  A catalog another tool saved
    #: keeps the layout family it has (`workflow.layout`).
    wrap: int | str = 79
    #: "lines": ``#: articles/<slug>.md:LINE``; "file": ``#: articles/<slug>.md``
    #: (msgcat ``--add-location=file``), so moved text touches no reference.
    references: str = "lines"
    #: Extra settings of later stages, kept verbatim for them to read.
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        """`wrap` as `workflow.poformat` takes it: a page width, 0 for no wrapping."""
        return 0 if self.wrap == NO_WRAP else int(self.wrap)

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    @property
    def state_dir(self) -> Path:
        return self.root / ".edition"

    def article_paths(self) -> list[Path]:
        """``sorted(p for p in articles_dir.glob("*.md") if p.is_file())``,
        from one directory scan: pathlib's glob, stat and ordering were a
        fifth of a no-op sync."""
        directory = self.articles_dir
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return []  # as glob yields nothing
        # Siblings order as their names do.  Anything but a directory is an
        # article: a FIFO, a device or a symlink loop is then reported when
        # read, not silently left out.
        names = sorted(e.name for e in entries if e.name.endswith(".md") and _not_dir(e))
        return [directory / name for name in names]

    def pot_path(self, slug: str) -> Path:
        return self.locales_dir / f"{slug}.pot"

    def po_path(self, locale: str, slug: str) -> Path:
        return self.locales_dir / locale / f"{slug}.po"


def _not_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return not entry.is_dir()
    except OSError:  # a symlink loop
        return True


_SCALARS: dict[str, type] = {
    "source": str,
    "segment": str,
    "project": str,
    "team": str,
    "bugs_to": str,
    "references": str,
}
_TABLES = ("routes", "checks", "site", "draft", "memory", "engines", "status", "weblate")
#: The keys each `[tool.edition.TABLE]` may have, for the tables whose keys
#: are fixed (routes are keyed by locale, engines are checked by
#: `workflow.engines`).  A module that reads a new key adds it here.
TABLE_KEYS: dict[str, set[str]] = {
    # quotes: house quotation marks per locale; disable: checks turned off;
    # words: the newsroom's own words for spelling (and locales/<lang>/words.txt).
    "checks": {"quotes", "disable", "words"},
    "site": {"title", "base_url", "description"},
    "memory": {"threshold"},
    "draft": set(),
    "status": set(),
}


def _check_table(name: str, table: dict[str, Any], path: Path) -> None:
    """Refuse unknown keys of a fixed table, and mistyped values of the
    settings read from it, with what to write instead."""
    known = TABLE_KEYS.get(name)
    if known is None:
        return
    for key in table:
        if key not in known:
            guess = difflib.get_close_matches(key, sorted(known), n=1)
            hint = (
                f"did you mean '{guess[0]}'?"
                if guess
                else "known: " + (", ".join(sorted(known)) or "none")
            )
            raise ConfigError(
                f"unknown setting '{key}' in [tool.edition.{name}]", path=path, hint=hint
            )
    if name == "checks":
        quotes = table.get("quotes", {})
        if not isinstance(quotes, dict) or not all(isinstance(v, str) for v in quotes.values()):
            raise ConfigError(
                "[tool.edition.checks] quotes must be a table of locale = quotes",
                path=path,
                hint='e.g. quotes = {be = "«»", ru = "«»"}',
            )
        disable = table.get("disable", [])
        if not isinstance(disable, list) or not all(isinstance(v, str) for v in disable):
            raise ConfigError(
                "[tool.edition.checks] disable must be a list of check names",
                path=path,
                hint='e.g. disable = ["spelling"]',
            )
        words = table.get("words", [])
        if not isinstance(words, list) or not all(isinstance(v, str) for v in words):
            raise ConfigError(
                "[tool.edition.checks] words must be a list of text",
                path=path,
                hint='e.g. words = ["Lukashenka", "Tsikhanouskaya"]',
            )
    if name == "memory":
        threshold = table.get("threshold", 75)
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int)
            or not 1 <= threshold <= 100
        ):
            raise ConfigError(
                "[tool.edition.memory] threshold must be a whole percent from 1 to 100",
                path=path,
            )


#: `[tool.edition.weblate]`: where `edition weblate` registers the root.
#: Every key is optional in the file; `url` and `token` may come from the
#: environment instead (`WEBLATE_URL`, `WEBLATE_TOKEN`, which win).
WEBLATE_KEYS: dict[str, tuple[type, str]] = {
    #: The Weblate server (its site or its API root, `…/api/`).
    "url": (str, ""),
    #: The project slug.  Its name (default: the slug) and website (default:
    #: `[tool.edition.site] base_url`, else the repository's URL) are given
    #: at creation, and kept afterwards only when set here.
    "project": (str, "edition"),
    "name": (str, ""),
    "website": (str, ""),
    #: The URL Weblate clones this content root from, and the branch.
    "repo": (str, ""),
    "branch": (str, "main"),
    #: Where Weblate pushes its commits ("" : Weblate does not push).
    "push": (str, ""),
    #: The API token.  Discouraged: use WEBLATE_TOKEN, keep it out of git.
    "token": (str, ""),
}
TABLE_KEYS["weblate"] = set(WEBLATE_KEYS)


@dataclass(frozen=True)
class WeblateSettings:
    url: str
    project: str
    name: str
    website: str
    repo: str
    branch: str
    push: str
    token: str = field(repr=False)


def weblate_settings(settings: Settings, env: dict[str, str] | None = None) -> WeblateSettings:
    """`[tool.edition.weblate]` checked, with `WEBLATE_URL`/`WEBLATE_TOKEN`
    from ``env`` (default: the process environment) taking precedence."""
    environ = os.environ if env is None else env
    table = settings.sections.get("weblate", {})
    path = settings.root / "pyproject.toml"
    values: dict[str, str] = {}
    for key, value in table.items():
        if key not in WEBLATE_KEYS:
            guess = difflib.get_close_matches(key, list(WEBLATE_KEYS), n=1)
            hint = (
                f"did you mean '{guess[0]}'?"
                if guess
                else "known: " + ", ".join(sorted(WEBLATE_KEYS))
            )
            raise ConfigError(
                f"unknown setting '{key}' in [tool.edition.weblate]", path=path, hint=hint
            )
        expected, _default = WEBLATE_KEYS[key]
        if not isinstance(value, expected):
            raise ConfigError(
                f"[tool.edition.weblate] '{key}' must be a {expected.__name__}", path=path
            )
        values[key] = str(value)
    for key, variable in (("url", "WEBLATE_URL"), ("token", "WEBLATE_TOKEN")):
        if environ.get(variable):
            values[key] = environ[variable]
    merged = {key: values.get(key, default) for key, (_type, default) in WEBLATE_KEYS.items()}
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,100}", merged["project"]):
        raise ConfigError(
            f"[tool.edition.weblate] project {merged['project']!r} is not a Weblate slug",
            path=path,
            hint="use letters, digits, '-' and '_'",
        )
    url = merged["url"]
    if url and not url.lower().startswith(("http://", "https://")):
        raise ConfigError(
            f"Weblate URL {url!r} must start with http:// or https://",
            path=path,
        )
    return WeblateSettings(**merged)


def load_settings(root: str | Path = ".") -> Settings:
    """Settings of the content root; defaults where pyproject.toml says nothing."""
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise ConfigError("the content root is not a directory", path=root_path)
    path = root_path / "pyproject.toml"
    table: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            line = _toml_error_line(str(exc))
            raise ConfigError(f"cannot parse: {exc}", path=path, line=line) from exc
        table = data.get("tool", {}).get("edition", {})
        if not isinstance(table, dict):
            raise ConfigError("[tool.edition] must be a table", path=path)
    known = {f.name for f in fields(Settings)} - {"root", "sections"}
    values: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in table.items():
        if key in _TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"[tool.edition.{key}] must be a table", path=path)
            _check_table(key, value, path)
            sections[key] = value
            continue
        if key not in known:
            guess = difflib.get_close_matches(key, [*known, *_TABLES], n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else "known: " + ", ".join(sorted(known))
            raise ConfigError(f"unknown setting '{key}' in [tool.edition]", path=path, hint=hint)
        if key == "locales":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("'locales' must be a list of locale codes", path=path)
            bad = [v for v in value if not _LOCALE_RE.match(v)]
            if bad:
                raise ConfigError(
                    f"'locales' has invalid codes: {', '.join(bad)}",
                    path=path,
                    hint="use gettext codes such as 'be', 'ru' or 'pt_BR'",
                )
            values[key] = tuple(dict.fromkeys(value))
            continue
        if key == "wrap":
            if isinstance(value, bool) or not (
                value == NO_WRAP or (isinstance(value, int) and 20 <= value <= 10_000)
            ):
                raise ConfigError(
                    f"'wrap' is {value!r}",
                    path=path,
                    hint='use a page width such as 79 (the default) or 77, or "no-wrap"',
                )
            values[key] = value
            continue
        expected = _SCALARS[key]
        if not isinstance(value, expected):
            raise ConfigError(f"'{key}' must be a {expected.__name__}", path=path)
        values[key] = value
    settings = Settings(root=root_path, sections=sections, **values)
    if settings.segment not in SEGMENT_MODES:
        raise ConfigError(
            f"'segment' is {settings.segment!r}",
            path=path,
            hint="use 'sentence' or 'block'",
        )
    if settings.references not in REFERENCE_MODES:
        raise ConfigError(
            f"'references' is {settings.references!r}",
            path=path,
            hint="use 'lines' (articles/<slug>.md:LINE) or 'file' (articles/<slug>.md)",
        )
    if settings.source in settings.locales:
        raise ConfigError("the source language cannot also be a target locale", path=path)
    return settings


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None
