"""The only place that writes to disk: atomic writes and the root's lock.

Every write goes to a temporary file in the target's directory, is fsynced
and renamed over the target, and the directory is fsynced, so a crash leaves
either the old file or the new one, never half of either.  Writers of one
content root are kept apart by an advisory lock on `.edition/lock`, which
the kernel releases when its holder dies, so a killed run never leaves a
stale lock behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import hashlib
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import LockError, WorkflowError
from .guard import read_lease, read_regular


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file whole."""
    tmp, _status = write_temp(path, data, flush=True)
    try:
        os.replace(tmp, path)
    except BaseException:
        remove_temp(tmp)
        raise
    fsync_dir(path.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def syncfs(directory: Path) -> None:
    """Flush the filesystem holding ``directory``: one flush for a whole batch.

    One syncfs costs about what a single fsync does, where an fsync per file
    of a 6,000-file sync costs seconds.
    """
    libc = _libc()
    if libc is not None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syncfs  # noqa: B018 - probe that the symbol exists
    except (OSError, AttributeError):
        return None
    return libc


#: `WriteBatch.stage`'s default: write whatever the file holds by then.
ANY = object()


class Digest(str):
    """`WriteBatch.stage`'s ``expect`` given as the sha256 (hex) of the bytes
    the target must still hold, rather than the bytes themselves."""


def write_temp(path: Path, data: bytes, flush: bool = False) -> tuple[str, os.stat_result]:
    """Write ``data`` to a new temporary file beside ``path``, with the
    permissions ``path`` has (or would get); return its name and status.

    Flushed only on request: `WriteBatch.commit` flushes a whole batch at
    once.  Any process may write one (sync's workers do); the one that
    holds the root's lock adopts it into a batch (`WriteBatch.adopt`) and
    renames it.
    """
    fd, tmp = _create_temp(path)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if flush:
            os.fsync(fd)
        os.fchmod(fd, _mode_for(path))
        status = os.fstat(fd)
    except BaseException:
        os.close(fd)
        remove_temp(tmp)
        raise
    os.close(fd)
    return tmp, status


#: Temporary names are ``.NAME.PID-N.tmp``: unique in this process, and a
#: name a killed run left behind is simply skipped (O_EXCL).
_TEMP_NAMES = itertools.count()


def _create_temp(path: Path) -> tuple[int, str]:
    """A new, empty file beside ``path``, open for writing, readable by its
    owner only until `write_temp` gives it ``path``'s permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    directory = os.fspath(path.parent)
    for _attempt in range(100):
        tmp = os.path.join(directory, f".{path.name}.{os.getpid()}-{next(_TEMP_NAMES)}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(tmp, flags, 0o600), tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", directory)


def remove_temp(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


class WriteBatch:
    """Many atomic writes with one flush.

    Staged data goes to temporary files beside their targets; `commit`
    flushes the filesystem once, then renames each temporary file over its
    target, so every target is still replaced whole, old or new.  A target
    staged with ``expect`` (its bytes when they were read, or their
    `Digest`; None for absent) is only replaced if it still holds them: a
    translator's save that landed in the meantime is never overwritten;
    `commit` returns those paths.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path, object]] = []

    def __len__(self) -> int:
        return len(self._staged)

    def stage(self, path: Path, data: bytes, expect: object = ANY) -> os.stat_result:
        """Write ``data`` to a temporary file beside ``path``; return its status.

        A rename keeps the file's size and mtime: once committed (and not a
        conflict), that is the status of ``path``.
        """
        tmp, status = write_temp(path, data)
        self._staged.append((tmp, path, expect))
        return status

    def adopt(self, tmp: str, path: Path, expect: object = ANY) -> None:
        """Stage a temporary file `write_temp` wrote for ``path``."""
        self._staged.append((tmp, path, expect))

    def commit(self) -> list[Path]:
        staged, self._staged = self._staged, []
        if not staged:
            return []
        conflicts: list[Path] = []
        #: How many staged files were renamed or removed: the rest are
        #: removed should anything fail.
        done = 0
        try:
            syncfs(staged[0][1].parent)
            directories: set[Path] = set()
            for tmp, path, expect in staged:
                if expect is ANY:
                    os.replace(tmp, path)
                else:
                    if not _replace_if(tmp, path, expect):
                        conflicts.append(path)
                    # Ours, refused; or after an exchange, the old file.
                    remove_temp(tmp)
                directories.add(path.parent)
                done += 1
            for directory in directories:
                fsync_dir(directory)
        finally:
            for tmp, _path, _expect in staged[done:]:
                remove_temp(tmp)
        return conflicts

    def discard(self) -> None:
        for tmp, _path, _expect in self._staged:
            remove_temp(tmp)
        self._staged = []


#: renameat2's flags (linux/fs.h).
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2(source: str, target: Path, flags: int) -> bool:
    """renameat2(2) with ``flags``; False where the kernel or filesystem
    lacks it (the caller falls back on a plain rename)."""
    libc = _libc()
    func = getattr(libc, "renameat2", None) if libc is not None else None
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(target))


def _replace_if(tmp: str, path: Path, expect: object) -> bool:
    """Rename ``tmp`` over ``path`` if ``path`` holds ``expect``; whether it did.

    A check followed by a rename leaves a window in which a save would be
    overwritten.  Where Linux allows, the two files are exchanged instead
    (one atomic step) and what came out of ``path`` is checked: a save that
    landed in the window is exchanged back, so it is never lost.
    """
    if expect is None:
        if not _holds(path, expect):
            return False
        # No file was read: refuse to replace one created meanwhile.
        try:
            if _renameat2(tmp, path, _RENAME_NOREPLACE):
                return True
        except FileExistsError:
            return False
        os.replace(tmp, path)
        return True
    with read_lease(path) as lease:
        # Open for writing elsewhere (False): an editor's save in progress.
        if lease is False or not _holds(path, expect):
            return False
        try:
            exchanged = _renameat2(tmp, path, _RENAME_EXCHANGE)
        except FileNotFoundError:  # removed meanwhile: that is a change too
            return False
        if not exchanged:
            os.replace(tmp, path)
            return True
        if _holds(Path(tmp), expect):
            return True  # ``tmp`` now names the old file, which the caller removes
        # A save landed between the check and the exchange: put it back.
        _renameat2(tmp, path, _RENAME_EXCHANGE)
        return False


def _holds(path: Path, expect: object) -> bool:
    """Whether ``path`` holds what ``expect`` says (bytes, a `Digest`, None
    for no file)."""
    try:
        data, _status = read_with_status(path)
    except FileNotFoundError:
        return expect is None
    except OSError:  # no longer a regular file: not what was read
        return False
    if isinstance(expect, Digest):
        return sha256(data) == expect
    return data == expect


def _mode_for(path: Path) -> int:
    """The permissions a new version of ``path`` gets: the file's own (a
    translator's umask, a group setting), or the umask's for a new file."""
    try:
        return os.stat(path).st_mode & 0o7777
    except (FileNotFoundError, NotADirectoryError):
        return 0o666 & ~_umask()


def read_with_status(path: Path) -> tuple[bytes, os.stat_result]:
    """A file's bytes and its status, taken from the open file before reading:
    a later change moves the mtime, so a record of (status, hash of these
    bytes) never vouches for content that was not read.

    Anything but a regular file is refused before it is opened
    (`guard.read_regular`): a FIFO would hang the run.
    """
    return read_regular(path)


def atomic_move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    fsync_dir(target.parent)
    fsync_dir(source.parent)


#: Descriptors of the locks this process holds (see `release_inherited_locks`).
_HELD_LOCKS: set[int] = set()


def release_inherited_locks() -> None:
    """Close, in a forked child, the descriptors of the locks its parent holds.

    flock() belongs to the open file, which a fork shares: a worker that kept
    the descriptor would keep the root locked after its parent died.
    Closing the child's copy leaves the parent's lock as it is.
    """
    for fd in sorted(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


@contextlib.contextmanager
def root_lock(state_dir: Path, wait: float = 30.0, what: str = "edition") -> Iterator[None]:
    """Hold the content root's lock; wait up to ``wait`` seconds for it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise WorkflowError(f"cannot lock: {exc.strerror}", path=path) from exc
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    raise LockError(
                        f"another edition process is working on this root ({holder or 'unknown'})",
                        path=path,
                        hint=f"wait for it to finish and run {what} again",
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {what}\n".encode(), 0)
        _HELD_LOCKS.add(fd)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)
