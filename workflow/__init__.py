"""edition: translate and publish a newsroom's articles through gettext catalogs.

The public API of the core; the command line lives in `workflow.cli`.
"""

from .article import Article, FrontMatter, load_article, parse_article
from .errors import ArticleError, CatalogError, ConfigError, LockError, WorkflowError
from .segment import Segment

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
