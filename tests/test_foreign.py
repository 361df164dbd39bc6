"""Catalogs saved by the translators' real tools (issue 13).

Each writer a newsroom meets re-saves a reviewed catalog of the sample after
a translator changed one msgstr: GNU msgcat (Poedit and Lokalize format
through gettext) with its default, ``--no-wrap`` and ``-w 77`` layouts,
polib, Babel, and translate-toolkit's ``translate.storage.po`` (Weblate's
writer) at the widths Weblate's ``po_line_wrap`` takes.  None of them is
byte-identical to our msgcat 79 layout, and none of them changes content, so:
status is not out of date, ``sync --check`` passes, ``sync`` leaves the
bytes alone; after an English edit sync rewrites only the changed entry's
lines (and the header's POT-Creation-Date), in the layout the file has.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from babel.messages.pofile import read_po as babel_read_po
from babel.messages.pofile import write_po as babel_write_po
from translate.storage import pypo

from workflow.cli import main
from workflow.poformat import format_po, parse_po

from .test_status import status

SLUG = "week-12-new-local-councils"
#: The English edit: one sentence of one paragraph, no line added or removed.
EDIT = ("roughly 51% of the new", "about 51% of the new")
#: The entry whose msgstr the translator changes before saving: long, with
#: «», so that each tool wraps the new text its own way.
CHANGED = "Under the constitutional amendments adopted in 2022"


#: A second one, 72 columns long: translate-toolkit at 77 puts it on the
#: msgstr line, msgcat at 79 does not.
CHANGED_TOO = "heads of enterprises and their deputies make up"


def _is_changed(msgid: str) -> bool:
    return msgid.startswith((CHANGED, CHANGED_TOO))


def _new_text(old: str) -> str:
    if old.startswith("прыкладна кожны пяты"):
        return old.replace("прыкладна", "практычна", 1)
    assert "народаўладдзя»," in old
    return old.replace("народаўладдзя»,", "народаўладдзя» (так у законе),")


def _with_msgcat(*options: str) -> Callable[[Path], None]:
    def save(path: Path) -> None:
        # The translator's change, then the tool's save through gettext.
        po = parse_po(path.read_text(encoding="utf-8"), str(path))
        for entry in po:
            if _is_changed(entry.msgid):
                entry.msgstr = _new_text(entry.msgstr)
        path.write_text(format_po(po), encoding="utf-8")
        subprocess.run(["msgcat", *options, "-o", str(path), str(path)], check=True)

    return save


def _with_polib(width: int) -> Callable[[Path], None]:
    def save(path: Path) -> None:
        po = polib.pofile(str(path), wrapwidth=width)
        for entry in po:
            if _is_changed(entry.msgid):
                entry.msgstr = _new_text(entry.msgstr)
        po.save(str(path))

    return save


def _with_babel(path: Path) -> None:
    with path.open("rb") as handle:
        catalog = babel_read_po(handle, locale="be")
    for message in catalog:
        if isinstance(message.id, str) and message.id and _is_changed(message.id):
            assert isinstance(message.string, str)
            message.string = _new_text(message.string)
    out = io.BytesIO()
    babel_write_po(out, catalog)
    path.write_bytes(out.getvalue())


def _with_translate_toolkit(width: int) -> Callable[[Path], None]:
    def save(path: Path) -> None:
        store = pypo.pofile(path.read_bytes(), width=width)
        for unit in store.units:
            if _is_changed(unit.source):
                unit.target = _new_text(unit.target)
        # What Weblate does to the header on each commit.
        store.updateheader(  # type: ignore[no-untyped-call]
            add=True,
            PO_Revision_Date="2026-12-04 12:00+0000",
            Last_Translator="Alena Kazlova <be@example.org>",
            X_Generator="Weblate 2026.1",
        )
        out = io.BytesIO()
        store.serialize(out)
        path.write_bytes(out.getvalue())

    return save


WRITERS: dict[str, Callable[[Path], None]] = {
    "msgcat": _with_msgcat(),
    "msgcat --no-wrap": _with_msgcat("--no-wrap"),
    "msgcat -w 77": _with_msgcat("-w", "77"),
    "polib wrapwidth=0": _with_polib(0),
    "polib wrapwidth=78": _with_polib(78),
    "babel write_po": _with_babel,
    "translate-toolkit 77": _with_translate_toolkit(77),
    "translate-toolkit 65535": _with_translate_toolkit(65535),
    "translate-toolkit -1": _with_translate_toolkit(-1),
}
#: The gettext layout each writer's output is, where it is one exactly.
MSGCAT_FAMILY = {
    "msgcat": [],
    "msgcat --no-wrap": ["--no-wrap"],
    "msgcat -w 77": ["-w", "77"],
    "polib wrapwidth=0": ["--no-wrap"],
}


def edition(capsys: pytest.CaptureFixture[str], root: Path, locale: str) -> dict:  # type: ignore[type-arg]
    data = status(capsys, root, "--article", SLUG)
    article = data["articles"][0]
    assert article["slug"] == SLUG
    result: dict = article["locales"][locale]  # type: ignore[type-arg]
    return result


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def blocks(text: str) -> list[str]:
    return text.rstrip("\n").split("\n\n")


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_tools_save_is_up_to_date_and_left_alone(
    writer: str, newsroom: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(newsroom)
    assert cli(capsys, "sync", "--root", root)[0] == 0
    path = newsroom / "locales" / "be" / f"{SLUG}.po"
    before = path.read_bytes()
    WRITERS[writer](path)
    saved = path.read_bytes()
    assert saved != before, "the writer changed nothing: the case proves nothing"
    changed = next(e for e in parse_po(saved.decode(), str(path)) if _is_changed(e.msgid))
    assert "(так у законе)" in changed.msgstr

    be = edition(capsys, newsroom, "be")
    assert not be["outdated"], f"{writer}: a layout is not out of date"
    if writer == "babel write_po":
        # Babel flags "51% of" python-format: a catalog msgfmt -c refuses.
        assert not be["ready"] and be["errors"] > 0
    else:
        assert be["ready"], be
    code, out, err = cli(capsys, "sync", "--root", root, "--check")
    assert code == 0, out + err
    pot = (newsroom / "locales" / f"{SLUG}.pot").read_bytes()
    assert cli(capsys, "sync", "--root", root)[0] == 0
    assert path.read_bytes() == saved, f"sync rewrote what {writer} saved"
    assert (newsroom / "locales" / f"{SLUG}.pot").read_bytes() == pot
    if writer != "babel write_po":
        code, out, err = cli(capsys, "publish", "--root", root, "--json")
        assert code == 0, err
        assert SLUG in out and "held" in out
        assert f'"{SLUG}"' not in out.split('"held"')[1].split("]")[0]

    # The English changes under one entry: only that entry's lines move.
    article = newsroom / "articles" / f"{SLUG}.md"
    english = article.read_text(encoding="utf-8")
    assert english.count(EDIT[0]) == 1
    article.write_text(english.replace(*EDIT), encoding="utf-8")
    assert cli(capsys, "sync", "--root", root, "--check")[0] == 1
    assert cli(capsys, "sync", "--root", root)[0] == 0
    after = path.read_bytes().decode()
    old_blocks, new_blocks = blocks(saved.decode()), blocks(after)
    changed_old = [b for b in old_blocks if b not in new_blocks]
    changed_new = [b for b in new_blocks if b not in old_blocks]
    # The header (its POT-Creation-Date) and the one entry; nothing else.
    assert len(changed_old) == len(changed_new) == 2, (changed_old, changed_new)
    assert "POT-Creation-Date" in changed_new[0]
    header_diff = set(changed_old[0].split("\n")) ^ set(changed_new[0].split("\n"))
    assert all("POT-Creation-Date" in line for line in header_diff), header_diff
    entry = next(e for e in parse_po(after, str(path)) if e.previous_msgid is not None)
    assert "fuzzy" in entry.flags and EDIT[0] in (entry.previous_msgid or "")
    assert [b for b in old_blocks if b in new_blocks] == [b for b in new_blocks if b in old_blocks]
    if writer in MSGCAT_FAMILY:
        # The layout family was kept: gettext writes the whole file so.
        again = subprocess.run(
            ["msgcat", *MSGCAT_FAMILY[writer], str(path)], capture_output=True, check=True
        )
        assert again.stdout.decode() == after
    # And the next sync has nothing to do.
    assert cli(capsys, "sync", "--root", root, "--check")[0] == 0
    assert path.read_bytes().decode() == after


def test_drafting_keeps_the_layout_too(newsroom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`edition draft` fills an entry of a catalog Poedit saved without
    wrapping: only that entry's lines move, and the file stays --no-wrap."""
    root = str(newsroom)
    path = newsroom / "locales" / "be" / f"{SLUG}.po"
    po = parse_po(path.read_text(encoding="utf-8"), str(path))
    target = next(e for e in po if _is_changed(e.msgid))
    target.msgstr = ""
    path.write_text(format_po(po), encoding="utf-8")
    subprocess.run(["msgcat", "--no-wrap", "-o", str(path), str(path)], check=True)
    saved = path.read_text(encoding="utf-8")
    code, out, err = cli(
        capsys, "draft", "--root", root, "--locale", "be", "--engine", "pivot:ru+apertium"
    )
    assert code == 0, out + err
    after = path.read_text(encoding="utf-8")
    changed = [b for b in blocks(after) if b not in blocks(saved)]
    assert len(changed) == 1 and "# draft: pivot:ru+apertium" in changed[0]
    assert len(blocks(after)) == len(blocks(saved))
    again = subprocess.run(["msgcat", "--no-wrap", str(path)], capture_output=True, check=True)
    assert again.stdout.decode() == after
