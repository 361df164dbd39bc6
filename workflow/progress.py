"""Progress reports from the core to whoever draws them.

A long command (status on 300 articles, publish, assemble, check, draft)
calls ``progress(label, done, total)`` as it goes; the core never draws
anything.  `workflow.cli` turns the calls into a bar on a terminal's stderr
(none when piped or with ``-q``).
"""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(label, done, total)``: ``done`` of ``total`` items of ``label``.
Progress = Callable[[str, int, int], None]


def no_progress(_label: str, _done: int, _total: int) -> None:
    """The default: nobody is watching."""
