"""Hostile and unlucky files: one test per reproducer of issue 14.

Each drives the real CLI (in-process, or in a subprocess where a hang or a
second process is the point) on a copy of the sample newsroom, and checks
the documented outcome: nothing a translator wrote is lost, and every bad
file is one line naming it, with exit code 3, never a traceback or a hang.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import polib
import pytest

from tests.libre_server import LibreServer
from workflow.cli import main
from workflow.engines import EngineError, call_with_retries, make_engine
from workflow.files import WriteBatch, root_lock, sha256
from workflow.poformat import read_po

from .conftest import ROOT

A = "week-12-new-local-councils"
B = "week-47-labour-shortages"
SECRET = "sk-test-0123456789abcdef0123"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def edition(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "workflow", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def reviewed(path: Path) -> int:
    return sum(1 for e in polib.pofile(str(path)) if e.msgstr and "fuzzy" not in e.flags)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "articles", root / "articles")
    shutil.copytree(ROOT / "locales", root / "locales")
    (root / "pyproject.toml").write_text('[tool.edition]\nlocales = ["be", "ru"]\n')
    return root


def _append(root: Path, slug: str, text: str) -> None:
    with (root / "articles" / f"{slug}.md").open("a", encoding="utf-8") as f:
        f.write(f"\n{text}\n")


# -- 1, 2, 3: data loss ----------------------------------------------------------


def test_1_sync_never_writes_over_a_catalog_truncated_mid_save(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A writer truncates the PO (as polib's save does), sync runs, then the
    writer writes through its open descriptor: its save must land."""
    po = root / "locales" / "be" / f"{A}.po"
    assert run(capsys, "sync", "--root", str(root), "-q")[0] == 0
    before = reviewed(po)
    assert before > 40
    saved = po.read_bytes()
    _append(root, A, "A new closing paragraph.")
    fd = os.open(po, os.O_WRONLY | os.O_TRUNC)  # the editor's save begins
    try:
        code, _out, err = run(capsys, "sync", "--root", str(root))
    finally:
        os.write(fd, saved)  # ... and ends
        os.close(fd)
    assert code == 3
    assert f"locales/be/{A}.po:1: has no entries" in err
    assert reviewed(po) == before  # the save is in the file sync left alone
    # The ru catalog and the other articles synced meanwhile.
    assert "A new closing paragraph." in (root / "locales" / "ru" / f"{A}.po").read_text()
    assert run(capsys, "sync", "--root", str(root), "-q")[0] == 0
    assert reviewed(po) == before


def test_2_draft_never_writes_over_a_catalog_cut_at_an_entry_boundary(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    po = root / "locales" / "be" / f"{A}.po"
    catalog = read_po(po)
    first = next(e for e in catalog if e.msgctxt is None)
    first.msgstr = ""
    po.write_text(catalog.__unicode__(), encoding="utf-8")
    assert run(capsys, "sync", "--root", str(root), "-q")[0] == 0
    full = po.read_bytes()
    before = len(read_po(po))
    # The memory has a draft for the emptied entry.
    memory = root / ".edition" / "memory"
    memory.mkdir(parents=True, exist_ok=True)
    (memory / "imported-be.json").write_text(json.dumps([[first.msgid, "Чарнавік."]]))
    cut = full.index(b"\n\n", full.index(first.msgid.split()[0].encode())) + 2
    fd = os.open(po, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, full[:cut])  # half of the save: a few whole entries
    try:
        code, _out, err = run(
            capsys, "draft", "--root", str(root), "--locale", "be", "--engine", "memory"
        )
    finally:
        os.write(fd, full[cut:])
        os.close(fd)
    assert code == 3 and f"locales/be/{A}.po:1: has " in err and "half-saved" in err
    assert po.read_bytes() == full and len(read_po(po)) == before


def test_3_a_save_between_the_check_and_the_rename_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workflow.files as files

    target = tmp_path / "x.po"
    target.write_bytes(b"old\n")
    real = files._holds
    saves: list[bytes] = []

    def holds_then_save(path: Path, expect: object) -> bool:
        result = real(path, expect)
        if not saves:  # the translator's save lands right after the check
            saves.append(b"translator's save\n")
            tmp = tmp_path / ".save.tmp"
            tmp.write_bytes(saves[0])
            os.replace(tmp, target)
        return result

    monkeypatch.setattr(files, "_holds", holds_then_save)
    batch = WriteBatch()
    batch.stage(target, b"sync's merge\n", expect=files.Digest(sha256(b"old\n")))
    assert batch.commit() == [target]
    assert target.read_bytes() == b"translator's save\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.po"]


# -- 4: nesting ------------------------------------------------------------------


def test_4_deep_nesting_is_kept_or_refused_with_its_line(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lists = "".join("  " * i + f"- level {i}\n" for i in range(12))
    quotes = "".join(">" * (i + 1) + f" quote {i}\n" for i in range(25))
    _append(root, A, lists + "\nAfter the deep list.\n\n" + quotes + "\nAfter the quotes.")
    code, _out, err = run(capsys, "sync", "--root", str(root), "-q")
    assert code == 0, err
    pot = (root / "locales" / f"{A}.pot").read_text()
    for text in ("level 11", "After the deep list.", "quote 24", "After the quotes."):
        assert text in pot
    from workflow.site import markdown_renderer

    page = markdown_renderer().render((root / "articles" / f"{A}.md").read_text())
    assert "After the quotes." in page and "level 11" in page
    # Past the limit: an error naming the line, and the rest still syncs.
    body = (root / "articles" / f"{A}.md").read_text()
    lines = body.count("\n")
    deep = "".join(">" * (i + 1) + f" q{i}\n" for i in range(120))
    _append(root, A, deep + "\nLost?")
    code, _out, err = run(capsys, "sync", "--root", str(root), "-q")
    assert code == 3
    assert f"articles/{A}.md:{lines + 2 + 99}: lists or block quotes nested" in err


# -- 5: concurrent imports --------------------------------------------------------


def _tmx(units: dict[str, str]) -> str:
    tus = "".join(
        f'<tu><tuv xml:lang="en"><seg>{s}</seg></tuv><tuv xml:lang="be"><seg>{t}</seg></tuv></tu>'
        for s, t in units.items()
    )
    return f'<?xml version="1.0"?><tmx version="1.4"><header srclang="en"/><body>{tus}</body></tmx>'


def test_5_memory_import_holds_the_lock_and_concurrent_imports_both_land(root: Path) -> None:
    one, two = root / "one.tmx", root / "two.tmx"
    one.write_text(_tmx({f"One {i}.": f"Адзін {i}." for i in range(200)}))
    two.write_text(_tmx({f"Two {i}.": f"Два {i}." for i in range(200)}))
    with root_lock(root / ".edition"):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "workflow", "memory", "import", str(one), "--root", str(root)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.5)
        assert waiting.poll() is None  # it waits for the lock
    _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workflow", "memory", "import", str(f), "--root", str(root)],
            cwd=ROOT,
        )
        for f in (one, two, one, two)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    units = dict(json.loads((root / ".edition" / "memory" / "imported-be.json").read_text()))
    assert len(units) == 400 and units["Two 7."] == "Два 7."


# -- 6, 7: security --------------------------------------------------------------


def test_6_a_key_straddling_the_error_cut_is_never_shown(tmp_path: Path) -> None:
    with LibreServer(api_key=SECRET) as server:
        from workflow.config import Settings

        settings = Settings(
            root=tmp_path, sections={"engines": {"libre": {"url": server.url, "api_key": SECRET}}}
        )
        engine = make_engine("libre", settings, environ={})
        try:
            server.fail_next(20, status=500, error="x" * 190 + SECRET + " trailing")
            with pytest.raises(EngineError) as caught:
                call_with_retries(engine, ["Hi."], "en", "ru", sleep=lambda s: None)
        finally:
            engine.close()  # type: ignore[attr-defined]
    message = str(caught.value)
    for i in range(len(SECRET) - 6):
        assert SECRET[i : i + 6] not in message


def _utf16_entity_tmx() -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        '<!DOCTYPE tmx [<!ENTITY e "SMUGGLED">]>\n'
        '<tmx version="1.4"><header srclang="en"/><body><tu>'
        '<tuv xml:lang="en"><seg>Hello.</seg></tuv><tuv xml:lang="be"><seg>&e;</seg></tuv>'
        "</tu></body></tmx>\n"
    )
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_utf16_entity_tmx(), "DTDs and entities are not accepted"),
        (
            _tmx({"A.": "Б."}).replace("?>", ' encoding="UTF-7"?>', 1).encode(),
            "encoding 'UTF-7' is not supported",
        ),
        (
            _tmx({"A.": "Б."}).replace("?>", ' encoding="x-no-such"?>', 1).encode(),
            "encoding 'x-no-such' is not supported",
        ),
        (b"<?xml version='1.0' encoding='utf-8'?><tmx><body><tu>\xff</tu>", "not valid utf-8"),
    ],
    ids=["utf16-entity", "utf7", "unknown-encoding", "bad-bytes"],
)
def test_7_tmx_refused_in_any_encoding(
    root: Path, capsys: pytest.CaptureFixture[str], data: bytes, expected: str
) -> None:
    tmx = root / "in.tmx"
    tmx.write_bytes(data)
    code, _out, err = run(capsys, "memory", "import", str(tmx), "--root", str(root))
    assert code == 3 and f"{tmx}:" in err and expected in err
    assert not (root / ".edition" / "memory" / "imported-be.json").exists()


def test_7_tmx_in_utf16_and_shift_jis_is_read(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for encoding, data in [
        ("utf-16", codecs.BOM_UTF16_BE + _tmx({"Hello.": "Прывітанне."}).encode("utf-16-be")),
        (
            "shift_jis",
            _tmx({"Tokyo.": "東京."})
            .replace("?>", ' encoding="Shift_JIS"?>', 1)
            .encode("shift_jis"),
        ),
    ]:
        tmx = root / f"{encoding}.tmx"
        tmx.write_bytes(data)
        code, _out, err = run(capsys, "memory", "import", str(tmx), "--root", str(root))
        assert code == 0, err
    units = dict(json.loads((root / ".edition" / "memory" / "imported-be.json").read_text()))
    assert units == {"Hello.": "Прывітанне.", "Tokyo.": "東京."}


# -- 8, 9, 10: crashes ------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x7f", "\ufffe", "\x85"])
def test_8_a_control_character_in_a_msgstr_is_a_check_error_and_holds_one_article(
    root: Path, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    po = root / "locales" / "be" / f"{A}.po"
    catalog = read_po(po)
    title = next(e for e in catalog if e.msgctxt == "title")
    title.msgstr = title.msgstr.replace(" ", char, 1)
    po.write_text(catalog.__unicode__(), encoding="utf-8")
    assert run(capsys, "sync", "--root", str(root), "-q")[0] == 0
    code, out, _err = run(capsys, "check", "--root", str(root), "--article", A)
    assert code == 1
    assert f"locales/be/{A}.po:" in out and "[control]" in out and "U+" in out
    code, out, _err = run(capsys, "status", "--root", str(root), "--json")
    ready = {a["slug"]: a["ready"] for a in json.loads(out)["articles"]}
    assert ready[A] is False and ready[B] is True
    code, out, err = run(capsys, "publish", "--root", str(root))
    assert code == 0, err
    assert (root / "site" / "be" / B / "index.html").is_file()
    assert not (root / "site" / "be" / A).exists()


@pytest.mark.parametrize("field", ["date", "period"])
def test_9_a_yaml_alias_bomb_is_refused_in_a_short_line(
    root: Path, capsys: pytest.CaptureFixture[str], field: str
) -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = root / "articles" / "bomb.md"
    path.write_text(
        "---\ntitle: Bomb\n" + "\n".join(levels) + f"\n{field}: *a8\n---\n\nText.\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "sync", "--root", str(root), "-q")
    assert code == 3
    assert len(err) < 1000
    assert "articles/bomb.md:4: YAML aliases (*name) are not allowed" in err


def test_10_repeated_text_is_linear_in_build_template() -> None:
    """A table of one repeated cell: building the template of 4x the rows
    takes about 4x the time (quadratic took 16x and minutes at 1 MB)."""
    from workflow.article import parse_article
    from workflow.catalog import build_template
    from workflow.config import Settings

    def article(rows: int) -> object:
        cells = "".join("| Yes | No |\n" for _ in range(rows))
        text = f"---\ntitle: T\ndate: 2025-01-01\n---\n\n| A | B |\n|---|---|\n{cells}"
        return parse_article(text, "t.md", "block")

    settings = Settings(root=Path("."))
    small, large = article(3000), article(12000)

    def best(a: object) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            build_template(a, settings, "2025-01-01 00:00+0000")  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
        return min(times)

    assert best(large) < 8 * best(small) + 0.05


# -- 11, 12: hangs and tracebacks ------------------------------------------------


def test_11_a_fifo_in_place_of_a_po_never_hangs(root: Path) -> None:
    po = root / "locales" / "be" / f"{A}.po"
    po.unlink()
    os.mkfifo(po)
    for command in (["sync"], ["status"], ["publish"], ["check"], ["draft", "--dry-run"]):
        result = edition(root, *command, timeout=60)
        assert result.returncode == 3, (command, result.stderr)
        assert f"{po}: cannot read: a FIFO, not a regular file" in result.stderr
    # Sync released its lock: another run does not wait.
    assert edition(root, "sync", "--wait", "0").returncode == 3


def _hostile(kind: str, path: Path) -> None:
    if path.exists() or path.is_symlink():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if kind == "directory":
        path.mkdir()
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "file":
        path.write_text("not a directory\n")


@pytest.mark.parametrize("kind", ["directory", "loop", "zero"])
@pytest.mark.parametrize("which", ["po", "pot"])
def test_12_a_catalog_that_is_no_file_is_one_line(
    root: Path, capsys: pytest.CaptureFixture[str], kind: str, which: str
) -> None:
    path = root / "locales" / ("be" if which == "po" else "") / f"{A}.{which}"
    _hostile(kind, path)
    for command in ("sync", "status", "check", "publish"):
        code, _out, err = run(capsys, command, "--root", str(root))
        assert code == 3, (command, err)
        assert str(path) in err, (command, err)
        assert len([line for line in err.splitlines() if str(path) in line]) == 1, err
    assert (root / "site" / "be" / B / "index.html").is_file()


def test_12_locales_be_as_a_file_and_a_loop_in_articles(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _hostile("file", root / "locales" / "be")
    (root / "articles" / "loop.md").symlink_to("loop.md")
    for command in ("sync", "status", "check", "publish"):
        code, _out, err = run(capsys, command, "--root", str(root))
        assert code == 3, (command, err)
        assert "locales/be" in err


@pytest.mark.parametrize(
    "command",
    [
        ["sync"],
        ["status", "--html", "{root}/dash.html"],
        ["memory", "export", "{root}/out.tmx"],
        ["draft", "--engine", "memory", "--locale", "be"],
    ],
)
def test_12_a_full_disk_is_one_line(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    """ENOSPC on every write under the root (os.write and SQLite's own I/O)."""
    catalog = read_po(root / "locales" / "be" / f"{A}.po")
    next(e for e in catalog if e.msgctxt is None).msgstr = ""
    (root / "locales" / "be" / f"{A}.po").write_text(catalog.__unicode__(), encoding="utf-8")
    _append(root, A, "More text.")
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        target = os.readlink(f"/proc/self/fd/{fd}")
        if target.startswith(str(root)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    args = [a.replace("{root}", str(root)) for a in command]
    code, _out, err = run(capsys, *args, "--root", str(root))
    assert code == 3, err
    assert "No space left on device" in err
    assert len(err.strip().splitlines()) == 1 or all(
        line.startswith(("error:", "warning:")) for line in err.strip().splitlines()
    )


def test_12_damaged_caches_are_set_aside_with_a_warning(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = root / ".edition"
    (state / "memory").mkdir(parents=True)
    (state / "memory" / "imported-be.json").write_text('[["a", ')
    (state / "drafts-cache.sqlite").write_bytes(b"this is no database" * 100)
    (state / "sync.json").write_text("{")
    (state / "kept.json").write_text("[1, 2")
    (state / "status-cache.sqlite").write_bytes(b"\0" * 4096)
    catalog = read_po(root / "locales" / "be" / f"{A}.po")
    next(e for e in catalog if e.msgctxt is None).msgstr = ""
    (root / "locales" / "be" / f"{A}.po").write_text(catalog.__unicode__(), encoding="utf-8")
    assert run(capsys, "sync", "--root", str(root), "-q")[0] == 0
    assert run(capsys, "status", "--root", str(root))[0] == 0
    code, _out, err = run(
        capsys, "draft", "--root", str(root), "--engine", "memory", "--locale", "be"
    )
    assert code in (0, 1), err
    assert "drafts-cache.sqlite: unreadable" in err and "imported-be.json: unreadable" in err
    assert (state / "drafts-cache.sqlite.damaged").exists()
    tmx = root / "m.tmx"
    tmx.write_text(_tmx({"A.": "Б."}))
    (state / "memory" / "imported-be.json").write_bytes(b"\xff\xfe")
    code, _out, err = run(capsys, "memory", "import", str(tmx), "--root", str(root))
    assert code == 0 and "imported-be.json: unreadable" in err


class _Cutting:
    """A fake engine that, while drafts are made, leaves the catalog cut
    inside a UTF-8 character, as an editor's half-done save would."""

    name = "cutter"
    max_concurrency = 1
    batch_size = 100

    def __init__(self, po: Path) -> None:
        self.po = po

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        data = self.po.read_bytes()
        self.po.write_bytes(data[: data.index("і".encode(), len(data) // 2) + 1])
        return [f"<{t}>" for t in texts]


def test_12_a_po_cut_inside_a_utf8_character_is_one_line_in_draft(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workflow.config import load_settings
    from workflow.draft import draft

    po = root / "locales" / "be" / f"{A}.po"
    catalog = read_po(po)
    next(e for e in catalog if e.msgctxt is None).msgstr = ""
    po.write_text(catalog.__unicode__(), encoding="utf-8")
    report = draft(
        load_settings(root), [A], ["be"], engine="cutter", factory=lambda n, s: _Cutting(po)
    )
    assert len(report.errors) == 1 and str(report.errors[0]).startswith(f"{po}:")
    assert "not UTF-8" in str(report.errors[0]) and not report.written


# -- 13: front matter and settings ----------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('title: "a\\0b"', "'title' contains the control character U+0000"),
        ('title: T\nlead: "Word\\vbreak"', "'lead' contains the control character U+000B"),
        ('title: "x\\x7f"', "'title' contains the control character U+007F"),
    ],
)
def test_13_control_characters_in_front_matter_are_refused_with_the_line(
    root: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    path = root / "articles" / "controls.md"
    path.write_text(f"---\ndate: 2025-01-01\n{line}\n---\n\nText.\n", encoding="utf-8")
    code, _out, err = run(capsys, "sync", "--root", str(root), "-q")
    assert code == 3
    assert f"articles/controls.md:{2 + line.count(chr(10)) + 1}: {message}" in err
    assert not (root / "locales" / "controls.pot").exists()


def test_13_a_slug_with_a_trailing_newline_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(root / "articles" / f"{B}.md", root / "articles" / "evil\n.md")
    code, _out, err = run(capsys, "sync", "--root", str(root), "-q")
    assert code == 3 and "is not a valid slug" in err
    assert not any("\n" in p.name for p in (root / "locales").rglob("*"))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.edition.checks]\nquotes = 5\n", "quotes must be a table"),
        ("[tool.edition.checks]\ndisable = 'spelling'\n", "disable must be a list"),
        ("[tool.edition.checks]\nquote = {be = '«»'}\n", "did you mean 'quotes'?"),
        ("[tool.edition.checks]\nwords = ['x', 3]\n", "words must be a list of text"),
        ("[tool.edition.checks]\nword = ['x']\n", "did you mean 'words'?"),
        ("[tool.edition.memory]\nthreshhold = 80\n", "did you mean 'threshold'?"),
        ("[tool.edition.memory]\nthreshold = true\n", "threshold must be a whole percent"),
        ("[tool.edition.site]\ntitel = 'x'\n", "did you mean 'title'?"),
        ("[tool.edition.status]\nfail_under = 3\n", "unknown setting 'fail_under'"),
    ],
)
def test_13_settings_are_typed_and_unknown_keys_refused_in_every_table(
    root: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    (root / "pyproject.toml").write_text('[tool.edition]\nlocales = ["be", "ru"]\n' + table)
    code, _out, err = run(capsys, "status", "--root", str(root))
    assert code == 3 and "pyproject.toml" in err and message in err


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs of its own (root may mount here; elsewhere the test is skipped)."""
    point = tmp_path / "mnt"
    point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + done.stderr.decode().strip())
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=True)


def _fill(point: Path) -> None:
    fd = os.open(point / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 65536)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0")
    finally:
        os.close(fd)


def test_12_a_full_disk_and_a_read_only_root_are_one_line(mounted: Path, root: Path) -> None:
    """Real ENOSPC and EROFS, from a filesystem of our own, in subprocesses."""
    work = mounted / "root"
    shutil.copytree(root, work)
    assert edition(work, "sync", "-q").returncode == 0
    _append(work, A, "More text.")
    _fill(mounted)
    commands = [
        ["sync"],
        ["publish"],
        ["status", "--html", str(work / "dash.html")],
        ["memory", "export", str(work / "out.tmx")],
        ["draft", "--engine", "memory", "--locale", "be"],
    ]
    for command in commands:
        result = edition(work, *command)
        assert result.returncode == 3, (command, result.stderr)
        full = ("No space left on device", "database or disk is full")
        assert any(m in result.stderr for m in full), (command, result.stderr)
    (mounted / "filler").unlink()
    assert edition(work, "publish").returncode == 0
    remount = ["mount", "-o", "remount,ro", str(mounted)]
    subprocess.run(remount, check=True)
    try:
        for command in commands:
            result = edition(work, *command)
            assert result.returncode == 3, (command, result.stderr)
            readonly = ("Read-only file system", "readonly database", "unable to open database")
            assert any(m in result.stderr for m in readonly), (command, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1, (command, result.stderr)
        # Read-only commands work on a read-only root.
        assert edition(work, "status").returncode == 0
        assert edition(work, "check").returncode in (0, 1)
        assert edition(work, "sync", "--check").returncode == 1  # the article was edited
        assert edition(work, "segments").returncode == 0
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mounted)], check=True)
