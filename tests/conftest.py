"""Shared fixtures: golden-file switches and a temporary content root."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

#: Set UPDATE_GOLDEN=1 to rewrite expected files from the current output.
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Compare with a golden file byte for byte (or rewrite it on request)."""
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it")
        path.write_bytes(actual.encode("utf-8"))
        return
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"output differs from {path}"


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    """A copy of the bundled sample newsroom (articles, locales, settings)."""
    root = tmp_path / "newsroom"
    root.mkdir()
    shutil.copytree(ROOT / "articles", root / "articles")
    if (ROOT / "locales").is_dir():
        shutil.copytree(ROOT / "locales", root / "locales")
    (root / "pyproject.toml").write_text(
        '[tool.edition]\nsource = "en"\nlocales = ["be", "ru"]\n', encoding="utf-8"
    )
    return root


def screenshot(page: str, shot: Path, width: int, height: int, *flags: str) -> None:
    """Headless Chromium's screenshot of ``page`` (a URI) into ``shot``."""
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--window-size={width},{height}",
            *flags,
            f"--screenshot={shot}",
            page,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


class EchoEngine:
    """A fake engine: every text comes back in angle brackets."""

    name = "fake"
    max_concurrency = 1
    batch_size = 100

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return [f"<{t}>" for t in texts]
