"""The command line, driven as a user would: in a subprocess on a real root."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from workflow.cli import build_parser

from .conftest import ROOT


def edition(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflow", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_help_lists_exit_codes_and_every_command_has_an_example() -> None:
    parser = build_parser()
    assert "Exit codes" in (parser.epilog or "")
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command_parser in sub.choices.items():  # type: ignore[union-attr]
        assert (command_parser.epilog or "").startswith("Example: edition "), name
        assert command_parser.description, name


def test_segments_smoke_on_the_sample_newsroom() -> None:
    result = edition("segments", "--root", str(ROOT), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    slugs = {a["slug"] for a in data}
    assert len(slugs) >= 3
    kinds = {s["kind"] for a in data for s in a["segments"]}
    assert {
        "title",
        "lead",
        "section",
        "heading",
        "paragraph",
        "list_item",
        "quote",
        "table_cell",
    } <= kinds


def test_one_bad_article_does_not_stop_the_others(newsroom: Path) -> None:
    (newsroom / "articles" / "broken.md").write_text("no front matter\n", encoding="utf-8")
    (newsroom / "articles" / "also-broken.md").write_text("---\ntitle: x\n", encoding="utf-8")
    result = edition("segments", "--root", str(newsroom))
    assert result.returncode == 3
    assert "broken.md:1: missing front matter" in result.stderr
    assert "also-broken.md:1: unterminated front matter" in result.stderr
    good = len(list((newsroom / "articles").glob("*.md"))) - 2
    assert result.stdout.count(" segments\n") == good


def test_unknown_setting_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.edition]\nlocale = ["be"]\n', encoding="utf-8")
    result = edition("segments", "--root", str(tmp_path))
    assert result.returncode == 3
    assert "unknown setting 'locale'" in result.stderr
    assert "did you mean 'locales'?" in result.stderr


@pytest.mark.parametrize("args", [["--nope"], ["segments", "--article"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert edition(*args).returncode == 2


def _columns(header: str) -> dict[str, int]:
    """Each header word's right edge, keyed by the word (first one wins)."""
    import re

    edges: dict[str, int] = {}
    for m in re.finditer(r"\S+(?: %)?", header):
        edges.setdefault(m.group(), m.end())
    return edges


def test_status_table_numbers_sit_under_their_headers_with_full_slugs(newsroom: Path) -> None:
    from workflow.poformat import format_po, read_po

    slug = "week-21-union-state-tax-accord"
    po_path = newsroom / "locales" / "be" / f"{slug}.po"
    po = read_po(po_path)
    live = [e for e in po if not e.obsolete]
    live[3].flags = ["fuzzy"]  # 1 draft
    for e in live[5:7]:
        e.msgstr = ""  # 2 untranslated
    po_path.write_text(format_po(po), encoding="utf-8")
    result = edition("status", "--root", str(newsroom))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0]
    row = next(line for line in lines if slug in line)
    # The slug is whole, and pasting it into --article works.
    assert f" {slug} " in row
    assert edition("status", "--root", str(newsroom), "--article", slug).returncode == 0
    edges = _columns(header)
    for name, value in (("draft", "1"), ("untr.", "2"), ("stale", "0"), ("be %", None)):
        end = edges[name]
        cell = row[:end].split()[-1]
        if value is not None:
            assert cell == value, (name, row)
        else:
            assert cell.replace(".", "").isdigit() and float(cell) < 100, row
    assert row.rstrip().endswith("no") and len(row.rstrip()) == len(header.rstrip())


def test_fail_under_prints_one_line_per_failing_edition(newsroom: Path) -> None:
    from workflow.poformat import format_po, read_po

    failing = []
    for slug in ("week-21-union-state-tax-accord", "week-47-labour-shortages"):
        po_path = newsroom / "locales" / "ru" / f"{slug}.po"
        po = read_po(po_path)
        next(e for e in po if not e.obsolete).msgstr = ""
        po_path.write_text(format_po(po), encoding="utf-8")
        failing.append(slug)
    result = edition("status", "--root", str(newsroom), "--fail-under", "100")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for slug in failing:
        (line,) = [x for x in lines if x.startswith(slug)]
        assert "[ru]" in line and "below 100%" in line
    assert lines[-1] == "2 editions below 100%"


@pytest.mark.parametrize("command", [["status", "--fail-under", "100"], ["sync"], ["check"]])
def test_a_folder_without_articles_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    result = edition(*command[:1], "--root", str(tmp_path), *command[1:])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no articles/ folder" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _with_tty_stderr(*args: str) -> tuple[int, str, bytes]:
    """Run edition with stderr on a pseudo-terminal and stdout piped."""
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflow", *args], stdout=subprocess.PIPE, stderr=follower
    )
    os.close(follower)
    err = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    out, _ = proc.communicate()
    os.close(leader)
    return proc.returncode, out.decode("utf-8"), err


@pytest.mark.parametrize("command", ["status", "check", "publish", "assemble"])
def test_long_commands_draw_a_bar_on_a_terminal_only(newsroom: Path, command: str) -> None:
    code, out, err = _with_tty_stderr(command, "--root", str(newsroom))
    assert code == 0, err
    assert b"[##############################] 4/4" in err and b"\r\x1b[K" in err
    assert "[#" not in out
    code, out, err = _with_tty_stderr(command, "--root", str(newsroom), "-q")
    assert code == 0 and b"[#" not in err
    piped = edition(command, "--root", str(newsroom))
    assert piped.returncode == 0 and "[#" not in piped.stderr + piped.stdout


def test_sync_summarises_instead_of_a_line_per_file(newsroom: Path) -> None:
    import shutil

    shutil.rmtree(newsroom / "locales")
    articles = newsroom / "articles"
    source = articles / "week-47-labour-shortages.md"
    for n in range(5):
        shutil.copy(source, articles / f"copy-{n}.md")
    result = edition("sync", "--root", str(newsroom))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("9 articles: 27 files written (")
    assert lines[0].endswith("(-v lists the files)")
    (articles / "copy-0.md").unlink()
    shutil.rmtree(newsroom / "locales")
    verbose = edition("sync", "--root", str(newsroom), "-v")
    assert verbose.stdout.count("\nwrote locales/") + verbose.stdout.startswith("wrote") == 24


def test_serve_shows_a_fresh_dashboard_and_refuses_bad_ports(newsroom: Path) -> None:
    import socket
    import urllib.request

    assert edition("publish", "--root", str(newsroom)).returncode == 0
    # A dashboard left by an earlier run, claiming everything is ready.
    state = newsroom / ".edition"
    state.mkdir(exist_ok=True)
    (state / "status.html").write_text("<p>old: every article ready</p>", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflow", "serve", "--root", str(newsroom), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:"), line
        url = line.split()[1]

        def get(path: str) -> str:
            with urllib.request.urlopen(url + path, timeout=30) as response:
                text: str = response.read().decode("utf-8")
            return text

        page = get("status.html")
        assert "old: every article ready" not in page and "Generated at " in page
        assert page.count('<span class="is-held">held</span>') == 0
        # A translator empties an entry while the server runs: the next request shows it.
        from workflow.poformat import format_po, read_po

        slug = "week-47-labour-shortages"
        po_path = newsroom / "locales" / "ru" / f"{slug}.po"
        po = read_po(po_path)
        next(e for e in po if not e.obsolete).msgstr = ""
        po_path.write_text(format_po(po), encoding="utf-8")
        page = get("status.html")
        assert '<span class="is-held">held</span>' in page
        assert "untranslated" in get(f"status/{slug}.html")
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = edition("serve", "--root", str(newsroom), "--port", str(port))
            assert result.returncode == 2
            assert (
                result.stderr.count("\n") == 1
                and f"port {port} on 127.0.0.1 is in use" in result.stderr
            )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    result = edition("serve", "--root", str(newsroom), "--port", "99999")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "99999 is not a port" in result.stderr


def test_version() -> None:
    from workflow import __version__

    result = edition("--version")
    assert result.returncode == 0 and result.stdout == f"edition {__version__}\n"


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (
            lambda text: text.replace('msgstr "', '<<<<<<< HEAD\nmsgstr "', 1).replace(
                "\n\n", '\n=======\nmsgstr "x"\n>>>>>>> theirs\n\n', 2
            ),
            "unresolved merge conflict: git left its <<<<<<< ======= >>>>>>> lines here",
        ),
        (
            lambda text: text.replace('msgstr "Коратка', 'msgstr "Ён сказаў "так" Коратка', 1),
            'a quotation mark (") inside the text is not escaped',
        ),
    ],
)
def test_po_syntax_errors_say_what_happened_and_what_to_do(
    newsroom: Path, damage: Callable[[str], str], says: str
) -> None:
    slug = "week-47-labour-shortages"
    po = newsroom / "locales" / "be" / f"{slug}.po"
    text = po.read_text(encoding="utf-8")
    damaged = damage(text)
    assert damaged != text
    po.write_text(damaged, encoding="utf-8")
    result = edition("status", "--root", str(newsroom))
    assert result.returncode == 3
    line = next(x for x in result.stderr.splitlines() if f"{slug}.po:" in x)
    assert says in line and "syntax error" not in line and "(" in line


def test_counts_of_one_read_as_english(newsroom: Path) -> None:
    for path in (newsroom / "articles").glob("*.md"):
        if path.stem != "week-47-labour-shortages":
            path.unlink()
    result = edition("publish", "--root", str(newsroom))
    assert result.returncode == 0
    assert "1 article published in 3 languages" in result.stdout
    status = edition("status", "--root", str(newsroom))
    assert "\n1 article; " in status.stdout and "1 articles" not in status.stdout


def test_building_the_package_prints_no_setuptools_warnings(tmp_path: Path) -> None:
    """`make run` used to print ~220 lines of setuptools warnings (package data
    folders not declared as packages, license as a table) before its own."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0 and "setuptools" in result.stderr and "No matching" in result.stderr:
        pytest.skip("no setuptools>=77 in the package index here")
    assert result.returncode == 0, result.stderr
    noise = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "Warning" in line or "!!" in line or "is absent from the `packages`" in line
    ]
    assert noise == []
    import zipfile

    (wheel,) = tmp_path.glob("edition-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "workflow/templates/dashboard.html.j2" in names
    assert "workflow/data/apertium/modes/rus-bel.mode" in names
