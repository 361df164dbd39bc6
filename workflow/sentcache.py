"""Sentence splits from earlier syncs, in ``.edition/sentences.sqlite``.

Splitting a block into sentences (sentencex, then a Markdown rendering of
both halves of every boundary that could cut an inline span) is the costliest
step of segmenting an article, and after an edit nearly every block of the
article is one an earlier sync already split.  So sync keeps, per article,
the split of each of its blocks, keyed by a hash of the block's text:

* One row per article: a stale article's splits are one lookup, and a row
  holds what the article's last segmentation used, so the file keeps the
  archive's current blocks, not every version of them.
* Workers only read (a read-only connection, opened on first use in the
  process that reads), and hand an article's new row back with its results;
  `save` writes the rows, in the process that holds the root's lock, in one
  transaction at the end of the sync.
* A split is only ever a function of the text (`segment._Builder.sentences`
  uses the store only for texts without link reference definitions) and of
  the code and libraries that computed it: the file records `cache_key`,
  and a file with another key, or one that cannot be read, is simply not
  used, and rebuilt by the next `save`.
* Derived state, like everything under ``.edition/``: deleting it only
  costs time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

#: The file's name under ``.edition/``.
FILE = "sentences.sqlite"

Split = tuple[tuple[int, str], ...]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS articles (slug TEXT PRIMARY KEY, splits TEXT NOT NULL)",
)


def cache_key() -> str:
    """What a split depends on besides its text: our rules and the libraries."""
    import markdown_it
    import sentencex

    from . import __version__
    from .segment import SENTENCE_RULES

    return (
        f"edition {__version__} rules {SENTENCE_RULES} "
        f"sentencex {_installed_version(sentencex.__file__, 'sentencex')} "
        f"markdown-it-py {markdown_it.__version__}"
    )


def _installed_version(module_file: str | None, name: str) -> str:
    """The version of the distribution installed beside a package.

    Read from the name of its ``NAME-VERSION.dist-info`` directory, which
    installers put beside the package: importing importlib.metadata to ask
    would cost a tenth of a sync after a small edit.
    """
    if module_file:
        site = os.path.dirname(os.path.dirname(module_file))
        prefix = f"{name}-"
        with contextlib.suppress(OSError):
            found = [
                entry[len(prefix) : -len(".dist-info")]
                for entry in os.listdir(site)
                if entry.startswith(prefix) and entry.endswith(".dist-info")
            ]
            if len(found) == 1:
                return found[0]
    from importlib.metadata import version

    return version(name)


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


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
    """One process's view: the splits of the article at hand (`begin`), and
    the ones its segmentation used (`finish`)."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        #: The article's splits as the file has them, and as used now.
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}
        #: The text `get` hashed last, and its key: `put` follows it.
        self._last: tuple[str, str] | None = None
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
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
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

    def begin(self, slug: str) -> None:
        """Load the splits the last sync recorded for the article ``slug``."""
        self.known, self.used = {}, {}
        db = self._connection()
        if db is None:
            return
        try:
            row = db.execute("SELECT splits FROM articles WHERE slug = ?", (slug,)).fetchone()
            found = json.loads(row[0]) if row is not None else {}
        except (sqlite3.Error, ValueError):
            self._usable = False
            return
        if isinstance(found, dict):
            self.known = {k: v for k, v in found.items() if isinstance(v, str)}

    def get(self, text: str) -> Split | None:
        key = text_key(text)
        self._last = (text, key)
        spans = self.known.get(key)
        return None if spans is None else decode(text, spans)

    def put(self, text: str, split: Split) -> None:
        """Record that the article's segmentation used this split."""
        last = self._last
        key = last[1] if last is not None and last[0] is text else text_key(text)
        if key not in self.used:
            known = self.known.get(key)
            self.used[key] = known if known is not None else encode(split)

    def finish(self) -> str | None:
        """The article's row to save, if it is not the one the file holds."""
        used, self.used = self.used, {}
        known, self.known = self.known, {}
        if used == known:
            return None
        return json.dumps(used, sort_keys=True, separators=(",", ":"))


def save(path: Path, key: str, rows: dict[str, str], gone: Iterable[str] = ()) -> None:
    """Write articles' rows and drop those of removed articles; a file of
    another version or a damaged one is started afresh.  Best effort: the
    file is only a cache."""
    gone = list(gone)
    if not rows and not gone:
        return
    for _attempt in range(2):
        try:
            _save(path, key, rows, gone)
            return
        except sqlite3.DatabaseError:
            with contextlib.suppress(OSError):
                path.unlink()
        except (sqlite3.Error, OSError):
            return


def _save(path: Path, key: str, rows: dict[str, str], gone: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30.0)
    try:
        with db:
            for statement in _SCHEMA:
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
            if row is None or row[0] != key:
                db.execute("DELETE FROM articles")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (key,))
            db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?)", rows.items())
            db.executemany("DELETE FROM articles WHERE slug = ?", [(slug,) for slug in gone])
    finally:
        db.close()
