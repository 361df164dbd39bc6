"""What the tool refuses to trust: files that are not files, reads that are
not stable, catalogs that lost their translations, control characters.

Rules:

* A path that is not a regular file (a FIFO, a directory, a device, a
  symlink to one or a symlink loop) is refused from its status alone: it
  is never opened, so a FIFO cannot hang a run.
* A read is only trusted when the file's size, mtime and inode are the same
  before and after it, and the bytes read are the whole file; a file that
  keeps changing is read again for a moment, then refused.
* A catalog that looks like half of a save (no entries, fewer entries than
  the last version sync or draft saw, `.edition/kept.json`, or fewer
  translations with its last entry empty) while another process has it
  open for writing (a Linux read lease is refused) is taken for an editor
  that truncated it and is still writing: it is read again for a moment,
  then refused, never written over.  Nobody writing it, it is a whole save
  and is taken; where the kernel cannot tell, once left alone for
  `QUIET_SECONDS`.  No tool can do better against a writer that truncates
  in place: between its truncate and its write the file *is* what it says,
  so the only defences are not to trust that state and to check again,
  under a lease, just before the rename (`files.WriteBatch.commit`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import signal
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import CatalogError

#: Characters no catalog or front-matter text may hold: C0 controls but tab
#: and newline, DEL, C1 controls, and the non-characters U+FFFE and U+FFFF.
#: gettext, YAML and HTML each refuse some of them.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")

#: A catalog that lost entries is taken as meant once unchanged this long.
QUIET_SECONDS = 10.0
#: How long a read waits for a file that is changing, or lost entries, to settle.
SETTLE_SECONDS = 2.0
_PAUSE = 0.05


def control_name(char: str) -> str:
    """How an error names a control character: U+000B."""
    return f"U+{ord(char):04X}"


class NotRegularFile(OSError):
    """The path is not a regular file; refused before it is opened."""


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refuse(status: os.stat_result, path: str | Path) -> None:
    kind = _kind(status.st_mode)
    if kind == "a directory":
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if kind is not None:
        raise NotRegularFile(errno.EINVAL, f"{kind}, not a regular file", os.fspath(path))


def regular_status(path: str | Path) -> os.stat_result:
    """``os.stat(path)``, refusing anything but a regular file (`NotRegularFile`)."""
    status = os.stat(path)
    _refuse(status, path)
    return status


def read_regular(path: str | Path) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes and its status from the open file.

    The status is checked before opening, and the open does not block (a
    FIFO swapped in meanwhile is then refused by its descriptor's status).
    """
    regular_status(path)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        status = os.fstat(fd)
        _refuse(status, path)
        # One byte more than the file had: a short read is the end of it.
        data = os.read(fd, status.st_size + 1)
        if len(data) > status.st_size:  # it grew meanwhile
            chunks = [data]
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return data, status


@contextlib.contextmanager
def read_lease(path: str | Path) -> Iterator[bool | None]:
    """Hold a read lease on ``path`` while the block runs, where Linux grants
    one.  Yields True when held, False when another process has the file open
    for writing (an editor's save in progress), None when unknown (no file,
    another owner, NFS).

    The kernel refuses a read lease on a file open for writing, and while
    the lease is held, anyone opening the file to write waits until it is
    released: a check and a rename under it cannot be overtaken by a save.
    The lease break is signalled with SIGURG, ignored by default (SIGIO, the
    default, would end the process).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        yield None
        return
    state: bool | None = None
    try:
        try:
            fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
            state = True
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                state = False
        yield state
    finally:
        if state:
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        os.close(fd)


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size, a.st_mtime_ns, a.st_ino) == (b.st_size, b.st_mtime_ns, b.st_ino)


def read_stable(path: str | Path, settle: float = SETTLE_SECONDS) -> tuple[bytes, os.stat_result]:
    """`read_regular`, trusted only when nothing changed the file during the
    read; a file still changing after ``settle`` seconds is refused."""
    deadline = time.monotonic() + settle
    while True:
        data, status = read_regular(path)
        after = os.stat(path)
        if _same(status, after) and len(data) == after.st_size:
            return data, status
        if time.monotonic() >= deadline:
            raise CatalogError(
                "the file kept changing while it was read",
                path=path,
                hint="run the command again once it is saved",
            )
        time.sleep(_PAUSE)


_MSGSTR = re.compile(r'^(?:#~ )?msgstr(?:\[\d+\])? "(.*)"$')
_CONTINUED = re.compile(r'^(?:#~ )?"(.+)"$')


def _entries(text: str) -> list[list[str]]:
    """The lines of each entry of a catalog's text, the header left out."""
    entries = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            if line.startswith(("msgid ", "#~ msgid ")):
                header = (
                    line.endswith('msgid ""')
                    and not (i + 1 < len(lines) and _CONTINUED.match(lines[i + 1]))
                    and not any(x.startswith(("msgctxt", "#~ msgctxt")) for x in lines)
                )
                if not header:
                    entries.append(lines)
                break
    return entries


def _written(lines: list[str]) -> bool:
    """Whether an entry has a translation or a translator comment."""
    in_msgstr = False
    for line in lines:
        if line == "#" or (line.startswith("# ") and not line.startswith("#~")):
            return True
        match = _MSGSTR.match(line)
        if match:
            if match.group(1):
                return True
            in_msgstr = True
        elif in_msgstr and _CONTINUED.match(line):
            return True
        else:
            in_msgstr = False
    return False


def kept_count(text: str) -> tuple[int, int]:
    """A catalog's entries (live or obsolete, not the header), and how many
    of them have a translation or a translator comment: neither ever goes
    down in a sync or a draft."""
    entries = _entries(text)
    return len(entries), sum(_written(lines) for lines in entries)


def _suspect(text: str, known: tuple[int, int] | None) -> str | None:
    """Why a catalog's text looks like half of a save, if it does.

    A writer that truncates, then writes, leaves a prefix of the file: no
    entries at all, fewer entries than before, or (cut after an empty
    ``msgstr ""`` whose lines were still to come) fewer translations with the
    last entry untranslated.  A translator who clears a translation leaves
    every entry in place, which is not taken for a cut unless it is the last.
    """
    entries = _entries(text)
    if not entries:
        return "has no entries"
    if known is None:
        return None
    count, written = len(entries), sum(_written(lines) for lines in entries)
    if count < known[0]:
        return f"has {count} entries where the last version had {known[0]}"
    if written < known[1] and not _written(entries[-1]):
        return (
            f"has {written} translated or commented entries where the last version had {known[1]}"
        )
    return None


class Kept:
    """Per catalog, `kept_count` of the last version sync or draft read
    whole or wrote: `.edition/kept.json`, a cache like the rest of `.edition/`
    (lost, it only means the next read has nothing to compare with)."""

    FILE = "kept.json"

    def __init__(self, state_dir: Path, root: Path) -> None:
        self.path = state_dir / self.FILE
        self.root = root
        self.counts: dict[str, list[int]] = {}
        self.dirty = False
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(read_regular(self.path)[0])
            if isinstance(data, dict) and all(
                isinstance(v, list) and len(v) == 2 and all(type(n) is int for n in v)
                for v in data.values()
            ):
                self.counts = data

    def key(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return os.fspath(path)

    def get(self, path: Path) -> tuple[int, int] | None:
        found = self.counts.get(self.key(path))
        return None if found is None else (found[0], found[1])

    def set(self, path: Path, counts: tuple[int, int]) -> None:
        key = self.key(path)
        if self.counts.get(key) != list(counts):
            self.counts[key] = list(counts)
            self.dirty = True

    def save(self) -> None:
        from .files import atomic_write

        if self.dirty:
            atomic_write(self.path, json.dumps(self.counts, sort_keys=True).encode("utf-8"))
            self.dirty = False


def trusted_catalog(
    path: Path, known: tuple[int, int] | None, settle: float = SETTLE_SECONDS
) -> tuple[bytes, os.stat_result]:
    """A catalog's bytes, read stable, unless they look like half of a save
    (`_suspect`, against ``known``, the last version seen) while a writer
    still has the file open: then read again until ``settle`` runs out, and
    refused.  A file that looks cut but that nobody is writing is a whole
    save (an editor's copy opened before sync added entries, a translator
    who cleared a translation) and is taken; where the kernel cannot say
    (`read_lease`), it is taken once left alone for `QUIET_SECONDS`."""
    deadline = time.monotonic() + settle
    while True:
        data, status = read_stable(path, settle)
        why = _suspect(data.decode("utf-8", "replace"), known)
        if why is None:
            return data, status
        with read_lease(path) as lease:
            writing = lease is False
            if lease is None:
                writing = time.time() - status.st_mtime_ns / 1e9 < QUIET_SECONDS
        if not writing:
            return data, status
        if time.monotonic() >= deadline:
            raise CatalogError(
                f"{why}, and it is open for writing: it may be half-saved, "
                "so it was not written over",
                path=path,
                line=1,
                hint="run the command again once the editor has saved it",
            )
        time.sleep(_PAUSE * 2)
