"""`edition status` and `edition check` end to end on a copy of the sample newsroom."""

from __future__ import annotations

import html as html_module
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from workflow.cli import main
from workflow.ledger import Draft, open_ledger
from workflow.poformat import format_po, read_po
from workflow.status import edit_ratio, words

from .conftest import ROOT, screenshot

ARTICLE = "week-47-labour-shortages"
ARTIFACTS = ROOT / "tests" / "artifacts"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def status(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(capsys, "status", "--root", str(root), "--json", *args)
    assert code in (0, 1), err
    data: dict = json.loads(out)  # type: ignore[type-arg]
    return data


def edit_po(path: Path, index: int, **fields: object) -> str:
    """Change one live entry of a catalog; return its msgid."""
    po = read_po(path)
    entry = [e for e in po if not e.obsolete][index]
    for name, value in fields.items():
        setattr(entry, name, value)
    path.write_text(format_po(po), encoding="utf-8")
    return str(entry.msgid)


def test_the_sample_newsroom_is_complete(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    data = status(capsys, newsroom)
    assert data["source"] == "en" and data["locales"] == ["be", "ru"]
    dates = [a["date"] for a in data["articles"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    for article in data["articles"]:
        assert article["segments"] > 30 and article["words"] > 400
        for loc in ("be", "ru"):
            cell = article["locales"][loc]
            assert cell["ready"] and cell["percent"] == 100.0 and cell["errors"] == 0
            assert cell["reviewed_words"] == cell["total_words"] == article["words"]
    assert data["totals"]["be"]["ready"] == 4


def test_states_words_and_readiness(capsys: pytest.CaptureFixture[str], newsroom: Path) -> None:
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    drafted = edit_po(be, 3, flags=["fuzzy"], tcomment="draft: google")
    edit_po(be, 5, msgstr="")
    edit_po(be, 7, flags=["fuzzy"], previous_msgid="An older sentence.")
    data = status(capsys, newsroom, "--article", ARTICLE)
    cell = data["articles"][0]["locales"]["be"]
    assert (cell["draft"], cell["untranslated"], cell["stale"]) == (1, 1, 1)
    assert cell["reviewed"] == data["articles"][0]["segments"] - 3
    assert not cell["ready"] and cell["percent"] < 100
    assert cell["total_words"] - cell["reviewed_words"] >= words(drafted)
    assert data["articles"][0]["locales"]["ru"]["ready"]
    code, _out, err = run(capsys, "status", "--root", str(newsroom), "--fail-under", "100")
    assert code == 1 and f"{ARTICLE} [be]" in err
    code, out, _err = run(capsys, "status", "--root", str(newsroom), "--fail-under", "50")
    assert code == 0 and "no" in out and ARTICLE[:20] in out


def test_an_out_of_date_catalog_is_never_complete(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    article = newsroom / "articles" / f"{ARTICLE}.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text + "\nA new closing sentence.\n", encoding="utf-8")
    data = status(capsys, newsroom, "--article", ARTICLE)
    for loc in ("be", "ru"):
        cell = data["articles"][0]["locales"][loc]
        assert cell["outdated"] and not cell["ready"]
    code, _o, _e = run(capsys, "status", "--root", str(newsroom), "--fail-under", "0")
    assert code == 1


def test_a_malformed_catalog_is_reported_and_the_rest_still_shown(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    bad = newsroom / "locales" / "ru" / f"{ARTICLE}.po"
    bad.write_text(bad.read_text(encoding="utf-8") + '\nmsgid "broken\n', encoding="utf-8")
    code, out, err = run(capsys, "status", "--root", str(newsroom), "--json")
    assert code == 3
    assert f"{bad}:" in err
    data = json.loads(out)
    assert len(data["articles"]) == 4
    row = next(a for a in data["articles"] if a["slug"] == ARTICLE)
    assert not row["locales"]["ru"]["ready"] and row["locales"]["be"]["ready"]


def test_post_edit_distance_per_engine(capsys: pytest.CaptureFixture[str], newsroom: Path) -> None:
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    live = [e for e in read_po(be) if not e.obsolete]
    with open_ledger(newsroom / ".edition") as ledger:
        ledger.record(
            [
                Draft("be", ARTICLE, live[1].msgctxt, live[1].msgid, "google", live[1].msgstr),
                Draft("be", ARTICLE, live[2].msgctxt, live[2].msgid, "google", "Зусім іншы тэкст."),
                Draft("be", ARTICLE, live[4].msgctxt, live[4].msgid, "memory 87%", live[4].msgstr),
            ]
        )
    engines = status(capsys, newsroom)["engines"]["be"]
    assert engines["google"]["reviewed"] == 2 and engines["google"]["unchanged"] == 1
    expected = edit_ratio("Зусім іншы тэкст.", live[2].msgstr) / 2
    assert engines["google"]["mean_edit"] == pytest.approx(expected, abs=1e-3)
    assert engines["memory"] == {"reviewed": 1, "unchanged": 1, "mean_edit": 0.0}


def test_edit_ratio() -> None:
    assert edit_ratio("abc", "abc") == 0.0
    assert edit_ratio("abc", "xyz") == 1.0
    assert 0 < edit_ratio("Савет сабраўся.", "Савет сабраўся ўчора.") < 0.5


def test_check_reports_errors_with_file_and_line(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    code, out, _err = run(capsys, "check", "--root", str(newsroom))
    assert code == 0 and "0 errors" in out
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(be)
    entry = next(e for e in po if "](" in e.msgstr)
    entry.msgstr = entry.msgstr.replace("](http", "](ftp")
    be.write_text(format_po(po), encoding="utf-8")
    found = read_po(be).find(entry.msgid)
    assert found is not None
    line = found.linenum
    code, out, _err = run(capsys, "check", "--root", str(newsroom), "--locale", "be", "--json")
    assert code == 1
    rows = json.loads(out)
    urls = [r for r in rows if r["check"] == "urls"]
    assert urls and urls[0]["file"] == f"locales/be/{ARTICLE}.po" and urls[0]["line"] == line
    assert urls[0]["severity"] == "error" and urls[0]["slug"] == ARTICLE
    code, _out, err = run(capsys, "check", "--root", str(newsroom), "--locale", "xx")
    assert code == 3 and "not a target locale" in err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_dashboard_in_headless_chromium(capsys: pytest.CaptureFixture[str], newsroom: Path) -> None:
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    pending = edit_po(be, 3, flags=["fuzzy"], tcomment="draft: google")
    edit_po(be, 4, msgstr="<script>document.title='PWNED'</script>")
    page = newsroom / "status.html"
    code, _out, err = run(capsys, "status", "--root", str(newsroom), "--html", str(page))
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "") and "<script" not in html
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400"]
    screenshot(page.as_uri(), shot, 1280, 1400)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    result = subprocess.run(
        [*base, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert [ln for ln in result.stderr.splitlines() if ":CONSOLE" in ln] == []
    dom = result.stdout
    assert "PWNED" not in dom.split("<title>")[1].split("</title>")[0]
    for slug in ("week-47-labour-shortages", "week-12-new-local-councils"):
        assert f'id="{slug}"' in dom
    # The entries to review are on the article's own page.
    detail = (newsroom / "status" / f"{ARTICLE}.html").read_text(encoding="utf-8")
    assert "<script" not in detail
    assert pending.replace('"', "&#34;")[:30] in detail or pending[:30] in detail
    print(f"dashboard screenshot: {shot}")


def test_a_warm_status_parses_nothing_and_sees_every_change(
    capsys: pytest.CaptureFixture[str], newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = status(capsys, newsroom)
    import workflow.status as status_module

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("parsed on a warm run")

    monkeypatch.setattr(status_module, "parse_article", refuse)
    monkeypatch.setattr(status_module, "read_po", refuse)
    assert status(capsys, newsroom) == cold
    monkeypatch.undo()
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    edit_po(be, 2, msgstr="")
    warm = status(capsys, newsroom)
    cell = next(a for a in warm["articles"] if a["slug"] == ARTICLE)["locales"]["be"]
    assert cell["untranslated"] == 1 and not cell["ready"]


def test_a_damaged_or_foreign_status_cache_only_costs_time(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    cold = status(capsys, newsroom)
    cache = newsroom / ".edition" / "status-cache.sqlite"
    assert cache.is_file()
    cache.write_bytes(b"not a database at all\n" * 100)
    assert status(capsys, newsroom) == cold
    # A cache written by another version of the counting code is not used.
    cache.unlink()
    status(capsys, newsroom)
    import sqlite3

    db = sqlite3.connect(cache)
    with db:
        db.execute("UPDATE meta SET value = 'old' WHERE name = 'version'")
        db.execute("UPDATE editions SET summary = '[[0,0,0,0],0,0,0,0,{}]'")
    db.close()
    assert status(capsys, newsroom) == cold


def test_after_a_source_edit_and_sync_the_editions_are_stale(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    article = newsroom / "articles" / f"{ARTICLE}.md"
    text = article.read_text(encoding="utf-8")
    po = read_po(newsroom / "locales" / "be" / f"{ARTICLE}.po")
    sentence = next(
        e.msgid for e in po if e.msgctxt is None and len(e.msgid) > 60 and e.msgid in text
    )
    article.write_text(text.replace(sentence, sentence.replace(" the ", " that ", 1)), "utf-8")
    code, _out, err = run(capsys, "sync", "--root", str(newsroom), "-q")
    assert code == 0, err
    data = status(capsys, newsroom, "--article", ARTICLE)
    for loc in ("be", "ru"):
        cell = data["articles"][0]["locales"][loc]
        assert cell["stale"] == 1 and not cell["ready"] and not cell["outdated"]
    code, _out, _err = run(capsys, "status", "--root", str(newsroom), "--fail-under", "100")
    assert code == 1


def test_check_groups_findings_per_entry_errors_first(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(be)
    live = [e for e in po if not e.obsolete and e.msgctxt is None and len(e.msgid) > 40]
    warned, broken = live[-1], live[2]
    warned.msgstr = warned.msgstr.replace("«", '"').replace("»", '"') + ' "так"'
    broken.msgstr = broken.msgstr.replace("і", "i", 1)  # a Latin i: the commonest be typo
    be.write_text(format_po(po), encoding="utf-8")
    lines = {e.msgid: e.linenum for e in read_po(be)}
    code, out, _err = run(capsys, "check", "--root", str(newsroom), "--locale", "be")
    assert code == 1
    text = out.splitlines()
    head = f"locales/be/{ARTICLE}.po:{lines[broken.msgid]}: {broken.msgid[:40]}"
    assert text[0].startswith(head), text[:3]
    assert text[1].startswith("  error   [mixed-script] ")
    assert f"locales/be/{ARTICLE}.po:{lines[warned.msgid]}: " in out
    assert "  warning [quotes] " in out
    assert "1 error, 2 warnings in 2 entries" in out  # quotes, end-punctuation
    code, out, _err = run(
        capsys, "check", "--root", str(newsroom), "--locale", "be", "--errors-only"
    )
    assert code == 1 and "warning" not in out.replace("warnings not shown", "")
    assert out.splitlines()[-1] == "1 error (warnings not shown) in 1 entry"


def _measure(page: Path, script: str, width: int) -> Any:
    """Run ``script`` (whose return value is JSON-able) on ``page`` shown in
    a ``width`` px frame in headless Chromium (its windows are at least 500
    px wide, hence the frame); the page itself has no script."""
    probe = page.with_name(f"probe-{page.name}")
    doc = html_module.escape(page.read_text(encoding="utf-8"), quote=True)
    code = json.dumps(f"JSON.stringify((() => {{ {script} }})())")
    probe.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe id="f" style="width:{width}px;height:1200px;border:0" srcdoc="{doc}"></iframe>'
        '<pre id="probe"></pre><script>'
        "const f = document.getElementById('f');"
        f"f.addEventListener('load', () => {{ document.getElementById('probe').textContent = f.contentWindow.eval({code}); }});"
        "</script></body></html>",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=10000",
            "--window-size=1000,1400",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    probe.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found and found.group(1), result.stdout[-500:]
    return json.loads(html_module.unescape(found.group(1)))


def _stale_newsroom(capsys: pytest.CaptureFixture[str], newsroom: Path) -> Path:
    article = newsroom / "articles" / f"{ARTICLE}.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("several causes", "many causes"), encoding="utf-8")
    assert run(capsys, "sync", "--root", str(newsroom), "-q")[0] == 0
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    edit_po(be, 3, flags=["fuzzy"], tcomment="draft: google")
    page = newsroom / "status.html"
    code, _out, err = run(capsys, "status", "--root", str(newsroom), "--html", str(page))
    assert code == 0, err
    return page


_LAYOUT = """
const w = window.innerWidth, out = {width: w, scroll: document.documentElement.scrollWidth, bad: []};
for (const card of document.querySelectorAll('.article')) {
  for (const el of card.querySelectorAll('.cell, .head .is-ready, .head .is-held, .slug')) {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0 || r.right > w + 0.5 || r.left < 0) {
      out.bad.push(card.id + ' ' + el.className + ' ' + r.left + '-' + r.right);
    }
  }
}
out.cells = document.querySelectorAll('.article .cell').length;
return out;
"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_dashboard_is_usable_on_a_390_px_phone(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    page = _stale_newsroom(capsys, newsroom)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard-390.png"
    screenshot(page.as_uri(), shot, 390, 1400, "--hide-scrollbars")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    layout = _measure(page, _LAYOUT, 390)
    assert layout["width"] <= 400 and layout["scroll"] <= layout["width"], layout
    assert layout["cells"] == 8 and layout["bad"] == [], layout
    html = page.read_text(encoding="utf-8")
    assert "Generated at " in html and f'<code class="slug">{ARTICLE}</code>' in html
    assert len(html.encode("utf-8")) < 20_000  # details live on the article pages


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_dashboard_filters_by_state_and_locale(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    page = _stale_newsroom(capsys, newsroom)
    html = page.read_text(encoding="utf-8")
    visible = """return [...document.querySelectorAll('.article')].filter(a => a.offsetHeight > 0).map(a => a.id)
      .concat([...document.querySelectorAll('.cell')].filter(c => c.offsetHeight > 0).map(c => c.dataset.locale));"""

    def pick(state: str, locale: str) -> list[str]:
        chosen = html.replace('id="s-all" checked', 'id="s-all"').replace(
            'id="l-all" checked', 'id="l-all"'
        )
        chosen = chosen.replace(f'id="s-{state}"', f'id="s-{state}" checked')
        chosen = chosen.replace(f'id="l-{locale}"', f'id="l-{locale}" checked')
        copy = page.with_name(f"{state}-{locale}.html")
        copy.write_text(chosen, encoding="utf-8")
        found: list[str] = _measure(copy, visible, 1000)
        return found

    got = pick("stale", "all")
    assert [x for x in got if x.startswith("week")] == [ARTICLE]
    got = pick("draft", "ru")  # the draft is in be only
    assert [x for x in got if x.startswith("week")] == []
    got = pick("draft", "be")
    assert got == [ARTICLE, "be"]
    got = pick("ready", "all")
    assert ARTICLE not in got and len([x for x in got if x.startswith("week")]) == 3


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_article_page_diffs_stale_entries_and_colours_findings(
    capsys: pytest.CaptureFixture[str], newsroom: Path
) -> None:
    page = _stale_newsroom(capsys, newsroom)
    be = newsroom / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(be)
    entry = next(e for e in po if "«" in e.msgstr and not e.obsolete and "fuzzy" not in e.flags)
    entry.msgstr = entry.msgstr.replace("«", '"').replace("»", '"')
    be.write_text(format_po(po), encoding="utf-8")
    line = next(e.linenum for e in read_po(be) if e.msgid == entry.msgid)
    assert run(capsys, "status", "--root", str(newsroom), "--html", str(page))[0] == 0
    detail = page.with_suffix("") / f"{ARTICLE}.html"
    html = detail.read_text(encoding="utf-8")
    assert "<del>several</del>" in html and "<ins>many</ins>" in html
    assert f"<code>locales/be/{ARTICLE}.po:{line}</code> [quotes]" in html
    assert "English: " in html
    colours = _measure(
        detail,
        "const bg = s => getComputedStyle(document.querySelector(s)).backgroundColor;"
        "return [bg('.tag.warning'), bg('.tag.draft'), bg('.tag.stale')];",
        390,
    )
    assert len(set(colours)) == 3, colours
