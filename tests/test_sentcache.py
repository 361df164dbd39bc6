"""Sentence splits kept between syncs (`workflow.sentcache`), on a real root."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import workflow.segment
from workflow.config import load_settings
from workflow.sentcache import FILE as SPLITS_FILE
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


def _rows(store: Path) -> dict[str, dict[str, str]]:
    with sqlite3.connect(store) as db:
        return {slug: json.loads(row) for slug, row in db.execute("SELECT * FROM articles")}


def test_a_sync_after_an_edit_splits_only_the_edited_block(
    root: Path, tmp_path: Path, splits: list[str]
) -> None:
    _sync(root)
    first = len(splits)
    assert first > 20
    store = root / ".edition" / SPLITS_FILE
    rows = _rows(store)
    # Every article but the one with link reference definitions (its texts
    # render, and so split, differently) has its splits kept.
    assert sorted(rows) == [
        "week-12-new-local-councils",
        "week-21-union-state-tax-accord",
        "week-47-labour-shortages",
    ]
    before = rows["week-47-labour-shortages"]

    slug = _edit_one_paragraph(root)
    # The same edit synced from scratch, splitting everything again.
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh)
    shutil.rmtree(fresh / ".edition")
    del splits[:]
    _sync(root)
    assert len(splits) == 1 and splits[0].startswith("The shortage has many causes.")
    after = _rows(store)[slug]
    # The row holds the article's blocks as they are now: one split replaced.
    assert len(after) == len(before) and len(set(after) - set(before)) == 1
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
    kept = _rows(store)
    for damage in ("garbage", "foreign"):
        if damage == "garbage":
            store.write_bytes(b"not a database at all" * 100)
        else:
            with sqlite3.connect(store) as db:
                db.execute("UPDATE meta SET value = 'edition 0.0.0' WHERE name = 'key'")
                # Wrong splits under the right keys would show if used.
                for slug, row in kept.items():
                    wrong = json.dumps(dict.fromkeys(row, "0:1"))
                    db.execute("UPDATE articles SET splits = ? WHERE slug = ?", (wrong, slug))
        (root / ".edition" / "sync.json").unlink()  # prepare every article again
        del splits[:]
        _sync(root)
        assert len(splits) == everything, damage
        with sqlite3.connect(store) as db:
            (key,) = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        assert key == cache_key() and _rows(store) == kept, damage


def test_a_removed_article_s_splits_go_with_it(root: Path) -> None:
    _sync(root)
    (root / "articles" / "week-47-labour-shortages.md").unlink()
    _sync(root)
    assert "week-47-labour-shortages" not in _rows(root / ".edition" / SPLITS_FILE)


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


def test_cache_key_names_the_installed_libraries(tmp_path: Path) -> None:
    """The key reads sentencex's version from its dist-info directory's name;
    it must be what importlib.metadata says, and a package without one falls
    back to importlib.metadata."""
    from importlib.metadata import version

    import sentencex

    from workflow.sentcache import _installed_version

    assert f"sentencex {version('sentencex')} " in cache_key()
    assert f"markdown-it-py {version('markdown-it-py')}" in cache_key()
    assert _installed_version(sentencex.__file__, "sentencex") == version("sentencex")
    # Two candidates, or none: ask importlib.metadata.
    package = tmp_path / "sentencex"
    package.mkdir()
    (tmp_path / "sentencex-0.1.dist-info").mkdir()
    (tmp_path / "sentencex-0.2.dist-info").mkdir()
    module = str(package / "__init__.py")
    assert _installed_version(module, "sentencex") == version("sentencex")
    assert _installed_version(None, "sentencex") == version("sentencex")
    (tmp_path / "sentencex-0.2.dist-info").rmdir()
    assert _installed_version(module, "sentencex") == "0.1"
