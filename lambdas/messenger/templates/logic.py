"""Templates: create, update (a new version each time), archive, read, page, preview, and the
rendering a send by template uses. Decisions only; the table is reached through `TemplatesTable`.

A warm function keeps what it read: a version, once read, forever (versions never change); which
version is the latest, and whether the template is archived, for `template_cache_seconds` (10 by
default). So a send pinned to a version it has sent before reads nothing, and an update or an archive
made through another function is seen within that many seconds (at once by the function that made it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from messenger.core.errors import BadRequest
from messenger.core.input import enum, optional_text, text
from messenger.messages.cursor import decode_cursor, encode_cursor
from messenger.messages.filters import id_connection, page_size
from messenger.messages.models import DeliveryMethod
from messenger.sending.segments import count_segments
from messenger.templates.dal import HEADS, TemplatesTable
from messenger.templates.models import Rendered, Template
from messenger.templates.placeholders import parse, placeholder_names
from messenger.templates.rendering import (
    render_html,
    render_text,
    require_all,
    values_of,
)

MAX_NAME_CHARS = 200
MAX_UPDATE_ATTEMPTS = 5
MAX_CACHED_VERSIONS = 512


def _personalisation(raw):
    """AWSJSON reaches a resolver as JSON text (the local mode, some clients) or already parsed."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            raise BadRequest("personalisation", "is not valid JSON") from None
    return raw


def _template_id(raw, field: str = "id") -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 64:
        raise BadRequest(field, "is not a template id")
    return raw


def _version(raw, field: str = "version") -> int | None:
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int) or raw < 1):
        raise BadRequest(field, "must be a version number (1 or more)")
    return raw


class _Cache:
    """Versions for good; the latest version and `archived` for `seconds` after they were read."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self._seconds, self._monotonic = seconds, monotonic
        self.versions: dict[tuple[str, int], Template] = {}
        self._latest: dict[str, tuple[float, Template]] = {}
        self._archived: dict[str, tuple[float, bool]] = {}

    def _fresh(self, entry):
        return entry[1] if entry and self._monotonic() - entry[0] < self._seconds else None

    def latest(self, template_id: str) -> Template | None:
        return self._fresh(self._latest.get(template_id))

    def archived(self, template_id: str) -> bool | None:
        return self._fresh(self._archived.get(template_id))

    def keep(self, template: Template, latest: bool) -> Template:
        if len(self.versions) >= MAX_CACHED_VERSIONS:
            self.versions.clear()
        self.versions[(template.id, template.version)] = template
        now = self._monotonic()
        self._archived[template.id] = (now, template.archived)
        if latest:
            self._latest[template.id] = (now, template)
        return template

    def forget(self, template_id: str) -> None:
        self._latest.pop(template_id, None)
        self._archived.pop(template_id, None)


class TemplateService:
    def __init__(self, table: TemplatesTable, settings, clock, new_id: Callable[[], str],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._table = table
        self._settings = settings
        self._clock = clock
        self._new_id = new_id
        self._cache = _Cache(settings.template_cache_seconds, monotonic)

    # -- writes ------------------------------------------------------------------------------
    def _parse_input(self, raw) -> tuple[str, DeliveryMethod, str | None, str, tuple[str, ...]]:
        if not isinstance(raw, dict):
            raise BadRequest("input", "is required")
        name = optional_text(raw, "name", MAX_NAME_CHARS)
        if name is None:
            raise BadRequest("name", "is required")
        channel = enum(raw.get("channel"), DeliveryMethod, "channel")
        body = text(raw.get("body"), "body") if raw.get("body") is not None else ""
        if not body.strip():
            raise BadRequest("body", "must not be empty")
        if len(body.encode("utf-8")) > self._settings.max_email_body_bytes:
            raise BadRequest("body", f"must be at most {self._settings.max_email_body_bytes} bytes")
        subject = optional_text(raw, "subject", self._settings.max_subject_chars)
        if channel is DeliveryMethod.SMS and subject is not None:
            raise BadRequest("subject", "SMS templates have no subject")
        names = placeholder_names(parse(subject or "", "subject"), parse(body, "body"))
        return name, channel, subject, body, tuple(names)

    def create(self, args: dict) -> Template:
        name, channel, subject, body, names = self._parse_input(args.get("input"))
        now = self._clock.now()
        template = Template(self._new_id(), name, channel, body, 1, names, now, now, subject)
        self._table.create(template)
        return self._cache.keep(template, latest=True)

    def update(self, args: dict) -> Template:
        template_id = _template_id(args.get("id"))
        name, channel, subject, body, names = self._parse_input(args.get("input"))
        for _ in range(MAX_UPDATE_ATTEMPTS):
            current = self._usable(self._table.latest(template_id), "id")
            if channel is not current.channel:
                raise BadRequest("channel", f"stays {current.channel.value}: create another template instead")
            new = Template(template_id, name, channel, body, current.version + 1, names,
                           current.created_at, self._clock.now(), subject)
            if self._table.add_version(new, current.version):
                return self._cache.keep(new, latest=True)
            self._cache.forget(template_id)  # another update (or an archive) came first: build on it
        raise BadRequest("id", "is being updated by others; try again")

    def archive(self, args: dict) -> Template:
        template_id = _template_id(args.get("id"))
        archived = self._table.archive(template_id)
        if archived is None:
            raise BadRequest("id", "no template has this id")
        return self._cache.keep(archived, latest=True)

    # -- reads -------------------------------------------------------------------------------
    def _read(self, template_id: str, version: int | None) -> Template | None:
        """At most one table read: the head for the latest, one BatchGetItem for a pinned version."""
        if version is None:
            latest = self._cache.latest(template_id)
            if latest is None and (latest := self._table.latest(template_id)) is not None:
                self._cache.keep(latest, latest=True)
            return latest
        cached, archived = self._cache.versions.get((template_id, version)), self._cache.archived(template_id)
        if cached is not None and archived is not None:
            return cached.with_archived(archived)
        found = self._table.version(template_id, version)
        return self._cache.keep(found, latest=False) if found else None

    @staticmethod
    def _usable(template: Template | None, field: str) -> Template:
        if template is None:
            raise BadRequest(field, "no template has this id (and version)")
        if template.archived:
            raise BadRequest(field, "this template is archived")
        return template

    def get(self, args: dict) -> dict | None:
        found = self._read(_template_id(args.get("id")), _version(args.get("version")))
        return found.to_graphql() if found else None

    def page(self, args: dict) -> dict:
        first = page_size(args)
        after = args.get("after")
        if after is not None and not isinstance(after, str):
            raise BadRequest("after", "not a valid cursor")
        found, cut_short = self._table.page(first + 1, decode_cursor(after, HEADS) if after else None)
        return id_connection(found, first, cut_short, cursor=lambda template: encode_cursor(HEADS, template.id))

    # -- rendering ---------------------------------------------------------------------------
    def render(self, template: Template, personalisation) -> Rendered:
        subject_parts, body_parts = parse(template.subject or "", "subject"), parse(template.body, "body")
        values = values_of(_personalisation(personalisation))
        require_all(values, subject_parts, body_parts)
        body = render_text(body_parts, values)
        if template.channel is DeliveryMethod.SMS:
            count = count_segments(body)
            return Rendered(template.id, template.version, template.channel, body,
                            segments=count.segments, encoding=count.encoding)
        subject = render_text(subject_parts, values) if template.subject is not None else None
        if subject is not None:  # a value may not break the subject line or make it too long
            subject = optional_text({"subject": subject}, "subject", self._settings.max_subject_chars)
        return Rendered(template.id, template.version, template.channel, body, subject,
                        html=render_html(body_parts, values))

    def preview(self, args: dict) -> Rendered:
        template_id, version = _template_id(args.get("id")), _version(args.get("version"))
        found = self._read(template_id, version)
        if found is None:
            raise BadRequest("id", "no template has this id (and version)")
        return self.render(found, args.get("personalisation"))

    def for_send(self, args: dict, method: DeliveryMethod) -> Rendered:
        """What sendMessage records and sends for `templateId` + `templateVersion` + `personalisation`."""
        template_id = _template_id(args.get("templateId"), "templateId")
        template = self._usable(self._read(template_id, _version(args.get("templateVersion"), "templateVersion")),
                                "templateId")
        if template.channel is not method:
            raise BadRequest("templateId", f"is an {template.channel.value} template, not {method.value}")
        return self.render(template, args.get("personalisation"))
