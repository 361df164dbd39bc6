"""The draft ledger: which machine draft each catalog entry started from.

`draft` records every draft it writes into a catalog; `status` compares a
reviewed entry with the draft it started from to measure post-edit distance
per engine.  The ledger lives in ``.edition/drafts.sqlite``: derived state,
git-ignored, never the only copy of anybody's work (the catalogs are).

Rows are keyed by locale, article slug and the entry's (msgctxt, msgid); a
new draft for the same entry replaces the old row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkflowError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    locale  TEXT NOT NULL,
    slug    TEXT NOT NULL,
    msgctxt TEXT NOT NULL,
    msgid   TEXT NOT NULL,
    engine  TEXT NOT NULL,
    text    TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (locale, slug, msgctxt, msgid)
)
"""


@dataclass(frozen=True)
class Draft:
    locale: str
    slug: str
    msgctxt: str | None
    msgid: str
    #: The route name, as in the ``# draft: ENGINE`` comment ("google", "pivot:ru+apertium").
    engine: str
    #: The text the engine produced, as written into msgstr.
    text: str


class LedgerError(WorkflowError):
    """The ledger database cannot be opened or written."""


class Ledger:
    """Read and record drafts; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot open the draft ledger: {exc}",
                path=path,
                hint="it is derived state; delete it to start afresh",
            ) from exc

    @classmethod
    def for_root(cls, state_dir: Path) -> Ledger:
        return cls(state_dir / "drafts.sqlite")

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def record(self, drafts: Iterable[Draft]) -> None:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [
            (d.locale, d.slug, d.msgctxt or "", d.msgid, d.engine, d.text, stamp) for d in drafts
        ]
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot record drafts: {exc}", path=self.path) from exc

    def drafts(self, locale: str, slug: str | None = None) -> Iterator[Draft]:
        query = "SELECT locale, slug, msgctxt, msgid, engine, text FROM drafts WHERE locale = ?"
        params: tuple[str, ...] = (locale,)
        if slug is not None:
            query += " AND slug = ?"
            params += (slug,)
        for loc, sl, ctxt, msgid, engine, text in self._db.execute(query, params):
            yield Draft(loc, sl, ctxt or None, msgid, engine, text)

    def lookup(self, locale: str, slug: str, msgctxt: str | None, msgid: str) -> Draft | None:
        row = self._db.execute(
            "SELECT engine, text FROM drafts"
            " WHERE locale = ? AND slug = ? AND msgctxt = ? AND msgid = ?",
            (locale, slug, msgctxt or "", msgid),
        ).fetchone()
        if row is None:
            return None
        return Draft(locale, slug, msgctxt, msgid, row[0], row[1])


@contextlib.contextmanager
def open_ledger(state_dir: Path) -> Iterator[Ledger]:
    ledger = Ledger.for_root(state_dir)
    try:
        yield ledger
    finally:
        ledger.close()
