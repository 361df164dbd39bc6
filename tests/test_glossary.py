"""House terminology (issue 17, part 1): the sample glossaries, the ``#.``
comments sync writes, the `glossary` check, and TBX export and import that
translate-toolkit (Weblate's reader and writer) understands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polib
import pytest
from translate.storage import tbx

from workflow.cli import main
from workflow.config import load_settings
from workflow.glossary import load_glossary, renders, stem
from workflow.poformat import format_po, read_po

from .conftest import ROOT

ARTICLE = "week-21-union-state-tax-accord"
SAMPLE_TERMS = {
    "be": {
        "Lukashenka": "Лукашэнка",
        "Union State": "Саюзная дзяржава",
        "All-Belarusian People's Assembly": "Усебеларускі народны сход",
    },
    "ru": {
        "Lukashenka": "Лукашенко",
        "Union State": "Союзное государство",
        "All-Belarusian People's Assembly": "Всебелорусское народное собрание",
    },
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def glossary_root(newsroom: Path) -> Path:
    """The sample newsroom with its glossaries (the fixture copies locales/)."""
    for loc in ("be", "ru"):
        assert (newsroom / "locales" / loc / "glossary.csv").is_file()
    return newsroom


def test_the_sample_glossaries() -> None:
    settings = load_settings(ROOT)
    for loc, terms in SAMPLE_TERMS.items():
        glossary = load_glossary(settings, loc)
        assert glossary.errors == ()
        assert {t.source: t.target for t in glossary.terms} == terms


def test_the_sample_catalogs_name_the_terms_of_each_entry() -> None:
    """Every entry whose English has a term shows it in its ``#.`` comment, and no other does."""
    named = 0
    for loc, terms in SAMPLE_TERMS.items():
        for path in sorted((ROOT / "locales" / loc).glob("*.po")):
            for entry in read_po(path):
                if entry.obsolete:
                    continue
                lines = [c for c in entry.comment.split("\n") if c.startswith("glossary: ")]
                wanted = [
                    f"glossary: {src} = {dst}"
                    for src, dst in terms.items()
                    if src.lower() in entry.msgid.lower()
                ]
                assert lines == wanted, (path, entry.msgid)
                named += len(lines)
    # Union State (5 entries) and the Assembly (2) in each locale.
    assert named == 14
    pot = (ROOT / "locales" / f"{ARTICLE}.pot").read_text(encoding="utf-8")
    assert "glossary:" not in pot  # the template is the same for every locale


def test_stems_match_inflected_forms_only() -> None:
    assert stem("Лукашэнка") == "лукашэнк"
    for good in ("Лукашэнка", "Лукашэнкі", "з Лукашэнкам", "ЛУКАШЭНКУ"):
        assert renders("Лукашэнка", good), good
    for bad in ("Лукашенка", "Лукашенко", "Аляксандр Рыгоравіч"):
        assert not renders("Лукашэнка", bad), bad
    assert renders("Саюзная дзяржава", "у межах Саюзнай дзяржавы")
    assert renders("Саюзная дзяржава", "у Саюзнай дзяржаве")
    assert not renders("Саюзная дзяржава", "у межах Саюза")
    assert renders("Усебеларускі народны сход", "на Ўсебеларускім народным сходзе")
    assert renders("Союзное государство", "рамках Союзного государства")
    assert renders(
        "Всебелорусское народное собрание", "делегатов Всебелорусского народного собрания"
    )
    assert not renders("Всебелорусское народное собрание", "делегатов народного собрания")


def test_check_warns_on_a_translation_without_the_house_form(
    capsys: pytest.CaptureFixture[str], glossary_root: Path
) -> None:
    root = glossary_root
    article = root / "articles" / f"{ARTICLE}.md"
    text = article.read_text(encoding="utf-8")
    anchor = "The signing received little attention in Minsk."
    article.write_text(
        text.replace(anchor, f"Lukashenka welcomed the accord. {anchor}"), encoding="utf-8"
    )
    code, _out, err = run(capsys, "sync", "--root", str(root), "-q")
    assert code == 0, err
    path = root / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(path)
    entry = po.find("Lukashenka welcomed the accord.")
    assert entry is not None
    assert "glossary: Lukashenka = Лукашэнка" in entry.comment.split("\n")
    ru = read_po(root / "locales" / "ru" / f"{ARTICLE}.po").find("Lukashenka welcomed the accord.")
    assert ru is not None and "glossary: Lukashenka = Лукашенко" in ru.comment.split("\n")

    def findings(translation: str) -> list[dict[str, object]]:
        po = read_po(path)
        found = po.find("Lukashenka welcomed the accord.")
        assert found is not None
        found.msgstr = translation
        path.write_text(format_po(po), encoding="utf-8")
        code, out, err = run(capsys, "check", "--root", str(root), "--locale", "be", "--json")
        assert code == 0, err  # a warning, not an error
        return [r for r in json.loads(out) if r["check"] == "glossary"]

    rows = findings("Лукашенка вітаў пагадненне.")
    assert len(rows) == 1
    assert rows[0]["line"] == entry.linenum and rows[0]["severity"] == "warning"
    assert "'Lukashenka'" in str(rows[0]["message"]) and "'Лукашэнка'" in str(rows[0]["message"])
    assert "locales/be/glossary.csv:3" in str(rows[0]["message"])
    assert findings("Лукашэнка вітаў пагадненне.") == []
    assert findings("Пагадненне вітаў Аляксандр Лукашэнка.") == []
    # The glossary changes: the check follows at once (the status cache is keyed on it).
    csv = root / "locales" / "be" / "glossary.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8").replace("Лукашэнка,", "Лукашэнка (А.),", 1),
        encoding="utf-8",
    )
    assert len(findings("Пагадненне вітаў Аляксандр Лукашэнка.")) == 1


def test_no_glossary_warning_on_the_reviewed_sample(
    capsys: pytest.CaptureFixture[str], glossary_root: Path
) -> None:
    code, out, err = run(capsys, "check", "--root", str(glossary_root), "--json")
    assert code == 0, err
    assert json.loads(out) == []
    code, out, err = run(capsys, "status", "--root", str(glossary_root), "--json")
    assert code == 0, err


def test_a_new_term_reaches_the_comments_and_a_removed_one_leaves(
    capsys: pytest.CaptureFixture[str], glossary_root: Path
) -> None:
    root = glossary_root
    csv = root / "locales" / "be" / "glossary.csv"
    original = csv.read_text(encoding="utf-8")
    path = root / "locales" / "be" / "week-36-potash-routes.po"
    before = read_po(path)
    csv.write_text(original + "Klaipėda,Клайпеда,Lithuanian port\n", encoding="utf-8")
    code, out, err = run(capsys, "sync", "--root", str(root))
    assert code == 0, err
    assert "locales/be/week-36-potash-routes.po" in out
    assert "locales/ru/" not in out  # the ru glossary did not change
    after = read_po(path)
    with_term = [e for e in after if "glossary: Klaipėda = Клайпеда" in e.comment]
    assert with_term and all("Klaipėda" in e.msgid for e in with_term)
    # Nothing a translator wrote changed.
    assert [(e.msgid, e.msgstr, e.flags, e.tcomment) for e in before] == [
        (e.msgid, e.msgstr, e.flags, e.tcomment) for e in after
    ]
    code, out, err = run(capsys, "sync", "--root", str(root))
    assert "0 files written" in out
    csv.write_text(original, encoding="utf-8")
    code, out, err = run(capsys, "sync", "--root", str(root))
    assert code == 0, err
    assert path.read_bytes() == (ROOT / "locales" / "be" / path.name).read_bytes()


def test_export_is_read_by_translate_toolkit(
    capsys: pytest.CaptureFixture[str], glossary_root: Path, tmp_path: Path
) -> None:
    target = tmp_path / "be.tbx"
    code, out, err = run(
        capsys, "glossary", "export", "--root", str(glossary_root), "--locale", "be", str(target)
    )
    assert code == 0, err
    assert out.strip() == f"wrote 3 terms (be) to {target}"
    store = tbx.tbxfile.parsefile(target.open("rb"))  # type: ignore[no-untyped-call]
    assert {u.source: u.target for u in store.units} == SAMPLE_TERMS["be"]
    both = tmp_path / "all.tbx"
    code, out, err = run(capsys, "glossary", "export", "--root", str(glossary_root), str(both))
    assert code == 0, err
    text = both.read_text(encoding="utf-8")
    assert 'type="TBX-Basic"' in text and 'xml:lang="ru"' in text and "Лукашенко" in text


def test_import_of_a_weblate_glossary(
    capsys: pytest.CaptureFixture[str], glossary_root: Path, tmp_path: Path
) -> None:
    """Weblate writes TBX with translate-toolkit: what it writes is imported."""
    store = tbx.tbxfile(sourcelanguage="en", targetlanguage="be")
    unit = store.addsourceunit("Lukashenka")  # type: ignore[no-untyped-call]
    unit.target = "Лукашэнка"
    unit = store.addsourceunit('self-proclaimed "President"')  # type: ignore[no-untyped-call]
    unit.target = "самаабвешчаны «прэзідэнт»"
    unit = store.addsourceunit("Union State")  # type: ignore[no-untyped-call]
    unit.target = "Саюзная Дзяржава"
    source = tmp_path / "weblate.tbx"
    source.write_bytes(bytes(store))
    csv = glossary_root / "locales" / "be" / "glossary.csv"
    code, out, err = run(
        capsys, "glossary", "import", "--root", str(glossary_root), "--locale", "be", str(source)
    )
    assert code == 0, err
    assert out.strip() == "locales/be/glossary.csv: 1 added, 1 updated, 1 unchanged"
    text = csv.read_text(encoding="utf-8")
    assert text.startswith("# House terminology")  # the file's comments stay
    terms = {t.source: t for t in load_glossary(load_settings(glossary_root), "be").terms}
    assert terms['self-proclaimed "President"'].target == "самаабвешчаны «прэзідэнт»"
    assert terms["Union State"].target == "Саюзная Дзяржава"
    assert terms["Union State"].note == "The Union State of Belarus and Russia"  # kept
    assert len(terms) == 4  # nothing dropped
    # A root with no glossary for a locale gets a glossary.tbx.
    (glossary_root / "locales" / "be" / "glossary.csv").unlink()
    code, out, err = run(
        capsys, "glossary", "import", "--root", str(glossary_root), "--locale", "be", str(source)
    )
    assert code == 0, err
    assert out.strip() == "locales/be/glossary.tbx: 3 added, 0 updated, 0 unchanged"
    back = tbx.tbxfile.parsefile((glossary_root / "locales" / "be" / "glossary.tbx").open("rb"))  # type: ignore[no-untyped-call]
    assert len(back.units) == 3


def test_a_bad_glossary_row_is_reported_with_its_line(
    capsys: pytest.CaptureFixture[str], glossary_root: Path
) -> None:
    csv = glossary_root / "locales" / "ru" / "glossary.csv"
    csv.write_text(csv.read_text(encoding="utf-8") + "Minsk,\n", encoding="utf-8")
    code, out, err = run(capsys, "check", "--root", str(glossary_root), "-q")
    assert code == 3
    assert "locales/ru/glossary.csv:6: a term needs both a source and a target" in err
    assert "0 errors" in out  # the rest was still checked
    csv.write_text("term,rendering\nMinsk,Минск\n", encoding="utf-8")
    code, out, err = run(capsys, "sync", "--root", str(glossary_root), "-q")
    assert code == 3
    assert "locales/ru/glossary.csv:1: the header names the columns term, rendering" in err


def test_drafts_are_post_checked_against_the_glossary(
    capsys: pytest.CaptureFixture[str], glossary_root: Path
) -> None:
    """Any engine's draft (here the loopback LibreTranslate) lacking a term's
    rendering says so in a translator comment, and the report counts it."""
    from tests.libre_server import LibreServer

    root = glossary_root
    path = root / "locales" / "be" / f"{ARTICLE}.po"
    po = read_po(path)
    union = [e for e in po if not e.obsolete and "Union State" in e.msgid and e.msgctxt is None]
    other = next(e for e in po if e.msgid.startswith("The signing received"))
    for entry in [*union[:2], other]:
        entry.msgstr = ""
    path.write_text(format_po(po), encoding="utf-8")
    with LibreServer() as server:
        (root / "pyproject.toml").write_text(
            '[tool.edition]\nlocales = ["be", "ru"]\n'
            f'[tool.edition.engines.libre]\nurl = "{server.url}"\n',
            encoding="utf-8",
        )
        # The first Union State entry comes back with the house form, the
        # others as the fake engine leaves them (English with a "[be] " prefix).
        first = union[0].msgid[:20]
        server.transform_next(
            fn=lambda text: (
                text.replace("Union State", "Саюзнай дзяржавы") if first in text else text
            )
        )
        code, out, err = run(
            capsys, "draft", "--root", str(root), "--locale", "be", "--engine", "libre", "--json"
        )
    assert code == 0, err
    report = json.loads(out)
    assert report["total"] == 3 and report["glossary_misses"] == {"be": 1}
    after = {e.msgid: e for e in read_po(path)}
    notes = {m: e.tcomment for m, e in after.items() if "glossary:" in e.tcomment}
    assert len(notes) == 1
    ((msgid, note),) = notes.items()
    assert "Union State" in msgid and "[be] " in after[msgid].msgstr
    assert note.endswith("glossary: the draft lacks Саюзная дзяржава (Union State)")
    assert "glossary:" not in after[other.msgid].tcomment  # no term in it


@pytest.mark.skipif(shutil.which("apertium") is None, reason="apertium is not installed")
def test_apertium_pivot_keeps_the_house_form_of_a_term(
    capsys: pytest.CaptureFixture[str], glossary_root: Path
) -> None:
    """A term in the reviewed Russian in its house form goes through apertium
    as the Belarusian house form (apertium alone writes "Всебелорусское
    народная зборня"); an inflected form is left to apertium."""
    root = glossary_root
    slug = "week-12-new-local-councils"
    ru_path = root / "locales" / "ru" / f"{slug}.po"
    be_path = root / "locales" / "be" / f"{slug}.po"
    ru = read_po(ru_path)
    (body,) = [e for e in ru if "People's Assembly" in e.msgid and e.msgctxt is None]
    body.msgstr = "Всебелорусское народное собрание соберётся весной."
    ru_path.write_text(format_po(ru), encoding="utf-8")
    be = read_po(be_path)
    for entry in be:
        if "People's Assembly" in entry.msgid:
            entry.msgstr = ""
    be_path.write_text(format_po(be), encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.edition]\nlocales = ["be", "ru"]\n[tool.edition.routes]\nbe = ["pivot:ru+apertium"]\n',
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "draft", "--root", str(root), "--locale", "be")
    assert code == 0, err
    after: dict[tuple[str | None, str], polib.POEntry] = {
        (e.msgctxt, e.msgid): e for e in read_po(be_path)
    }
    drafted = after[None, body.msgid]
    assert drafted.fuzzy and drafted.msgstr.startswith("Усебеларускі народны сход ")
    assert "зборня" not in drafted.msgstr and "⟦" not in drafted.msgstr
    # The lead has the genitive (Всебелорусского народного собрания): apertium's own.
    lead = next(e for (ctxt, _m), e in after.items() if ctxt == "lead")
    assert lead.fuzzy and lead.msgstr and "Усебеларускі народны сход" not in lead.msgstr


def test_protect_terms_takes_whole_words_only_and_restores_the_rendering() -> None:
    from workflow.markup import protect, protect_terms, restore

    text = "Лукашенко и Лукашенковы встретились: см. `Лукашенко` и https://x.example/Лукашенко"
    p = protect_terms(protect(text), [("Лукашенко", "Лукашэнка")])
    assert p.text.count("Лукашенко") == 1  # inside "Лукашенковы"; code and URL were protected
    assert restore(p.text, p) == (
        "Лукашэнка и Лукашенковы встретились: см. `Лукашенко` и https://x.example/Лукашенко"
    )
