"""Crash safety and concurrent edits, with real processes and real signals.

* `sync` killed with SIGKILL at random points: every catalog still parses and
  passes `msgfmt -c`, no translation or translator comment is gone, and a
  re-run completes.
* A translator saving a PO file while `sync` runs, both as a plain
  truncate-and-write (as many editors do) and as an atomic rename (as Poedit
  does): the translator's text always survives.

Time-bounded: a few dozen short runs on a 24-article root.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from workflow.errors import CatalogError
from workflow.poformat import format_po, read_po

REPO = Path(__file__).resolve().parent.parent
COPIES = 6  # 4 sample articles x 6 = 24 articles, 72 catalogs


def _edition(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workflow", *args, "--root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


def _run(root: Path, *args: str) -> tuple[int, str]:
    proc = _edition(root, *args)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out.decode() + err.decode()


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    """A content root of 24 articles whose catalogs are fully translated."""
    root = tmp_path / "root"
    (root / "articles").mkdir(parents=True)
    for lang in ("be", "ru"):
        (root / "locales" / lang).mkdir(parents=True)
    sample = [p.stem for p in sorted((REPO / "articles").glob("*.md"))]
    for n in range(COPIES):

        def renamed(text: str, n: int = n) -> str:
            """Links between the sample's articles go to the same copy's."""
            for other in sample:
                text = text.replace(f"({other}.md)", f"({other}-{n}.md)")
            return text

        for article in sorted((REPO / "articles").glob("*.md")):
            slug = f"{article.stem}-{n}"
            text = article.read_text(encoding="utf-8")
            (root / "articles" / f"{slug}.md").write_text(renamed(text), encoding="utf-8")
            for lang in ("be", "ru"):
                po = read_po(REPO / "locales" / lang / f"{article.stem}.po")
                for entry in po:
                    entry.msgid, entry.msgstr = renamed(entry.msgid), renamed(entry.msgstr)
                target = root / "locales" / lang / f"{slug}.po"
                target.write_text(format_po(po), encoding="utf-8")
    code, out = _run(root, "sync", "-q")
    assert code == 0, out
    return root


def _work(root: Path) -> dict[str, Counter[str]]:
    """What translators wrote, per catalog: every msgstr and translator comment."""
    work: dict[str, Counter[str]] = {}
    for po_path in sorted((root / "locales").glob("*/*.po")):
        po = read_po(po_path)
        found: Counter[str] = Counter()
        for entry in [*po, *po.obsolete_entries()]:
            if entry.msgstr:
                found["msgstr:" + entry.msgstr] += 1
            if entry.tcomment:
                found["comment:" + entry.tcomment] += 1
        work[str(po_path.relative_to(root))] = found
    return work


def _assert_kept(before: dict[str, Counter[str]], after: dict[str, Counter[str]]) -> None:
    for name, items in before.items():
        assert name in after, f"{name} disappeared"
        # Distinct texts only: two entries with one translation may merge.
        missing = set(items) - set(after[name])
        assert not missing, f"{name} lost {sorted(missing)[:3]}"


def _assert_valid(root: Path) -> None:
    files = sorted((root / "locales").glob("*/*.po")) + sorted((root / "locales").glob("*.pot"))
    for path in files:
        read_po(path)
        check = subprocess.run(
            ["msgfmt", "-c", "-o", os.devnull, str(path)], capture_output=True, text=True
        )
        assert check.returncode == 0, f"{path}: {check.stderr}"
    leftovers = [p for p in (root / "locales").rglob("*.tmp")]
    # Temporary files of a killed run may remain; they must never be catalogs.
    assert all(p.name.startswith(".") for p in leftovers)


def _edit_english(root: Path, rng: random.Random, count: int = 5) -> list[str]:
    """Change one sentence in a few articles, so sync has real merging to do."""
    chosen = rng.sample(sorted((root / "articles").glob("*.md")), count)
    for path in chosen:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        body = [
            i
            for i, line in enumerate(lines)
            if line[:1].isalpha() and "." in line and i > 8 and not line.startswith("title")
        ]
        i = rng.choice(body)
        lines[i] = lines[i].replace(".", f" (update {rng.randrange(10**6)}).", 1)
        path.write_text("\n".join(lines), encoding="utf-8")
    return [p.stem for p in chosen]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
def test_sync_survives_sigkill_at_random_points(newsroom: Path) -> None:
    rng = random.Random(20261123)
    # How long an uninterrupted sync with edits takes here, to aim the kills.
    # Interpreter start-up is most of a short run: aim past it.
    started = time.monotonic()
    code, out = _run(newsroom, "--help")
    startup = time.monotonic() - started
    _edit_english(newsroom, rng, count=12)
    started = time.monotonic()
    code, out = _run(newsroom, "sync", "-q")
    full = time.monotonic() - started
    assert code == 0, out
    killed = 0
    for _ in range(50):
        _edit_english(newsroom, rng, count=12)
        before = _work(newsroom)
        proc = _edition(newsroom, "sync", "-q")
        time.sleep(rng.uniform(startup * 0.8, full * 1.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=120)
        _assert_valid(newsroom)
        _assert_kept(before, _work(newsroom))
    assert killed >= 25, f"only {killed} of 50 runs were killed mid-way: aim is off"
    before = _work(newsroom)
    code, out = _run(newsroom, "sync")
    assert code == 0, out
    _assert_valid(newsroom)
    _assert_kept(before, _work(newsroom))
    # And the re-run left the root fully synced.
    code, out = _run(newsroom, "sync", "--check")
    assert code == 0, out


def _translator_edits(path: Path) -> tuple[str, int]:
    """The editor's buffer (the file as opened) and where the edit goes.

    The edit appends to the first one-line, non-empty msgstr: just before
    its closing quote.
    """
    text = path.read_text(encoding="utf-8")
    match = re.search(r'^msgstr "(?!")(.+)"$', text, re.MULTILINE)
    assert match is not None, f"{path} has no one-line msgstr"
    return text, match.end() - 1


def _save(path: Path, buffer: str, at: int, marker: str, atomic: bool) -> None:
    """Save the editor's buffer with ``marker`` added, plain or atomically."""
    data = (buffer[:at] + marker + buffer[at:]).encode("utf-8")
    if atomic:  # Poedit: write a new file, rename it over the old one
        tmp = path.with_name(path.name + "~save")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    else:  # many editors: truncate and write in place
        with open(path, "r+b") as handle:
            handle.truncate(0)
            handle.write(data[: len(data) // 2])
            handle.flush()
            handle.write(data[len(data) // 2 :])


@pytest.mark.parametrize("atomic", [False, True], ids=["plain-write", "atomic-rename"])
def test_translator_saves_during_sync_always_survive(newsroom: Path, atomic: bool) -> None:
    """A translator saves while sync merges that very catalog: the save survives.

    The save lands at a random moment of the sync run, so over the rounds
    many land between sync reading the catalog and replacing it: the window
    in which a careless tool would overwrite the translator.
    """
    rng = random.Random(7 if atomic else 8)
    _edit_english(newsroom, rng, count=12)
    started = time.monotonic()
    code, log = _run(newsroom, "sync", "-q")
    full = time.monotonic() - started
    assert code == 0, log
    for round_ in range(20):
        edited = _edit_english(newsroom, rng, count=12)
        target = newsroom / "locales" / "be" / f"{rng.choice(edited)}.po"
        buffer, at = _translator_edits(target)
        marker = f" [{round_}]"
        proc = _edition(newsroom, "sync", "-q")
        time.sleep(rng.uniform(0.0, full))
        _save(target, buffer, at, marker, atomic)
        out, err = proc.communicate(timeout=120)
        assert marker in _texts(target), (
            f"round {round_}: the translator's save was overwritten by sync "
            f"(sync said: {out.decode()}{err.decode()})"
        )
        # The next run merges what the translator saved over the template.
        code, log = _run(newsroom, "sync", "-q")
        assert code == 0, log
        assert marker in _texts(target)
    _assert_valid(newsroom)


def _texts(path: Path) -> str:
    """Every msgstr of a catalog, joined: markers may be re-wrapped across lines."""
    try:
        po = read_po(path)
    except CatalogError as exc:
        raise AssertionError(f"{path} no longer parses: {exc}") from exc
    return "\n".join(e.msgstr for e in [*po, *po.obsolete_entries()])


def _reviewed_work(root: Path) -> dict[str, dict[tuple[str | None, str], tuple[str, str]]]:
    """Per catalog: every reviewed entry's msgstr and translator comment."""
    from workflow.catalog import State, entry_state

    work: dict[str, dict[tuple[str | None, str], tuple[str, str]]] = {}
    for path in sorted((root / "locales").glob("*/*.po")):
        work[str(path)] = {
            (e.msgctxt, e.msgid): (e.msgstr, e.tcomment)
            for e in read_po(path)
            if not e.obsolete and entry_state(e) is State.REVIEWED
        }
    return work


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
def _drafts(paths: Iterable[Path]) -> dict[tuple[str, str | None, str], str]:
    """Every machine draft in the catalogs: (file, msgctxt, msgid) -> msgstr."""
    found: dict[tuple[str, str | None, str], str] = {}
    for path in paths:
        for e in read_po(path):
            if "draft: libre" in e.tcomment:
                assert "fuzzy" in e.flags, f"{path.name}: a draft not marked fuzzy"
                found[(path.name, e.msgctxt, e.msgid)] = e.msgstr
    return found


def _cached_texts(root: Path) -> set[str]:
    """The texts the drafting cache holds results for (as sent to the engine)."""
    path = root / ".edition" / "drafts-cache.sqlite"
    if not path.is_file():
        return set()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {text for (text,) in db.execute("SELECT text FROM cache")}
    except sqlite3.OperationalError:  # killed before the table was made
        return set()
    finally:
        db.close()


def test_draft_survives_sigkill_at_random_points(newsroom: Path) -> None:
    from tests.libre_server import LibreServer

    rng = random.Random(4)
    with LibreServer(latency=0.01) as server:
        config = newsroom / "pyproject.toml"
        config.write_text(
            f'[tool.edition.engines.libre]\nurl = "{server.url}"\nbatch_size = 4\n'
            "concurrency = 2\n",
            encoding="utf-8",
        )
        # Empty a third of every Russian catalog: real work for every run.
        for path in sorted((newsroom / "locales" / "ru").glob("*.po")):
            po = read_po(path)
            for n, entry in enumerate(e for e in po if not e.obsolete):
                if n % 3 == 1:
                    entry.msgstr = ""
            path.write_text(format_po(po), encoding="utf-8")
        pristine = {p: p.read_bytes() for p in (newsroom / "locales" / "ru").glob("*.po")}
        emptied = sum(1 for p in pristine for e in read_po(p) if e.msgid and not e.msgstr)
        args = ("draft", "--locale", "ru", "--engine", "libre")
        started = time.monotonic()
        code, out = _run(newsroom, *args)
        full = time.monotonic() - started
        assert code == 0, out
        killed = 0
        for n in range(50):
            for path, data in pristine.items():
                path.write_bytes(data)
            shutil.rmtree(newsroom / ".edition", ignore_errors=True)
            before = _reviewed_work(newsroom)
            proc = _edition(newsroom, *args)
            time.sleep(rng.uniform(0.0, full))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.communicate(timeout=120)
            _assert_valid(newsroom)
            after = _reviewed_work(newsroom)
            for name, entries in before.items():
                assert after[name] == entries, f"{name}: reviewed work changed"
            # Whatever was written is a well-formed draft of that entry.
            drafted = _drafts(pristine)
            assert all(text.startswith("[ru] ") for text in drafted.values())
            # A re-run keeps every finished draft, drafts the rest and sends
            # nothing the killed run had already paid for.
            paid = _cached_texts(newsroom)
            server.reset()
            code, out = _run(newsroom, *args)
            assert code == 0, out
            assert not paid & set(server.texts), f"run {n}: cached texts were requested again"
            done = _drafts(pristine)
            assert {k: done.get(k) for k in drafted} == drafted
            assert len(done) == emptied, f"run {n}: the re-run left entries undrafted"
        assert killed >= 25, f"only {killed} of 50 runs were killed mid-way"
        # A re-run after the last kill resumes and completes.
        code, out = _run(newsroom, *args)
        assert code == 0, out
        _assert_valid(newsroom)


def test_publish_survives_sigkill_at_random_points(newsroom: Path) -> None:
    rng = random.Random(5)
    code, out = _run(newsroom, "publish")
    assert code == 0, out
    site = newsroom / "site"

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}

    before = snapshot()
    started = time.monotonic()
    code, out = _run(newsroom, "publish")
    full = time.monotonic() - started
    killed = 0
    catalogs = sorted((newsroom / "locales" / "be").glob("*.po"))
    for n in range(50):
        # A reviewer rewords one sentence, so one article's Belarusian page
        # changes: then the old site and the new one differ, and a site that
        # mixes them (some files updated, some not) is caught.
        po_path = rng.choice(catalogs)
        po = read_po(po_path)
        entry = next(e for e in po if e.msgctxt is None and e.msgstr.endswith("."))
        mark = "абвгдежзклмнопрстуфхцчшыэюя"[n % 27] * (1 + n // 27)  # no digits: a number differs
        entry.msgstr = entry.msgstr[:-1] + f" (правка {mark})."
        po_path.write_text(format_po(po), encoding="utf-8")
        proc = _edition(newsroom, "publish")
        time.sleep(rng.uniform(0.0, full))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=120)
        after_kill = snapshot()
        # A re-run completes and gives the new site.
        code, out = _run(newsroom, "publish")
        assert code == 0, out
        after = snapshot()
        assert after != before and set(after) == set(before)
        # Killed at any point, the site was one whole build: the old or the new.
        assert after_kill in (before, after), f"run {n}: a mixed site was served"
        before = after
    assert killed >= 25, f"only {killed} of 50 runs were killed mid-way"
    # Killed builds are cleaned up by the next run: what stays is the live
    # build and a finished spare (the site one publish earlier).
    builds = set((newsroom / ".site.builds").iterdir())
    assert len(builds) == 2 and site.resolve() in builds, builds
    assert all((b / ".manifest.json").is_file() for b in builds)


@pytest.mark.parametrize("atomic", [False, True], ids=["plain-write", "atomic-rename"])
def test_translator_saves_during_draft_always_survive(newsroom: Path, atomic: bool) -> None:
    from tests.libre_server import LibreServer

    rng = random.Random(11 if atomic else 12)
    with LibreServer(latency=0.02) as server:
        (newsroom / "pyproject.toml").write_text(
            f'[tool.edition.engines.libre]\nurl = "{server.url}"\nbatch_size = 2\n'
            "concurrency = 1\n",
            encoding="utf-8",
        )
        target = newsroom / "locales" / "ru" / "week-21-union-state-tax-accord-0.po"
        for round_ in range(12):
            # Fresh work each round: empty some entries (and the cache).
            po = read_po(target)
            for n, entry in enumerate(e for e in po if not e.obsolete and e.msgctxt is None):
                if n % 4 == round_ % 4:
                    entry.msgstr = ""
                    entry.flags = []
                    entry.tcomment = ""
            target.write_text(format_po(po), encoding="utf-8")
            shutil.rmtree(newsroom / ".edition", ignore_errors=True)
            buffer, at = _translator_edits(target)
            marker = f" [{round_}]"
            proc = _edition(newsroom, "draft", "--locale", "ru", "--engine", "libre")
            time.sleep(rng.uniform(0.2, 0.6))
            _save(target, buffer, at, marker, atomic)
            out, err = proc.communicate(timeout=120)
            assert marker in _texts(target), (
                f"round {round_}: the translator's save was overwritten by draft "
                f"({out.decode()}{err.decode()})"
            )
        _assert_valid(newsroom)
