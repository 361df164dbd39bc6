"""edition: translate and publish a newsroom's articles through gettext catalogs.

The public API of the core; the command line lives in `workflow.cli`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import ArticleError, CatalogError, ConfigError, LockError, WorkflowError

#: The release, as in pyproject.toml (a test keeps the two equal).  `sync`
#: keys its state on it; importlib.metadata would cost a no-op sync a tenth
#: of its time just to look it up.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .article import Article, FrontMatter, load_article, parse_article
    from .segment import Segment

# Imported on first use (PEP 562): Markdown and YAML parsing cost a command
# that finds nothing to do (a no-op sync) more than the rest of its run.
_LAZY = {
    "Article": "article",
    "FrontMatter": "article",
    "load_article": "article",
    "parse_article": "article",
    "Segment": "segment",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Article",
    "ArticleError",
    "CatalogError",
    "ConfigError",
    "FrontMatter",
    "LockError",
    "Segment",
    "WorkflowError",
    "load_article",
    "parse_article",
]
