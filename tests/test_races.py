"""A translator's saves racing sync and draft: nothing is lost.

A writer process plays a translator in Poedit or a script using polib: it
reads the catalog, changes one translation, and saves, in turns as polib
does (truncate, then write, here in two halves with pauses, so that half of
the file sits on disk for a while) and as Poedit does (a temporary file
renamed over the catalog).  Meanwhile this process edits the article and
runs sync and draft again and again.  Afterwards every reviewed entry is
still there, reviewed, and every one of the translator's saves is in the file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polib
import pytest

from workflow import guard
from workflow.config import load_settings
from workflow.draft import draft
from workflow.errors import WorkflowError
from workflow.sync import sync

from .conftest import ROOT
from .conftest import EchoEngine as _Echo

A = "week-12-new-local-councils"
ROUNDS = 30

WRITER = textwrap.dedent(
    """
    import os, random, sys, time
    import polib

    path, rounds = sys.argv[1], int(sys.argv[2])
    random.seed(14)
    for k in range(rounds):
        with open(path, encoding="utf-8") as f:
            po = polib.pofile(f.read())
        done = [e for e in po if e.msgstr and not e.fuzzy and e.msgctxt is None]
        if not done:
            sys.exit(f"round {k}: every reviewed entry is gone from the catalog")
        done[k % len(done)].msgstr += f"_SAVE{k}_"
        data = po.__unicode__().encode("utf-8")
        if k % 2 == 0:
            # polib's save: truncate, then write; here in two halves, cut at
            # an entry boundary, with pauses in between.
            cut = data.index(b"\\n\\n", len(data) // 2) + 2
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            time.sleep(random.uniform(0, 0.08))
            os.write(fd, data[:cut])
            time.sleep(random.uniform(0, 0.08))
            os.write(fd, data[cut:])
            os.close(fd)
        else:
            tmp = path + ".poedit.tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        time.sleep(random.uniform(0, 0.06))
    """
)


def _reviewed(path: Path) -> dict[str, str]:
    return {
        e.msgid: e.msgstr
        for e in polib.pofile(str(path))
        if e.msgstr and not e.fuzzy and not e.obsolete and e.msgctxt is None
    }


def test_translator_saves_racing_sync_and_draft_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The translator's editor saves versions it read before sync added
    # entries: sync refuses those until they are left alone this long.
    monkeypatch.setattr(guard, "QUIET_SECONDS", 1.0)
    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    (root / "pyproject.toml").write_text('[tool.edition]\nlocales = ["be", "ru"]\n')
    settings = load_settings(root)
    article = root / "articles" / f"{A}.md"
    po = root / "locales" / "be" / f"{A}.po"
    assert not sync(settings, [article], jobs=1).errors
    before = _reviewed(po)
    assert len(before) > 30

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(po), str(ROUNDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    runs = refused = 0
    started = time.monotonic()
    try:
        while writer.poll() is None or runs < ROUNDS:
            with article.open("a", encoding="utf-8") as f:
                f.write(f"\nParagraph number {runs} added while the translator works.\n")
            report = sync(settings, [article], jobs=1)
            refused += len(report.errors)
            try:
                drafted = draft(
                    settings, [A], ["be"], engine="fake", factory=lambda n, s: _Echo(), wait=30
                )
                refused += len(drafted.errors)
            except WorkflowError:
                refused += 1
            runs += 1
    finally:
        _out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err.decode()
    # Once the translator has stopped, sync and draft go through.
    time.sleep(1.1)
    assert not sync(settings, [article], jobs=1).errors
    assert not draft(settings, [A], ["be"], engine="fake", factory=lambda n, s: _Echo()).errors
    after = _reviewed(po)
    for msgid, msgstr in before.items():
        assert msgid in after, f"reviewed entry lost: {msgid!r}"
        assert after[msgid].startswith(msgstr)
    text = "\n".join(e.msgstr for e in polib.pofile(str(po)))
    lost = [k for k in range(ROUNDS) if f"_SAVE{k}_" not in text]
    assert not lost, f"saves lost: {lost} (runs {runs}, refused {refused})"
    assert time.monotonic() - started < 60


def test_a_save_waiting_on_the_lease_while_sync_renames_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editor opens the catalog to write (truncating, as polib does) just
    # after sync checked it: its open waits on sync's lease and then writes
    # into the file it opened, the old one, whatever name that has by then.
    from workflow import files

    path = tmp_path / "x.po"
    path.write_bytes(b"what sync read\n")
    ours = tmp_path / "x.po.new"
    ours.write_bytes(b"what sync wrote\n")
    editors: list[subprocess.Popen[bytes]] = []
    real = files._holds

    def holds(target: Path, expect: object) -> bool:
        held = real(target, expect)
        if not editors and target == path:
            editors.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        "import os, sys; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC); "
                        "os.write(fd, b'the editor saved\\n')",
                        str(path),
                    ]
                )
            )
            time.sleep(0.5)  # its open is now waiting on the lease
        return held

    monkeypatch.setattr(files, "_holds", holds)
    with guard.read_lease(path) as lease:
        if not lease.held:
            pytest.skip("this filesystem grants no read lease")
    assert not files._replace_if(str(ours), path, b"what sync read\n")
    assert editors[0].wait(timeout=30) == 0
    assert path.read_bytes() == b"the editor saved\n"
