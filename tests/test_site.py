"""`edition publish`, `assemble` and `serve` end to end on a copy of the sample newsroom."""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from workflow import site as site_module
from workflow.cli import main
from workflow.poformat import format_po, read_po
from workflow.serve import make_server

from .conftest import ROOT, screenshot

ARTICLE = "week-21-union-state-tax-accord"
ARTIFACTS = ROOT / "tests" / "artifacts"
LANGS = ("en", "be", "ru")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def publish(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(capsys, "publish", "--root", str(root), "--json", *args)
    assert code in (0, 1), err
    data: dict = json.loads(out)  # type: ignore[type-arg]
    return data


def every_file(site: Path) -> dict[str, str]:
    return {
        str(p.relative_to(site)): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".xml")
    }


def make_fuzzy(po_path: Path, index: int = 2) -> None:
    po = read_po(po_path)
    [e for e in po if not e.obsolete][index].flags = ["fuzzy"]
    po_path.write_text(format_po(po), encoding="utf-8")


def test_publishes_every_edition_of_the_sample(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    data = publish(capsys, newsroom, "--base-url", "https://review.example.org")
    assert len(data["published"]) == 4 and data["held"] == []
    site = newsroom / "site"
    assert site.is_symlink()
    for lang in LANGS:
        assert (site / lang / "index.html").is_file() and (site / lang / "feed.xml").is_file()
        for slug in data["published"]:
            assert (site / lang / slug / "index.html").is_file()
    assert (site / "index.html").is_file() and (site / "assets" / "site.css").is_file()
    ru = (site / "ru" / ARTICLE / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in ru
    # Babel's period with a narrow no-break space; CLDR 47 (Babel 2.18+) joins it with an em dash
    assert re.search("19[–—]25 мая 2025\u202fг\\.", ru)
    assert "27 мая 2025\u202fг." in ru
    assert f'<link rel="canonical" href="https://review.example.org/ru/{ARTICLE}/">' in ru
    for lang in LANGS:
        assert f'hreflang="{lang}" href="https://review.example.org/{lang}/{ARTICLE}/"' in ru
    assert 'hreflang="x-default" href="https://review.example.org/en/' in ru
    assert "Беларуская" in ru and "English" in ru and "Русский" in ru
    be = (site / "be" / ARTICLE / "index.html").read_text(encoding="utf-8")
    assert "19–25 мая 2025" in be
    en = (site / "en" / ARTICLE / "index.html").read_text(encoding="utf-8")
    assert "May 19\u2009–\u200925, 2025" in en
    # Translated title and body, never a draft: every reviewed msgstr is used.
    po = read_po(newsroom / "locales" / "ru" / f"{ARTICLE}.po")
    title = next(e for e in po if e.msgctxt == "title").msgstr
    assert f"<h1>{title}</h1>" in ru
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<url>") == 3 + 3 * 4 and "xhtml:link" in sitemap
    feed = (site / "be" / "feed.xml").read_text(encoding="utf-8")
    assert feed.count("<entry>") == 4 and 'xml:lang="be"' in feed
    assert "http" not in (site / "assets" / "site.css").read_text(encoding="utf-8")


def test_a_russian_edition_one_entry_short_holds_the_article(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    ru = newsroom / "locales" / "ru" / f"{ARTICLE}.po"
    po = read_po(ru)
    short = [e for e in po if not e.obsolete and e.msgctxt is None][5]
    short.msgstr = ""
    ru.write_text(format_po(po), encoding="utf-8")
    code, out, _err = run(capsys, "publish", "--root", str(newsroom), "--strict")
    assert code == 1
    assert f"held {ARTICLE}: ru is not ready: 1 untranslated: {short.msgid[:60]!r}" in out
    site = newsroom / "site"
    for lang in LANGS:
        assert not (site / lang / ARTICLE).exists()
        assert (site / lang / "week-47-labour-shortages" / "index.html").is_file()


def test_one_unready_edition_holds_all_three(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    make_fuzzy(newsroom / "locales" / "be" / f"{ARTICLE}.po")
    data = publish(capsys, newsroom)
    assert ARTICLE not in data["published"] and len(data["published"]) == 3
    (held,) = data["held"]
    assert held["slug"] == ARTICLE
    assert [b["locale"] for b in held["blocking"]] == ["be"]
    (reason,) = held["blocking"][0]["reasons"]
    assert reason.startswith("1 draft: ")
    fuzzy = next(
        e for e in read_po(newsroom / "locales" / "be" / f"{ARTICLE}.po") if "fuzzy" in e.flags
    )
    assert repr(fuzzy.msgid[:60]) in reason and f"(line {fuzzy.linenum})" in reason
    for name, text in every_file(newsroom / "site").items():
        assert ARTICLE not in name and ARTICLE not in text, name
    code, _out, _err = run(capsys, "publish", "--root", str(newsroom), "--strict")
    assert code == 1


def test_outdated_article_stays_online_as_last_published(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    publish(capsys, newsroom)
    page = newsroom / "site" / "ru" / ARTICLE / "index.html"
    before = page.read_text(encoding="utf-8")
    article = newsroom / "articles" / f"{ARTICLE}.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence.\n", "utf-8")
    run(capsys, "sync", "--root", str(newsroom), "-q")
    data = publish(capsys, newsroom)
    assert data["outdated"] == [ARTICLE] and ARTICLE not in data["published"]
    assert page.read_text(encoding="utf-8") == before
    assert "One more sentence" not in (newsroom / "site" / "en" / ARTICLE / "index.html").read_text(
        encoding="utf-8"
    )
    assert ARTICLE in (newsroom / "site" / "ru" / "index.html").read_text(encoding="utf-8")


def test_unchanged_pages_are_not_rendered_again(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    first = publish(capsys, newsroom)
    assert len(first["rendered"]) == 4
    page = newsroom / "site" / "be" / ARTICLE / "index.html"
    inode = page.stat().st_ino
    po = newsroom / "locales" / "be" / "week-47-labour-shortages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace("# Belarusian", "# Belarusian (edited)", 1), encoding="utf-8")
    shown_before = every_file(newsroom / "site")
    second = publish(capsys, newsroom)
    assert second["rendered"] == ["week-47-labour-shortages"]
    assert sorted(second["reused"]) == sorted(
        s for s in first["published"] if s != "week-47-labour-shortages"
    )
    assert page.stat().st_ino == inode  # the same file, linked into the new build
    site = newsroom / "site"
    live = site.resolve()
    builds = sorted((newsroom / ".site.builds").iterdir())
    # The live build and a spare: the site as it was before, manifest and all.
    assert len(builds) == 2 and live in builds
    (spare,) = (b for b in builds if b != live)
    assert (spare / ".manifest.json").is_file()
    # Untouched by the publish, though its pages are hard links of the live ones.
    assert every_file(spare) == shown_before
    assert (spare / "be" / "week-47-labour-shortages" / "index.html").is_file()

    # Nothing changed: nothing is built, the live build stays where it is.
    third = publish(capsys, newsroom)
    assert third["rendered"] == [] and site.resolve() == live
    # A visible change to a page the spare shares with the live build (a
    # hard link): the spare is brought up to date and becomes live, and the
    # build it replaces still shows exactly the site as it was.
    shown_before = every_file(site)
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    catalog = read_po(be)
    entry = next(e for e in catalog if e.msgctxt is None and e.msgstr.endswith("."))
    entry.msgstr = entry.msgstr[:-1] + " (выпраўлена)."
    be.write_text(format_po(catalog), encoding="utf-8")
    fourth = publish(capsys, newsroom)
    assert fourth["rendered"] == [ARTICLE]
    assert site.resolve() == spare
    assert sorted((newsroom / ".site.builds").iterdir()) == builds
    assert every_file(live) == shown_before
    assert "(выпраўлена)" in (site / "be" / ARTICLE / "index.html").read_text(encoding="utf-8")
    changed = {k for k, v in every_file(site).items() if shown_before.get(k) != v}
    assert f"be/{ARTICLE}/index.html" in changed and len(changed) <= 4  # the page, be index, feed


def test_a_failed_build_leaves_the_previous_site_whole(
    capsys: pytest.CaptureFixture[str], newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(capsys, newsroom)
    before = every_file(newsroom / "site")
    po = newsroom / "locales" / "be" / "week-47-labour-shortages.po"

    def boom(*_a: object, **_k: object) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(site_module.Renderer, "sitemap_xml", boom)
    for n in range(3):
        # A catalog changes (so the article is built again) and the build fails:
        # first in a fresh build, then in the spare left by a good publish.
        po.write_text(po.read_text(encoding="utf-8").replace("\n", f"\n# {n}\n", 1), "utf-8")
        with pytest.raises(RuntimeError):
            main(["publish", "--root", str(newsroom)])
        assert every_file(newsroom / "site") == before
        builds = list((newsroom / ".site.builds").iterdir())
        assert builds == [(newsroom / "site").resolve()]  # the half-built one is gone
        monkeypatch.undo()
        publish(capsys, newsroom)
        assert len(list((newsroom / ".site.builds").iterdir())) == 2
        monkeypatch.setattr(site_module.Renderer, "sitemap_xml", boom)


def test_sigkill_at_any_point_leaves_a_whole_site(newsroom: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "workflow", "publish", "--root", str(newsroom)]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    started = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    full = time.monotonic() - started
    expected = set(every_file(newsroom / "site"))
    for n in range(12):
        # Change an input so each run really renders, then kill it somewhere.
        po = newsroom / "locales" / "ru" / f"{ARTICLE}.po"
        po.write_text(po.read_text(encoding="utf-8").replace("# ", f"# {n} ", 1), "utf-8")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(full * n / 11)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert set(every_file(newsroom / "site")) == expected
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    assert set(every_file(newsroom / "site")) == expected


XSS = [
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.title='PWNED'\">",
    "[click](javascript:document.title='PWNED')",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click]( JaVaScRiPt:document.title='PWNED')",
    '"><svg onload="document.title=\'PWNED\'">',
    "![x](javascript:document.title='PWNED')",
]


class _Audit(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "svg"):
            self.bad.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag} {name}")
            if name in ("href", "src") and value is not None:
                v = "".join(value.split()).lower()
                if v.startswith(("javascript:", "data:", "vbscript:")):
                    self.bad.append(f"{tag} {name}={value}")


def test_translators_and_authors_cannot_inject_script(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    po_path = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(po_path)
    live = [e for e in po if not e.obsolete]
    for entry, payload in zip(live[: len(XSS)], XSS, strict=True):
        entry.msgstr = payload
        entry.tcomment = (
            "check: ignore markup urls code numbers end-punctuation length quotes whitespace"
        )
    po_path.write_text(format_po(po), encoding="utf-8")
    article = newsroom / "articles" / "week-47-labour-shortages.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text
        + "\n[bad](javascript:document.title='PWNED') <script>document.title='PWNED'</script>\n"
        + "".join(f"\n{payload}\n" for payload in XSS),
        encoding="utf-8",
    )
    run(capsys, "sync", "--root", str(newsroom), "-q")
    for lang in ("be", "ru"):
        po2 = read_po(newsroom / "locales" / lang / "week-47-labour-shortages.po")
        for e in po2:
            if not e.msgstr:
                e.msgstr = e.msgid
                e.tcomment = "check: ignore identical"
            e.flags = [f for f in e.flags if f != "fuzzy"]
        (newsroom / "locales" / lang / "week-47-labour-shortages.po").write_text(
            format_po(po2), "utf-8"
        )
    data = publish(capsys, newsroom)
    # The translators' payloads change the page's structure: the structure
    # check holds that article, whatever the entries' ignore comments say.
    held = {h["slug"]: h["blocking"] for h in data["held"]}
    assert ARTICLE not in data["published"] and "[structure]" in str(held[ARTICLE]), data
    # The author's payloads are the English structure: published, rendered harmless.
    assert "week-47-labour-shortages" in data["published"], data
    for name, content in every_file(newsroom / "site").items():
        audit = _Audit()
        audit.feed(content)
        assert audit.bad == [], (name, audit.bad)
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    for page in (
        "be/week-47-labour-shortages/index.html",
        "en/week-47-labour-shortages/index.html",
    ):
        dom = subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--dump-dom",
                (newsroom / "site" / page).as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        title = dom.split("<title>")[1].split("</title>")[0]
        # A payload that ran would have replaced the whole title.
        assert title.strip() != "PWNED" and title.endswith("review"), title
        assert "PWNED" in dom  # shown as text, never run


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_screenshots_on_a_phone_and_a_desktop(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    publish(capsys, newsroom)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = (newsroom / "site" / "be" / ARTICLE / "index.html").as_uri()
    for width, height in ((390, 844), (1280, 1000)):
        shot = ARTIFACTS / f"article-be-{width}.png"
        screenshot(page, shot, width, height)
        assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
        print(f"screenshot: {shot}")


def test_assemble_writes_each_edition_as_markdown(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    out = newsroom / "editions"
    code, _out, err = run(capsys, "assemble", "--root", str(newsroom), "--out", str(out))
    assert code == 0, err
    english = (newsroom / "articles" / f"{ARTICLE}.md").read_text(encoding="utf-8")
    assert (out / "en" / f"{ARTICLE}.md").read_text(encoding="utf-8") == english
    be = (out / "be" / f"{ARTICLE}.md").read_text(encoding="utf-8")
    po = read_po(newsroom / "locales" / "be" / f"{ARTICLE}.po")
    assert next(e for e in po if e.msgctxt == "title").msgstr in be
    from workflow import parse_article

    assert parse_article(be).front_matter.date.isoformat() == "2025-05-27"
    # A draft never goes into an edition: by default the edition is held
    # (its last complete file stays), and with --all its English stays.
    make_fuzzy(newsroom / "locales" / "be" / f"{ARTICLE}.po", 3)
    before = (out / "be" / f"{ARTICLE}.md").read_bytes()
    code, printed, _err = run(
        capsys, "assemble", "--root", str(newsroom), "--out", str(out), "--locale", "be"
    )
    assert code == 0 and f"held {ARTICLE} be: not ready" in printed
    assert (out / "be" / f"{ARTICLE}.md").read_bytes() == before
    run(capsys, "assemble", "--root", str(newsroom), "--out", str(out), "--locale", "be", "--all")
    fuzzy = [
        e for e in read_po(newsroom / "locales" / "be" / f"{ARTICLE}.po") if "fuzzy" in e.flags
    ]
    draft = (out / "be" / f"{ARTICLE}.md").read_text(encoding="utf-8")
    assert fuzzy[0].msgstr not in draft
    assert "\ndraft: true\n" in draft.split("---", 2)[1]


def test_serve_answers_on_loopback(capsys: pytest.CaptureFixture[str], newsroom: Path) -> None:
    publish(capsys, newsroom)
    dashboard = newsroom / ".edition" / "status.html"
    dashboard.write_text("<p>dashboard</p>", encoding="utf-8")
    server = make_server(newsroom / "site", dashboard, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ru/{ARTICLE}/") as resp:
            assert resp.status == 200 and 'lang="ru"' in resp.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.html") as resp:
            assert b"dashboard" in resp.read()
    finally:
        server.shutdown()
        server.server_close()


def test_templates_in_the_content_root_override_the_packaged_ones(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    custom = newsroom / "templates"
    custom.mkdir()
    packaged = (ROOT / "workflow" / "templates" / "site_article.html.j2").read_text("utf-8")
    (custom / "site_article.html.j2").write_text(
        packaged.replace("<article>", '<article class="house-style">'), encoding="utf-8"
    )
    publish(capsys, newsroom)
    page = (newsroom / "site" / "ru" / ARTICLE / "index.html").read_text(encoding="utf-8")
    assert '<article class="house-style">' in page
    index = (newsroom / "site" / "ru" / "index.html").read_text(encoding="utf-8")
    assert "house-style" not in index  # only the overridden template changed


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alternates: dict[str, str] = {}
        self.switch: dict[str, str] = {}
        self._in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            self.alternates[str(a["hreflang"])] = str(a["href"])
        if tag == "nav":
            self._in_nav = True
        if tag == "a" and self._in_nav and a.get("hreflang"):
            self.switch[str(a["hreflang"])] = str(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False


def test_hreflang_is_reciprocal_and_the_switcher_keeps_the_article(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    publish(capsys, newsroom)
    site = newsroom / "site"
    for slug in (ARTICLE, "week-47-labour-shortages"):
        for lang in LANGS:
            links = _Links()
            links.feed((site / lang / slug / "index.html").read_text(encoding="utf-8"))
            assert set(links.alternates) == {*LANGS, "x-default"}
            for other in LANGS:
                href = links.alternates[other]
                assert href == f"/{other}/{slug}/"
                back = _Links()
                back.feed((site / other / slug / "index.html").read_text(encoding="utf-8"))
                assert back.alternates[lang] == f"/{lang}/{slug}/"  # reciprocal
            page_dir = site / lang / slug
            for other, href in links.switch.items():
                assert other != lang
                assert (page_dir / href).resolve() == (site / other / slug).resolve()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_every_kind_of_page_loads_over_http_without_console_errors(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    publish(capsys, newsroom)
    server = make_server(newsroom / "site", None, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        pages = ["", "en/", "be/", "ru/", *(f"{lang}/{ARTICLE}/" for lang in LANGS)]
        for page in pages:
            result = subprocess.run(
                [
                    "chromium",
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--enable-logging=stderr",
                    "--v=0",
                    "--dump-dom",
                    f"http://127.0.0.1:{port}/{page}",
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            console = [ln for ln in result.stderr.splitlines() if ":CONSOLE" in ln]
            assert console == [], (page, console)
            assert "</html>" in result.stdout
    finally:
        server.shutdown()
        server.server_close()


class _Refs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append(value)


def test_every_local_link_and_asset_exists(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    publish(capsys, newsroom)
    site = (newsroom / "site").resolve()
    checked = 0
    for page in sorted(site.rglob("*.html")):
        refs = _Refs()
        refs.feed(page.read_text(encoding="utf-8"))
        for ref in refs.refs:
            if ref.startswith(("http://", "https://", "mailto:", "#")):
                continue
            target = (site / ref.lstrip("/")) if ref.startswith("/") else (page.parent / ref)
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(site)} links to missing {ref}"
            checked += 1
    assert checked > 100


def test_a_feed_carries_the_newest_articles_only(
    capsys: pytest.CaptureFixture[str], newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_module, "FEED_ENTRIES", 2)
    data = publish(capsys, newsroom)
    index = (newsroom / "site" / "ru" / "index.html").read_text(encoding="utf-8")
    assert all(f"{slug}/" in index for slug in data["published"])  # the index lists all
    feed = (newsroom / "site" / "ru" / "feed.xml").read_text(encoding="utf-8")
    ids = re.findall(r"<id>urn:edition:ru:([^<]+)</id>", feed)
    dates = {}
    for slug in data["published"]:
        text = (newsroom / "articles" / f"{slug}.md").read_text(encoding="utf-8")
        dates[slug] = re.search(r"^date: (\S+)", text, re.M).group(1)  # type: ignore[union-attr]
    newest = sorted(dates, key=lambda s: (dates[s], s), reverse=True)[:2]
    assert ids == newest


def test_number_only_cells_are_written_in_the_locales_notation(tmp_path: Path) -> None:
    from workflow.cli import main

    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    slug = "week-21-union-state-tax-accord"
    assert main(["assemble", "--root", str(root), "--article", slug]) == 0
    ru = (root / "editions" / "ru" / f"{slug}.md").read_text(encoding="utf-8")
    en = (root / "editions" / "en" / f"{slug}.md").read_text(encoding="utf-8")
    assert "| 12.4 | +3.1% |" in en and "| 11.7 | -2.4% |" in en
    assert "| 12,4 | +3,1\xa0% |" in ru and "| 11,7 | \u22122,4\xa0% |" in ru
    # And they are no entry of the catalogs.
    assert 'msgid "12.4"\n' not in (root / "locales" / f"{slug}.pot").read_text(encoding="utf-8")


def test_a_translator_can_join_two_sentences_into_one(tmp_path: Path) -> None:
    """msgstr "=" means "joined with the previous sentence" (README, Catalogs)."""
    from workflow.checks import check_catalog
    from workflow.cli import main
    from workflow.poformat import format_po, read_po

    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    slug = "week-47-labour-shortages"
    be = root / "locales" / "be" / f"{slug}.po"
    po = read_po(be)
    first = next(e for e in po if e.msgid == "The shortage has several causes.")
    second = next(e for e in po if e.msgid.startswith("The working-age population"))
    assert "sentence 2" in second.comment
    joined = (
        "У дэфіцыту некалькі прычын: насельніцтва ў працаздольным узросце скарачаецца "
        "больш за дзесяць гадоў, а эміграцыя пасля 2020 года забрала дзясяткі тысяч "
        "спецыялістаў, асабліва ў ІТ і медыцыне."
    )
    first.msgstr, second.msgstr = joined, "="
    be.write_text(format_po(po), encoding="utf-8")
    # Counted as translated, no check error (numbers of both sources are in it).
    errors = [f for f in check_catalog(read_po(be), "be") if f.severity.value == "error"]
    assert errors == []
    assert main(["status", "--root", str(root), "--fail-under", "100", "--article", slug]) == 0
    assert main(["assemble", "--root", str(root), "--article", slug, "--locale", "be"]) == 0
    text = (root / "editions" / "be" / f"{slug}.md").read_text(encoding="utf-8")
    assert joined + " Працоўная міграцыя" in text
    paragraph = next(line for line in text.splitlines() if joined[:20] in line)
    assert "=" not in paragraph and "  " not in paragraph
    # "=" on the first sentence of a paragraph has nothing to join.
    po = read_po(be)
    next(e for e in po if e.msgid == "The shortage has several causes.").msgstr = "="
    be.write_text(format_po(po), encoding="utf-8")
    found = [f for f in check_catalog(read_po(be), "be") if f.check == "join"]
    assert len(found) == 1 and found[0].severity.value == "error"


def test_period_dashes_and_belarusian_abbreviations() -> None:
    import datetime as dt

    from workflow.site import format_period

    start, end = dt.date(2025, 4, 28), dt.date(2025, 5, 4)
    assert format_period(start, end, "be") == "28 крас. – 4 мая 2025"
    assert format_period(start, end, "ru") == "28 апр. – 4 мая 2025\u202fг."
    same = (dt.date(2025, 5, 19), dt.date(2025, 5, 25))
    assert format_period(*same, "be") == "19–25 мая 2025"
    assert format_period(*same, "ru") == "19–25 мая 2025\u202fг."
    assert (
        format_period(dt.date(2025, 11, 3), dt.date(2025, 12, 7), "be") == "3 ліст. – 7 снеж. 2025"
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_site_typography_in_each_edition(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    (root / "pyproject.toml").write_text(
        '[tool.edition.site]\ntitle = {en = "Weekly Review", be = "Тыднёвы агляд", '
        'ru = "Еженедельное обозрение"}\n',
        encoding="utf-8",
    )
    article = root / "articles" / f"{ARTICLE}.md"
    text = article.read_text(encoding="utf-8")
    authors = next(line for line in text.splitlines() if line.startswith("authors:"))
    article.write_text(
        text.replace(
            authors,
            "authors: [{en: Alena Karpovich, be: Алена Карповіч, ru: Алёна Карпович}, Ihar Sidarenka]",
        ),
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "publish", "--root", str(root))
    assert code == 0, err
    site = root / "site"
    be = (site / "be" / ARTICLE / "index.html").read_text(encoding="utf-8")
    ru = (site / "ru" / ARTICLE / "index.html").read_text(encoding="utf-8")
    en = (site / "en" / ARTICLE / "index.html").read_text(encoding="utf-8")
    assert "Алена Карповіч, Ihar Sidarenka" in be and "Алёна Карпович" in ru
    assert "Alena Karpovich" in en
    assert "19–25 мая 2025" in be and "19–25 мая 2025\u202fг." in ru  # one dash style
    assert "<td>\u22122,4\u00a0%</td>" in ru or ">\u22122,4\u00a0%<" in ru  # a minus sign
    assert ">Беларуская<" in ru and ">Русский<" in be
    chooser = (site / "index.html").read_text(encoding="utf-8")
    for title in ("Weekly Review", "Тыднёвы агляд", "Еженедельное обозрение"):
        assert title in chooser  # every edition's title, not only the English one
    # What a reader sees: the period keeps its case ("г.", not "Г.").
    probe = site / "ru" / ARTICLE / "probe.html"
    probe.write_text(
        ru.replace(
            "</body>",
            "<pre id=probe></pre><script>document.getElementById('probe').textContent ="
            " document.querySelector('.period').innerText;</script></body>",
        ),
        encoding="utf-8",
    )
    shown = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert re.search(r'<pre id="probe">19–25 мая 2025\s?г\.</pre>', shown), shown[-400:]


def test_an_english_correction_goes_out_with_a_note_on_the_translations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from workflow.poformat import format_po, read_po

    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    slug = "week-47-labour-shortages"
    assert run(capsys, "publish", "--root", str(root))[0] == 0
    site = root / "site"
    before = {loc: (site / loc / slug / "index.html").read_text("utf-8") for loc in ("be", "ru")}
    article = root / "articles" / f"{slug}.md"
    article.write_text(
        article.read_text("utf-8").replace("several causes", "many causes"), encoding="utf-8"
    )
    assert run(capsys, "sync", "--root", str(root), "-q")[0] == 0
    # Without --correction the whole article waits for its translations.
    code, out, _err = run(capsys, "publish", "--root", str(root))
    assert code == 0 and f"outdated {slug}" in out
    assert "many causes" not in (site / "en" / slug / "index.html").read_text("utf-8")
    code, out, err = run(capsys, "publish", "--root", str(root), "--correction", slug)
    assert code == 0, err
    assert f"corrected {slug}: the English is republished" in out
    assert "many causes" in (site / "en" / slug / "index.html").read_text("utf-8")
    for loc, note in (("be", "Англійскі арыгінал"), ("ru", "Английский оригинал")):
        page = (site / loc / slug / "index.html").read_text("utf-8")
        assert note in page and 'class="correction-note"' in page
        without = re.sub(r'<p class="correction-note".*?</p>\n', "", page, flags=re.S)
        assert without == before[loc]  # the translation as last published
    log = (root / "corrections.log").read_text("utf-8").splitlines()
    assert log[-1].split("\t")[1] == slug and len(log) == 2
    # Later publishes keep the correction; the note goes when the translations catch up.
    assert run(capsys, "publish", "--root", str(root))[0] == 0
    assert 'class="correction-note"' in (site / "ru" / slug / "index.html").read_text("utf-8")
    for loc in ("be", "ru"):
        po_path = root / "locales" / loc / f"{slug}.po"
        po = read_po(po_path)
        for entry in po:
            if entry.previous_msgid is not None:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = None
        po_path.write_text(format_po(po), encoding="utf-8")
    code, out, _err = run(capsys, "publish", "--root", str(root))
    assert code == 0 and "(1 rendered" in out
    for loc in ("be", "ru"):
        assert 'class="correction-note"' not in (site / loc / slug / "index.html").read_text(
            "utf-8"
        )
    # Only a published article can be corrected, and only an existing one.
    (root / "articles" / "week-50-new.md").write_text(
        "---\ntitle: New\ndate: 2025-12-09\n---\n\nText.\n", encoding="utf-8"
    )
    code, _out, err = run(capsys, "publish", "--root", str(root), "--correction", "week-50-new")
    assert code == 2 and "has never been published" in err
    code, _out, err = run(capsys, "publish", "--root", str(root), "--correction", "nope")
    assert code == 2 and "no article named nope" in err
