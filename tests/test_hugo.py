"""`edition assemble` feeding a real Hugo (Debian ``hugo``), issue 15.

A minimal multilingual Hugo site, a few lines of layout, the sample editions
as its content: the be and ru pages carry their reviewed translations, and
an edition that is not ready is held by default, or written with
``draft: true`` under ``--all``, which Hugo leaves unpublished.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from workflow.cli import main
from workflow.poformat import format_po, read_po

ARTICLE = "week-21-union-state-tax-accord"
CONFIG = """\
baseURL = "http://example.org/"
defaultContentLanguage = "en"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[languages.en]
contentDir = "content/en"
weight = 1
[languages.be]
contentDir = "content/be"
weight = 2
[languages.ru]
contentDir = "content/ru"
weight = 3
"""
SINGLE = '<html lang="{{ .Language.Lang }}"><h1>{{ .Title }}</h1>{{ .Content }}</html>\n'
LIST = "{{ range .Pages }}{{ .Title }}\n{{ end }}\n"


def hugo_site(tmp_path: Path) -> Path:
    site = tmp_path / "hugo"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(CONFIG, encoding="utf-8")
    (site / "layouts" / "_default" / "single.html").write_text(SINGLE, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text(LIST, encoding="utf-8")
    return site


def build(site: Path, *flags: str) -> Path:
    public = site / "public"
    shutil.rmtree(public, ignore_errors=True)
    done = subprocess.run(
        ["hugo", "--source", str(site), "--destination", str(public), "--quiet", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return public


def assemble(
    capsys: pytest.CaptureFixture[str], root: Path, site: Path, *flags: str
) -> tuple[int, str]:
    code = main(["assemble", "--root", str(root), "--out", str(site / "content"), *flags])
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


def plain(markdown_text: str) -> str | None:
    """A msgstr as it reads on the page, if it has no inline markup."""
    if re.search(r"[*_`\[\]<>&\\]", markdown_text):
        return None
    return markdown_text


def page_text(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def test_hugo_builds_the_be_and_ru_editions_with_their_translations(
    capsys: pytest.CaptureFixture[str], newsroom: Path, tmp_path: Path
) -> None:
    site = hugo_site(tmp_path)
    assemble(capsys, newsroom, site)
    public = build(site)
    slugs = [p.stem for p in sorted((newsroom / "articles").glob("*.md"))]
    for locale in ("be", "ru"):
        for slug in slugs:
            page = public / locale / slug / "index.html"
            assert page.is_file(), page
            text = page_text(page)
            assert f'<html lang="{locale}">' in text
            po = read_po(newsroom / "locales" / locale / f"{slug}.po")
            title = next(e.msgstr for e in po if e.msgctxt == "title")
            assert f"<h1>{title}</h1>" in text
            # Obsolete entries (#~) never reach a page.
            shown = [m for e in po if not e.obsolete and not e.msgctxt and (m := plain(e.msgstr))]
            assert len(shown) >= 5
            missing = [m for m in shown if m not in text]
            assert missing == [], missing[:3]
            # ... and not the English.
            english = [e.msgid for e in po if not e.obsolete and not e.msgctxt and plain(e.msgid)]
            assert not [m for m in english if len(m) > 40 and m in text]
    english_page = page_text(public / ARTICLE / "index.html")
    assert '<html lang="en">' in english_page


def test_a_not_ready_edition_never_reaches_hugo(
    capsys: pytest.CaptureFixture[str], newsroom: Path, tmp_path: Path
) -> None:
    po_path = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(po_path)
    entry = [e for e in po if not e.obsolete and not e.msgctxt and plain(e.msgstr)][2]
    entry.flags = ["fuzzy"]
    po_path.write_text(format_po(po), encoding="utf-8")

    site = hugo_site(tmp_path)
    _code, out = assemble(capsys, newsroom, site)
    assert f"held {ARTICLE} be: not ready: 1 draft" in out
    content = site / "content" / "be" / f"{ARTICLE}.md"
    assert not content.exists()  # no half-English edition
    assert (site / "content" / "ru" / f"{ARTICLE}.md").is_file()
    public = build(site)
    assert not (public / "be" / ARTICLE).exists()
    assert (public / "ru" / ARTICLE / "index.html").is_file()

    # --all writes it, marked as a draft with its count of English entries.
    _code, out = assemble(capsys, newsroom, site, "--all")
    assert "draft: 1 entries still in English" in out
    text = content.read_text(encoding="utf-8")
    front = text.split("---\n")[1]
    assert "\ndraft: true\nenglish_segments: 1\n" in f"\n{front}"
    assert entry.msgid in text and entry.msgstr not in text
    public = build(site)
    assert not (public / "be" / ARTICLE).exists()  # Hugo honours draft: true
    public = build(site, "--buildDrafts")
    assert entry.msgid in page_text(public / "be" / ARTICLE / "index.html")
