"""The read-only half of `edition sync`: parse, build, merge and render articles.

Everything here only reads files, so it runs in worker processes as well as
in the process that holds the lock; `workflow.sync` does all the writing.
Split from `sync` so that a no-op sync, which prepares nothing, does not
import Markdown, YAML, Babel and the PO formatter at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polib

from .article import Article, parse_article, read_article, slug_for
from .catalog import MergeStats, build_template, key_of, new_catalog
from .config import Settings
from .errors import CatalogError, WorkflowError
from .files import (
    Digest,
    read_with_status,
    release_inherited_locks,
    remove_temp,
    sha256,
    write_temp,
)
from .guard import Kept, kept_count, trusted_catalog
from .layout import active_keys, merge_keeping_layout
from .poformat import (
    RenderCache,
    decode_po,
    format_body,
    format_header,
    format_po,
    join_po,
    parse_header,
    parse_po,
)
from .segment import split_store
from .sentcache import FILE as SPLITS_FILE
from .sentcache import SentenceStore, cache_key
from .splice import Parts, splice, splice_template, template_parts, template_parts_of_body


def _read(path: Path, kept: Kept | None = None) -> tuple[bytes | None, list[object] | None]:
    """A file's bytes and its state record (`read_with_status`'s size and
    mtime, and the bytes' sha256), or Nones.

    With ``kept``, the file is a catalog that sync may write over: it is
    only taken when `guard.trusted_catalog` trusts the read.
    """
    try:
        if kept is None:
            data, status = read_with_status(path)
        else:
            data, status = trusted_catalog(path, kept.get(path))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise CatalogError(
            f"cannot read: {exc.strerror}",
            path=path,
            hint="move it away: sync writes a missing catalog again",
        ) from exc
    return data, [status.st_size, status.st_mtime_ns, sha256(data)]


def _with_date(po: polib.POFile, name: str, value: str, body: str, width: int) -> str:
    """The catalog's text with a header field set, its entries already rendered."""
    po.metadata[name] = value
    return join_po(format_header(po, width), body)


def _same_body(old: bytes | None, body: str) -> bool:
    """Whether the file ``old`` ends with these entries (`format_body`'s
    text): if not, its rendering changes whatever its header says."""
    return old is not None and old.endswith(f"\n\n{body}\n".encode())


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
        head = decode_po(old.split(b"\n\n", 1)[0], path)
        return parse_header(head, str(path)).metadata.get("POT-Creation-Date")
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
    #: The new bytes, unless unchanged or already written to ``tmp``.
    data: bytes | None
    #: A catalog's expectation when staged: the `Digest` of the bytes read
    #: before merging, None if there was no file.
    expect: Digest | None
    stats: MergeStats | None
    #: The state record of the file as read, when it stays unchanged; else
    #: the hash of the new bytes, whose file status only the write will tell.
    seen: list[object] | None = None
    digest: str | None = None
    #: Whether the bytes on disk after this run are sync's own rendering at
    #: the configured width (`workflow.splice` may then merge from the text);
    #: a catalog another tool saved, and left alone, is not.
    own: bool = True
    #: The temporary file holding the new bytes (`files.write_temp`), and
    #: its size and mtime, which the target has once it is renamed.
    tmp: str | None = None
    status: list[object] | None = None
    #: A catalog's `guard.kept_count` once written (or left as it is).
    kept: tuple[int, int] | None = None


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
    #: The article's state record (size, mtime, hash) as read and parsed.
    source: list[object] | None = None
    files: list[_Planned] = field(default_factory=list)
    #: Catalogs that could not be merged (malformed), in locale order.
    errors: list[CatalogError] = field(default_factory=list)
    #: The article's new row of sentence splits, if it changed (`workflow.sentcache`).
    splits: str | None = None

    def discard(self) -> None:
        """Remove the temporary files written for this article."""
        for planned in self.files:
            if planned.tmp is not None:
                remove_temp(planned.tmp)
                planned.tmp = None


class _Preparer:
    """The read-only half of a sync: parse, build, merge and render one article.

    Pure but for reading files, so it runs in worker processes; the writes
    stay with `_Syncer` in the process that holds the lock.
    """

    def __init__(
        self, settings: Settings, stamp: str, splits_key: str | None = None, write: bool = True
    ) -> None:
        self.settings = settings
        self.stamp = stamp
        #: Whether new bytes go to temporary files beside their targets
        #: (`files.write_temp`), for the locked process to rename: the
        #: workers share the writing; --check writes nothing.
        self.write = write
        #: Sentence splits of earlier syncs; new ones travel back with each
        #: article (`_Prepared.splits`) for the locked process to save.
        self.splits = SentenceStore(
            settings.state_dir / SPLITS_FILE, splits_key if splits_key else cache_key()
        )
        #: Rendered entries of the article at hand: its template and catalogs
        #: share most of them, and each is rendered twice (old and new date).
        self.cache: RenderCache = {}
        #: The last template `template` rendered, and its text after the header.
        self.body: tuple[polib.POFile, str] | None = None
        #: `workflow.splice.template_parts` of the last template spliced into.
        self.parts: tuple[polib.POFile, list[Parts]] | None = None
        #: The state record (`_read`) of the file `template` or `merged` read last.
        self.seen: list[object] | None = None
        #: What translators had written in each catalog, as last seen (`workflow.guard`).
        self.kept = Kept(settings.state_dir, settings.root)
        #: Whether what `merged` returned last is sync's own rendering.
        self.own = True
        #: The page width sync renders at (`Settings.wrap`).
        self.width = settings.width
        #: Per locale, the last template with the glossary's lines in its
        #: comments (`for_locale`): (template, annotated template).
        self.annotated: dict[str, tuple[polib.POFile, polib.POFile]] = {}

    def for_locale(self, pot: polib.POFile, locale: str) -> polib.POFile:
        """The template a locale's catalog is merged from: ``pot`` itself, or,
        when the locale's glossary has terms in its English, a copy whose
        entries' ``#.`` comments name them (`workflow.glossary.annotate`)."""
        from .glossary import annotate, load_glossary

        glossary = load_glossary(self.settings, locale)
        if not glossary.terms:
            return pot
        done = self.annotated.get(locale)
        if done is not None and done[0] is pot:
            return done[1]
        notes = [annotate(e.comment, e.msgid, glossary) for e in pot]
        if all(n == e.comment for n, e in zip(notes, pot, strict=True)):
            result = pot
        else:
            result = polib.POFile(wrapwidth=pot.wrapwidth)
            result.header = pot.header
            result.metadata = pot.metadata
            for entry, note in zip(pot, notes, strict=True):
                result.append(
                    polib.POEntry(
                        msgid=entry.msgid,
                        msgstr=entry.msgstr,
                        msgctxt=entry.msgctxt,
                        comment=note,
                        occurrences=list(entry.occurrences),
                    )
                )
        self.annotated[locale] = (pot, result)
        return result

    def article(self, path: Path, own: frozenset[str] = frozenset()) -> _Prepared:
        """Parse, build, merge and render one article.

        ``own``: content hashes of the article's template and catalogs as
        sync itself rendered them (its state says so), which `template` and
        `merged` may reuse the text of (`workflow.splice`).
        """
        slug = slug_for(path)
        self.splits.begin(slug)
        try:
            with split_store(self.splits):
                article, data, status = read_article(path, self.settings.segment)
        except WorkflowError as exc:
            self.splits.finish()
            return _Prepared(path, slug, error=exc)
        self.cache.clear()
        try:
            pot, planned = self.template(article, own)
        except CatalogError as exc:  # the template is no file: nothing to merge into
            self.splits.finish()
            return _Prepared(path, slug, error=exc)
        prepared = _Prepared(
            path,
            slug,
            text=article.text,
            stamp=pot.metadata["POT-Creation-Date"],
            source=[status.st_size, status.st_mtime_ns, sha256(data)],
            splits=self.splits.finish(),
        )
        prepared.files.append(planned)
        for locale in self.settings.locales:
            po_path = self.settings.po_path(locale, slug)
            try:
                text, old, stats = self.merged(pot, po_path, locale, own)
            except CatalogError as exc:
                prepared.errors.append(exc)
                continue
            planned = _plan(po_path, locale, text, old, stats, self.seen)
            planned.own = self.own
            prepared.files.append(planned)
        if self.write:
            try:
                for planned in prepared.files:
                    if planned.data is not None:
                        tmp, status = write_temp(planned.path, planned.data)
                        planned.tmp, planned.data = tmp, None
                        planned.status = [status.st_size, status.st_mtime_ns]
            except BaseException:
                prepared.discard()
                raise
        return prepared

    def rebuild(self, prepared: _Prepared) -> polib.POFile:
        """The template `article` built for ``prepared``, built again."""
        article = parse_article(prepared.text, str(prepared.path), self.settings.segment)
        return build_template(article, self.settings, prepared.stamp)

    def template(
        self, article: Article, own: frozenset[str] = frozenset()
    ) -> tuple[polib.POFile, _Planned]:
        path = self.settings.pot_path(article.slug)
        width = self.width
        old, self.seen = _read(path)
        pot = build_template(article, self.settings, self.stamp)
        spliced = None
        if old is not None and own and self.seen is not None and self.seen[2] in own:
            # Sync's own rendering: reuse its lines (see workflow.splice).
            with contextlib.suppress(CatalogError):
                spliced = splice_template(pot, decode_po(old, path), self.cache, width)
        parts: list[Parts] | None
        same: bool | None = None
        if spliced is not None:
            body, parts, same = spliced
        else:
            body = format_body(pot, width, self.cache)
            parts = template_parts_of_body(pot, body)
        self.parts = None if parts is None else (pot, parts)
        # Unchanged entries keep the old dates: only then is the old header read.
        old_stamp = None
        if old is not None and _same_body(old, body):
            old_stamp = _creation_date(old, path)
        if old_stamp is not None:
            pot.metadata["POT-Creation-Date"] = pot.metadata["PO-Revision-Date"] = old_stamp
        text = join_po(format_header(pot, width), body)
        kept = False
        if old is not None and text.encode("utf-8") != old:
            if same is None:
                same = _same_entries(pot, old, path)
            if same:
                # The same entries, only their comments or layout differ:
                # not rewritten (issue 13: never for layout alone); the
                # catalogs merged from it carry its date.
                text, kept = old.decode("utf-8"), True
                stamp = _creation_date(old, path)
                if stamp is not None:
                    pot.metadata["POT-Creation-Date"] = stamp
            else:
                pot.metadata["PO-Revision-Date"] = self.stamp
                text = _with_date(pot, "POT-Creation-Date", self.stamp, body, width)
        head = format_header(pot, width)
        self.body = (pot, text[len(head) :]) if head and text.startswith(head) else None
        planned = _plan(path, None, text, old, None, self.seen)
        # Left as it was: still sync's own (splice_template renders its
        # comment lines anew) only if it was.
        planned.own = spliced is not None or not kept
        return pot, planned

    def merged(
        self, pot: polib.POFile, path: Path, locale: str, own: frozenset[str] = frozenset()
    ) -> tuple[str, bytes | None, MergeStats]:
        """The catalog's new text, the bytes read, and what the merge did.

        A catalog whose live entries are the template's is returned as it
        is, whoever wrote it (`workflow.layout`); ``self.own`` then says
        whether it is sync's own rendering.
        """
        width = self.width
        self.own = True
        plain = pot
        pot = self.for_locale(pot, locale)
        old, self.seen = _read(path, self.kept)
        if old is None:
            if self.body is not None and self.body[0] is pot:
                # A new catalog's entries are the template's with empty
                # msgstr, which is what the template's entries are (see
                # build_template): its text is its own header and the
                # template's entries, already rendered.
                shell = polib.POFile(wrapwidth=79)
                shell.metadata = pot.metadata
                po = new_catalog(shell, locale, self.settings, self.stamp)
                head = format_header(po, width)
                if head:
                    return head + self.body[1], None, MergeStats(added=len(pot))
            po = new_catalog(pot, locale, self.settings, self.stamp)
            return format_po(po, width, self.cache), None, MergeStats(added=len(pot))
        text = decode_po(old, path)
        was_own = bool(own) and self.seen is not None and self.seen[2] in own
        spliced = None
        if was_own:
            # Sync's own output: merge it from its text (see workflow.splice).
            if self.parts is None or self.parts[0] is not pot:
                self.parts = (pot, template_parts(pot, self.cache, width))
            spliced = splice(
                pot, text, str(path), locale, self.settings, self.cache, self.parts[1], width
            )
        if spliced is not None:
            if spliced.current and not _glossary_differs(pot, plain, text, path):
                return text, old, spliced.stats
            body = spliced.body
            text = _with_date(
                spliced.header, "POT-Creation-Date", pot.metadata["POT-Creation-Date"], body, width
            )
            return text, old, spliced.stats
        current = parse_po(text, str(path))
        if active_keys(current) == {key_of(t) for t in pot} and not _glossary_differs(
            pot, plain, text, path, current
        ):
            # Up to date: left as its tool wrote it.  Sync's own rendering
            # when rendering it again gives its bytes.
            self.own = was_own or (self.write and format_po(current, width, self.cache) == text)
            return text, old, MergeStats()
        self.own = False
        text, stats = merge_keeping_layout(pot, text, current, locale, self.settings, self.cache)
        return text, old, stats


_GLOSSARY_LINE = "glossary: "


def _glossary_lines(entry: polib.POEntry) -> list[str]:
    return [line for line in entry.comment.split("\n") if line.startswith(_GLOSSARY_LINE)]


def _glossary_differs(
    pot: polib.POFile,
    plain: polib.POFile,
    text: str,
    path: Path,
    current: polib.POFile | None = None,
) -> bool:
    """Whether a catalog whose entries are the template's names other
    glossary terms in its ``#.`` comments than the template ``pot`` (the
    glossary's terms added to ``plain``): then its comments are brought up
    to date, although it is otherwise left as it is."""
    if pot is plain and f"#. {_GLOSSARY_LINE}" not in text:
        return False
    if current is None:
        try:
            current = parse_po(text, str(path))
        except CatalogError:
            return False
    wanted = {key_of(t): _glossary_lines(t) for t in pot}
    return any(wanted.get(key_of(e), []) != _glossary_lines(e) for e in current if not e.obsolete)


def _same_entries(pot: polib.POFile, old: bytes, path: Path) -> bool:
    """Whether the old template ``old`` has exactly ``pot``'s entries."""
    try:
        return active_keys(parse_po(decode_po(old, path), str(path))) == {key_of(t) for t in pot}
    except CatalogError:
        return False


def _plan(
    path: Path,
    locale: str | None,
    text: str,
    old: bytes | None,
    stats: MergeStats | None,
    seen: list[object] | None,
) -> _Planned:
    data = text.encode("utf-8")
    kept = None if locale is None else kept_count(text)
    if old == data:
        assert seen is not None  # read along with `old`
        return _Planned(path, locale, "unchanged", None, None, stats, seen=seen, kept=kept)
    action = "created" if old is None else "updated"
    # Only a catalog's write is conditional on what was read.
    expect = None
    if locale is not None and seen is not None:
        expect = Digest(str(seen[2]))
    return _Planned(path, locale, action, data, expect, stats, digest=sha256(data), kept=kept)


#: Set in each worker process by `_start_worker`.
_WORKER: _Preparer | None = None


def _start_worker(
    settings: Settings, stamp: str, splits_key: str, write: bool, parent: int
) -> None:
    global _WORKER
    _die_with_parent(parent)
    # A forked worker must not keep the root's lock alive should the parent die.
    release_inherited_locks()
    _WORKER = _Preparer(settings, stamp, splits_key, write)


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive a killed sync.

    Forked workers hold both ends of the pool's pipes, so they never see
    EOF when the parent is SIGKILLed: without this they would wait forever,
    keeping the parent's stdout and stderr open.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _prepare_chunk(items: list[tuple[Path, frozenset[str]]]) -> list[_Prepared]:
    assert _WORKER is not None
    return [_WORKER.article(path, own) for path, own in items]


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


def _warm_up(settings: Settings) -> None:
    """Load once, before forking, what every worker would otherwise load for
    its first article: the Markdown parsers, sentencex, Babel's plural data."""
    import sentencex  # noqa: F401 - imported for the workers to inherit

    from .catalog import plural_forms
    from .segment import block_parser, markdown_parser

    block_parser()
    markdown_parser()
    for locale in settings.locales:
        plural_forms(locale)


def prepare_all(
    preparer: _Preparer, items: list[tuple[Path, frozenset[str]]], jobs: int
) -> Generator[_Prepared, None, None]:
    """Every article prepared, in the order of ``items`` whatever ``jobs`` is.

    ``items``: each article's path and the hashes of its catalogs as sync
    wrote them (`_Preparer.article`).
    """
    if jobs <= 1 or len(items) < PARALLEL_MIN:
        for path, own in items:
            yield preparer.article(path, own)
        return
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    if fork:
        _warm_up(preparer.settings)
    context = multiprocessing.get_context("fork" if fork else None)
    chunks = iter([items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)])
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(
            preparer.settings,
            preparer.stamp,
            preparer.splits.key,
            preparer.write,
            os.getpid(),
        ),
    ) as pool:
        # A bounded window of tasks, consumed in order: the output does not
        # depend on which worker finishes first, and memory stays flat.
        pending: deque[Future[list[_Prepared]]] = deque(
            pool.submit(_prepare_chunk, chunk) for chunk in itertools.islice(chunks, 4 * jobs)
        )
        done: deque[_Prepared] = deque()
        try:
            while pending:
                done.extend(pending.popleft().result())
                chunk = next(chunks, None)
                if chunk is not None:
                    pending.append(pool.submit(_prepare_chunk, chunk))
                while done:
                    yield done.popleft()
        finally:
            # Stopped early: what was prepared and not handed out leaves no
            # temporary file behind.
            for future in pending:
                if not future.cancel():
                    with contextlib.suppress(Exception):
                        done.extend(future.result())
            for prepared in done:
                prepared.discard()
