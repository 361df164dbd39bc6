"""`edition sync`: bring every article's POT and PO files up to date.

Rules:

* A catalog whose entries are the article's is not written, whatever tool
  saved it and however (`workflow.layout`); one whose entries change keeps
  its layout but for the changed entries.  Header dates move only when
  entries change, so a no-op sync leaves every mtime alone.
* A catalog that cannot be parsed is reported with its line and left alone;
  the other catalogs and articles still sync.
* A translator's save that lands while we merge is never overwritten: the
  file is re-read just before the write and, if it changed, merged again.
* Work already known to be done is skipped: `.edition/sync.json` records,
  per article, the size, mtime and content hash of the article and its
  catalogs as the last sync left them, so a no-op run only stats files (and
  hashes the ones whose mtime moved without their content changing).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import FORMAT_VERSION, Settings
from .errors import CatalogError, WorkflowError
from .files import ANY, WriteBatch, atomic_move, atomic_write, root_lock, sha256
from .guard import Kept, kept_count, read_regular

if TYPE_CHECKING:
    from threading import Thread

    from polib import POFile

    from .catalog import MergeStats
    from .prepare import _Prepared, _Preparer

#: 2: files are keyed by their path relative to the content root, so that a
#: copied or moved root keeps its cache.  3: a catalog's recorded hash is
#: always that of sync's own rendering (`_State.own`).  4: a hard break
#: inside a code span, raw HTML or a title no longer cuts a segment, so every
#: article is segmented again.  5, 6: number-only cells leave the catalogs and
#: every `#.` names its heading, so every catalog is merged again.  7: a
#: catalog left as another tool wrote it is recorded too, with a fourth field
#: saying whether the bytes are sync's own rendering.  8 (main), 9: the
#: glossary's terms in the ``#.`` comments (`workflow.glossary`).
STATE_VERSION = 9
#: How often a catalog that keeps changing under us is merged again.
_RETRIES = 5


@dataclass
class FileChange:
    path: Path
    #: "created", "updated" or "unchanged".
    action: str
    stats: MergeStats | None = None


@dataclass
class SyncReport:
    changes: list[FileChange] = field(default_factory=list)
    errors: list[WorkflowError] = field(default_factory=list)
    #: Slugs that have catalogs but no article any more.
    orphans: list[str] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    #: Articles skipped because nothing changed since the last sync.
    cached: int = 0
    articles: int = 0

    @property
    def written(self) -> list[FileChange]:
        return [c for c in self.changes if c.action != "unchanged"]


def _fingerprint(settings: Settings) -> str:
    from . import __version__
    from .glossary import fingerprint as glossary_fingerprint

    data = [__version__, str(STATE_VERSION), FORMAT_VERSION, settings.source, settings.segment]
    data.append(settings.project)
    data += [settings.team, settings.bugs_to, str(settings.wrap), settings.references]
    data += settings.locales
    # The glossaries' terms are in the catalogs' comments.
    data += [glossary_fingerprint(settings, loc) for loc in settings.locales]
    return sha256("\0".join(data).encode())


class _State:
    """What the last sync left on disk, per article.

    A catalog is only ever recorded with the hash of bytes sync rendered
    itself (written, or read and found equal to its rendering), so a
    catalog that still has its recorded hash can be merged from its text
    (`workflow.splice`).  An article whose files sync cannot vouch for (a
    translator saved one while it merged) is forgotten, and prepared again
    by the next sync.
    """

    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        #: The root's name with a separator: file names under it, minus this,
        #: are their keys (settings.root is absolute and resolved).
        self.prefix = os.path.join(os.fspath(settings.root), "")
        self.path = settings.state_dir / "sync.json"
        self.fingerprint = _fingerprint(settings)
        self.articles: dict[str, dict[str, list[object]]] = {}
        #: Whether `save` has anything to write that the file does not say.
        self.dirty = True
        #: Descriptors of directories `_stat` resolves names from, by name.
        self._dirs: dict[str, int] = {}
        try:
            data = json.loads(read_regular(self.path)[0])
        except (OSError, ValueError):
            return  # derived state: a damaged file is rebuilt
        if (
            isinstance(data, dict)
            and data.get("version") == STATE_VERSION
            and data.get("settings") == self.fingerprint
            and isinstance(articles := data.get("articles", {}), dict)
            and all(
                isinstance(files, dict)
                and all(isinstance(r, list) and len(r) >= 2 for r in files.values())
                for files in articles.values()
            )
        ):
            self.articles = articles
            self.dirty = False

    def key(self, path: Path) -> str:
        """The file's path relative to the root (POSIX form), its key in the state."""
        name = os.fspath(path)
        if name.startswith(self.prefix) and os.sep == "/":
            return name[len(self.prefix) :]  # what relative_to gives, as text
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return name

    @staticmethod
    def stat(path: Path) -> list[object] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return [st.st_size, st.st_mtime_ns]

    def names(self, settings: Settings, path: Path, slug: str) -> list[tuple[str, str]]:
        """(state key, file name) of an article and its catalogs, as `key` and
        `catalog_paths` give them, built from strings: a no-op sync does this
        for every article, and pathlib would be most of its time."""
        article = os.fspath(path)
        if article.startswith(self.prefix):
            files = [(article[len(self.prefix) :], article)]
        else:
            files = [(self.key(path), article)]
        files.append((f"locales/{slug}.pot", f"{self.prefix}locales/{slug}.pot"))
        for locale in settings.locales:
            files.append(
                (f"locales/{locale}/{slug}.po", f"{self.prefix}locales/{locale}/{slug}.po")
            )
        return files

    def fresh(self, slug: str, files: Sequence[tuple[str, str]]) -> bool:
        """Whether the files, (key, name) pairs, are as the last sync left them.

        A matching size and mtime is enough; otherwise (a checkout, a copy,
        a touch) the content hash decides, and a match refreshes the stat.
        """
        recorded = self.articles.get(slug)
        if recorded is None:
            return False
        restat: dict[str, list[object]] = {}
        for key, name in files:
            was = recorded.get(key)
            if was is None:
                return False
            try:
                st = self._stat(name)
                if was[1] == st.st_mtime_ns and was[0] == st.st_size:
                    continue
                if was[0] != st.st_size or sha256(read_regular(name)[0]) != was[2]:
                    return False
            except OSError:  # gone, or no file any more: prepared, and reported there
                return False
            restat[key] = [st.st_size, st.st_mtime_ns, *was[2:]]
        if restat:
            recorded.update(restat)
            self.dirty = True
        return True

    def _stat(self, name: str) -> os.stat_result:
        """``os.stat(name)``, resolved from a descriptor of the file's
        directory kept open for the run: a no-op sync stats 8,000 files, and
        walking each long path from the root costs a third of each stat."""
        directory, _sep, base = name.rpartition(os.sep)
        fd = self._dirs.get(directory)
        if fd is None:
            if not directory or os.stat not in os.supports_dir_fd:
                return os.stat(name)
            try:
                fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                return os.stat(name)  # which says why, as a plain stat would
            self._dirs[directory] = fd
        return os.stat(base, dir_fd=fd)

    def close(self) -> None:
        """Close the directories `_stat` opened."""
        dirs, self._dirs = self._dirs, {}
        for fd in dirs.values():
            os.close(fd)

    def remember(self, slug: str, records: dict[Path, list[object]]) -> None:
        """Record an article's files from what sync read and wrote: (size,
        mtime, hash) of the very bytes it parsed or wrote, no file read again."""
        self.articles[slug] = {self.key(p): r for p, r in records.items()}
        self.dirty = True

    def own(self, slug: str) -> frozenset[str]:
        """Hashes of the article's template and catalogs as the last sync
        rendered them (not those it left as another tool wrote them)."""
        recorded = self.articles.get(slug, {})
        return frozenset(
            str(r[2])
            for key, r in recorded.items()
            if key.endswith((".po", ".pot")) and len(r) > 3 and r[3]
        )

    def forget(self, slug: str) -> None:
        if self.articles.pop(slug, None) is not None:
            self.dirty = True

    def save(self) -> None:
        """Write the state, unless it is what the file already says (a no-op sync)."""
        if not self.dirty:
            return
        data = {"version": STATE_VERSION, "settings": self.fingerprint, "articles": self.articles}
        atomic_write(self.path, json.dumps(data, sort_keys=True).encode("utf-8"))


class _Syncer:
    """One run: writes what `_Preparer` computed, in batches, and the state."""

    #: Files staged before one flush; bounds what a crash can cost.
    BATCH = 300

    def __init__(self, settings: Settings, check: bool, state: _State) -> None:
        self.settings = settings
        self.check = check
        self.state = state
        self._preparer: _Preparer | None = None
        self.report = SyncReport()
        self.batch = WriteBatch()
        #: Catalogs staged in the batch: how to merge them again on conflict.
        self.redo: dict[Path, tuple[_Prepared, str]] = {}
        #: Rows of sentence splits of the prepared articles, by slug, to keep.
        self.splits: dict[str, str] = {}
        #: Articles whose files are all staged, with their files' state
        #: records as this run read or staged them; recorded once committed.
        self.done: list[tuple[str, list[Path], dict[Path, list[object] | None]]] = []
        #: Catalogs staged or left alone, with what translators had written
        #: in them (`guard.kept_count`): recorded once on disk.
        self.counts: dict[Path, tuple[int, int]] = {}
        self._kept: Kept | None = None

    @property
    def kept(self) -> Kept:
        if self._kept is None:
            self._kept = Kept(self.settings.state_dir, self.settings.root)
        return self._kept

    @property
    def preparer(self) -> _Preparer:
        """The read-only half (`workflow.prepare`), imported only when there is work."""
        if self._preparer is None:
            from .catalog import now_stamp
            from .prepare import _Preparer

            self._preparer = _Preparer(self.settings, now_stamp(), write=not self.check)
        return self._preparer

    def article(self, prepared: _Prepared, watched: list[Path]) -> None:
        # The new bytes are in temporary files already (a worker wrote them):
        # the batch owns them from here, whatever happens next.
        for planned in prepared.files:
            if planned.tmp is not None:
                expect = ANY if planned.locale is None else planned.expect
                self.batch.adopt(planned.tmp, planned.path, expect)
        if prepared.splits is not None and not prepared.errors:
            self.splits[prepared.slug] = prepared.splits
        if prepared.error is not None:
            self.report.errors.append(prepared.error)
            self.state.forget(prepared.slug)
            return
        records: dict[Path, list[object] | None] = {prepared.path: prepared.source}
        for planned in prepared.files:
            self.report.changes.append(FileChange(planned.path, planned.action, planned.stats))
            if planned.kept is not None:
                self.counts[planned.path] = planned.kept
            if planned.tmp is None:  # unchanged, or --check
                seen = planned.seen
                records[planned.path] = None if seen is None else [*seen[:3], planned.own]
                continue
            if planned.locale is not None:
                self.redo[planned.path] = (prepared, planned.locale)
            assert planned.status is not None
            records[planned.path] = [*planned.status, planned.digest, planned.own]
        self.report.errors.extend(prepared.errors)
        if not prepared.errors and not self.check:
            self.done.append((prepared.slug, watched, records))
        else:
            self.state.forget(prepared.slug)
        if len(self.batch) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        conflicts = self.batch.commit()
        failed: set[str] = set()
        #: Articles with a catalog written again below: what this run
        #: staged for them is not what is on disk.
        merged_again: set[str] = set()
        templates: dict[str, POFile] = {}
        for path in conflicts:
            # A translator saved this catalog while we merged: merge their
            # version, and write it only if it is still theirs.
            prepared, locale = self.redo[path]
            slug = prepared.slug
            merged_again.add(slug)
            if slug not in templates:
                templates[slug] = self.preparer.rebuild(prepared)
            pot = templates[slug]
            for _attempt in range(_RETRIES):
                try:
                    text, old, _stats = self.preparer.merged(pot, path, locale)
                except CatalogError as exc:
                    self.report.errors.append(exc)
                    failed.add(slug)
                    self.counts.pop(path, None)
                    break
                single = WriteBatch()
                single.stage(path, text.encode("utf-8"), expect=old)
                if not single.commit():
                    self.counts[path] = kept_count(text)
                    break
            else:
                self.report.errors.append(
                    CatalogError(
                        "the catalog kept changing while sync merged it",
                        path=path,
                        hint="run sync again",
                    )
                )
                failed.add(slug)
                self.counts.pop(path, None)
        self.redo.clear()
        if not self.check:
            for path, count in self.counts.items():
                self.kept.set(path, count)
        self.counts.clear()
        for slug, watched, records in self.done:
            if slug in failed:
                self.state.forget(slug)
            elif slug in merged_again or not _complete(records, watched):
                # A catalog merged again, or one this run did not read or
                # write whole: what is on disk is not known to be sync's own
                # rendering (see _State).
                self.state.forget(slug)
            else:
                self.state.remember(slug, {p: r for p, r in records.items() if r is not None})
        self.done.clear()


def _complete(records: dict[Path, list[object] | None], watched: list[Path]) -> bool:
    """Whether ``records`` has a full (size, mtime, hash) for every watched file."""
    return set(records) == set(watched) and all(
        r is not None and len(r) >= 3 for r in records.values()
    )


def slug_for(path: str | Path) -> str:
    """`workflow.article.slug_for`, without importing Markdown and YAML for it."""
    # A Path's text never ends in a separator, so its basename is its name.
    name = os.path.basename(path) if isinstance(path, Path) else Path(path).name
    return name.removesuffix(".md")


def catalog_paths(settings: Settings, slug: str) -> list[Path]:
    return [settings.pot_path(slug)] + [settings.po_path(loc, slug) for loc in settings.locales]


def _stems(directory: Path, suffix: str) -> set[str]:
    """``{p.stem for p in directory.glob("*" + suffix)}``, without pathlib or fnmatch."""
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return set()
    cut = len(suffix)
    return {name[:-cut] for name in names if name.endswith(suffix) and len(name) > cut}


def orphan_slugs(settings: Settings, articles: Sequence[Path] | None = None) -> list[str]:
    """Slugs with catalogs but no article (``articles``: the root's, if already listed)."""
    paths = settings.article_paths() if articles is None else articles
    present = {slug_for(p) for p in paths}
    found: set[str] = set()
    if settings.locales_dir.is_dir():
        found.update(_stems(settings.locales_dir, ".pot"))
        for loc in settings.locales:
            found.update(_stems(settings.locales_dir / loc, ".po"))
    return sorted(found - present)


def prune(settings: Settings, slug: str) -> list[Path]:
    """Move a removed article's catalogs under locales/.obsolete/ (never delete)."""
    moved: list[Path] = []
    archive = settings.locales_dir / ".obsolete"
    for path in catalog_paths(settings, slug):
        if not path.exists():
            continue
        target = archive / path.relative_to(settings.locales_dir)
        n = 1
        while target.exists():
            target = target.with_name(f"{path.stem}.{n}{path.suffix}")
            n += 1
        atomic_move(path, target)
        moved.append(target)
    return moved


def sync(
    settings: Settings,
    paths: Sequence[Path],
    check: bool = False,
    prune_orphans: bool = False,
    all_articles: bool = True,
    wait: float = 30.0,
    jobs: int | None = None,
) -> SyncReport:
    """Sync the catalogs of the given article files.

    ``all_articles`` says whether ``paths`` is the whole archive, in which
    case catalogs without an article are reported (and pruned on request).
    ``jobs`` worker processes parse and merge the articles (default: one
    per CPU; 1 does everything in this process); the result is the same
    whatever it is, and only this process writes.
    """
    # --check only reads, and every write is atomic: it needs no lock.
    lock = contextlib.nullcontext() if check else root_lock(settings.state_dir, wait, "sync")
    with lock:
        state = _State(settings)
        syncer = _Syncer(settings, check, state)
        report = syncer.report
        from .glossary import load_glossary

        for locale in settings.locales:
            report.errors.extend(load_glossary(settings, locale).errors)
        #: Saves the new sentence splits while the last batch is committed
        #: and the state written: only a cache, it waits for nothing.
        splits_saver: Thread | None = None
        try:
            stale: list[tuple[Path, frozenset[str]]] = []
            watched: list[list[Path]] = []
            try:
                for path in paths:
                    slug = slug_for(path)
                    report.articles += 1
                    if state.fresh(slug, state.names(settings, path, slug)):
                        report.cached += 1
                        continue
                    stale.append((path, state.own(slug)))
                    watched.append([path, *catalog_paths(settings, slug)])
            finally:
                state.close()
            if stale:
                from .prepare import default_jobs, prepare_all

                jobs = default_jobs() if jobs is None else jobs
                prepared = prepare_all(syncer.preparer, stale, jobs)
                for files, item in zip(watched, prepared, strict=True):
                    syncer.article(item, files)
            if syncer.splits and not check:
                import threading  # not for a no-op

                from .sentcache import FILE, save

                # The key the workers read the splits with.
                rows = (settings.state_dir / FILE, syncer.preparer.splits.key, syncer.splits)
                splits_saver = threading.Thread(target=save, args=rows, name="splits")
                splits_saver.start()
            syncer.flush()
            if all_articles:
                # ``paths`` is the whole archive here: no need to list it again.
                report.orphans = orphan_slugs(settings, paths)
                for slug in report.orphans:
                    state.forget(slug)
                    if prune_orphans and not check:
                        report.pruned.extend(prune(settings, slug))
            if not check:
                state.save()
                if syncer._kept is not None:
                    syncer.kept.save()
        finally:
            syncer.batch.discard()
            if splits_saver is not None:
                splits_saver.join()
        if report.orphans and not check:
            from .sentcache import FILE, cache_key, save

            splits = settings.state_dir / FILE
            if splits.exists():
                save(splits, cache_key(), {}, report.orphans)
    return report
