"""Benchmark `edition sync` side by side with the gettext peers, in one run.

    python bench/sync_bench.py [--articles N] [--runs R]

What is measured, and why:

* ``edition sync`` **cold**: ``locales/`` and ``.edition/`` deleted first, so
  one run parses every article, segments it, and writes the template plus the
  ``be`` and ``ru`` catalogs of every article.  Compared with po4a's
  extraction alone (target: cold sync faster than po4a does only the first
  third of that work).
* ``edition sync`` **no-op**: run again with nothing changed.  This is what a
  newsroom runs on every commit and every CI build; it should cost a small
  fraction of a cold run (target: < 5 %).  The harness also reports how many
  catalog files the no-op rewrote (it should be 0).
* ``edition sync`` **after an edit**: on a fresh copy of the synced corpus,
  ``corpus.py edit --fraction 0.05`` changes a word or two in 5 % of the
  paragraphs, then sync updates the catalogs (stale entries keep their old
  translation as fuzzy).  Compared with ``msgmerge`` doing the same update.
  After the cold runs (untimed) every catalog is translated with GNU
  ``msgen`` (msgstr = msgid) and synced once, so the no-op and the edit
  runs see an archive as a newsroom has it, translated, and the edit run
  merges the same kind of catalog msgmerge gets.
* **po4a extraction**: ``po4a-updatepo -f text -o markdown`` over all
  articles into one POT (with the front-matter keys ``title``, ``lead``,
  ``section``).  The cheapest thing po4a can do with the corpus.
* **po4a, POT + be + ru**: the unified ``po4a --no-translations`` with one
  POT and one PO per language: what po4a needs for the same job as a cold
  sync, but with one catalog per language rather than one per article.
* **po4a split mode** (only with ``--po4a-split``, one run): the same with
  ``[po4a_paths] $master.pot $lang:$lang/$master.po``, i.e. edition's layout
  of one template and two catalogs per article.  po4a still extracts into one
  catalog, then writes each template with every entry the article shares with
  any other article, and runs msgmerge against a compendium once per article
  and language: tens of minutes for 2,000 articles, hence opt-in.
* **Translate Toolkit md2po** over the ``articles`` directory, one POT per
  article.
* **msgmerge** for the edit case, doing the update sync does: each
  locale's catalogs of the synced corpus (translated with msgen, then
  synced) are concatenated with ``msgcat`` into one catalog per locale, the
  templates of the edited corpus into one template, and a run is
  ``msgmerge --previous OLD-be.po NEW.pot`` then the same for ``ru``: the
  fuzzy matching GNU gettext does for the update, with the previous msgid
  kept as ``#|`` as sync keeps it.  The target ratio uses this row.
  msgmerge is not charged for extracting the template, and merges one
  catalog per locale rather than one per article (a msgmerge per article
  would pay a process start 4,000 times).
* **msgmerge, one locale** (the row the target used until Nov 2026, kept
  for comparison across versions): the per-article templates of the
  unedited corpus are concatenated into one catalog whose translations
  equal the source (``msgen``), those of the edited corpus into one
  template, and ``msgmerge OLD.po NEW.pot -o OUT.po`` is timed: half the
  work of the edit sync.  Twice: on edition's own templates (the same
  entries sync updates) and on md2po's (paragraph-sized entries;
  independent of edition, so comparable across its versions).

Every number is the median wall time of ``--runs`` runs.  Nothing is
deleted between runs: what a run must not find (the previous run's output,
an old copy of the corpus) is renamed into ``WORKDIR/.trash``, which is
emptied after the last measurement.  Deleting thousands of files just before
a timed run made the *next* command that creates files pay for the deletion
on some filesystems: ext4 without a journal (this benchmark's machine) does
not reuse an inode freed in the last one to six minutes and, to skip them,
checks every such inode of the group on each file it creates, so 6,000 files
created after 6,000 deletions cost seconds of kernel time (``perf`` shows
``recently_deleted`` under ``openat``), growing with every run.  That cost
belongs to the harness's clean-up, not to the measured command; every row
(edition, po4a, md2po, msgmerge) is set up the same way.  A benchmark
started within a few minutes of the end of another one (or of any mass
deletion nearby) still pays for those deletions.  Likewise the filesystem
is flushed (``os.sync``) after each untimed set-up, so that a timed run
does not write back the thousands of files the set-up just copied (the
edit case copies the whole synced archive before every run).  Peak memory is the
largest resident set size any run of that command reached, read from the
child's own ``rusage`` through ``os.wait4`` (so it includes the child's own
children, e.g. the msgmerge that po4a starts, and nothing else).  Note that
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is a running maximum over all
children, so deltas of it would be wrong.

Edition is run as ``[sys.executable, "-m", "workflow", "sync", "--root",
CORPUS]`` with the repository on ``PYTHONPATH``.  If it is missing or fails,
its rows read "not available" with the error and the peers still run.

The corpus (bench/corpus.py) and the edits are deterministic; the work tree
is ``bench/corpus/`` (git-ignored) unless ``--workdir`` says otherwise.  The
report is printed and written as Markdown to ``bench/out/sync.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS_PY = BENCH / "corpus.py"
EDITION = [sys.executable, "-m", "workflow"]
LOCALES = ("be", "ru")
PO4A_OPTIONS = ["-o", "markdown", "-o", "yfm_keys=title,lead,section", "-o", "yfm_skip_array"]

# Targets of the brief; see the ratio table in `report`.
TARGET_COLD_VS_PO4A = 1.0
TARGET_NOOP_VS_COLD = 0.05
TARGET_MSGMERGE_VS_EDIT = 5.0
TARGET_PEAK_MB = 300.0


# --------------------------------------------------------------------------
# Running and measuring one child process
# --------------------------------------------------------------------------


class CommandFailed(Exception):
    """A measured command exited non-zero or could not start."""


@dataclass
class Sample:
    seconds: float
    peak_mb: float


def measure(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run `cmd` once; return its wall time and peak RSS, or raise CommandFailed.

    The child's stdout and stderr go to temporary files (no pipe to drain, so
    nothing of ours runs while it works).  `os.wait4` reaps exactly this child
    and gives its own resource usage, ru_maxrss in KiB on Linux.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
        except OSError as exc:
            raise CommandFailed(f"{cmd[0]}: {exc.strerror}") from exc
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            out.seek(0)
            text = err.read().decode("utf-8", "replace") or out.read().decode("utf-8", "replace")
            lines = [ln for ln in text.splitlines() if ln.strip()]
            tail = " | ".join(lines[-3:])[-400:]
            raise CommandFailed(f"exit {proc.returncode}: {tail}")
    return Sample(seconds, usage.ru_maxrss / 1024)


def run_quiet(cmd: Sequence[str], cwd: Path | None = None) -> str:
    """Run an untimed preparation step; return stdout or raise CommandFailed."""
    try:
        res = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise CommandFailed(f"{cmd[0]}: {exc.strerror}") from exc
    if res.returncode != 0:
        tail = " | ".join(res.stderr.strip().splitlines()[-3:])[-400:]
        raise CommandFailed(f"{Path(cmd[0]).name} exit {res.returncode}: {tail}")
    return res.stdout


# --------------------------------------------------------------------------
# Rows of the report
# --------------------------------------------------------------------------


@dataclass
class Row:
    tool: str
    what: str
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.samples)

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.samples)


def timed(
    row: Row, runs: int, cmd: Sequence[str], cwd: Path, before: Callable[[], None] | None = None
) -> Row:
    """Fill `row` with `runs` samples of `cmd`; `before` resets state, untimed.

    The filesystem is flushed after `before`, so that no tool pays, inside
    its timed run, for writing back what the harness copied or generated
    (thousands of files for the edit case), which the kernel otherwise
    does right then.
    """
    try:
        for _ in range(runs):
            if before is not None:
                before()
            os.sync()
            row.samples.append(measure(cmd, cwd, child_env()))
    except CommandFailed as exc:
        row.error = str(exc)
    return row


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def which(name: str) -> str | None:
    """A tool from the venv's bin directory first (md2po), then PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def require(*names: str) -> list[str]:
    found = [which(n) for n in names]
    missing = [n for n, f in zip(names, found, strict=True) if f is None]
    if missing:
        raise CommandFailed(f"{', '.join(missing)} not found (run bench/setup.sh)")
    return [f for f in found if f is not None]


# --------------------------------------------------------------------------
# Corpus helpers
# --------------------------------------------------------------------------


def reset(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


class Trash:
    """Where old outputs go instead of being deleted before a timed run.

    A rename within the work tree frees no inode, so the measured command
    does not inherit the cost of a mass deletion (see the module docstring).
    `empty` deletes everything once nothing is timed any more.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, *paths: Path) -> None:
        for p in paths:
            if p.exists() or p.is_symlink():
                self.directory.mkdir(parents=True, exist_ok=True)
                os.rename(p, Path(tempfile.mkdtemp(dir=self.directory)) / p.name)

    def empty(self) -> None:
        reset(self.directory)


def copy_corpus(src: Path, dst: Path, trash: Trash) -> None:
    trash.put(dst)
    shutil.copytree(src, dst, symlinks=True)


def snapshot(root: Path) -> dict[str, str]:
    """Content hash of every file under `root` (the catalogs), by relative path."""
    if not root.is_dir():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def mtimes(root: Path) -> dict[str, int]:
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


_MSGID = re.compile(rb"^msgid ", re.MULTILINE)


def count_entries(files: Sequence[Path]) -> int:
    """Entries in gettext catalogs, not counting each file's header."""
    total = 0
    for f in files:
        data = f.read_bytes()
        n = len(_MSGID.findall(data))
        total += n - 1 if b'msgid ""\nmsgstr ""\n"' in data else n
    return total


_FUZZY = re.compile(rb"^#,.*\bfuzzy\b", re.MULTILINE)


def count_fuzzy(po: Path) -> int:
    """Fuzzy entries, not counting the header or obsolete (#~) entries."""
    entries = po.read_bytes().split(b"\n\n")
    return sum(1 for e in entries if _FUZZY.search(e) and b'msgid ""\nmsgstr ""\n"' not in e)


# --------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------


@dataclass
class Bench:
    work: Path
    articles: int
    seed: int
    fraction: float
    runs: int
    notes: list[str] = field(default_factory=list)

    @property
    def trash(self) -> Trash:
        return Trash(self.work / ".trash")

    @property
    def base(self) -> Path:
        """The generated corpus; peers read it, edition never writes here."""
        return self.work / "base"

    @property
    def edited(self) -> Path:
        """A copy of base with the same edits as the edit-sync case."""
        return self.work / "edited"

    @property
    def synced(self) -> Path:
        """Where edition syncs (cold, then no-op)."""
        return self.work / "sync"

    @property
    def synced_edit(self) -> Path:
        return self.work / "sync-edit"

    # -- preparation -------------------------------------------------------

    def generate(self) -> None:
        owned = (
            "msgmerge-edition",
            "msgmerge-locales",
            "msgmerge-md2po",
            "md2po-base",
            "md2po-edited",
            "po4a",
            "po4a-split",
            "po4a.pot",
        )
        self.trash.put(
            self.base, self.edited, self.synced, self.synced_edit, *(self.work / n for n in owned)
        )
        self.work.mkdir(parents=True, exist_ok=True)
        gen = [sys.executable, str(CORPUS_PY), str(self.base)]
        run_quiet([*gen, "--articles", str(self.articles), "--seed", str(self.seed)])
        files = sorted((self.base / "articles").glob("*.md"))
        size = sum(f.stat().st_size for f in files)
        copy_corpus(self.base, self.edited, self.trash)
        edit_out = self.edit(self.edited).strip()
        self.notes.append(
            f"Corpus: {len(files)} articles, {size / 1e6:.2f} MB "
            f"(`corpus.py --articles {self.articles} --seed {self.seed}`); "
            f"edit case: {edit_out} (`corpus.py edit --fraction {self.fraction}`)."
        )

    def edit(self, root: Path) -> str:
        return run_quiet(
            [
                sys.executable,
                str(CORPUS_PY),
                "edit",
                str(root),
                "--fraction",
                str(self.fraction),
                "--seed",
                str(self.seed),
            ]
        )

    def article_paths(self) -> list[str]:
        return [f"articles/{p.name}" for p in sorted((self.base / "articles").glob("*.md"))]

    # -- edition -------------------------------------------------------------

    def sync_cmd(self, root: Path) -> list[str]:
        return [*EDITION, "sync", "--root", str(root)]

    def translate_catalogs(self, locales: Path) -> None:
        """msgstr = msgid in every catalog (GNU msgen), then one sync to record them."""
        (msgen,) = require("msgen")
        catalogs = sorted(locales.glob("*/*.po"))
        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            list(pool.map(lambda po: run_quiet([msgen, "-o", str(po), str(po)]), catalogs))
        run_quiet(self.sync_cmd(self.synced), cwd=REPO)
        self.notes.append(
            f"before the no-op and edit runs, {len(catalogs)} catalogs were translated with "
            "msgen (msgstr = msgid) and synced once, untimed."
        )

    def edition_rows(self) -> list[Row]:
        cold = Row("edition sync, cold", "extract + be, ru catalogs per article")
        noop = Row("edition sync, no-op", "nothing changed since the last sync")
        edit = Row("edition sync, after edit", f"{self.fraction:.0%} of paragraphs edited")
        copy_corpus(self.base, self.synced, self.trash)

        def clean() -> None:
            self.trash.put(self.synced / "locales", self.synced / ".edition")

        timed(cold, self.runs, self.sync_cmd(self.synced), self.synced, clean)
        if not cold.ok:
            noop.error = edit.error = "cold sync failed"
            return [cold, noop, edit]
        locales = self.synced / "locales"
        pots = list(locales.glob("*.pot"))
        pos = {lang: list((locales / lang).glob("*.po")) for lang in LOCALES}
        self.notes.append(
            f"edition cold sync wrote {len(pots)} POT ({count_entries(pots)} entries), "
            + ", ".join(f"{len(v)} {k} PO" for k, v in pos.items())
            + f" for {self.articles} articles."
        )

        try:
            self.translate_catalogs(locales)
        except CommandFailed as exc:
            noop.error = edit.error = f"cannot translate the catalogs: {exc}"
            return [cold, noop, edit]

        before_hash, before_mtime = snapshot(locales), mtimes(locales)
        timed(noop, self.runs, self.sync_cmd(self.synced), self.synced)
        after_hash, after_mtime = snapshot(locales), mtimes(locales)
        changed = sum(before_hash.get(k) != v for k, v in after_hash.items())
        touched = sum(before_mtime.get(k) != v for k, v in after_mtime.items())
        self.notes.append(
            f"edition no-op sync changed {changed} and rewrote {touched} catalog files "
            "(both should be 0)."
        )

        def fresh_edited_copy() -> None:
            copy_corpus(self.synced, self.synced_edit, self.trash)
            self.edit(self.synced_edit)

        cmd = self.sync_cmd(self.synced_edit)
        timed(edit, self.runs, cmd, self.synced_edit, fresh_edited_copy)
        if edit.ok:
            new = snapshot(self.synced_edit / "locales")
            old = snapshot(locales)
            diff = sum(old.get(k) != v for k, v in new.items())
            self.notes.append(f"edition edit sync changed {diff} catalog files.")
        return [cold, noop, edit]

    # -- peers ----------------------------------------------------------------

    def po4a_extract(self) -> Row:
        row = Row("po4a extraction", "po4a-updatepo -f text -o markdown, one POT")
        pot = self.work / "po4a.pot"
        try:
            (exe,) = require("po4a-updatepo")
        except CommandFailed as exc:
            row.error = str(exc)
            return row
        cmd = [exe, "-f", "text", *PO4A_OPTIONS, "-M", "UTF-8"]
        for path in self.article_paths():
            cmd += ["-m", path]
        cmd += ["-p", str(pot)]
        timed(row, self.runs, cmd, self.base, lambda: self.trash.put(pot))
        if row.ok:
            self.notes.append(f"po4a extraction: {count_entries([pot])} entries in one POT.")
        return row

    def po4a_full(self) -> Row:
        row = Row("po4a, POT + be, ru PO", "po4a --no-translations, one catalog per language")
        out = self.work / "po4a"
        cfg = self.work / "po4a.cfg"
        try:
            (exe,) = require("po4a")
        except CommandFailed as exc:
            row.error = str(exc)
            return row
        opts = " ".join(PO4A_OPTIONS)
        lines = [
            f"[po4a_langs] {' '.join(LOCALES)}",
            f"[po4a_paths] {out}/edition.pot $lang:{out}/$lang.po",
            f'[options] opt:"{opts}"',
        ]
        lines += [
            f"[type: text] {p} $lang:{out}/$lang/{Path(p).name}" for p in self.article_paths()
        ]
        cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
        timed(
            row,
            self.runs,
            [exe, "--no-translations", str(cfg)],
            self.base,
            lambda: self.trash.put(out),
        )
        return row

    def po4a_split(self) -> Row:
        row = Row(
            "po4a split mode, POT + be, ru PO",
            "po4a --no-translations, locales/<slug>.pot and locales/<lang>/<slug>.po",
        )
        out = self.work / "po4a-split"
        cfg = self.work / "po4a-split.cfg"
        try:
            (exe,) = require("po4a")
        except CommandFailed as exc:
            row.error = str(exc)
            return row
        opts = " ".join(PO4A_OPTIONS)
        lines = [
            f"[po4a_langs] {' '.join(LOCALES)}",
            f"[po4a_paths] {out}/$master.pot $lang:{out}/$lang/$master.po",
            f'[options] opt:"{opts}"',
        ]
        for p in self.article_paths():
            slug = Path(p).stem
            lines.append(f"[type: text] {p} $lang:{out}/translated/$lang/{slug}.md pot={slug}")
        cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
        # One run only: it takes minutes per hundred articles.
        timed(row, 1, [exe, "--no-translations", str(cfg)], self.base, lambda: self.trash.put(out))
        return row

    def md2po(self, out: Path) -> list[str]:
        """md2po over ``articles`` of the corpus it runs in (cwd).

        The input path must be relative and the same for both corpora: md2po
        writes it into every reference and, for duplicate texts, into the
        msgctxt, and a msgctxt that differs everywhere makes msgmerge's update
        a different (and far slower) job.
        """
        (exe,) = require("md2po")
        return [exe, "-i", "articles", "-o", str(out), "-P", "--progress=none"]

    def md2po_row(self) -> Row:
        row = Row("Translate Toolkit md2po", "md2po -i articles -o pots -P, one POT per article")
        out = self.work / "md2po-base"
        try:
            cmd = self.md2po(out)
        except CommandFailed as exc:
            row.error = str(exc)
            return row
        timed(row, self.runs, cmd, self.base, lambda: self.trash.put(out))
        if row.ok:
            pots = sorted(out.glob("*.pot"))
            self.notes.append(f"md2po: {len(pots)} POT, {count_entries(pots)} entries.")
        return row

    def msgmerge_row(self, source: str, md2po_ok: bool = False) -> Row:
        """msgmerge for the edit case, on per-article POTs from `source`.

        ``source`` is "edition" (the templates cold sync and edit sync wrote:
        the same entries sync updates, so the fair comparison) or "md2po"
        (independent of edition; paragraph-sized entries).
        """
        row = Row(
            f"msgmerge, edit case ({source} POTs)",
            "msgmerge OLD.po NEW.pot, all articles in one catalog",
        )
        mm = self.work / f"msgmerge-{source}"
        self.trash.put(mm)
        mm.mkdir(parents=True)
        try:
            msgcat, msgen, msgmerge = require("msgcat", "msgen", "msgmerge")
            if source == "edition":
                old_pots = sorted((self.synced / "locales").glob("*.pot"))
                new_pots = sorted((self.synced_edit / "locales").glob("*.pot"))
            else:
                old_dir, new_dir = self.work / "md2po-base", self.work / "md2po-edited"
                if not md2po_ok:  # else md2po_row left the base corpus's POTs there
                    self.trash.put(old_dir)
                    run_quiet(self.md2po(old_dir), cwd=self.base)
                self.trash.put(new_dir)
                run_quiet(self.md2po(new_dir), cwd=self.edited)
                old_pots, new_pots = sorted(old_dir.glob("*.pot")), sorted(new_dir.glob("*.pot"))
            if not old_pots or not new_pots:
                raise CommandFailed("no per-article POTs to merge")
            old_pot, old_po, new_pot = mm / "old.pot", mm / "old.po", mm / "new.pot"
            for pots, target in ((old_pots, old_pot), (new_pots, new_pot)):
                listing = target.with_suffix(".files")
                listing.write_text("".join(f"{p}\n" for p in pots), encoding="utf-8")
                run_quiet([msgcat, "--use-first", "-f", str(listing), "-o", str(target)])
            run_quiet([msgen, "-o", str(old_po), str(old_pot)])
        except CommandFailed as exc:
            row.error = str(exc)
            return row
        out = mm / "out.po"
        cmd = [msgmerge, "-q", str(old_po), str(new_pot), "-o", str(out)]
        timed(row, self.runs, cmd, mm, lambda: self.trash.put(out))
        if row.ok:
            self.notes.append(
                f"msgmerge on {source}'s POTs: {count_entries([old_po])} entries in OLD.po, "
                f"{count_entries([new_pot])} in NEW.pot; {count_fuzzy(out)} fuzzy after merge."
            )
        return row

    def msgmerge_locales_row(self) -> Row:
        """msgmerge doing the update edit sync does: both locales, with
        ``--previous`` (sync keeps the old msgid of a stale entry as ``#|``).

        Each locale's catalogs, as the synced corpus has them (translated
        with msgen, then synced), are concatenated into one catalog, and the
        edited corpus's templates into one template; a run is one msgmerge
        per locale, one after the other.  msgmerge is not charged for
        extracting the template, which sync does too.
        """
        names = " and ".join(LOCALES)
        row = Row(
            f"msgmerge --previous, {names}",
            "msgmerge --previous OLD.po NEW.pot per locale, all articles in one catalog",
        )
        mm = self.work / "msgmerge-locales"
        self.trash.put(mm)
        mm.mkdir(parents=True)
        try:
            msgcat, msgmerge = require("msgcat", "msgmerge")
            new_pots = sorted((self.synced_edit / "locales").glob("*.pot"))
            for locale in LOCALES:
                old_pos = sorted((self.synced / "locales" / locale).glob("*.po"))
                if not old_pos or not new_pots:
                    raise CommandFailed(f"no {locale} catalogs or no templates to merge")
                listing = mm / f"old-{locale}.files"
                listing.write_text("".join(f"{p}\n" for p in old_pos), encoding="utf-8")
                run_quiet(
                    [msgcat, "--use-first", "-f", str(listing), "-o", str(mm / f"old-{locale}.po")]
                )
            new_pot = mm / "new.pot"
            listing = mm / "new.files"
            listing.write_text("".join(f"{p}\n" for p in new_pots), encoding="utf-8")
            run_quiet([msgcat, "--use-first", "-f", str(listing), "-o", str(new_pot)])
        except CommandFailed as exc:
            row.error = str(exc)
            return row
        outs = [mm / f"out-{locale}.po" for locale in LOCALES]
        script = " && ".join(
            f'"$1" -q --previous old-{locale}.po new.pot -o out-{locale}.po' for locale in LOCALES
        )
        cmd = ["sh", "-c", script, "sh", msgmerge]
        timed(row, self.runs, cmd, mm, lambda: self.trash.put(*outs))
        if row.ok:
            counts = ", ".join(
                f"{locale}: {count_entries([mm / f'old-{locale}.po'])} entries in OLD.po, "
                f"{count_fuzzy(out)} fuzzy after merge"
                for locale, out in zip(LOCALES, outs, strict=True)
            )
            self.notes.append(
                f"msgmerge --previous per locale: {count_entries([new_pot])} entries in NEW.pot; "
                f"{counts}."
            )
        return row


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def ratio(a: Row, b: Row) -> float | None:
    if a.ok and b.ok and b.seconds > 0:
        return a.seconds / b.seconds
    return None


def verdict(value: float | None, target: float, below: bool) -> tuple[str, str]:
    if value is None:
        return "n/a", "not available"
    ok = value < target if below else value >= target
    return f"{value:.3g}", "met" if ok else "MISSED"


def tool_versions() -> str:
    parts = [f"Python {platform.python_version()}", f"{os.cpu_count()} CPUs"]
    for name, cmd in (
        ("po4a", ["po4a", "--version"]),
        ("gettext", ["msgmerge", "--version"]),
        ("md2po", [which("md2po") or "md2po", "--version"]),
    ):
        try:
            first = run_quiet(cmd).strip().splitlines()[0]
            found = re.search(r"[0-9]+(?:\.[0-9]+)+", first)
            parts.append(f"{name} {found.group() if found else first}")
        except (CommandFailed, IndexError):
            parts.append(f"{name}: missing")
    return ", ".join(parts)


def report(rows: dict[str, Row], bench: Bench) -> str:
    out = [
        "# `edition sync` benchmark",
        "",
        f"{tool_versions()}; median of {bench.runs} runs; peak = largest RSS of any run.",
        "",
        "| tool | what | median s | runs s | peak MB |",
        "|---|---|--:|---|--:|",
    ]
    for row in rows.values():
        if row.ok:
            runs = ", ".join(f"{s.seconds:.2f}" for s in row.samples)
            out.append(
                f"| {row.tool} | {row.what} | {row.seconds:.2f} | {runs} | {row.peak_mb:.0f} |"
            )
        else:
            err = (row.error or "").replace("|", "\\|")
            out.append(f"| {row.tool} | {row.what} | not available | {err} | |")
    cold, noop, edit = rows["cold"], rows["noop"], rows["edit"]
    syncs = [r for r in (cold, noop, edit) if r.ok]
    peak = max((r.peak_mb for r in syncs), default=None)
    checks = [
        ("cold sync / po4a extraction", ratio(cold, rows["po4a"]), TARGET_COLD_VS_PO4A, True),
        ("no-op sync / cold sync", ratio(noop, cold), TARGET_NOOP_VS_COLD, True),
        (
            "msgmerge (--previous, be and ru) / edit sync",
            ratio(rows["msgmerge-locales"], edit),
            TARGET_MSGMERGE_VS_EDIT,
            False,
        ),
        (
            "msgmerge (one locale, as before) / edit sync",
            ratio(rows["msgmerge"], edit),
            None,
            False,
        ),
        ("peak memory of sync, MB", peak, TARGET_PEAK_MB, True),
    ]
    out += ["", "| ratio | value | target | verdict |", "|---|--:|---|---|"]
    for name, value, target, below in checks:
        if target is None:
            shown = "n/a" if value is None else f"{value:.3g}"
            out.append(f"| {name} | {shown} | (half the work sync does; no target) | |")
            continue
        shown, ok = verdict(value, target, below)
        out.append(f"| {name} | {shown} | {'<' if below else '>='} {target:g} | {ok} |")
    out += ["", *(f"- {n}" for n in bench.notes), ""]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--fraction", type=float, default=0.05, help="paragraphs edited (default 0.05)")
    ap.add_argument("--workdir", type=Path, default=BENCH / "corpus")
    ap.add_argument("--out", type=Path, default=BENCH / "out" / "sync.md")
    ap.add_argument(
        "--skip-po4a-full",
        action="store_true",
        help="skip the po4a POT + PO row (about 4x po4a extraction)",
    )
    ap.add_argument(
        "--po4a-split",
        action="store_true",
        help="also time po4a in split mode (edition's layout; one run; very slow: "
        "about 25 min for 2,000 articles)",
    )
    args = ap.parse_args(argv)
    if args.runs < 1 or args.articles < 1:
        ap.error("--runs and --articles must be positive")

    bench = Bench(args.workdir.resolve(), args.articles, args.seed, args.fraction, args.runs)
    rows: dict[str, Row] = {}
    try:
        print(f"generating {args.articles} articles in {bench.base} ...", flush=True)
        bench.generate()
        steps: list[tuple[str, Callable[[], Row]]] = [
            ("po4a", bench.po4a_extract),
            ("md2po", bench.md2po_row),
        ]
        if not args.skip_po4a_full:
            steps.append(("po4a-full", bench.po4a_full))
        if args.po4a_split:
            steps.append(("po4a-split", bench.po4a_split))
        print("edition sync: cold, no-op, after edit ...", flush=True)
        cold, noop, edit = bench.edition_rows()
        rows.update(cold=cold, noop=noop, edit=edit)
        for key, step in steps:
            print(f"{key} ...", flush=True)
            rows[key] = step()
        print("msgmerge ...", flush=True)
        if cold.ok and edit.ok:
            rows["msgmerge-locales"] = bench.msgmerge_locales_row()
            rows["msgmerge"] = bench.msgmerge_row("edition")
        else:
            for key, tool in (
                ("msgmerge-locales", f"msgmerge --previous, {' and '.join(LOCALES)}"),
                ("msgmerge", "msgmerge, edit case (edition POTs)"),
            ):
                rows[key] = Row(tool, "needs edition sync", error="edit sync failed")
        rows["msgmerge-md2po"] = bench.msgmerge_row("md2po", rows["md2po"].ok)
    finally:
        print("deleting old outputs ...", flush=True)
        bench.trash.empty()
    text = report(rows, bench)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
