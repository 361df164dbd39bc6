"""The command line, driven as a user would: in a subprocess on a real root."""

from __future__ import annotations

import json
import subprocess
import sys
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
