"""The static site: every edition of an article goes out together, or none does.

Rules:

* The gate: an article is published only when every target edition is
  ready (`status`: catalog in step with the article, every entry reviewed,
  no error-level check).  Otherwise none of its editions appears anywhere:
  pages, indexes, feeds, sitemap.  Only reviewed msgstr reaches a page.
* An article published before whose editions are no longer all ready (its
  English changed, say) stays online exactly as last built, and is reported
  as outdated.  The publication manifest (``.manifest.json`` in the site)
  records, per article, the hash of the inputs each page was built from.
* Unchanged articles are not re-rendered: their pages are kept (or
  hard-linked from the live build) when the input hash matches, and a
  publish with nothing changed builds nothing.  The result is always the
  complete site.
* Atomic: ``OUT`` is a symlink to a build in ``.OUT.builds/``; the new site
  is made in the other build there (the spare: the site one publish ago)
  and the symlink is replaced by one rename, so a failure or SIGKILL at any
  point leaves the live site whole.  The live build is never written to.
* Safe: Jinja2 autoescape; Markdown rendered with raw HTML disabled and link
  and image URLs limited to http, https, mailto and relative ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from babel.core import Locale
from babel.dates import format_date, format_interval
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from markdown_it import MarkdownIt

from .article import Article, load_article, parse_article
from .catalog import JOINED, State, entry_state
from .config import Settings
from .errors import EXIT_USAGE, ConfigError, WorkflowError
from .files import atomic_write, fsync_dir, root_lock, sha256, syncfs
from .guard import read_regular
from .links import Available, article_link, linked_slugs, page_href
from .poformat import read_po
from .progress import Progress, no_progress
from .segment import NESTING, Segment
from .status import Edition, collect

#: Bumped when the page-building code changes, so old pages are re-rendered.
# 2: translations escaped by position; 3, 4: number cells in the locale's
# notation, typography, authors per locale, correction notes; 5: links between
# articles follow the page's language (`workflow.links`).
RENDER_VERSION = "5"
#: A feed carries the newest articles only, as feeds do: readers poll it often.
FEED_ENTRIES = 50
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class PublishError(WorkflowError):
    """The site cannot be built or swapped in."""


class CorrectionError(WorkflowError):
    """``--correction`` names an article it cannot apply to."""

    exit_code = EXIT_USAGE


#: The content root's record of every correction published (tracked in git,
#: not under .edition/: it is the newsroom's editorial record and must
#: survive a clean checkout, as the state under .edition/ need not).
CORRECTIONS_LOG = "corrections.log"
#: The note on a translation kept online after its English was corrected.
CORRECTION_NOTES = {
    "be": "Англійскі арыгінал гэтага артыкула абноўлены {date}; пераклад яшчэ не ўлічвае змены.",
    "ru": "Английский оригинал этой статьи обновлён {date}; перевод ещё не учитывает изменения.",
}
_DEFAULT_NOTE = (
    "The English original was updated on {date}; this translation does not reflect the change yet."
)
_NOTE_RE = re.compile(r'<p class="correction-note"[^>]*>.*?</p>\n', re.S)


# -- Markdown -> HTML -----------------------------------------------------------


def safe_url(url: str) -> bool:
    """http, https, mailto and relative URLs only; never javascript:, data:, vbscript:."""
    # Browsers ignore ASCII whitespace and control characters inside a scheme.
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", url)
    if not _SCHEME_RE.match(cleaned):
        return True  # relative, or protocol-relative (http or https)
    return cleaned.lower().startswith(_SAFE_SCHEMES)


def markdown_renderer() -> MarkdownIt:
    # As deep as segmenting allows (`workflow.segment.NESTING`): an article
    # nested deeper is refused there, so nothing is dropped here.
    md = MarkdownIt(
        "commonmark", {"html": False, "typographer": False, "maxNesting": NESTING}
    ).enable("table")
    md.validateLink = safe_url  # type: ignore[method-assign]
    return md


# -- what is published --------------------------------------------------------


@dataclass
class Blocker:
    locale: str
    reasons: list[str]


@dataclass
class PublishReport:
    out: Path
    published: list[str] = field(default_factory=list)
    held: dict[str, list[Blocker]] = field(default_factory=dict)
    outdated: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    #: Articles whose corrected English went out while their translations
    #: stay as last published, with a note (``--correction``).
    corrected: list[str] = field(default_factory=list)
    errors: list[WorkflowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "published": self.published,
            "held": [
                {
                    "slug": slug,
                    "blocking": [{"locale": b.locale, "reasons": b.reasons} for b in blockers],
                }
                for slug, blockers in self.held.items()
            ],
            "outdated": self.outdated,
            "corrected": self.corrected,
            "rendered": self.rendered,
            "reused": self.reused,
        }


def _reasons(ed: Edition) -> list[str]:
    reasons = []
    if ed.missing:
        reasons.append("no catalog: run edition sync")
    if ed.unreadable:
        reasons.append(f"catalog cannot be read: {ed.unreadable}")
    if ed.outdated:
        reasons.append("catalog out of date with the article: run edition sync")
    for state in (State.UNTRANSLATED, State.DRAFT, State.STALE):
        if ed.counts[state] and not ed.missing:
            which = [p for p in ed.pending if p.state is state]
            named = "; ".join(
                f"{p.msgid[:60]!r}" + (f" (line {p.line})" if p.line else "") for p in which[:3]
            )
            more = f" and {len(which) - 3} more" if len(which) > 3 else ""
            reasons.append(f"{ed.counts[state]} {state.value}: {named}{more}")
    if ed.errors:
        first = next(f for f in ed.findings if f.severity.value == "error")
        errors = "1 check error" if ed.errors == 1 else f"{ed.errors} check errors"
        reasons.append(f"{errors}, e.g. [{first.check}] {first.message}")
    return reasons


def localize_number(text: str, locale: str) -> str:
    """A number-only table cell in the locale's notation (Babel's decimal and
    group symbols; a true minus sign): ``-1,234.5`` is ``−1 234,5`` in ru.
    Digits are kept as written (no rounding, no grouping added to a year)."""
    from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol

    from .segment import NUMBER_CELL

    stripped = text.strip()
    match = NUMBER_CELL.fullmatch(stripped)
    if match is None:
        return text
    sign, whole, fraction, percent = match.groups()
    out = whole.replace(",", get_group_symbol(locale))
    if fraction:
        out += get_decimal_symbol(locale) + fraction[1:]
    if sign:
        out = ("+" if sign == "+" else "\u2212") + out
    if percent:
        sample = format_percent(1, locale=locale)  # "100 %" or "100%"
        out += sample[sample.rindex("0") + 1 :]
    return text[: len(text) - len(text.lstrip())] + out + text[len(text.rstrip()) :]


def _lookup(po_path: Path, locale: str | None = None) -> Callable[[Segment], str | None]:
    """Reviewed translations only: a draft never reaches a page.  Number-only
    cells (never in a catalog) are written in ``locale``'s notation."""
    table: dict[tuple[str | None, str], str] = {}
    for entry in read_po(po_path):
        if not entry.obsolete and entry_state(entry) is State.REVIEWED:
            table[(entry.msgctxt, entry.msgid)] = entry.msgstr

    def lookup(seg: Segment) -> str | None:
        if seg.kind == "number":
            return localize_number(seg.msgid, locale) if locale else None
        text = table.get((seg.msgctxt, seg.msgid))
        # Joined with the previous sentence, whose translation says both.
        return "" if text == JOINED else text

    return lookup


def translated(article: Article, settings: Settings, locale: str) -> Article:
    """The article in ``locale``, reviewed translations only, re-read as an article.

    Re-read for its front matter and body, which is all a page needs: the
    body is not segmented again.
    """
    if locale == settings.source:
        return article
    text = article.assemble(_lookup(settings.po_path(locale, article.slug), locale))
    return parse_article(text, path=article.path, mode="block", segment=False)


# -- rendering -----------------------------------------------------------------


def _environment(settings: Settings) -> Environment:
    loaders: list[Any] = []
    custom = settings.root / "templates"
    if custom.is_dir():
        loaders.append(FileSystemLoader(str(custom)))
    loaders.append(PackageLoader("workflow", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _site_settings(settings: Settings, base_url: str | None) -> dict[str, Any]:
    table = settings.sections.get("site", {})
    known = {"title", "base_url", "description"}
    for key in table:
        if key not in known:
            raise ConfigError(
                f"unknown setting '{key}' in [tool.edition.site]",
                path=settings.root / "pyproject.toml",
                hint="known: " + ", ".join(sorted(known)),
            )
    titles = table.get("title", {})
    if isinstance(titles, str):
        titles = {settings.source: titles}
    if not isinstance(titles, dict):
        raise ConfigError(
            "[tool.edition.site] title must be text or a table of locale = text",
            path=settings.root / "pyproject.toml",
        )
    url = base_url if base_url is not None else str(table.get("base_url", ""))
    if url and not url.lower().startswith(("http://", "https://")):
        raise ConfigError(
            f"base URL {url!r} must start with http:// or https://",
            path=settings.root / "pyproject.toml",
        )
    return {"titles": titles, "base_url": url.rstrip("/")}


def language_name(locale: str) -> str:
    """The language named in itself, as a label: English, Беларуская, Русский
    (CLDR writes be and ru names in lowercase, as in running text)."""
    try:
        name = str(Locale.parse(locale).display_name or locale)
    except (ValueError, LookupError):
        return locale
    return name[:1].upper() + name[1:]


#: Belarusian month abbreviations as the academic norm writes them; CLDR
#: gives three letters with no period ("кра", "ліс").
_BE_MONTHS = {
    "сту": "студз.",
    "лют": "лют.",
    "сак": "сак.",
    "кра": "крас.",
    "чэр": "чэрв.",
    "ліп": "ліп.",
    "жні": "жн.",
    "вер": "вер.",
    "кас": "кастр.",
    "ліс": "ліст.",
    "сне": "снеж.",
}
_BE_MONTH_RE = re.compile(r"(?<!\w)(" + "|".join(_BE_MONTHS) + r")(?![\w.])")


def format_period(start: dt.date, end: dt.date, locale: str) -> str:
    """The week an article covers, in the locale's form, with one dash
    style for be and ru (an en dash: CLDR gives ru an em dash, be an en
    dash) and Belarusian abbreviations with their period."""
    text = format_interval(start, end, "yMMMd", locale=locale)
    lang = locale.split("_")[0]
    if lang in ("be", "ru"):
        text = text.replace("\u2014", "\u2013")
    if lang == "be":
        text = _BE_MONTH_RE.sub(lambda m: _BE_MONTHS[m.group(1)], text)
    return text


def author_names(fm_authors: Sequence[dict[str, str]], locale: str) -> tuple[str, ...]:
    """Each author's name in ``locale``, or as the article gives it."""
    return tuple(names.get(locale) or next(iter(names.values())) for names in fm_authors)


@dataclass
class Page:
    slug: str
    authors: tuple[str, ...]
    locale: str
    title: str
    lead: str | None
    section: str | None
    body_html: str
    date_text: str
    period_text: str | None
    iso_date: str


class Renderer:
    def __init__(self, settings: Settings, site: dict[str, Any]) -> None:
        self.settings = settings
        self.site = site
        self.env = _environment(settings)
        self.md = markdown_renderer()
        self.languages = [settings.source, *settings.locales]

    def site_title(self, locale: str) -> str:
        titles: dict[str, str] = self.site["titles"]
        return str(titles.get(locale) or titles.get(self.settings.source) or "Weekly review")

    def url(self, path: str) -> str:
        """Absolute when a base URL is set; otherwise root-relative."""
        return f"{self.site['base_url']}/{path}" if self.site["base_url"] else f"/{path}"

    def body_html(self, body: str, locale: str, available: Available | None) -> str:
        """The body as HTML, each link to another article pointed at the same
        edition of it, or at the source-language one (``hreflang``) where
        ``available`` says that edition is not published."""
        tokens = self.md.parse(body)
        source = self.settings.source
        for token in tokens:
            for child in token.children or ():
                if child.type != "link_open":
                    continue
                link = article_link(str(child.attrGet("href") or ""))
                if link is None:
                    continue
                href, lang = page_href(link, locale, source, available or (lambda s, loc: True))
                child.attrSet("href", href)
                if lang is not None:
                    child.attrSet("hreflang", lang)
        return str(self.md.renderer.render(tokens, self.md.options, {}))

    def page(self, article: Article, locale: str, available: Available | None = None) -> Page:
        fm = article.front_matter
        period = None
        if fm.period_start and fm.period_end:
            period = format_period(fm.period_start, fm.period_end, locale)
        return Page(
            slug=article.slug,
            authors=author_names(fm.author_names, locale),
            locale=locale,
            title=fm.title,
            lead=fm.lead,
            section=fm.section,
            body_html=self.body_html(article.body, locale, available),
            date_text=format_date(fm.date, "long", locale=locale),
            period_text=period,
            iso_date=fm.date.isoformat(),
        )

    def common(self, locale: str, depth: int) -> dict[str, Any]:
        # Relative links, so the site works from any folder and from file://.
        rel = "../" * depth
        return {
            "lang": locale,
            "rel": rel,
            "site_title": self.site_title(locale),
            "languages": [(loc, language_name(loc)) for loc in self.languages],
            "css": f"{rel}assets/site.css",
        }

    def article_html(self, page: Page) -> str:
        slug = page.slug
        alternates = [(loc, self.url(f"{loc}/{slug}/")) for loc in self.languages]
        return self.env.get_template("site_article.html.j2").render(
            **self.common(page.locale, 2),
            page=page,
            canonical=self.url(f"{page.locale}/{slug}/"),
            alternates=alternates,
            x_default=self.url(f"{self.settings.source}/{slug}/"),
            switch=[
                (loc, language_name(loc), f"../../{loc}/{slug}/", loc == page.locale)
                for loc in self.languages
            ],
        )

    def index_html(self, locale: str, pages: Sequence[Page]) -> str:
        weeks: dict[str, list[Page]] = {}
        for p in pages:
            weeks.setdefault(p.period_text or p.date_text, []).append(p)
        return self.env.get_template("site_index.html.j2").render(
            **self.common(locale, 1),
            weeks=list(weeks.items()),
            canonical=self.url(f"{locale}/"),
            alternates=[(loc, self.url(f"{loc}/")) for loc in self.languages],
            x_default=self.url(f"{self.settings.source}/"),
            switch=[(loc, language_name(loc), f"/{loc}/", loc == locale) for loc in self.languages],
        )

    def root_html(self) -> str:
        return self.env.get_template("site_root.html.j2").render(
            **self.common(self.settings.source, 0),
            choices=[
                (loc, language_name(loc), f"{loc}/", self.site_title(loc)) for loc in self.languages
            ],
            canonical=self.url(""),
            alternates=[(loc, self.url(f"{loc}/")) for loc in self.languages],
            x_default=self.url(f"{self.settings.source}/"),
            switch=[],
        )

    def feed_xml(self, locale: str, pages: Sequence[Page], updated: str) -> str:
        return self.env.get_template("site_feed.xml.j2").render(
            lang=locale,
            site_title=self.site_title(locale),
            feed_url=self.url(f"{locale}/feed.xml"),
            home=self.url(f"{locale}/"),
            updated=updated,
            entries=[
                {
                    "title": p.title,
                    "url": self.url(f"{locale}/{p.slug}/"),
                    "id": f"urn:edition:{locale}:{p.slug}",
                    "date": f"{p.iso_date}T00:00:00Z",
                    "summary": p.lead or "",
                    "authors": p.authors,
                }
                for p in pages[:FEED_ENTRIES]
            ],
        )

    def sitemap_xml(self, slugs: Sequence[str]) -> str:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            ' xmlns:xhtml="http://www.w3.org/1999/xhtml">',
        ]
        for path in ["", *(f"{{loc}}/{slug}/" for slug in slugs)]:
            for loc in self.languages:
                here = path.format(loc=loc) if path else f"{loc}/"
                lines.append(f"  <url><loc>{xml_escape(self.url(here))}</loc>")
                for other in self.languages:
                    there = path.format(loc=other) if path else f"{other}/"
                    lines.append(
                        f'    <xhtml:link rel="alternate" hreflang="{other}"'
                        f' href="{xml_escape(self.url(there))}"/>'
                    )
                lines.append("  </url>")
        lines.append("</urlset>")
        return "\n".join(lines) + "\n"


# -- building and swapping -----------------------------------------------------
#
# ``OUT`` is a symlink to one of two builds under ``.OUT.builds/``: the live
# one, and a spare holding the site as it was one publish earlier.  A publish
# brings the spare up to date, touching only what differs from what it
# holds (pages are hard-linked from the live build or rendered; indexes,
# feeds and the sitemap are written again), then swaps the symlink: the old
# live build becomes the next spare.  The spare's manifest is removed before
# its first change and written after its last, so a spare without one (a
# killed run) is never trusted: it is deleted and built afresh.


def _builds_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.builds"


def _live_build(out: Path) -> Path | None:
    if out.is_symlink():
        target = out.resolve()
        return target if target.is_dir() else None
    return out if out.is_dir() else None


_MANIFEST = ".manifest.json"


def _read_manifest(build: Path | None) -> dict[str, Any] | None:
    """A build's manifest, or None when it has none (unfinished) or it is damaged."""
    if build is None:
        return None
    try:
        data = json.loads((build / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("articles"), dict)
    return data if ok else None


def _site_key(settings: Settings, site: dict[str, Any]) -> str:
    """What every page depends on besides its article: code, templates, settings."""
    import babel

    h = hashlib.sha256()
    parts = [RENDER_VERSION, babel.__version__, settings.segment, json.dumps(site, sort_keys=True)]
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    dirs = [Path(__file__).parent / "templates", settings.root / "templates"]
    for d in dirs:
        if d.is_dir():
            for f in sorted(d.iterdir()):
                if f.is_file():
                    h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _input_hash(settings: Settings, slug: str, article: Path, site_key: str) -> str:
    """What an article's pages are built from.  A file that cannot be read
    (`collect` reports it) makes a key no build was ever made from."""
    h = hashlib.sha256(site_key.encode("utf-8") + b"\0")
    for path in [article, *(settings.po_path(locale, slug) for locale in settings.locales)]:
        try:
            h.update(read_regular(path)[0])
        except FileNotFoundError:
            pass
        except OSError:
            return "unreadable"
        h.update(b"\0")
    return h.hexdigest()


def _replace(path: Path, data: bytes | None = None, link: Path | None = None) -> None:
    """Put ``data`` (or a hard link to ``link``) at ``path`` by rename.

    Never writes into an existing file: the spare's files may be hard links
    to the live build's, which must not change.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    if link is not None:
        os.link(link, tmp)
    else:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data or b"")
    os.replace(tmp, path)


def _swap(out: Path, build: Path) -> None:
    """Point ``out`` at ``build`` with one rename."""
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(os.path.relpath(build, out.parent), link)
    if out.exists() and not out.is_symlink():
        # A site from before edition managed it: keep it as a build first.
        legacy = _builds_dir(out) / f"legacy-{int(time.time())}"
        os.rename(out, legacy)
    os.replace(link, out)
    fsync_dir(out.parent)


def _spare(builds: Path, live: Path | None) -> tuple[Path, dict[str, Any]]:
    """The build to bring up to date, and what its manifest says it holds.

    The newest finished build that is not live; every other one (killed
    runs, a legacy site, older spares) is deleted.  Its manifest is removed
    before anything changes in it.
    """
    candidates = sorted(
        (p for p in builds.iterdir() if p.is_dir() and p.resolve() != live),
        key=lambda p: p.name,
        reverse=True,
    )
    spare: Path | None = None
    held: dict[str, Any] = {"articles": {}}
    for build in candidates:
        manifest = _read_manifest(build) if spare is None else None
        if manifest is not None:
            spare, held = build, manifest
        else:
            shutil.rmtree(build, ignore_errors=True)
    if spare is None:
        stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-"
        spare = Path(tempfile.mkdtemp(prefix=stamp, dir=builds))
        os.chmod(spare, 0o755)
    else:
        (spare / _MANIFEST).unlink()
        fsync_dir(spare)
    return spare, held


@dataclass
class _Plan:
    """The site to build: its manifest and the pages rendered this run."""

    manifest: dict[str, Any]
    pages: dict[str, list[Page]]
    #: (slug, locale) -> the article page, for the articles rendered this run.
    html: dict[tuple[str, str], str] = field(default_factory=dict)


def _manifest_entry(
    settings: Settings, key: str, article: Article, page_of: dict[str, Page]
) -> dict[str, Any]:
    return {
        "key": key,
        "source": sha256(article.text.encode("utf-8")),
        "catalogs": {
            loc: sha256(read_regular(settings.po_path(loc, article.slug))[0])
            for loc in settings.locales
        },
        "authors": list(article.front_matter.authors),
        "pages": {
            loc: {
                "title": p.title,
                "lead": p.lead,
                "date": p.iso_date,
                "date_text": p.date_text,
                "period": p.period_text,
                "authors": list(p.authors),
            }
            for loc, p in page_of.items()
        },
    }


def publish(
    settings: Settings,
    paths: Sequence[Path],
    out: Path | None = None,
    base_url: str | None = None,
    wait: float = 30.0,
    progress: Progress = no_progress,
    corrections: Sequence[str] = (),
    today: dt.date | None = None,
) -> PublishReport:
    """Build the complete site for the articles at ``paths`` and swap it in atomically.

    ``corrections``: slugs whose corrected English goes out now although
    their translations are not up to date; those stay as last published,
    with a note saying the English was updated on ``today``, until they
    catch up.  Each is logged in `CORRECTIONS_LOG`."""
    out = (out if out is not None else settings.root / "site").absolute()
    report = PublishReport(out / "index.html")
    site = _site_settings(settings, base_url)
    with root_lock(settings.state_dir, wait, "publish"):
        live = _live_build(out)
        live_manifest = _read_manifest(live)
        previous: dict[str, Any] = live_manifest["articles"] if live_manifest else {}
        renderer = Renderer(settings, site)
        site_key = _site_key(settings, site)
        wanted = set(corrections)
        unknown = sorted(wanted - {p.stem for p in paths})
        if unknown:
            raise CorrectionError(f"no article named {', '.join(unknown)}")
        never = sorted(s for s in wanted if s not in previous)
        if never:
            raise CorrectionError(
                f"{', '.join(never)} has never been published",
                hint="a correction is for an article already online; publish it whole first",
            )
        day = today or dt.datetime.now(dt.UTC).date()
        fix = _Correction(wanted, day, live) if wanted else None
        plan = _plan(settings, paths, renderer, site_key, previous, report, progress, fix)
        if live_manifest is not None and live_manifest == plan.manifest:
            return report  # the live site is exactly what would be built
        builds = _builds_dir(out)
        builds.mkdir(parents=True, exist_ok=True)
        build, held = _spare(builds, live)
        try:
            _bring_up_to_date(build, held["articles"], plan, live, previous, renderer)
            syncfs(build)
            _swap(out, build)
        except BaseException:
            # Half updated: never trusted again (no manifest), so free it now.
            shutil.rmtree(build, ignore_errors=True)
            raise
        if report.corrected:
            _log_corrections(settings, report, plan, day)
    return report


@dataclass(frozen=True)
class _Correction:
    slugs: set[str]
    day: dt.date
    live: Path | None


def _with_note(html: str, locale: str, day: dt.date, english: str) -> str:
    """A page as last published, with (or with a new date on) the note that
    its English original was corrected since."""
    from markupsafe import escape

    date_text = format_date(day, "long", locale=locale)
    text = CORRECTION_NOTES.get(locale.split("_")[0], _DEFAULT_NOTE).format(date=date_text)
    note = (
        f'<p class="correction-note" role="note">{escape(text)} '
        f'<a href="{escape(english)}" hreflang="en" lang="en">English</a></p>\n'
    )
    html = _NOTE_RE.sub("", html)
    for anchor in ("<article>\n", "<main>\n"):
        if anchor in html:
            return html.replace(anchor, anchor + note, 1)
    return note + html


def _log_corrections(settings: Settings, report: PublishReport, plan: _Plan, day: dt.date) -> None:
    path = settings.root / CORRECTIONS_LOG
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = "# Corrections published with edition publish --correction: date, article, what.\n"
    lines = []
    for slug in report.corrected:
        source = plan.manifest["articles"][slug]["source"][:12]
        kept = ", ".join(settings.locales)
        lines.append(
            f"{day.isoformat()}\t{slug}\tEnglish republished (source {source}); "
            f"{kept} kept as last published, with a note, until they catch up\n"
        )
    atomic_write(path, (old + "".join(lines)).encode("utf-8"))


def _plan(
    settings: Settings,
    paths: Sequence[Path],
    renderer: Renderer,
    site_key: str,
    previous: dict[str, Any],
    report: PublishReport,
    progress: Progress = no_progress,
    fix: _Correction | None = None,
) -> _Plan:
    """Decide what each article contributes; render the ones that changed."""
    sources = {p.stem: p for p in paths}
    keys = {slug: _input_hash(settings, slug, path, site_key) for slug, path in sources.items()}
    # An article built from exactly these inputs was ready then and is ready
    # now: it needs no parsing, reading of catalogs or checking.
    unchanged = {slug for slug in sources if previous.get(slug, {}).get("key") == keys[slug]}
    status = collect(
        settings,
        [p for s, p in sources.items() if s not in unchanged],
        settings.locales,
        progress=progress,
    )
    report.errors.extend(status.errors)
    by_slug = {st.article.slug: st for st in status.articles}
    # The articles the new site will have (all their editions together), for
    # the links between articles: known before any page is rendered.
    online = set(unchanged)
    for slug in sources:
        st = by_slug.get(slug)
        if slug in previous or (st is not None and st.ready):
            online.add(slug)

    def available(slug: str, locale: str) -> bool:
        return slug in online

    def fallback(text: str) -> list[str]:
        """The linked articles not online: links to them go to the English."""
        return sorted(s for s in linked_slugs(text) if s not in online)

    plan = _Plan({"site": site_key, "articles": {}}, {loc: [] for loc in renderer.languages})
    articles: dict[str, Any] = plan.manifest["articles"]
    for done, slug in enumerate(sorted(sources)):
        progress("rendering pages", done, len(sources))
        if slug in unchanged:
            try:
                text = read_regular(sources[slug])[0].decode("utf-8", errors="replace")
            except OSError:
                text = ""  # read a moment ago for its key: keep what was built
            if not text or previous[slug].get("fallback", []) == fallback(text):
                articles[slug] = previous[slug]
                report.reused.append(slug)
                report.published.append(slug)
                continue
            # A linked article came online or went: the same pages, new links.
        st = by_slug.get(slug)
        if slug not in unchanged and (st is None or not st.ready):
            if st is not None:
                report.held[slug] = [
                    Blocker(loc, _reasons(ed)) for loc, ed in st.editions.items() if not ed.ready
                ]
            else:
                report.held[slug] = [Blocker(settings.source, ["the article cannot be read"])]
            if fix is not None and slug in fix.slugs and st is not None and slug in previous:
                _correct(
                    settings,
                    renderer,
                    slug,
                    sources[slug],
                    keys[slug],
                    previous,
                    fix,
                    plan,
                    available,
                )
                report.held.pop(slug, None)
                report.corrected.append(slug)
                report.published.append(slug)
                continue
            if slug in previous:
                # Keep the last complete form online, exactly as it was.
                articles[slug] = previous[slug]
                report.outdated.append(slug)
            continue
        article = load_article(sources[slug], settings.segment)
        page_of = {
            loc: renderer.page(translated(article, settings, loc), loc, available)
            for loc in renderer.languages
        }
        for loc, page in page_of.items():
            plan.html[(slug, loc)] = renderer.article_html(page)
        articles[slug] = _manifest_entry(settings, keys[slug], article, page_of)
        articles[slug]["fallback"] = fallback(article.text)
        report.rendered.append(slug)
        report.published.append(slug)
    progress("rendering pages", len(sources), len(sources))
    for slug, entry in articles.items():
        for loc in renderer.languages:
            plan.pages[loc].append(_page_from_manifest(entry, loc, slug))
    return plan


def _correct(
    settings: Settings,
    renderer: Renderer,
    slug: str,
    path: Path,
    key: str,
    previous: dict[str, Any],
    fix: _Correction,
    plan: _Plan,
    available: Available,
) -> None:
    """The corrected English page, and the translations as last published
    with a note; recorded under the current inputs' key, so that later
    publishes keep this until the translations catch up."""
    if fix.live is None:
        raise CorrectionError("there is no live site to correct", hint="run edition publish")
    article = load_article(path, settings.segment)
    source = settings.source
    page = renderer.page(article, source, available)
    plan.html[(slug, source)] = renderer.article_html(page)
    english = f"../../{source}/{slug}/"
    for loc in settings.locales:
        old = (fix.live / loc / slug / "index.html").read_text(encoding="utf-8")
        plan.html[(slug, loc)] = _with_note(old, loc, fix.day, english)
    entry = dict(previous[slug])
    pages = dict(entry["pages"])
    pages[source] = {
        "title": page.title,
        "lead": page.lead,
        "date": page.iso_date,
        "date_text": page.date_text,
        "period": page.period_text,
        "authors": list(page.authors),
    }
    entry.update(
        key=key,
        source=sha256(article.text.encode("utf-8")),
        pages=pages,
        correction={"date": fix.day.isoformat()},
    )
    plan.manifest["articles"][slug] = entry


def _bring_up_to_date(
    build: Path,
    held: dict[str, Any],
    plan: _Plan,
    live: Path | None,
    live_articles: dict[str, Any],
    renderer: Renderer,
) -> None:
    """Make ``build`` (holding the pages ``held`` says) the site ``plan`` describes."""
    languages = renderer.languages
    wanted: dict[str, Any] = plan.manifest["articles"]
    for slug in held.keys() - wanted.keys():
        for loc in languages:
            shutil.rmtree(build / loc / slug, ignore_errors=True)
    for slug, entry in wanted.items():
        if held.get(slug) == entry:
            continue  # the spare has these very pages
        for loc in languages:
            target = build / loc / slug / "index.html"
            html = plan.html.get((slug, loc))
            if html is not None:
                _replace(target, html.encode("utf-8"))
            elif live is not None and live_articles.get(slug) == entry:
                _replace(target, link=live / loc / slug / "index.html")
            else:
                raise PublishError(f"no page to reuse for {loc}/{slug}", path=build)
    stamp = _updated(plan.pages)
    for loc in languages:
        ordered = sorted(plan.pages[loc], key=lambda p: (p.iso_date, p.slug), reverse=True)
        _replace(build / loc / "index.html", renderer.index_html(loc, ordered).encode("utf-8"))
        _replace(build / loc / "feed.xml", renderer.feed_xml(loc, ordered, stamp).encode("utf-8"))
    _replace(build / "index.html", renderer.root_html().encode("utf-8"))
    _replace(build / "sitemap.xml", renderer.sitemap_xml(sorted(wanted)).encode("utf-8"))
    # Served as is: CSS must not go through HTML autoescaping.
    assert renderer.env.loader is not None
    css, _name, _up = renderer.env.loader.get_source(renderer.env, "site.css")
    _replace(build / "assets" / "site.css", css.encode("utf-8"))
    manifest = json.dumps(plan.manifest, sort_keys=True, ensure_ascii=False).encode("utf-8")
    _replace(build / _MANIFEST, manifest)


def _updated(pages: dict[str, list[Page]]) -> str:
    dates = [p.iso_date for ps in pages.values() for p in ps]
    return f"{max(dates)}T00:00:00Z" if dates else "1970-01-01T00:00:00Z"


def _page_from_manifest(entry: dict[str, Any], locale: str, slug: str) -> Page:
    """An index line for an article, from what the manifest recorded of its page."""
    info = entry["pages"][locale]
    date = dt.date.fromisoformat(str(info["date"]))
    # Manifests written before date_text was recorded: format it again.
    date_text = info.get("date_text") or format_date(date, "long", locale=locale)
    return Page(
        slug=slug,
        authors=tuple(str(a) for a in info.get("authors", entry.get("authors", []))),
        locale=locale,
        title=str(info["title"]),
        lead=info.get("lead"),
        section=None,
        body_html="",
        date_text=str(date_text),
        period_text=info.get("period"),
        iso_date=date.isoformat(),
    )
