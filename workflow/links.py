"""Links between articles: they follow the reader's language.

An article links to another with a relative link, either to its file
(``[last week](week-20-minsk-talks.md)``, ``./week-20-minsk-talks.md``) or
to its page (``../week-20-minsk-talks/``), optionally with ``#fragment``.
In each edition that is published or assembled the link points to the same
edition of the linked article; when that edition is not published, to the
source-language (English) one, marked ``hreflang="en"`` where the output can
say so (HTML pages).  A link to an article that does not exist is a `check`
error (`broken_links`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
#: ``slug.md`` / ``./slug.md`` (a file) or ``../slug/`` / ``../slug`` (a page).
_FILE_RE = re.compile(rf"^(?:\./)?(?P<slug>{_SLUG})\.md(?P<rest>[#?].*)?$")
_PAGE_RE = re.compile(rf"^\.\./(?P<slug>{_SLUG})/?(?P<rest>[#?].*)?$")
#: Link targets in Markdown text: inline ``](target`` and reference
#: definitions ``[label]: target`` at the start of a line.
_TARGET_RE = re.compile(
    r"\]\(\s*<?(?P<inline>[^)\s>]+)|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?(?P<ref>[^\s>]+)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class ArticleLink:
    slug: str
    #: "file" (``slug.md``) or "page" (``../slug/``).
    form: str
    #: ``#fragment`` or ``?query`` after the target, kept as it is.
    rest: str


def article_link(href: str) -> ArticleLink | None:
    """The article a relative link points to, or None for any other link."""
    match = _FILE_RE.match(href)
    if match:
        return ArticleLink(match["slug"], "file", match["rest"] or "")
    match = _PAGE_RE.match(href)
    if match:
        return ArticleLink(match["slug"], "page", match["rest"] or "")
    return None


@dataclass(frozen=True)
class Found:
    link: ArticleLink
    href: str
    #: Offsets of the target in the text.
    start: int
    end: int


def article_links(text: str) -> Iterator[Found]:
    """Every link to an article in Markdown ``text``, in order."""
    for match in _TARGET_RE.finditer(text):
        group = "inline" if match["inline"] is not None else "ref"
        href = match[group]
        link = article_link(href)
        if link is not None:
            yield Found(link, href, match.start(group), match.end(group))


def linked_slugs(text: str) -> set[str]:
    return {found.link.slug for found in article_links(text)}


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


#: Whether an article's edition in a locale is published: (slug, locale) -> bool.
Available = Callable[[str, str], bool]


def page_href(
    link: ArticleLink, locale: str, source: str, available: Available
) -> tuple[str, str | None]:
    """The href of a published page (``<locale>/<slug>/index.html``) for the
    link, and the hreflang it needs (None: same language as the page)."""
    if locale == source or available(link.slug, locale):
        return f"../{link.slug}/{link.rest}", None
    return f"../../{source}/{link.slug}/{link.rest}", source


def markdown_href(link: ArticleLink, locale: str, source: str, available: Available) -> str | None:
    """The target an assembled edition (``<out>/<locale>/<slug>.md``) needs
    for the link: None to keep it (the same edition), else the English one."""
    if locale == source or available(link.slug, locale):
        return None
    if link.form == "file":
        return f"../{source}/{link.slug}.md{link.rest}"
    return f"../../{source}/{link.slug}/{link.rest}"


def rewrite_markdown(text: str, locale: str, source: str, available: Available) -> str:
    """``text`` with each link to an article whose ``locale`` edition is not
    available pointed at the source-language one."""
    out: list[str] = []
    last = 0
    for found in article_links(text):
        target = markdown_href(found.link, locale, source, available)
        if target is None:
            continue
        out.append(text[last : found.start])
        out.append(target)
        last = found.end
    out.append(text[last:])
    return "".join(out)
