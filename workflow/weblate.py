"""Register the content root with a Weblate server (`edition weblate`).

One Weblate project, one component per article: bilingual gettext
(`locales/*/<slug>.po`, new translations from `locales/<slug>.pot`), cloned
from the content repository.  The first component (in slug order) owns the
clone; every other one is linked to it (`weblate://<project>/<slug>`), so
Weblate clones and pulls the repository once.

The run is idempotent: what Weblate already has is compared field by field
with what the root needs, and only the differences are sent.  `plan()`
computes them without changing anything (`--dry-run`); `apply()` sends them.

Talks to Weblate through wlc, its own API client.  The API token comes from
`[tool.edition.weblate] token` or `WEBLATE_TOKEN`; it is sent only in the
Authorization header and is removed from every message this module raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .config import Settings, WeblateSettings
from .errors import EXIT_USAGE, WorkflowError

if TYPE_CHECKING:
    from wlc import Weblate

T = TypeVar("T")


class WeblateError(WorkflowError):
    """Weblate refused a request, or could not be reached."""


class WeblateUsageError(WeblateError):
    """No server or no token to talk to it with."""

    exit_code = EXIT_USAGE


#: Component fields `edition weblate` keeps as the root needs them, in the
#: order they are shown.  Anything else (the name, once created; licence,
#: checks, commit messages, ...) is left as the team set it in Weblate.
FIELDS = (
    "file_format",
    "filemask",
    "new_base",
    "template",
    "vcs",
    "repo",
    "branch",
    "push",
)


_USERINFO = re.compile(r"(://)[^/@\s]+@")


def shown(value: object) -> object:
    """A field's value for a report: credentials in a URL become `***`."""
    return _USERINFO.sub(r"\1***@", value) if isinstance(value, str) else value


@dataclass
class Change:
    """One object to create or update, or one already as wanted."""

    kind: str  # "project" or "component"
    slug: str
    action: str  # "create", "update" or "unchanged"
    #: field -> (what Weblate has, what the root needs); empty for create.
    diff: dict[str, tuple[object, object]] = field(default_factory=dict)
    #: What is sent: every field for create, the differing ones for update.
    payload: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "slug": self.slug,
            "action": self.action,
            "fields": {
                k: {"from": shown(old), "to": shown(new)} for k, (old, new) in self.diff.items()
            },
        }


@dataclass
class Plan:
    url: str
    project: str
    changes: list[Change]
    #: Components in the Weblate project that no article of the root has:
    #: reported, never deleted (a translator's work lives there).
    extra: list[str]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]

    def as_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "project": self.project,
            "changes": [c.as_json() for c in self.changes],
            "not_in_root": self.extra,
        }


def api_url(url: str) -> str:
    """The API root for a Weblate URL given as its site or its API."""
    base = url.rstrip("/")
    if not base.endswith("/api"):
        base += "/api"
    return base + "/"


def wanted_components(
    settings: Settings, config: WeblateSettings, owner: str | None = None
) -> dict[str, dict[str, object]]:
    """slug -> the component fields the root needs, the owner of the clone
    first: ``owner`` when it is still an article, else the first slug."""
    slugs = [p.stem for p in settings.article_paths()]
    if not slugs:
        raise WeblateError(
            "no articles to register",
            path=settings.articles_dir,
            hint="add articles/<slug>.md first",
        )
    if not config.repo:
        raise WeblateUsageError(
            "no content repository URL for Weblate to clone",
            path=settings.root / "pyproject.toml",
            hint="set [tool.edition.weblate] repo = 'https://...'",
        )
    locales = settings.locales_dir.relative_to(settings.root).as_posix()
    if owner not in slugs:
        owner = slugs[0]
    slugs = [owner, *(s for s in slugs if s != owner)]
    result: dict[str, dict[str, object]] = {}
    for slug in slugs:
        fields: dict[str, object] = {
            "name": slug,
            "file_format": "po",
            "filemask": f"{locales}/*/{slug}.po",
            "new_base": f"{locales}/{slug}.pot",
            "template": "",
            "vcs": "git",
        }
        if slug == owner:
            fields |= {"repo": config.repo, "branch": config.branch, "push": config.push}
        else:
            fields |= {"repo": f"weblate://{config.project}/{owner}"}
        result[slug] = fields
    return result


class Client:
    """The few calls `edition weblate` makes, over wlc, with errors as
    `WeblateError`s that never carry the token."""

    def __init__(self, config: WeblateSettings) -> None:
        if not config.url:
            raise WeblateUsageError(
                "no Weblate server given",
                hint="set WEBLATE_URL or [tool.edition.weblate] url",
            )
        if not config.token:
            raise WeblateUsageError(
                "no Weblate API token given",
                hint="set WEBLATE_TOKEN (your profile's API access page in Weblate)",
            )
        self.token = config.token
        self.url = api_url(config.url)
        try:
            from wlc import Weblate
        except ImportError as exc:
            raise WeblateUsageError(
                "the Weblate client is not installed",
                hint="pip install 'edition[weblate]'",
            ) from exc
        self.api: Weblate = self._call(lambda: Weblate(key=config.token, url=self.url, timeout=120))

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def _error(self, exc: Exception) -> WeblateError:
        from wlc import WeblateDeniedError

        if isinstance(exc, WeblateDeniedError):
            return WeblateUsageError(
                f"Weblate at {self.url} refused the API token", hint="check WEBLATE_TOKEN"
            )
        if isinstance(exc, OSError):  # requests' errors are OSErrors
            return WeblateError(
                f"cannot reach Weblate at {self.url}: {type(exc).__name__}",
                hint="check the URL, and that the server is running",
            )
        return WeblateError(f"Weblate at {self.url}: {self._redact(str(exc))}")

    def _call(self, func: Callable[[], T]) -> T:
        from wlc import WeblateException

        try:
            return func()
        except (WeblateException, OSError) as exc:
            raise self._error(exc) from exc

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``, or None when Weblate has none (404)."""
        import requests
        from wlc import WeblateException

        try:
            data = self.api.get(path)
        except (WeblateException, OSError) as exc:
            cause = exc.__cause__
            response = cause.response if isinstance(cause, requests.HTTPError) else None
            if response is not None and response.status_code == 404:
                return None
            raise self._error(exc) from exc
        if not isinstance(data, dict):
            raise WeblateError(f"Weblate at {self.url}: unexpected answer for {path}")
        return data

    def paged(self, path: str) -> Iterator[dict[str, Any]]:
        next_path: str | None = path
        while next_path:
            page = self.get(next_path)
            if page is None:
                return
            yield from page.get("results", [])
            next_path = page.get("next")

    def post(self, path: str, data: dict[str, object]) -> None:
        self._call(lambda: self.api.request("post", path, data=data))

    def patch(self, path: str, data: dict[str, object]) -> None:
        self._call(lambda: self.api.request("patch", path, data=data))


def _linked(component: dict[str, Any]) -> str | None:
    """`weblate://project/slug` of the component this one is linked to.

    The API shows a linked component's `repo` as the owner's URL, and the
    link as the owner's API URL (`.../components/<project>/<slug>/`)."""
    link = component.get("linked_component")
    if not link:
        return None
    parts = [p for p in str(link).split("/") if p]
    return f"weblate://{parts[-2]}/{parts[-1]}"


def _current(component: dict[str, Any], name: str) -> object:
    if name == "repo" and _linked(component):
        return _linked(component)
    value = component.get(name)
    if name in ("template", "new_base", "push", "branch") and value is None:
        return ""
    return value


def plan(settings: Settings, config: WeblateSettings, client: Client) -> Plan:
    """What `apply` would change: compares Weblate's project and components
    with what the root needs, sending nothing but GET requests."""
    project_path = f"projects/{config.project}/"
    project = client.get(project_path)
    existing: dict[str, dict[str, Any]] = {}
    if project is not None:
        existing = {c["slug"]: c for c in client.paged(f"{project_path}components/")}
    # Keep the component that holds the clone as the owner, so an article
    # added later (sorting first) does not move the repository around.
    articles = {p.stem for p in settings.article_paths()}
    owners = [
        s
        for s, c in existing.items()
        if s in articles and not _linked(c) and not c.get("is_glossary")
    ]
    wanted = wanted_components(settings, config, owners[0] if owners else None)
    changes: list[Change] = []
    # Set in the settings: kept as set.  Defaults: given at creation only,
    # so a name or website the team sets in Weblate stays.
    project_fields: dict[str, object] = {"name": config.name, "web": config.website}
    if project is None:
        site_url = settings.sections.get("site", {}).get("base_url", "")
        defaults = {
            "name": config.project,
            "web": (site_url if isinstance(site_url, str) else "") or config.repo,
        }
        payload = {k: project_fields[k] or defaults[k] for k in project_fields}
        changes.append(
            Change("project", config.project, "create", payload={"slug": config.project, **payload})
        )
    else:
        diff = {
            k: (project.get(k) or "", v)
            for k, v in project_fields.items()
            if v and (project.get(k) or "") != v
        }
        changes.append(
            Change(
                "project",
                config.project,
                "update" if diff else "unchanged",
                diff=diff,
                payload={k: new for k, (_old, new) in diff.items()},
            )
        )
    for slug, fields in wanted.items():
        have = existing.get(slug)
        if have is None:
            payload = {"slug": slug, "source_language": settings.source, **fields}
            changes.append(Change("component", slug, "create", payload=payload))
            continue
        diff = {}
        for name in FIELDS:
            if name not in fields:
                continue
            old = _current(have, name)
            if old != fields[name]:
                diff[name] = (old, fields[name])
        changes.append(
            Change(
                "component",
                slug,
                "update" if diff else "unchanged",
                diff=diff,
                payload={k: new for k, (_old, new) in diff.items()},
            )
        )
    extra = sorted(
        s for s in existing if s not in wanted and not existing[s].get("is_glossary", False)
    )
    return Plan(url=client.url, project=config.project, changes=changes, extra=extra)


def apply(the_plan: Plan, client: Client) -> None:
    """Send the plan's creates and updates, the owning component first."""
    project_path = f"projects/{the_plan.project}/"
    for change in the_plan.pending:
        if change.kind == "project":
            if change.action == "create":
                client.post("projects/", change.payload)
            else:
                client.patch(project_path, change.payload)
        elif change.action == "create":
            client.post(f"{project_path}components/", change.payload)
        else:
            client.patch(f"components/{the_plan.project}/{change.slug}/", change.payload)
