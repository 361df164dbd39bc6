"""`edition sync` end to end on a temporary content root, checked with gettext."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import polib
import pytest

from workflow.config import load_settings
from workflow.files import release_inherited_locks, root_lock
from workflow.poformat import format_po, parse_po
from workflow.prepare import PARALLEL_MIN
from workflow.sync import sync as run_sync

from .test_cli import edition

EPOCH = "1716800000"  # 2024-05-27 08:53 UTC


@pytest.fixture
def root(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample newsroom with no catalogs yet."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    for po in (newsroom / "locales").rglob("*.po*"):
        po.unlink()
    return newsroom


def sync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return edition("sync", "--root", str(root), *args)


def catalogs(root: Path) -> list[Path]:
    return sorted((root / "locales").rglob("*.po")) + sorted((root / "locales").glob("*.pot"))


def snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in catalogs(root)}


def assert_gettext_agrees(path: Path) -> None:
    msgcat = subprocess.run(["msgcat", str(path)], capture_output=True, check=True)
    assert msgcat.stdout == path.read_bytes(), f"msgcat reformats {path}"
    fmt = subprocess.run(
        ["msgfmt", "-c", "-v", "-o", os.devnull, str(path)], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stderr
    assert "warning" not in fmt.stderr.lower(), fmt.stderr


def translate_all(path: Path, prefix: str = "T: ") -> None:
    po = parse_po(path.read_text(encoding="utf-8"), str(path))
    for entry in po:
        entry.msgstr = prefix + entry.msgid
    path.write_text(format_po(po), encoding="utf-8")


def entry(path: Path, msgid: str, obsolete: bool = False) -> polib.POEntry:
    po = parse_po(path.read_text(encoding="utf-8"), str(path))
    for e in po:
        if e.msgid == msgid and e.obsolete == obsolete:
            return e
    raise AssertionError(f"{msgid!r} not in {path}")


ARTICLE = "week-47-labour-shortages"


def test_sync_writes_catalogs_gettext_accepts_and_a_rerun_touches_nothing(root: Path) -> None:
    result = sync(root)
    assert result.returncode == 0, result.stderr
    slugs = sorted(p.stem for p in (root / "articles").glob("*.md"))
    assert [p.stem for p in (root / "locales").glob("*.pot")] != []
    for slug in slugs:
        for path in (
            root / "locales" / f"{slug}.pot",
            root / "locales" / "be" / f"{slug}.po",
            root / "locales" / "ru" / f"{slug}.po",
        ):
            assert path.is_file()
            assert_gettext_agrees(path)
    be = parse_po((root / "locales/be" / f"{ARTICLE}.po").read_text("utf-8"), "be")
    assert be.metadata["Language"] == "be"
    assert be.metadata["Plural-Forms"].startswith("nplurals=3;")
    assert be.metadata["POT-Creation-Date"] == "2024-05-27 08:53+0000"
    title = next(e for e in be if e.msgctxt == "title")
    assert title.occurrences == [(f"articles/{ARTICLE}.md", "2")]
    assert title.comment == "front matter: title"
    before = snapshot(root)
    again = sync(root)
    assert again.returncode == 0, again.stderr
    assert snapshot(root) == before
    assert f"{len(slugs)} articles up to date" in again.stdout


def test_no_op_without_cache_rewrites_nothing_even_later(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(root).returncode == 0
    before = snapshot(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86400))
    (root / ".edition" / "sync.json").unlink()
    assert sync(root).returncode == 0
    assert snapshot(root) == before


def test_edited_sentence_becomes_stale_and_other_translations_stay(root: Path) -> None:
    assert sync(root).returncode == 0
    po_path = root / "locales" / "ru" / f"{ARTICLE}.po"
    translate_all(po_path)
    untouched_before = {e.msgid: e.msgstr for e in parse_po(po_path.read_text("utf-8"), "x")}
    article = root / "articles" / f"{ARTICLE}.md"
    old = "The shortage has several causes."
    new = "The shortage has several deep causes."
    article.write_text(article.read_text("utf-8").replace(old, new), encoding="utf-8")
    result = sync(root)
    assert result.returncode == 0, result.stderr
    assert "1 stale" in result.stdout
    stale = entry(po_path, new)
    assert stale.fuzzy
    assert stale.previous_msgid == old
    assert stale.msgstr == "T: " + old
    after = parse_po(po_path.read_text("utf-8"), "x")
    for e in after:
        if e.msgid != new and not e.obsolete:
            assert e.msgstr == untouched_before[e.msgid]
            assert not e.fuzzy
    assert_gettext_agrees(po_path)


def test_deleted_paragraph_is_kept_as_obsolete(root: Path) -> None:
    assert sync(root).returncode == 0
    po_path = root / "locales" / "be" / f"{ARTICLE}.po"
    translate_all(po_path, "BE: ")
    article = root / "articles" / f"{ARTICLE}.md"
    text = article.read_text("utf-8")
    paragraph = next(
        p for p in text.split("\n\n") if p.startswith("The shortage has several causes.")
    )
    article.write_text(text.replace(paragraph + "\n\n", ""), encoding="utf-8")
    result = sync(root)
    assert result.returncode == 0, result.stderr
    gone = entry(po_path, "The shortage has several causes.", obsolete=True)
    assert gone.msgstr == "BE: The shortage has several causes."
    assert '#~ msgid "The shortage has several causes."' in po_path.read_text("utf-8")
    assert_gettext_agrees(po_path)
    # The text comes back: the translation is revived, not re-requested.
    article.write_text(text, encoding="utf-8")
    assert sync(root).returncode == 0
    back = entry(po_path, "The shortage has several causes.")
    assert back.msgstr == "BE: The shortage has several causes." and not back.fuzzy


def test_translator_comments_and_fuzzy_flags_survive(root: Path) -> None:
    assert sync(root).returncode == 0
    po_path = root / "locales" / "be" / f"{ARTICLE}.po"
    po = parse_po(po_path.read_text("utf-8"), str(po_path))
    po[3].msgstr = "Чарнавік"
    po[3].flags = ["fuzzy"]
    po[3].tcomment = "draft: google\nask the editor about this term"
    po[4].msgstr = "Гатова"
    po[4].tcomment = "checked by Alena"
    po_path.write_text(format_po(po), encoding="utf-8")
    saved = (po[3].msgid, po[4].msgid)
    article = root / "articles" / f"{ARTICLE}.md"
    article.write_text(
        article.read_text("utf-8") + "\n\nA new closing paragraph.\n", encoding="utf-8"
    )
    assert sync(root).returncode == 0
    first, second = entry(po_path, saved[0]), entry(po_path, saved[1])
    assert (first.msgstr, first.flags, first.tcomment) == (
        "Чарнавік",
        ["fuzzy"],
        "draft: google\nask the editor about this term",
    )
    assert (second.msgstr, second.flags, second.tcomment) == ("Гатова", [], "checked by Alena")
    entry(po_path, "A new closing paragraph.")


def test_malformed_po_is_reported_and_left_untouched(root: Path) -> None:
    assert sync(root).returncode == 0
    bad = root / "locales" / "ru" / f"{ARTICLE}.po"
    broken = bad.read_bytes().replace(b'msgstr ""\n\n#.', b'msgstr "unterminated\n\n#.', 1)
    bad.write_bytes(broken)
    for article in (root / "articles").glob("*.md"):
        article.write_text(
            article.read_text("utf-8") + "\n\nOne more paragraph.\n", encoding="utf-8"
        )
    result = sync(root)
    assert result.returncode == 3
    assert f"{bad}:" in result.stderr
    line = int(result.stderr.split(f"{bad}:")[1].split(":")[0])
    assert broken.split(b"\n")[line - 1].startswith(b"msgstr") or line > 1
    assert bad.read_bytes() == broken
    others = [p for p in catalogs(root) if p != bad]
    for p in others:
        assert "One more paragraph." in p.read_text("utf-8"), p


def test_check_mode_writes_nothing_and_exit_codes(root: Path) -> None:
    assert sync(root, "--check").returncode == 1
    assert catalogs(root) == []
    assert sync(root).returncode == 0
    assert sync(root, "--check").returncode == 0
    article = root / "articles" / f"{ARTICLE}.md"
    article.write_text(
        article.read_text("utf-8").replace("several causes", "many causes"), encoding="utf-8"
    )
    before = snapshot(root)
    result = sync(root, "--check")
    assert result.returncode == 1
    assert "would write locales/be/" in result.stdout
    assert snapshot(root) == before


def test_removed_article_is_reported_and_pruned_on_request(root: Path) -> None:
    assert sync(root).returncode == 0
    (root / "articles" / f"{ARTICLE}.md").unlink()
    result = sync(root)
    assert result.returncode == 0
    assert f"article {ARTICLE} was removed" in result.stdout
    assert (root / "locales" / "be" / f"{ARTICLE}.po").exists()
    result = sync(root, "--prune")
    assert result.returncode == 0
    assert not (root / "locales" / "be" / f"{ARTICLE}.po").exists()
    assert (root / "locales" / ".obsolete" / "be" / f"{ARTICLE}.po").exists()
    assert (root / "locales" / ".obsolete" / f"{ARTICLE}.pot").exists()


def test_a_held_lock_makes_sync_fail_clearly(root: Path) -> None:
    settings = load_settings(root)
    with root_lock(settings.state_dir, what="test"):
        result = sync(root, "--wait", "0.2")
    assert result.returncode == 4
    assert "another edition process" in result.stderr


def test_a_second_sync_waits_for_the_first(root: Path) -> None:
    settings = load_settings(root)
    release = threading.Event()

    def hold() -> None:
        with root_lock(settings.state_dir, what="test"):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflow", "sync", "--root", str(root), "--wait", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    threading.Timer(0.5, release.set).start()
    _out, err = proc.communicate(timeout=60)
    holder.join()
    assert proc.returncode == 0, err
    assert catalogs(root)


def test_concurrent_syncs_leave_valid_files(root: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workflow", "sync", "--root", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    for path in catalogs(root):
        assert_gettext_agrees(path)
    assert not list((root / "locales").rglob("*.tmp"))


def test_touched_but_unchanged_files_stay_cached(root: Path) -> None:
    assert sync(root).returncode == 0
    for path in [*catalogs(root), *(root / "articles").glob("*.md")]:
        os.utime(path, ns=(1, 1))
    result = sync(root)
    articles = len(list((root / "articles").glob("*.md")))
    assert f"{articles} articles up to date" in result.stdout
    article = root / "articles" / f"{ARTICLE}.md"
    article.write_text(article.read_text("utf-8") + "\nMore.\n", encoding="utf-8")
    result = sync(root)
    assert f"{articles - 1} articles up to date" in result.stdout


def test_a_moved_root_keeps_its_cache(root: Path, tmp_path: Path) -> None:
    """State keys are relative to the root: a copy (mtimes kept) is still up to date."""
    assert sync(root).returncode == 0
    moved = tmp_path / "elsewhere" / "newsroom"
    shutil.copytree(root, moved)
    shutil.rmtree(root)
    articles = len(list((moved / "articles").glob("*.md")))
    before = snapshot(moved)
    result = sync(moved)
    assert result.returncode == 0, result.stderr
    assert f"{articles} articles up to date" in result.stdout
    assert snapshot(moved) == before
    state = json.loads((moved / ".edition" / "sync.json").read_text("utf-8"))
    keys = [key for files in state["articles"].values() for key in files]
    assert keys and all(not Path(key).is_absolute() for key in keys)
    assert f"articles/{ARTICLE}.md" in keys
    # Only the article that changed is parsed again.
    article = moved / "articles" / f"{ARTICLE}.md"
    article.write_text(article.read_text("utf-8") + "\nMore.\n", encoding="utf-8")
    result = sync(moved)
    assert f"{articles - 1} articles up to date" in result.stdout


def _many_articles(root: Path, copies: int) -> None:
    """The sample articles, each under several slugs, with a few words changed."""
    for article in sorted((root / "articles").glob("*.md")):
        text = article.read_text("utf-8")
        for n in range(copies):
            copy = root / "articles" / f"{article.stem}-copy-{n}.md"
            copy.write_text(text.replace(" the ", f" the {n} ", 1 + n % 3), encoding="utf-8")


def _run(root: Path, jobs: int) -> list[tuple[str, str, object]]:
    settings = load_settings(root)
    report = run_sync(settings, settings.article_paths(), jobs=jobs)
    assert not report.errors
    return [(str(c.path.relative_to(root)), c.action, c.stats) for c in report.changes]


def test_parallel_sync_writes_what_a_serial_sync_writes(root: Path, tmp_path: Path) -> None:
    _many_articles(root, 5)
    assert len(list((root / "articles").glob("*.md"))) >= PARALLEL_MIN
    # Some translator work, so that the edit below makes stale and obsolete entries.
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    shutil.copytree(root, serial)
    shutil.copytree(root, parallel)
    assert _run(serial, 1) == _run(parallel, 2)
    for tree in (serial, parallel):
        for po in sorted((tree / "locales").rglob("*.po"))[::2]:
            translate_all(po)
        for article in sorted((tree / "articles").glob("*.md"))[::3]:
            text = article.read_text("utf-8").replace(" a ", " one ", 2)
            article.write_text(text.rsplit("\n\n", 2)[0] + "\n", encoding="utf-8")
    changes = _run(serial, 1)
    assert changes == _run(parallel, 2)
    assert any(action == "updated" for _path, action, _stats in changes)
    files = sorted(p.relative_to(serial) for p in (serial / "locales").rglob("*.po*"))
    assert files == sorted(p.relative_to(parallel) for p in (parallel / "locales").rglob("*.po*"))
    for name in files:
        assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name
    stale = [
        e
        for p in (serial / "locales").rglob("*.po")
        for e in polib.pofile(str(p))
        if e.previous_msgid
    ]
    assert stale
    assert not list(parallel.rglob("*.tmp"))


def test_workers_temporary_files_never_outlive_an_early_stop(root: Path) -> None:
    """Workers write the new bytes to temporary files; whatever the consumer
    does not take when it stops early is removed, and what it took is its
    own to remove (a sync's batch)."""
    from workflow.catalog import now_stamp
    from workflow.prepare import _Preparer, prepare_all

    _many_articles(root, 20)
    settings = load_settings(root)
    items = [(path, frozenset[str]()) for path in settings.article_paths()]
    assert len(items) > 64  # more than the window of work in flight
    prepared = prepare_all(_Preparer(settings, now_stamp()), items, jobs=2)
    taken = [next(prepared) for _ in range(3)]
    temps = {Path(p.tmp) for item in taken for p in item.files if p.tmp is not None}
    assert len(temps) == 3 * 3  # a template and two catalogs each
    prepared.close()
    assert set((root / "locales").rglob("*.tmp")) == temps
    for item in taken:
        item.discard()
    assert not list((root / "locales").rglob("*.tmp"))


def test_a_worker_does_not_keep_the_lock_alive(root: Path) -> None:
    """A forked worker closes its copy of the lock: the lock dies with its holder."""
    settings = load_settings(root)
    read_end, write_end = os.pipe()
    with root_lock(settings.state_dir, what="test"):
        pid = os.fork()
        if pid == 0:  # the child: what a worker does first, then it lives on
            release_inherited_locks()
            os.close(write_end)
            os.read(read_end, 1)
            os._exit(0)
    os.close(read_end)
    try:
        # The holder is gone, its worker is not: the lock must be free.
        with root_lock(settings.state_dir, wait=0.5, what="test"):
            pass
    finally:
        os.close(write_end)
        os.waitpid(pid, 0)


def test_a_no_op_sync_reads_only_what_it_needs(root: Path) -> None:
    """No catalog and not even the state file is written, and nothing is parsed."""
    assert sync(root).returncode == 0
    state = root / ".edition" / "sync.json"
    before = state.stat().st_mtime_ns
    probe = (
        "import sys; from workflow.cli import main; code = main(['sync', '--root', sys.argv[1]]); "
        "heavy = [m for m in ('workflow.article', 'workflow.poformat', 'workflow.catalog', "
        "'markdown_it', 'yaml', 'polib', 'babel') if m in sys.modules]; "
        "print('HEAVY', heavy); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(root)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert state.stat().st_mtime_ns == before


def test_a_new_catalog_reuses_the_rendered_template_exactly(root: Path) -> None:
    """The shortcut for new catalogs writes what rendering new_catalog writes."""
    from workflow.article import load_article
    from workflow.catalog import build_template, new_catalog
    from workflow.prepare import _Preparer

    settings = load_settings(root)
    preparer = _Preparer(settings, "2024-05-27 08:53+0000", write=False)
    for path in settings.article_paths():
        prepared = preparer.article(path)
        pot = build_template(load_article(path), settings, "2024-05-27 08:53+0000")
        assert prepared.files[0].data == format_po(pot).encode("utf-8")
        for planned in prepared.files[1:]:
            assert planned.locale is not None and planned.action == "created"
            # With the locale's glossary terms in the comments (workflow.glossary).
            template = preparer.for_locale(pot, planned.locale)
            po = new_catalog(template, planned.locale, settings, "2024-05-27 08:53+0000")
            assert planned.data == format_po(po).encode("utf-8")


def test_version_constant_matches_pyproject() -> None:
    """`workflow.__version__` (which keys sync's state) is the package's version."""
    import tomllib

    import workflow

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    with pyproject.open("rb") as handle:
        assert workflow.__version__ == tomllib.load(handle)["project"]["version"]


def test_changed_text_takes_a_translation_exactly_when_msgmerge_does(tmp_path: Path) -> None:
    """Near the threshold, the fuzzy match agrees with msgmerge's (gettext's
    fstrcmp, a longest-common-subsequence ratio), pair by pair."""
    import random

    from workflow.catalog import merge

    config = load_settings(tmp_path)
    rng = random.Random(7)
    words = "the government plan labour market wages council minister week report".split()
    decisions: list[tuple[bool, bool]] = []
    for _n in range(150):
        old_text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        changed = old_text.split()
        for _ in range(rng.randint(1, 6)):
            op, at = rng.random(), rng.randrange(len(changed) + 1)
            if op < 0.4 and at < len(changed):
                changed[at] = rng.choice(words)
            elif op < 0.7:
                changed.insert(at, rng.choice(words))
            elif at < len(changed):
                del changed[at]
        new_text = " ".join(changed) or "x"
        if new_text == old_text:
            continue
        old = polib.POFile()
        old.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
        old.append(polib.POEntry(msgid=old_text, msgstr="T"))
        pot = polib.POFile()
        pot.metadata = {**old.metadata, "POT-Creation-Date": "2024-05-27 08:53+0000"}
        pot.append(polib.POEntry(msgid=new_text, msgstr=""))
        (tmp_path / "old.po").write_text(format_po(old), encoding="utf-8")
        (tmp_path / "new.pot").write_text(format_po(pot), encoding="utf-8")
        merged = subprocess.run(
            ["msgmerge", "-q", str(tmp_path / "old.po"), str(tmp_path / "new.pot")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        _po, stats = merge(pot, old, "be", config)
        decisions.append(("#, fuzzy" in merged, stats.stale == 1))
    assert len(decisions) > 100
    assert {theirs for theirs, _ in decisions} == {True, False}  # both sides of the line
    assert [ours for _, ours in decisions] == [theirs for theirs, _ in decisions]


def test_a_rewritten_catalog_keeps_its_permissions_and_a_new_one_follows_the_umask(
    root: Path,
) -> None:
    assert sync(root).returncode == 0
    po = root / "locales" / "be" / f"{ARTICLE}.po"
    po.chmod(0o660)  # a newsroom's group setting
    article = root / "articles" / f"{ARTICLE}.md"
    article.write_text(article.read_text("utf-8") + "\nOne more paragraph.\n", "utf-8")
    (root / "locales" / "ru" / f"{ARTICLE}.po").unlink()
    old_umask = os.umask(0o027)
    try:
        assert sync(root).returncode == 0
    finally:
        os.umask(old_umask)
    assert "One more paragraph." in po.read_text("utf-8")
    assert po.stat().st_mode & 0o777 == 0o660
    assert (root / "locales" / "ru" / f"{ARTICLE}.po").stat().st_mode & 0o777 == 0o640


def test_a_temporary_name_left_by_a_killed_run_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools

    from workflow import files

    target = tmp_path / "a.po"
    target.write_bytes(b"old")
    monkeypatch.setattr(files, "_TEMP_NAMES", itertools.count())
    left = tmp_path / f".a.po.{os.getpid()}-0.tmp"
    left.write_bytes(b"left by a killed run")
    tmp, status = files.write_temp(target, b"new")
    assert Path(tmp) == tmp_path / f".a.po.{os.getpid()}-1.tmp"
    assert Path(tmp).read_bytes() == b"new" and status.st_size == 3
    assert left.read_bytes() == b"left by a killed run"
    files.remove_temp(tmp)


def test_read_with_status_reads_whole_files(tmp_path: Path) -> None:
    """Every byte, with the status of the open file: regular files of any
    size, an empty one, and a file whose size says nothing (/proc)."""
    from workflow.files import read_with_status

    for size in (0, 1, 4095, 4096, 70_000):
        path = tmp_path / f"f{size}"
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        path.write_bytes(data)
        got, status = read_with_status(path)
        assert got == data and status.st_size == size
        assert status.st_mtime_ns == path.stat().st_mtime_ns
    proc = Path("/proc/self/status")
    if proc.exists():
        got, status = read_with_status(proc)
        assert status.st_size == 0 and got.startswith(b"Name:") and got.endswith(b"\n")
    with pytest.raises(FileNotFoundError):
        read_with_status(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        read_with_status(tmp_path)
