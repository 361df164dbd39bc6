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
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polib

from .article import Article, load_article, slug_for
from .catalog import MergeStats, build_template, merge, new_catalog, now_stamp
from .config import Settings
from .errors import CatalogError, WorkflowError
from .files import WriteBatch, atomic_move, atomic_write, root_lock, sha256
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


class _Syncer:
    """One run: merges articles' catalogs and writes them in batches."""

    #: Files staged before one flush; bounds what a crash can cost.
    BATCH = 300

    def __init__(self, settings: Settings, check: bool, state: _State) -> None:
        self.settings = settings
        self.check = check
        self.state = state
        self.stamp = now_stamp()
        self.report = SyncReport()
        self.batch = WriteBatch()
        #: Catalogs staged in the batch: how to merge them again on conflict.
        self.redo: dict[Path, tuple[polib.POFile, str, str]] = {}
        #: Articles whose files are all staged; recorded once committed.
        self.done: list[tuple[str, list[Path]]] = []
        #: Rendered entries of the article at hand: its template and catalogs
        #: share most of them, and each is rendered twice (old and new date).
        self.cache: RenderCache = {}

    def change(
        self, path: Path, text: str, old: bytes | None, stats: MergeStats | None
    ) -> bytes | None:
        """Record the change; the bytes to write, or None when there is nothing to write."""
        data = text.encode("utf-8")
        action = "unchanged" if old == data else "created" if old is None else "updated"
        self.report.changes.append(FileChange(path, action, stats))
        return None if action == "unchanged" or self.check else data

    def template(self, article: Article) -> polib.POFile:
        path = self.settings.pot_path(article.slug)
        old = _read(path)
        old_stamp = None if old is None else _creation_date(old, path)
        pot = build_template(article, self.settings, old_stamp or self.stamp)
        text = format_po(pot, cache=self.cache)
        if old is not None and text.encode("utf-8") != old:
            pot.metadata["PO-Revision-Date"] = self.stamp
            text = _render_with_date(pot, "POT-Creation-Date", self.stamp, self.cache)
        data = self.change(path, text, old, None)
        if data is not None:
            self.batch.stage(path, data)
        return pot

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

    def catalog(self, pot: polib.POFile, slug: str, locale: str) -> None:
        path = self.settings.po_path(locale, slug)
        text, old, stats = self.merged(pot, path, locale)
        data = self.change(path, text, old, stats)
        if data is not None:
            self.batch.stage(path, data, expect=old)
            self.redo[path] = (pot, slug, locale)

    def article(self, article: Article, watched: list[Path]) -> None:
        self.cache.clear()
        pot = self.template(article)
        ok = True
        for locale in self.settings.locales:
            try:
                self.catalog(pot, article.slug, locale)
            except CatalogError as exc:
                self.report.errors.append(exc)
                ok = False
        if ok and not self.check:
            self.done.append((article.slug, watched))
        else:
            self.state.forget(article.slug)
        if len(self.batch) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        conflicts = self.batch.commit()
        failed: set[str] = set()
        for path in conflicts:
            # A translator saved this catalog while we merged: merge their
            # version, and write it only if it is still theirs.
            pot, slug, locale = self.redo[path]
            for _attempt in range(_RETRIES):
                try:
                    text, old, _stats = self.merged(pot, path, locale)
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
) -> SyncReport:
    """Sync the catalogs of the given article files.

    ``all_articles`` says whether ``paths`` is the whole archive, in which
    case catalogs without an article are reported (and pruned on request).
    """
    # --check only reads, and every write is atomic: it needs no lock.
    lock = contextlib.nullcontext() if check else root_lock(settings.state_dir, wait, "sync")
    with lock:
        state = _State(settings)
        syncer = _Syncer(settings, check, state)
        report = syncer.report
        try:
            for path in paths:
                slug = slug_for(path)
                watched = [path, *catalog_paths(settings, slug)]
                report.articles += 1
                if state.fresh(slug, watched):
                    report.cached += 1
                    continue
                try:
                    article = load_article(path, settings.segment)
                except WorkflowError as exc:
                    report.errors.append(exc)
                    state.forget(slug)
                    continue
                syncer.article(article, watched)
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
