"""msgmerge's semantics where they protect the reviewer (issue 13), the
``msgfmt --check`` gate, and the `wrap` and `references` settings.

Each case runs the real CLI on a small content root; where GNU msgmerge has
an answer (`#|` of a twice-changed sentence, a plain draft), the test asks
it too and expects the same.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from workflow.cli import main
from workflow.poformat import format_po, parse_po, read_po

SLUG = "council"
HEAD = "---\ntitle: The council\ndate: 2026-11-30\n---\n\n"


def write_root(tmp_path: Path, body: str, settings: str = "") -> Path:
    root = tmp_path / "root"
    (root / "articles").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[tool.edition]\nlocales = ["be"]\n{settings}', encoding="utf-8"
    )
    (root / "articles" / f"{SLUG}.md").write_text(HEAD + body, encoding="utf-8")
    return root


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def sync(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> str:
    code, out, err = cli(capsys, "sync", "--root", str(root), *extra)
    assert code == 0, out + err
    return out


def po_path(root: Path) -> Path:
    return root / "locales" / "be" / f"{SLUG}.po"


def translate(root: Path, texts: dict[str, str], **fields: object) -> None:
    """Give entries a msgstr (and other fields), as a translator's tool would."""
    path = po_path(root)
    po = read_po(path)
    for entry in po:
        if entry.msgid in texts:
            entry.msgstr = texts[entry.msgid]
            for name, value in fields.items():
                setattr(entry, name, value)
        elif entry.msgctxt == "title":
            entry.msgstr = "Савет"
    path.write_text(format_po(po), encoding="utf-8")


def entry(root: Path, msgid: str) -> object:
    return next(e for e in read_po(po_path(root)) if e.msgid == msgid)


def edit(root: Path, old: str, new: str) -> None:
    article = root / "articles" / f"{SLUG}.md"
    text = article.read_text(encoding="utf-8")
    assert old in text
    article.write_text(text.replace(old, new), encoding="utf-8")


def msgmerge(root: Path, tmp_path: Path) -> str:
    """What GNU msgmerge --previous makes of the catalog and the template."""
    out = tmp_path / "msgmerge.po"
    subprocess.run(
        [
            "msgmerge",
            "--previous",
            "-q",
            "-o",
            str(out),
            str(po_path(root)),
            str(root / "locales" / f"{SLUG}.pot"),
        ],
        check=True,
    )
    return out.read_text(encoding="utf-8")


def test_a_sentence_changed_twice_keeps_the_english_that_was_translated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_root(tmp_path, "The council met on Monday in the capital.\n")
    sync(capsys, root)
    translate(root, {"The council met on Monday in the capital.": "Савет сабраўся ў панядзелак."})
    edit(root, "Monday", "Tuesday")
    sync(capsys, root)
    first = entry(root, "The council met on Tuesday in the capital.")
    assert first.previous_msgid == "The council met on Monday in the capital."  # type: ignore[attr-defined]
    saved = po_path(root).read_text(encoding="utf-8")
    edit(root, "Tuesday", "Wednesday")
    sync(capsys, root)
    second = entry(root, "The council met on Wednesday in the capital.")
    # The reviewer compares with what was translated, not the step between.
    assert second.previous_msgid == "The council met on Monday in the capital."  # type: ignore[attr-defined]
    assert second.msgstr == "Савет сабраўся ў панядзелак."  # type: ignore[attr-defined]
    assert "fuzzy" in second.flags  # type: ignore[attr-defined]
    # GNU msgmerge says the same, from the catalog as it was.
    ours = po_path(root).read_text(encoding="utf-8")
    po_path(root).write_text(saved, encoding="utf-8")
    theirs = msgmerge(root, tmp_path)
    assert '#| msgid "The council met on Monday in the capital."' in theirs
    assert '#| msgid "The council met on Monday in the capital."' in ours


def test_a_plain_draft_stays_a_draft(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_root(tmp_path, "Prices rose sharply in May across the country.\n")
    sync(capsys, root)
    translate(
        root,
        {"Prices rose sharply in May across the country.": "Цэны рэзка выраслі ў маі па краіне."},
        flags=["fuzzy"],
        tcomment="draft: apertium",
    )
    saved = po_path(root).read_text(encoding="utf-8")
    edit(root, "in May", "in June")
    sync(capsys, root)
    draft = entry(root, "Prices rose sharply in June across the country.")
    assert draft.previous_msgid is None  # type: ignore[attr-defined]
    assert draft.flags == ["fuzzy"]  # type: ignore[attr-defined]
    assert draft.tcomment == "draft: apertium"  # type: ignore[attr-defined]
    assert draft.msgstr == "Цэны рэзка выраслі ў маі па краіне."  # type: ignore[attr-defined]
    po_path(root).write_text(saved, encoding="utf-8")
    theirs = msgmerge(root, tmp_path)
    assert "#|" not in theirs and "Цэны рэзка выраслі ў маі па краіне." in theirs
    _code, out, _err = cli(capsys, "status", "--root", str(root), "--json")
    data = json.loads(out)["articles"][0]["locales"]["be"]
    assert data["draft"] == 1 and data["stale"] == 0


def test_flags_gettext_does_not_know_survive_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "The assembly has 1,200 delegates.\n\nIt meets once a year in Minsk.\n"
    root = write_root(tmp_path, body)
    sync(capsys, root)
    flags = ["ignore-end-punctuation", "max-length:400", "read-only"]
    translate(root, {"The assembly has 1,200 delegates.": "У сходзе 1 200 дэлегатаў."}, flags=flags)
    translate(root, {"It meets once a year in Minsk.": "Ён збіраецца раз на год у Мінску."})
    assert "#, ignore-end-punctuation, max-length:400, read-only\n" in po_path(root).read_text()
    # Another sentence changes: the flagged entry is carried as it is.
    edit(root, "once a year", "twice a year")
    sync(capsys, root)
    text = po_path(root).read_text(encoding="utf-8")
    assert "#, ignore-end-punctuation, max-length:400, read-only\n" in text
    # Its own sentence changes: fuzzy, the flags still there.
    edit(root, "1,200 delegates", "1,200 delegates at most")
    sync(capsys, root)
    changed = entry(root, "The assembly has 1,200 delegates at most.")
    assert changed.flags == ["fuzzy", *flags]  # type: ignore[attr-defined]
    assert (
        "#, fuzzy, ignore-end-punctuation, max-length:400, read-only\n" in po_path(root).read_text()
    )


def test_a_comment_on_an_untranslated_entry_survives_its_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "The first sentence stays here.\n\nThe second sentence will be cut.\n"
    root = write_root(tmp_path, body)
    sync(capsys, root)
    path = po_path(root)
    po = read_po(path)
    for e in po:
        if e.msgid == "The second sentence will be cut.":
            e.tcomment = "ask the desk about the term"
    path.write_text(format_po(po), encoding="utf-8")
    edit(root, "\n\nThe second sentence will be cut.\n", "\n")
    out = sync(capsys, root)
    assert "1 obsolete" in out
    text = path.read_text(encoding="utf-8")
    assert '# ask the desk about the term\n#~ msgid "The second sentence will be cut."\n' in text
    written = [e for e in parse_po(text, str(path)) if e.obsolete]
    assert len(written) == 1  # what the report says is what is written
    # msgfmt accepts it, and the edition is not held for it.
    assert subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)]).returncode == 0
    # And it comes back, comment and all, with its sentence.
    edit(root, "stays here.\n", "stays here.\n\nThe second sentence will be cut.\n")
    sync(capsys, root)
    back = entry(root, "The second sentence will be cut.")
    assert back.tcomment == "ask the desk about the term"  # type: ignore[attr-defined]
    assert not back.obsolete  # type: ignore[attr-defined]


def test_a_catalog_msgfmt_refuses_is_an_error_and_not_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_root(tmp_path, "Turnout was 60% of voters in the region.\n")
    sync(capsys, root)
    # What Babel writes: python-format on a sentence with "60% of".
    translate(
        root,
        {"Turnout was 60% of voters in the region.": "Яўка склала 60% выбаршчыкаў у рэгіёне."},
        flags=["python-format"],
    )
    path = po_path(root)
    refused = subprocess.run(
        ["msgfmt", "-c", "-o", os.devnull, str(path)], capture_output=True, text=True
    )
    assert refused.returncode != 0
    line = next(
        int(row.split(":")[1]) for row in refused.stderr.splitlines() if "Python format" in row
    )
    # A msgfmt that counts its runs, to see the verdict cached by content.
    tools = tmp_path / "bin"
    tools.mkdir()
    runs = tmp_path / "msgfmt-runs"
    real = shutil.which("msgfmt")
    wrapper = tools / "msgfmt"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    code, out, _err = cli(capsys, "check", "--root", str(root))
    assert code == 1
    # msgfmt's own file and line, its message, as an error.
    assert re.search(rf"locales/be/{SLUG}\.po:{line}: .*\n +error +\[msgfmt\] 'msgstr' is not", out)
    code, out, _err = cli(capsys, "status", "--root", str(root), "--json")
    be = json.loads(out)["articles"][0]["locales"]["be"]
    assert not be["ready"] and be["errors"] == 1 and be["percent"] == 100.0
    code, out, _err = cli(capsys, "publish", "--root", str(root), "--json")
    assert SLUG in json.dumps(json.loads(out)["held"]), out
    # The verdict is cached by content: msgfmt ran once for three commands.
    assert runs.read_text().count("run") == 1
    # Without the flag, the same translation is ready.
    translate(
        root,
        {"Turnout was 60% of voters in the region.": "Яўка склала 60% выбаршчыкаў у рэгіёне."},
        flags=[],
    )
    code, out, _err = cli(capsys, "status", "--root", str(root), "--json")
    assert json.loads(out)["articles"][0]["locales"]["be"]["ready"]


LONG = (
    "The Central Election Commission said that turnout in the regions was higher "
    "than in Minsk, where fewer than half of the registered voters took part.\n\n"
    "A second paragraph that is short.\n"
)


@pytest.mark.parametrize(
    ("setting", "options"),
    [("wrap = 79", []), ("wrap = 77", ["-w", "77"]), ('wrap = "no-wrap"', ["--no-wrap"])],
)
def test_the_wrap_setting_is_msgcats_page_width(
    setting: str, options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_root(tmp_path, LONG, setting + "\n")
    sync(capsys, root)
    for path in (po_path(root), root / "locales" / f"{SLUG}.pot"):
        gettext = subprocess.run(["msgcat", *options, str(path)], capture_output=True, check=True)
        assert gettext.stdout == path.read_bytes(), setting
    strings = [line for line in po_path(root).read_text().splitlines() if line[:1] in 'm"']
    widths = {len(line) for line in strings}
    assert (max(widths) > 79) == (options == ["--no-wrap"])


def test_references_by_file_do_not_move_with_the_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_root(tmp_path, LONG, 'references = "file"\n')
    sync(capsys, root)
    path = po_path(root)
    text = path.read_text(encoding="utf-8")
    assert f"#: articles/{SLUG}.md\n" in text and f"articles/{SLUG}.md:" not in text
    assert "#. paragraph\n" in text  # what, not where
    located = subprocess.run(
        ["msgcat", "--add-location=file", str(path)], capture_output=True, check=True
    )
    assert located.stdout.decode() == text
    # A paragraph inserted at the top: one new entry, no other line moves.
    edit(root, "The Central", "A new first paragraph.\n\nThe Central")
    sync(capsys, root)
    after = path.read_text(encoding="utf-8")
    new_lines = [line for line in after.splitlines() if line not in text.splitlines()]
    assert [line for line in new_lines if "POT-Creation-Date" not in line] == [
        'msgid "A new first paragraph."'
    ]
    old_blocks = text.rstrip("\n").split("\n\n")[1:]
    assert all(block in after.split("\n\n") for block in old_blocks[1:-1])
    assert {line for line in text.splitlines()} - set(after.splitlines()) <= {
        line for line in text.splitlines() if "POT-Creation-Date" in line
    }


@pytest.mark.parametrize(
    ("setting", "hint"),
    [
        ("wrap = 0", "no-wrap"),
        ('wrap = "none"', "no-wrap"),
        ("wrap = true", "no-wrap"),
        ('references = "never"', "'file'"),
        ('refrences = "file"', "did you mean 'references'?"),
    ],
)
def test_bad_layout_settings_are_refused(
    setting: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_root(tmp_path, LONG, setting + "\n")
    code, _out, err = cli(capsys, "sync", "--root", str(root))
    assert code in (2, 3)
    assert "pyproject.toml" in err and hint in err and "Traceback" not in err


def test_a_header_msgfmt_refuses_is_an_error_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_root(tmp_path, "The council met.\n")
    sync(capsys, root)
    translate(root, {"The council met.": "Савет сабраўся."})
    path = po_path(root)
    text = path.read_text(encoding="utf-8")
    start = text.index('"Plural-Forms: ')
    end = text.index('\\n"\n', start)
    broken = text[:start] + '"Plural-Forms: nplurals=1; plural=(n != 1);' + text[end:]
    path.write_text(broken, encoding="utf-8")
    code, out, _err = cli(capsys, "check", "--root", str(root))
    assert code == 1
    assert re.search(r"error +\[msgfmt\] nplurals = 1 but plural expression", out), out
    refused = subprocess.run(
        ["msgfmt", "-c", "-o", os.devnull, str(path)], capture_output=True, text=True
    )
    line = next(int(r.split(":")[1]) for r in refused.stderr.splitlines() if "nplurals" in r)
    assert f"locales/be/{SLUG}.po:{line}:" in out
    _code, out, _err = cli(capsys, "status", "--root", str(root), "--json")
    assert not json.loads(out)["articles"][0]["locales"]["be"]["ready"]
