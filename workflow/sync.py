"""`edition sync`: bring every article's POT and PO files up to date.

Rules:

* A file whose rendering would not change is not written; header dates move
  only when entries change, so a no-op sync leaves every mtime alone.
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
import itertools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polib

from .article import Article, load_article, parse_article, slug_for
from .catalog import MergeStats, build_template, merge, new_catalog, now_stamp
from .config import Settings
from .errors import CatalogError, WorkflowError
from .files import (
    WriteBatch,
    atomic_move,
    atomic_write,
    release_inherited_locks,
    root_lock,
    sha256,
)
from .poformat import RenderCache, format_po, parse_po

#: 2: files are keyed by their path relative to the content root, so that a
#: copied or moved root keeps its cache.
STATE_VERSION = 2
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
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool = version("edition")
    except PackageNotFoundError:  # running from a checkout
        tool = "dev"
    data = [tool, str(STATE_VERSION), settings.source, settings.segment, settings.project]
    data += [settings.team, settings.bugs_to, *settings.locales]
    return sha256("\0".join(data).encode())


class _State:
    """What the last sync left on disk, per article."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.path = settings.state_dir / "sync.json"
        self.fingerprint = _fingerprint(settings)
        self.articles: dict[str, dict[str, list[object]]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if data.get("version") == STATE_VERSION and data.get("settings") == self.fingerprint:
            self.articles = data.get("articles", {})

    def key(self, path: Path) -> str:
        """The file's path relative to the root (POSIX form), its key in the state."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @staticmethod
    def stat(path: Path) -> list[object] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return [st.st_size, st.st_mtime_ns]

    def fresh(self, slug: str, paths: Sequence[Path]) -> bool:
        """Whether the files are as the last sync left them.

        A matching size and mtime is enough; otherwise (a checkout, a copy,
        a touch) the content hash decides, and a match refreshes the stat.
        """
        recorded = self.articles.get(slug)
        if recorded is None:
            return False
        restat: dict[str, list[object]] = {}
        for p in paths:
            key = self.key(p)
            now = self.stat(p)
            was = recorded.get(key)
            if now is None or was is None:
                return False
            if was[:2] == now:
                continue
            if was[0] != now[0] or sha256(p.read_bytes()) != was[2]:
                return False
            restat[key] = [*now, was[2]]
        recorded.update(restat)
        return True

    def record(self, slug: str, paths: Sequence[Path]) -> None:
        entry: dict[str, list[object]] = {}
        for p in paths:
            st = self.stat(p)
            if st is None:
                self.articles.pop(slug, None)
                return
            entry[self.key(p)] = [*st, sha256(p.read_bytes())]
        self.articles[slug] = entry

    def forget(self, slug: str) -> None:
        self.articles.pop(slug, None)

    def save(self) -> None:
        data = {"version": STATE_VERSION, "settings": self.fingerprint, "articles": self.articles}
        atomic_write(self.path, json.dumps(data, sort_keys=True).encode("utf-8"))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            "not UTF-8", path=path, line=line, hint="save the file as UTF-8"
        ) from exc


def _render_with_date(po: polib.POFile, name: str, value: str, cache: RenderCache) -> str:
    po.metadata[name] = value
    return format_po(po, cache=cache)


def _creation_date(old: bytes, path: Path) -> str | None:
    """POT-Creation-Date of an existing template, read from its header entry alone.

    Only used to test whether the new rendering equals the old file.  When
    it does, the old file is our own output, and the header entry of our
    output (its first block, up to the first blank line) says exactly what a
    parse of the whole file says.  When it does not, the file is rewritten
    with the new date whatever this returned.  So reading the header alone
    decides the same as parsing every entry, for a fraction of the cost.
    """
    try:
        head = _decode(old, path).split("\n\n", 1)[0]
        return parse_po(head, str(path)).metadata.get("POT-Creation-Date")
    except CatalogError:
        return None  # our own file, damaged: regenerate it


@dataclass
class _Planned:
    """One catalog file as `_Preparer` left it: what to write, if anything."""

    path: Path
    #: None for the template, else the catalog's locale.
    locale: str | None
    #: "created", "updated" or "unchanged".
    action: str
    #: The new bytes, unless unchanged.
    data: bytes | None
    #: The bytes read before merging (a catalog's expectation when staged).
    old: bytes | None
    stats: MergeStats | None


@dataclass
class _Prepared:
    """Everything one article's sync computes before anything is written."""

    path: Path
    slug: str
    #: The article could not be read or parsed.
    error: WorkflowError | None = None
    #: The article's text as parsed, to build the same template again when a
    #: catalog has to be merged again (a translator saved it meanwhile).
    text: str = ""
    #: The template's POT-Creation-Date, which merged catalogs carry.
    stamp: str = ""
    files: list[_Planned] = field(default_factory=list)
    #: Catalogs that could not be merged (malformed), in locale order.
    errors: list[CatalogError] = field(default_factory=list)


class _Preparer:
    """The read-only half of a sync: parse, build, merge and render one article.

    Pure but for reading files, so it runs in worker processes; the writes
    stay with `_Syncer` in the process that holds the lock.
    """

    def __init__(self, settings: Settings, stamp: str) -> None:
        self.settings = settings
        self.stamp = stamp
        #: Rendered entries of the article at hand: its template and catalogs
        #: share most of them, and each is rendered twice (old and new date).
        self.cache: RenderCache = {}

    def article(self, path: Path) -> _Prepared:
        slug = slug_for(path)
        try:
            article = load_article(path, self.settings.segment)
        except WorkflowError as exc:
            return _Prepared(path, slug, error=exc)
        self.cache.clear()
        pot, planned = self.template(article)
        prepared = _Prepared(path, slug, text=article.text, stamp=pot.metadata["POT-Creation-Date"])
        prepared.files.append(planned)
        for locale in self.settings.locales:
            po_path = self.settings.po_path(locale, slug)
            try:
                text, old, stats = self.merged(pot, po_path, locale)
            except CatalogError as exc:
                prepared.errors.append(exc)
                continue
            prepared.files.append(_plan(po_path, locale, text, old, stats))
        return prepared

    def rebuild(self, prepared: _Prepared) -> polib.POFile:
        """The template `article` built for ``prepared``, built again."""
        article = parse_article(prepared.text, str(prepared.path), self.settings.segment)
        return build_template(article, self.settings, prepared.stamp)

    def template(self, article: Article) -> tuple[polib.POFile, _Planned]:
        path = self.settings.pot_path(article.slug)
        old = _read(path)
        old_stamp = None if old is None else _creation_date(old, path)
        pot = build_template(article, self.settings, old_stamp or self.stamp)
        text = format_po(pot, cache=self.cache)
        if old is not None and text.encode("utf-8") != old:
            pot.metadata["PO-Revision-Date"] = self.stamp
            text = _render_with_date(pot, "POT-Creation-Date", self.stamp, self.cache)
        return pot, _plan(path, None, text, old, None)

    def merged(
        self, pot: polib.POFile, path: Path, locale: str
    ) -> tuple[str, bytes | None, MergeStats]:
        old = _read(path)
        if old is None:
            po = new_catalog(pot, locale, self.settings, self.stamp)
            return format_po(po, cache=self.cache), None, MergeStats(added=len(pot))
        current = parse_po(_decode(old, path), str(path))
        po, stats = merge(pot, current, locale, self.settings)
        # Unchanged entries keep the old date in the header.
        text = _render_with_date(
            po, "POT-Creation-Date", current.metadata.get("POT-Creation-Date", ""), self.cache
        )
        if text.encode("utf-8") != old:
            text = _render_with_date(
                po, "POT-Creation-Date", pot.metadata["POT-Creation-Date"], self.cache
            )
        return text, old, stats


def _plan(
    path: Path, locale: str | None, text: str, old: bytes | None, stats: MergeStats | None
) -> _Planned:
    data = text.encode("utf-8")
    if old == data:
        return _Planned(path, locale, "unchanged", None, None, stats)
    action = "created" if old is None else "updated"
    # Only a catalog's write is conditional on what was read.
    return _Planned(path, locale, action, data, old if locale is not None else None, stats)


#: Set in each worker process by `_start_worker`.
_WORKER: _Preparer | None = None


def _start_worker(settings: Settings, stamp: str) -> None:
    global _WORKER
    # A forked worker must not keep the root's lock alive should the parent die.
    release_inherited_locks()
    _WORKER = _Preparer(settings, stamp)


def _prepare_chunk(paths: list[Path]) -> list[_Prepared]:
    assert _WORKER is not None
    return [_WORKER.article(p) for p in paths]


#: Fewer stale articles than this are prepared in-process: starting workers
#: would cost more than it saves.
PARALLEL_MIN = 16
#: Articles per task sent to a worker.
_CHUNK = 8


def default_jobs() -> int:
    """Worker processes for a sync: one per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _prepare_all(preparer: _Preparer, paths: list[Path], jobs: int) -> Iterator[_Prepared]:
    """Every article prepared, in the order of ``paths`` whatever ``jobs`` is."""
    if jobs <= 1 or len(paths) < PARALLEL_MIN:
        for path in paths:
            yield preparer.article(path)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunks = iter([paths[i : i + _CHUNK] for i in range(0, len(paths), _CHUNK)])
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(preparer.settings, preparer.stamp),
    ) as pool:
        # A bounded window of tasks, consumed in order: the output does not
        # depend on which worker finishes first, and memory stays flat.
        pending: deque[Future[list[_Prepared]]] = deque(
            pool.submit(_prepare_chunk, chunk) for chunk in itertools.islice(chunks, 4 * jobs)
        )
        try:
            while pending:
                done = pending.popleft().result()
                chunk = next(chunks, None)
                if chunk is not None:
                    pending.append(pool.submit(_prepare_chunk, chunk))
                yield from done
        finally:
            for future in pending:
                future.cancel()


class _Syncer:
    """One run: writes what `_Preparer` computed, in batches, and the state."""

    #: Files staged before one flush; bounds what a crash can cost.
    BATCH = 300

    def __init__(self, settings: Settings, check: bool, state: _State) -> None:
        self.settings = settings
        self.check = check
        self.state = state
        self.preparer = _Preparer(settings, now_stamp())
        self.report = SyncReport()
        self.batch = WriteBatch()
        #: Catalogs staged in the batch: how to merge them again on conflict.
        self.redo: dict[Path, tuple[_Prepared, str]] = {}
        #: Articles whose files are all staged; recorded once committed.
        self.done: list[tuple[str, list[Path]]] = []

    def article(self, prepared: _Prepared, watched: list[Path]) -> None:
        if prepared.error is not None:
            self.report.errors.append(prepared.error)
            self.state.forget(prepared.slug)
            return
        for planned in prepared.files:
            self.report.changes.append(FileChange(planned.path, planned.action, planned.stats))
            if planned.data is None or self.check:
                continue
            if planned.locale is None:
                self.batch.stage(planned.path, planned.data)
            else:
                self.batch.stage(planned.path, planned.data, expect=planned.old)
                self.redo[planned.path] = (prepared, planned.locale)
        self.report.errors.extend(prepared.errors)
        if not prepared.errors and not self.check:
            self.done.append((prepared.slug, watched))
        else:
            self.state.forget(prepared.slug)
        if len(self.batch) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        conflicts = self.batch.commit()
        failed: set[str] = set()
        templates: dict[str, polib.POFile] = {}
        for path in conflicts:
            # A translator saved this catalog while we merged: merge their
            # version, and write it only if it is still theirs.
            prepared, locale = self.redo[path]
            slug = prepared.slug
            if slug not in templates:
                templates[slug] = self.preparer.rebuild(prepared)
            pot = templates[slug]
            for _attempt in range(_RETRIES):
                try:
                    text, old, _stats = self.preparer.merged(pot, path, locale)
                except CatalogError as exc:
                    self.report.errors.append(exc)
                    failed.add(slug)
                    break
                single = WriteBatch()
                single.stage(path, text.encode("utf-8"), expect=old)
                if not single.commit():
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
        self.redo.clear()
        for slug, watched in self.done:
            if slug in failed:
                self.state.forget(slug)
            else:
                self.state.record(slug, watched)
        self.done.clear()


def catalog_paths(settings: Settings, slug: str) -> list[Path]:
    return [settings.pot_path(slug)] + [settings.po_path(loc, slug) for loc in settings.locales]


def orphan_slugs(settings: Settings) -> list[str]:
    """Slugs with catalogs but no article."""
    present = {slug_for(p) for p in settings.article_paths()}
    found: set[str] = set()
    if settings.locales_dir.is_dir():
        found.update(p.stem for p in settings.locales_dir.glob("*.pot"))
        for loc in settings.locales:
            found.update(p.stem for p in (settings.locales_dir / loc).glob("*.po"))
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
        try:
            stale: list[Path] = []
            watched: list[list[Path]] = []
            for path in paths:
                slug = slug_for(path)
                files = [path, *catalog_paths(settings, slug)]
                report.articles += 1
                if state.fresh(slug, files):
                    report.cached += 1
                    continue
                stale.append(path)
                watched.append(files)
            jobs = default_jobs() if jobs is None else jobs
            prepared = _prepare_all(syncer.preparer, stale, jobs)
            for files, item in zip(watched, prepared, strict=True):
                syncer.article(item, files)
            syncer.flush()
        finally:
            syncer.batch.discard()
        if all_articles:
            report.orphans = orphan_slugs(settings)
            for slug in report.orphans:
                state.forget(slug)
                if prune_orphans and not check:
                    report.pruned.extend(prune(settings, slug))
        if not check:
            state.save()
    return report
