"""Sentence splits from earlier syncs, in ``.edition/sentences.sqlite``.

Splitting a block into sentences (sentencex, then a Markdown rendering of
both halves of every boundary that could cut an inline span) is the costliest
step of segmenting an article, and after an edit nearly every block of the
article is one an earlier sync already split.  So sync keeps each split,
keyed by a hash of the block's text:

* Workers only read (a read-only connection, opened on first use in the
  process that reads), and hand the splits they computed back with their
  results; `save` writes them, in the process that holds the root's lock,
  in one transaction at the end of the sync.
* A split is only ever a function of the text (`segment._Builder.sentences`
  uses the store only for texts without link reference definitions) and of
  the code and libraries that computed it: the file records `cache_key`,
  and a file with another key, or one that cannot be read, is simply not
  used, and rebuilt by the next `save`.
* Derived state, like everything under ``.edition/``: deleting it only
  costs time.  It is emptied when it grows past `MAX_ROWS`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from pathlib import Path

#: Splits kept before the file is emptied and refilled (about 30 MB).
MAX_ROWS = 250_000

Split = tuple[tuple[int, str], ...]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS splits (key BLOB PRIMARY KEY, spans TEXT NOT NULL)",
)


def cache_key() -> str:
    """What a split depends on besides its text: our rules and the libraries."""
    from importlib.metadata import version

    from . import __version__
    from .segment import SENTENCE_RULES

    return (
        f"edition {__version__} rules {SENTENCE_RULES} "
        f"sentencex {version('sentencex')} markdown-it-py {version('markdown-it-py')}"
    )


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def encode(split: Split) -> str:
    return ",".join(f"{offset}:{len(sentence)}" for offset, sentence in split)


def decode(text: str, spans: str) -> Split | None:
    """The split of ``text`` recorded as ``spans``; None if it cannot be one."""
    out: list[tuple[int, str]] = []
    try:
        for span in spans.split(","):
            offset_text, length_text = span.split(":")
            offset, length = int(offset_text), int(length_text)
            if offset < 0 or length <= 0 or offset + length > len(text):
                return None
            out.append((offset, text[offset : offset + length]))
    except ValueError:
        return None
    return tuple(out) if out else None


class SentenceStore:
    """Reads splits from the file and collects the ones computed meanwhile."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        #: Splits computed in this process since `take_new`, by text key.
        self.new: dict[bytes, str] = {}
        self._db: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._usable = True

    def _connection(self) -> sqlite3.Connection | None:
        if not self._usable:
            return None
        if self._db is not None and self._pid == os.getpid():
            return self._db
        # Never use a connection across fork: a process opens its own.
        self._db, self._pid = None, os.getpid()
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            row = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        except sqlite3.Error:
            self._usable = False
            return None
        if row is None or row[0] != self.key:
            db.close()
            self._usable = False
            return None
        self._db = db
        return db

    def get(self, text: str) -> Split | None:
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute("SELECT spans FROM splits WHERE key = ?", (text_key(text),)).fetchone()
        except sqlite3.Error:
            self._usable = False
            return None
        return None if row is None else decode(text, row[0])

    def put(self, text: str, split: Split) -> None:
        if split:
            self.new[text_key(text)] = encode(split)

    def take_new(self) -> dict[bytes, str]:
        new, self.new = self.new, {}
        return new

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


def save(path: Path, key: str, rows: dict[bytes, str]) -> None:
    """Add splits to the file; a file of another version or a damaged one
    is started afresh.  Best effort: the file is only a cache."""
    if not rows:
        return
    for _attempt in range(2):
        try:
            _save(path, key, rows)
            return
        except sqlite3.DatabaseError:
            with contextlib.suppress(OSError):
                path.unlink()
        except (sqlite3.Error, OSError):
            return


def _save(path: Path, key: str, rows: dict[bytes, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30.0)
    try:
        with db:
            for statement in _SCHEMA:
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
            (count,) = db.execute("SELECT count(*) FROM splits").fetchone()
            if row is None or row[0] != key or count + len(rows) > MAX_ROWS:
                db.execute("DELETE FROM splits")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (key,))
            db.executemany("INSERT OR REPLACE INTO splits VALUES (?, ?)", rows.items())
    finally:
        db.close()
