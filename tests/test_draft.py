"""`edition draft` and `edition memory` end to end, against the loopback LibreTranslate server."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import polib
import pytest

from tests.libre_server import LibreServer, libre_server
from workflow.cli import main
from workflow.config import Settings, load_settings
from workflow.draft import draft
from workflow.engines import Engine, EngineError
from workflow.ledger import open_ledger
from workflow.markup import PlaceholderError, protect, restore
from workflow.memory import Memory
from workflow.poformat import format_po, read_po

from .conftest import ROOT
from .conftest import EchoEngine as _Echo

__all__ = ["libre_server"]
A = "week-21-union-state-tax-accord"
B = "week-47-labour-shortages"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def root(tmp_path: Path, libre_server: LibreServer) -> Path:
    """The sample newsroom, its settings pointing the libre engine at the loopback server."""
    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    (root / "pyproject.toml").write_text(
        '[tool.edition]\nlocales = ["be", "ru"]\n'
        f'[tool.edition.engines.libre]\nurl = "{libre_server.url}"\n',
        encoding="utf-8",
    )
    return root


def blank(path: Path, count: int, start: int = 0) -> list[str]:
    """Empty the msgstr of `count` body entries; return their msgids."""
    po = read_po(path)
    live = [e for e in po if not e.obsolete and e.msgctxt is None][start : start + count]
    for e in live:
        e.msgstr = ""
    path.write_text(format_po(po), encoding="utf-8")
    return [e.msgid for e in live]


def entries(path: Path) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(e.msgctxt, e.msgid): e for e in read_po(path) if not e.obsolete}


def test_only_empty_entries_get_drafts(
    capsys: pytest.CaptureFixture[str], root: Path, libre_server: LibreServer
) -> None:
    po = root / "locales" / "be" / f"{A}.po"
    stale = read_po(po)
    target = [e for e in stale if not e.obsolete][10]
    target.flags = ["fuzzy"]
    target.previous_msgid = "The old English."
    target.tcomment = "Keep the minister's wording."
    po.write_text(format_po(stale), encoding="utf-8")
    emptied = blank(po, 6)
    before = entries(po)
    code, out, err = run(
        capsys, "draft", "--root", str(root), "--locale", "be", "--engine", "libre"
    )
    assert code == 0, out + err
    after = entries(po)
    for key, old in before.items():
        new = after[key]
        if old.msgid in emptied:
            assert new.msgstr.startswith("[be] ") and "fuzzy" in new.flags
            # Then, for a draft lacking a glossary term, the post-check's line.
            own = [c for c in new.tcomment.split("\n") if not c.startswith("glossary: ")]
            assert own[-1] == "draft: libre"
        else:
            assert (new.msgstr, new.flags, new.tcomment, new.previous_msgid) == (
                old.msgstr,
                old.flags,
                old.tcomment,
                old.previous_msgid,
            )
    assert subprocess.run(["msgcat", str(po)], capture_output=True).stdout == po.read_bytes()
    assert "drafted     6 be entries with libre" in out
    # Markup went out as placeholders and came back whole.
    for text in libre_server.texts:
        assert "](" not in text and "`" not in text
    with open_ledger(root / ".edition") as ledger:
        assert {d.msgid for d in ledger.drafts("be")} == set(emptied)


def test_identical_texts_are_sent_once_and_a_rerun_uses_the_cache(
    capsys: pytest.CaptureFixture[str], root: Path, libre_server: LibreServer
) -> None:
    for lang in ("be", "ru"):
        shutil.copy(root / "locales" / lang / f"{A}.po", root / "locales" / lang / f"{A}-copy.po")
    shutil.copy(root / "articles" / f"{A}.md", root / "articles" / f"{A}-copy.md")
    run(capsys, "sync", "--root", str(root), "-q")
    texts = blank(root / "locales" / "ru" / f"{A}.po", 8)
    assert blank(root / "locales" / "ru" / f"{A}-copy.po", 8) == texts
    pristine = {p: p.read_bytes() for p in (root / "locales" / "ru").glob("*.po")}
    code, _out, _err = run(
        capsys, "draft", "--root", str(root), "--locale", "ru", "--engine", "libre"
    )
    assert code == 0
    assert sorted(libre_server.texts) == sorted({protect(t).text for t in texts})
    sent = libre_server.translate_requests
    drafted = {p: p.read_bytes() for p in pristine}
    for path, data in pristine.items():  # as if the first run had died before writing
        path.write_bytes(data)
    code, out, _err = run(
        capsys, "draft", "--root", str(root), "--locale", "ru", "--engine", "libre"
    )
    assert code == 0 and libre_server.translate_requests == sent
    assert f"{len(set(texts))} cache hits, 0 requests" in out
    assert {p: p.read_bytes() for p in pristine} == drafted


def test_damaged_placeholders_are_rejected_and_listed(
    capsys: pytest.CaptureFixture[str], root: Path, libre_server: LibreServer
) -> None:
    po = root / "locales" / "be" / f"{A}.po"
    with_markup = [e for e in read_po(po) if "](" in e.msgid or "`" in e.msgid]
    assert with_markup
    for e in with_markup:
        blank_entry(po, e.msgid)
    libre_server.drop_placeholders_next(count=50)
    code, out, _err = run(
        capsys, "draft", "--root", str(root), "--locale", "be", "--engine", "libre", "--json"
    )
    assert code == 1
    report = json.loads(out)
    assert {f["msgid"] for f in report["failed"]} == {e.msgid for e in with_markup}
    assert all("markup damaged" in f["reason"] for f in report["failed"])
    for e in with_markup:
        assert entries(po)[(e.msgctxt, e.msgid)].msgstr == ""


def blank_entry(path: Path, msgid: str) -> None:
    po = read_po(path)
    found = po.find(msgid)
    assert found is not None
    found.msgstr = ""
    path.write_text(format_po(po), encoding="utf-8")


def test_retries_on_429_and_falls_through_when_an_engine_fails_for_good(
    capsys: pytest.CaptureFixture[str], root: Path, libre_server: LibreServer, tmp_path: Path
) -> None:
    po = root / "locales" / "ru" / f"{B}.po"
    emptied = blank(po, 3)
    libre_server.fail_next(2, status=429, retry_after=0.01)
    code, _out, err = run(
        capsys, "draft", "--root", str(root), "--locale", "ru", "--engine", "libre"
    )
    assert code == 0, err
    assert all(entries(po)[(None, m)].msgstr.startswith("[ru] ") for m in emptied)
    # Now an engine that refuses the key: the route goes on to the memory.
    # (Other entries: the first three are in the cache and would cost nothing.)
    emptied = blank(po, 3, start=5)
    cfg = root / "pyproject.toml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace(
            'locales = ["be", "ru"]\n', 'locales = ["be", "ru"]\n'
        )
        + '[tool.edition.routes]\nru = ["libre", "memory"]\n',
        encoding="utf-8",
    )
    shutil.copy(ROOT / "locales" / "ru" / f"{B}.po", root / "locales" / "ru" / "memory-source.po")
    libre_server.api_key = "secret-key"
    code, out, _err = run(capsys, "draft", "--root", str(root), "--locale", "ru", "--json")
    report = json.loads(out)
    assert code == 0, report
    assert "libre" in report["dropped_engines"]
    assert report["drafted"] == {"memory": {"ru": 3}}
    assert all(entries(po)[(None, m)].tcomment == "draft: memory" for m in emptied)


class _Saving(_Echo):
    """A fake engine that, like a translator pressing save, edits the catalog mid-run."""

    def __init__(self, po: Path) -> None:
        self.po = po

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        po = read_po(self.po)
        victim = next(e for e in po if e.msgstr and not e.obsolete and e.msgctxt is None)
        victim.msgstr = "ЗАХАВАНА ПЕРАКЛАДЧЫКАМ"
        self.po.write_text(format_po(po), encoding="utf-8")
        return super().translate(texts, source, target)


def test_a_translators_save_during_draft_is_kept(root: Path) -> None:
    po = root / "locales" / "be" / f"{B}.po"
    emptied = blank(po, 4)
    settings = load_settings(root)

    def factory(name: str, s: Settings) -> Engine:
        return _Saving(po)

    report = draft(settings, [B], ["be"], engine="fake", factory=factory)
    assert report.drafted == {("fake", "be"): 4}
    text = po.read_text(encoding="utf-8")
    assert "ЗАХАВАНА ПЕРАКЛАДЧЫКАМ" in text
    for m in emptied:
        entry = entries(po)[(None, m)]
        assert entry.msgstr == f"<{m}>" and entry.tcomment == "draft: fake"
        assert "fuzzy" in entry.flags
    assert sum(1 for e in read_po(po) if "draft: fake" in e.tcomment) == 4


def test_a_save_between_drafts_read_and_write_is_kept(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The narrowest race: the translator saves after draft re-read the
    catalog and before its rename.  The write must notice and merge again."""
    import workflow.draft as draft_module

    po = root / "locales" / "be" / f"{B}.po"
    emptied = blank(po, 3)
    settings = load_settings(root)
    saves: list[int] = []

    real = draft_module.rewrite_keeping_layout  # type: ignore[attr-defined]

    def format_then_save(
        old: str, catalog: polib.POFile, changed: set[int], settings: Settings
    ) -> str:
        text = real(old, catalog, changed, settings)
        if not saves:  # the first write: the translator saves just now
            theirs = read_po(po)
            victim = next(e for e in theirs if e.msgstr and e.msgctxt is None)
            victim.msgstr = "ЗАХАВАНА Ў АПОШНІ МОМАНТ"
            po.write_text(format_po(theirs), encoding="utf-8")
            saves.append(1)
        return text

    monkeypatch.setattr(draft_module, "rewrite_keeping_layout", format_then_save)
    report = draft(settings, [B], ["be"], engine="fake", factory=lambda n, s: _Echo())
    assert saves and report.drafted == {("fake", "be"): 3}
    assert "ЗАХАВАНА Ў АПОШНІ МОМАНТ" in po.read_text(encoding="utf-8")
    assert all(entries(po)[(None, m)].msgstr == f"<{m}>" for m in emptied)


class _Failing(_Echo):
    name = "broken"
    batch_size = 10

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        raise EngineError("broken", "server on fire", retryable=False)


def test_pivot_uses_only_reviewed_sibling_translations(root: Path) -> None:
    be = root / "locales" / "be" / f"{B}.po"
    emptied = blank(be, 4)
    ru = root / "locales" / "ru" / f"{B}.po"
    po = read_po(ru)
    drafted_ru = po.find(emptied[0])
    assert drafted_ru is not None
    drafted_ru.flags = ["fuzzy"]
    drafted_ru.tcomment = "draft: google"
    ru.write_text(format_po(po), encoding="utf-8")
    seen: list[str] = []

    class Echo(_Failing):
        name = "echo"

        def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
            assert (source, target) == ("ru", "be")
            seen.extend(texts)
            return list(texts)

    report = draft(
        load_settings(root), [B], ["be"], engine="pivot:ru+echo", factory=lambda n, s: Echo()
    )
    assert report.drafted == {("pivot:ru+echo", "be"): 3}
    assert [f.msgid for f in report.failed] == [emptied[0]]
    assert "no reviewed ru translation" in report.failed[0].reason
    assert drafted_ru.msgstr not in seen


def test_a_failing_engine_leaves_entries_empty_and_listed(root: Path) -> None:
    be = root / "locales" / "be" / f"{B}.po"
    emptied = blank(be, 3)
    report = draft(
        load_settings(root), [B], ["be"], engine="broken", factory=lambda n, s: _Failing()
    )
    assert sorted(f.msgid for f in report.failed) == sorted(emptied)
    assert all("server on fire" in f.reason for f in report.failed)
    assert all(entries(be)[(None, m)].msgstr == "" for m in emptied)


def test_dry_run_writes_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], root: Path, libre_server: LibreServer
) -> None:
    blank(root / "locales" / "be" / f"{B}.po", 5)
    before = {p: p.read_bytes() for p in (root / "locales").rglob("*.po")}
    code, out, _err = run(
        capsys, "draft", "--root", str(root), "--engine", "libre", "--dry-run", "--json"
    )
    report = json.loads(out)
    # Saying what would be sent is not a failure.
    assert report["dry_run"] and report["texts_sent"] == 5 and code == 0
    assert libre_server.translate_requests == 0
    assert {p: p.read_bytes() for p in (root / "locales").rglob("*.po")} == before


def test_memory_drafts_exact_and_fuzzy_matches(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    text = (root / "articles" / f"{A}.md").read_text(encoding="utf-8")
    po = read_po(root / "locales" / "be" / f"{A}.po")
    sentence = next(
        e.msgid for e in po if e.msgctxt is None and len(e.msgid) > 80 and "](" not in e.msgid
    )
    changed = sentence.replace(" the ", " this ", 1)
    assert changed != sentence and sentence in text
    (root / "articles" / "week-22-copy.md").write_text(text.replace(sentence, changed), "utf-8")
    run(capsys, "sync", "--root", str(root), "-q")
    code, out, err = run(
        capsys, "draft", "--root", str(root), "--article", "week-22-copy", "--engine", "memory"
    )
    assert code == 0, out + err
    new = entries(root / "locales" / "be" / "week-22-copy.po")
    fuzzy = new[(None, changed)]
    first, matched = fuzzy.tcomment.split("\n")
    assert first.startswith("draft: memory ") and first.endswith("%")
    score = int(first.split()[-1].rstrip("%"))
    assert 75 <= score < 100
    # The reviewer sees the English the memory's translation was made for.
    assert matched == "matched: " + " ".join(sentence.split())
    title = next(e.msgid for e in po if e.msgctxt == "title")
    assert new[("title", title)].tcomment == "draft: memory"


def test_memory_lookup_is_indexed() -> None:
    memory = Memory(
        [(f"Sentence number {i} about the council.", f"Сказ {i}.") for i in range(2000)]
    )
    assert memory.lookup("Sentence number 7 about the council.") is not None
    match = memory.lookup("Sentence number 7 about a council.")
    assert match is not None and match.score >= 90
    assert memory.lookup("Something else entirely, with other words.") is None


def test_a_fuzzy_match_with_other_numbers_is_not_a_draft() -> None:
    memory = Memory(
        [
            ("Exports to Russia grew by 12.9% in the first quarter.", "Экспарт вырас на 12,9%."),
            ("Imports fell by 3% in the first quarter of the year.", "Імпарт знізіўся на 3%."),
        ]
    )
    # 18.9 is not 12.9: the resembling sentence's translation would print a wrong figure.
    assert memory.lookup("Exports to Russia grew by 18.9% in the first quarter.") is None
    match = memory.lookup("Exports to Russia grew by 12.9% in the first half.")
    assert match is not None and match.score >= 75 and "12,9" in match.text
    assert memory.lookup("Imports fell by 3% in the first quarter of this year.") is not None


def test_tmx_round_trip_into_a_fresh_newsroom(
    capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path
) -> None:
    tmx = tmp_path / "newsroom.tmx"
    code, out, _err = run(capsys, "memory", "--root", str(root), "export", str(tmx))
    assert code == 0 and "translation units" in out
    import xml.etree.ElementTree as ET

    doc = ET.parse(tmx).getroot()
    assert doc.get("version") == "1.4" and doc.find("header").get("srclang") == "en"  # type: ignore[union-attr]
    fresh = tmp_path / "fresh"
    shutil.copytree(ROOT / "articles", fresh / "articles")
    (fresh / "pyproject.toml").write_text('[tool.edition]\nlocales = ["be", "ru"]\n', "utf-8")
    run(capsys, "sync", "--root", str(fresh), "-q")
    code, out, _err = run(capsys, "memory", "--root", str(fresh), "import", str(tmx))
    assert code == 0 and "be" in out and "ru" in out
    code, out, err = run(capsys, "draft", "--root", str(fresh), "--engine", "memory", "--json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["failed"] == [] and report["drafted"]["memory"]["be"] > 100
    bad = tmp_path / "bad.tmx"
    bad.write_text('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY x "y">]>\n<tmx/>', "utf-8")
    code, _out, err = run(capsys, "memory", "--root", str(fresh), "import", str(bad))
    assert code == 3 and f"{bad}:2:" in err


def test_placeholders() -> None:
    source = 'See [the **new** law](https://pravo.by/x "T") and `code` at https://x.org/a.'
    p = protect(source)
    assert "https" not in p.text and "`" not in p.text and "law" in p.text
    assert restore(p.text, p) == source
    with pytest.raises(PlaceholderError, match="lost"):
        restore(p.text.replace("⟦3⟧", ""), p)
    with pytest.raises(PlaceholderError):
        restore(p.text + " ⟦1⟧", p)
    with pytest.raises(PlaceholderError, match="damaged"):
        restore(p.text + " ⟦9", p)


@pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium is not installed")
def test_offline_default_route_pivots_through_apertium(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    emptied = blank(root / "locales" / "be" / f"{B}.po", 5)
    code, out, err = run(capsys, "draft", "--root", str(root), "--locale", "be")
    assert code == 0, out + err
    got = entries(root / "locales" / "be" / f"{B}.po")
    comments = []
    for m in emptied:
        e = got[(None, m)]
        assert e.msgstr and "fuzzy" in e.flags
        comments.append(e.tcomment)
    # Memory first (headings recur across articles), then the pivot.
    assert set(comments) <= {"draft: memory", "draft: pivot:ru+apertium"}
    assert "draft: pivot:ru+apertium" in comments


def test_a_new_article_is_drafted_whole_and_nothing_else_moves(
    capsys: pytest.CaptureFixture[str], root: Path, libre_server: LibreServer
) -> None:
    text = (root / "articles" / f"{B}.md").read_text(encoding="utf-8")
    new = text.replace("title: Labour shortages", "title: New labour rules", 1).replace(
        "\n\n", "\n\nA wholly new opening paragraph for this week's review.\n\n", 1
    )
    (root / "articles" / "week-48-new-labour-rules.md").write_text(new, encoding="utf-8")
    run(capsys, "sync", "--root", str(root), "-q")
    before = {p: p.read_bytes() for p in (root / "locales").rglob("*.po")}
    code, out, err = run(
        capsys,
        "draft",
        "--root",
        str(root),
        "--engine",
        "libre",
        "--locale",
        "be",
        "--locale",
        "ru",
    )
    assert code == 0, out + err
    for lang in ("be", "ru"):
        po_path = root / "locales" / lang / "week-48-new-labour-rules.po"
        live = [e for e in read_po(po_path) if not e.obsolete]
        assert live and all("fuzzy" in e.flags and e.tcomment == "draft: libre" for e in live)
        assert all(e.msgstr.startswith(f"[{lang}] ") for e in live if not protect(e.msgid).pieces)
        assert subprocess.run(["msgcat", str(po_path)], capture_output=True).stdout == (
            po_path.read_bytes()
        )
        fmt = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", str(po_path)], capture_output=True)
        assert fmt.returncode == 0, fmt.stderr
    for path, data in before.items():
        if path.stem != "week-48-new-labour-rules":
            assert path.read_bytes() == data, f"{path} changed"


def _new_article(root: Path) -> str:
    """A brand-new article: prose nobody has translated, so no memory match
    and no reviewed sibling to pivot from."""
    slug = "week-50-new-article"
    (root / "articles" / f"{slug}.md").write_text(
        "---\ntitle: Quarry permits and river ports\ndate: 2025-12-09\n---\n\n"
        "Gravel barges returned to the Pripyat after a dry summer.\n"
        "Port managers in Mazyr counted eleven vessels by Friday.\n\n"
        "| Port | Barges |\n|---|---:|\n| Mazyr | 11 |\n| Pinsk | 128.5 |\n",
        encoding="utf-8",
    )
    assert main(["sync", "--root", str(root), "-q"]) == 0
    return slug


def test_a_new_article_gets_one_piece_of_advice_and_exit_0(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    slug = _new_article(root)
    capsys.readouterr()
    code, out, _err = run(capsys, "draft", "--root", str(root), "--article", slug)
    assert code == 0, out
    assert "not drafted:" not in out  # no line per entry
    assert len(out.splitlines()) <= 12, out
    assert "14 entries in 1 article not drafted (be 7, ru 7)" in out
    assert "No offline engine translates from English" in out
    assert "pivot:ru+apertium" in out
    assert 'be = ["memory", "pivot:ru+apertium", "google"]' in out
    assert "[tool.edition.routes]" in out
    code, out, _err = run(capsys, "draft", "--root", str(root), "--article", slug, "-v")
    assert code == 0 and out.count("not drafted: ") == 14
    # Number-only cells are not entries for translators.
    pot = (root / "locales" / f"{slug}.pot").read_text(encoding="utf-8")
    assert 'msgid "Mazyr"' in pot and 'msgid "11"' not in pot and 'msgid "128.5"' not in pot


def test_a_real_fault_still_exits_1_with_its_reason_once(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    blank(root / "locales" / "ru" / f"{B}.po", 4)
    config = root / "pyproject.toml"
    config.write_text(
        '[tool.edition]\nlocales = ["be", "ru"]\n'
        '[tool.edition.engines.libre]\nurl = "http://127.0.0.1:9/"\ntimeout = 1\n',
        encoding="utf-8",
    )
    code, out, _err = run(
        capsys, "draft", "--root", str(root), "--locale", "ru", "--engine", "libre"
    )
    assert code == 1
    assert "4 entries not drafted because something failed:" in out
    assert "not drafted: " not in out


def test_an_unknown_engine_is_one_usage_error(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    blank(root / "locales" / "ru" / f"{B}.po", 4)
    code, out, err = run(capsys, "draft", "--root", str(root), "--engine", "googel")
    assert code == 2 and out == ""
    assert err == "error: --engine googel: unknown engine 'googel' (did you mean 'google'?)\n"
