"""Sentence splits kept between syncs (`workflow.sentcache`), on a real root."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import workflow.segment
from workflow.config import load_settings
from workflow.prepare import SPLITS_FILE
from workflow.sentcache import cache_key, decode, encode
from workflow.sync import sync as run_sync

from .test_sync import EPOCH, catalogs


@pytest.fixture
def root(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return newsroom


@pytest.fixture
def splits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts split by the rules themselves (not found in any cache), in order."""
    seen: list[str] = []
    real = workflow.segment._Builder._sentences

    def counted(self: workflow.segment._Builder, text: str) -> list[tuple[int, str]]:
        seen.append(text)
        return real(self, text)

    monkeypatch.setattr(workflow.segment._Builder, "_sentences", counted)
    monkeypatch.setattr(workflow.segment, "_SENTENCES", {})
    return seen


def _sync(root: Path) -> None:
    config = load_settings(root)
    report = run_sync(config, config.article_paths(), jobs=1)
    assert not report.errors
    workflow.segment._SENTENCES.clear()  # as a new process starts


def _edit_one_paragraph(root: Path) -> str:
    path = root / "articles" / "week-47-labour-shortages.md"
    text = path.read_text(encoding="utf-8")
    old = "The shortage has several causes."
    assert old in text
    path.write_text(text.replace(old, "The shortage has many causes."), encoding="utf-8")
    return path.stem


def test_a_sync_after_an_edit_splits_only_the_edited_block(
    root: Path, tmp_path: Path, splits: list[str]
) -> None:
    _sync(root)
    first = len(splits)
    assert first > 20
    store = root / ".edition" / SPLITS_FILE
    with sqlite3.connect(store) as db:
        (rows,) = db.execute("SELECT count(*) FROM splits").fetchone()
    # Texts of an article with link reference definitions are not kept:
    # those render, and so split, differently.
    assert 0.5 * len(set(splits)) < rows < len(set(splits))

    _edit_one_paragraph(root)
    # The same edit synced from scratch, splitting everything again.
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh)
    shutil.rmtree(fresh / ".edition")
    del splits[:]
    _sync(root)
    assert len(splits) == 1 and splits[0].startswith("The shortage has many causes.")
    _sync(fresh)
    assert len(splits) > first / 2
    for path in catalogs(root):
        assert path.read_bytes() == (fresh / path.relative_to(root)).read_bytes(), path


def test_a_damaged_or_foreign_store_is_not_used_and_is_rebuilt(
    root: Path, splits: list[str]
) -> None:
    _sync(root)
    everything = len(splits)
    store = root / ".edition" / SPLITS_FILE
    for damage in ("garbage", "foreign"):
        if damage == "garbage":
            store.write_bytes(b"not a database at all" * 100)
        else:
            with sqlite3.connect(store) as db:
                db.execute("UPDATE meta SET value = 'edition 0.0.0' WHERE name = 'key'")
                # A wrong split under the right text key would show if used.
                db.execute("UPDATE splits SET spans = '0:1'")
        (root / ".edition" / "sync.json").unlink()  # prepare every article again
        del splits[:]
        _sync(root)
        assert len(splits) == everything, damage
        with sqlite3.connect(store) as db:
            (key,) = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
            (rows,) = db.execute("SELECT count(*) FROM splits").fetchone()
        assert key == cache_key() and 0.5 * len(set(splits)) < rows, damage


def test_check_writes_no_store(root: Path) -> None:
    config = load_settings(root)
    run_sync(config, config.article_paths(), check=True, jobs=1)
    assert not (root / ".edition" / SPLITS_FILE).exists()


def test_a_recorded_split_outside_its_text_is_refused() -> None:
    text = "One. Two."
    split = ((0, "One."), (5, "Two."))
    assert decode(text, encode(split)) == split
    for bad in ("0:4,5:9", "0:0", "-1:3", "a:b", "", "0:4;5:4"):
        assert decode(text, bad) is None, bad
