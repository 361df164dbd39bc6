"""Links between articles follow the reader's language (issue 17, part 2):
real publish, assemble and check on a copy of the sample newsroom, where
week-21 links to week-47 (``[we wrote in November](week-47-labour-shortages.md)``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workflow.cli import main
from workflow.links import ArticleLink, article_link, rewrite_markdown
from workflow.poformat import format_po, read_po

FROM = "week-21-union-state-tax-accord"
TO = "week-47-labour-shortages"
LINK_TEXT = {
    "en": "we wrote in November",
    "be": "мы пісалі ў лістападзе",
    "ru": "мы писали в ноябре",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def anchor(page: Path, text: str) -> str:
    """The ``<a ...>`` opening tag of the link whose text is ``text``."""
    html = page.read_text(encoding="utf-8")
    found = re.findall(rf"(<a [^>]*>){re.escape(text)}</a>", html)
    assert len(found) == 1, found
    return str(found[0])


def hold(root: Path, locale: str, slug: str) -> None:
    """Make one reviewed entry of the edition a draft again: not ready."""
    path = root / "locales" / locale / f"{slug}.po"
    po = read_po(path)
    entry = [e for e in po if not e.obsolete and e.msgstr][3]
    entry.flags = ["fuzzy"]
    path.write_text(format_po(po), encoding="utf-8")


def test_link_forms() -> None:
    assert article_link("week-20-x.md") == ArticleLink("week-20-x", "file", "")
    assert article_link("./week-20-x.md#plan") == ArticleLink("week-20-x", "file", "#plan")
    assert article_link("../week-20-x/") == ArticleLink("week-20-x", "page", "")
    assert article_link("../week-20-x") == ArticleLink("week-20-x", "page", "")
    for other in ("https://example.org/a.md", "/week-20-x.md", "#top", "notes.txt", "../a/b/"):
        assert article_link(other) is None
    text = "See [a](week-20-x.md), [b](../week-20-x/#t) and [c](https://example.org/x.md).\n"
    held = rewrite_markdown(text, "be", "en", lambda slug, loc: False)
    assert held == (
        "See [a](../en/week-20-x.md), [b](../../en/week-20-x/#t) and [c](https://example.org/x.md).\n"
    )
    assert rewrite_markdown(text, "be", "en", lambda slug, loc: True) == text
    assert rewrite_markdown(text, "en", "en", lambda slug, loc: False) == text


def test_each_edition_links_to_the_same_edition(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    code, _out, err = run(capsys, "publish", "--root", str(newsroom), "-q")
    assert code == 0, err
    site = newsroom / "site"
    for loc, text in LINK_TEXT.items():
        page = site / loc / FROM / "index.html"
        tag = anchor(page, text)
        assert tag == f'<a href="../{TO}/">'
        # The link resolves, from the page's folder, to the linked article's page in loc.
        target = (page.parent / f"../{TO}/index.html").resolve()
        assert target == (site / loc / TO / "index.html").resolve() and target.is_file()
        assert f'<html lang="{loc}">' in target.read_text(encoding="utf-8")


def test_a_held_edition_sends_the_link_to_the_english(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    hold(newsroom, "be", TO)
    code, out, err = run(capsys, "publish", "--root", str(newsroom), "--json")
    data = json.loads(out)
    assert TO not in data["published"] and FROM in data["published"]
    site = newsroom / "site"
    # The be (and ru: the article goes out in all languages or none) page of
    # week-21 links to the English week-47, saying it is in English.
    assert anchor(site / "be" / FROM / "index.html", LINK_TEXT["be"]) == (
        f'<a href="../../en/{TO}/" hreflang="en">'
    )
    assert anchor(site / "en" / FROM / "index.html", LINK_TEXT["en"]) == f'<a href="../{TO}/">'
    # week-47 becomes ready: week-21's pages (inputs unchanged) are rendered
    # again so that the link goes to the be edition.
    (newsroom / "locales" / "be" / f"{TO}.po").write_bytes(
        (Path(__file__).resolve().parent.parent / "locales" / "be" / f"{TO}.po").read_bytes()
    )
    code, out, err = run(capsys, "publish", "--root", str(newsroom), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert FROM in data["rendered"] and TO in data["published"], data
    assert anchor(site / "be" / FROM / "index.html", LINK_TEXT["be"]) == f'<a href="../{TO}/">'
    assert (site / "be" / TO / "index.html").is_file()
    # Nothing changed: nothing is rendered.
    _code, out, _err = run(capsys, "publish", "--root", str(newsroom), "--json")
    assert json.loads(out)["rendered"] == []


def test_assemble_links_a_held_edition_to_the_english_file(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    hold(newsroom, "be", TO)
    out = newsroom / "out"
    code, _out, err = run(
        capsys, "assemble", "--root", str(newsroom), "--out", str(out), "--article", FROM, "-q"
    )
    assert code == 0, err
    be = (out / "be" / f"{FROM}.md").read_text(encoding="utf-8")
    ru = (out / "ru" / f"{FROM}.md").read_text(encoding="utf-8")
    assert f"[{LINK_TEXT['be']}](../en/{TO}.md)" in be
    assert f"[{LINK_TEXT['ru']}]({TO}.md)" in ru  # the ru edition of week-47 is ready
    code, _out, err = run(capsys, "assemble", "--root", str(newsroom), "--out", str(out), "-q")
    assert not (out / "be" / f"{TO}.md").exists()  # held
    assert (out / "ru" / f"{TO}.md").is_file() and (out / "en" / f"{TO}.md").is_file()


def test_a_link_to_a_missing_article_is_a_check_error(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    article = newsroom / "articles" / f"{FROM}.md"
    text = article.read_text(encoding="utf-8")
    line = text[: text.index(f"({TO}.md)")].count("\n") + 1
    article.write_text(text.replace(f"({TO}.md)", "(week-46-nothing.md)"), encoding="utf-8")
    code, out, err = run(capsys, "sync", "--root", str(newsroom), "-q")
    assert code == 0, err
    code, out, err = run(capsys, "check", "--root", str(newsroom), "--errors-only")
    assert code == 1, out + err
    where = f"articles/{FROM}.md:{line}"
    for loc in ("be", "ru"):
        po = read_po(newsroom / "locales" / loc / f"{FROM}.po")
        (entry,) = [e for e in po if not e.obsolete and "week-46-nothing.md" in e.msgid]
        head = f"locales/{loc}/{FROM}.po:{entry.linenum}:"
        lines = out[out.index(head) :].splitlines()[1:]
        block = lines[: next(i for i, t in enumerate(lines) if not t.startswith("  "))]
        assert any(t.strip().startswith("error   [links] the English links to") for t in block)
        assert f"'week-46-nothing.md' ({where})" in out
    assert "no article 'week-46-nothing'" in out
    code, out, err = run(capsys, "publish", "--root", str(newsroom), "--json")
    assert FROM not in json.loads(out)["published"]


def test_a_translation_that_links_to_a_missing_article(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    path = newsroom / "locales" / "ru" / f"{FROM}.po"
    po = read_po(path)
    (entry,) = [e for e in po if f"{TO}.md" in e.msgid]
    entry.msgstr = entry.msgstr.replace(f"{TO}.md", "week-47-labour-shortage.md")
    entry.tcomment = "check: ignore urls"
    path.write_text(format_po(po), encoding="utf-8")
    linenum = read_po(path).find(entry.msgid).linenum  # type: ignore[union-attr]
    code, out, err = run(capsys, "check", "--root", str(newsroom), "--locale", "ru", "--json")
    assert code == 1, err
    rows = [r for r in json.loads(out) if r["check"] == "links"]
    assert len(rows) == 1
    assert rows[0]["file"] == f"locales/ru/{FROM}.po" and rows[0]["line"] == linenum
    assert "the translation links to 'week-47-labour-shortage.md'" in rows[0]["message"]
    # The sample itself has no broken link.
    code, out, err = run(capsys, "check", "--root", str(newsroom), "--locale", "be", "--json")
    assert code == 0 and [r for r in json.loads(out) if r["check"] == "links"] == []
