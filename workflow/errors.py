"""One exception tree for the whole tool.

Every error the core raises is a `WorkflowError` carrying the file and, where
known, the 1-based line it is about, plus a hint saying what to do.  Only the
CLI turns them into messages and exit codes (see `EXIT_*` below, documented in
the README).
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
#: The command worked and found something the caller asked to fail on
#: (`sync --check` out of date, `status --fail-under`, `publish --strict`).
EXIT_FAILED_CHECK = 1
#: Bad command-line usage (argparse's own code).
EXIT_USAGE = 2
#: Bad input: an article, catalog or setting that cannot be read.
EXIT_BAD_INPUT = 3
#: Another `edition` process holds the content root's lock.
EXIT_BUSY = 4
EXIT_INTERRUPTED = 130


class WorkflowError(Exception):
    """Base of every error the tool raises on purpose."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    def location(self) -> str:
        if self.path is None:
            return ""
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ArticleError(WorkflowError):
    """An article file cannot be read, parsed or segmented."""


class CatalogError(WorkflowError):
    """A PO or POT file cannot be read or would not be valid."""


class ConfigError(WorkflowError):
    """A setting in `[tool.edition]` is missing, mistyped or unknown."""


class RootError(WorkflowError):
    """The folder given as the content root is not one (no `articles/`): a usage
    error, so that CI pointed at the wrong folder fails instead of passing."""

    exit_code = EXIT_USAGE


class LockError(WorkflowError):
    """Another process holds the content root's lock."""

    exit_code = EXIT_BUSY
