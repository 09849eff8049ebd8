"""The templates domain's records: a template (one version of it) and what rendering it gives."""

from __future__ import annotations

from dataclasses import dataclass, replace

from messenger.messages.models import DeliveryMethod


@dataclass(frozen=True)
class Template:
    """One version of a template. Versions never change; `archived` is the template's, not the version's."""

    id: str
    name: str
    channel: DeliveryMethod
    body: str
    version: int
    placeholders: tuple[str, ...]
    created_at: str  # when the template was created
    updated_at: str  # when this version was made
    subject: str | None = None
    archived: bool = False

    def with_archived(self, archived: bool) -> "Template":
        return replace(self, archived=archived)

    def to_graphql(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "channel": self.channel.value,
            "subject": self.subject,
            "body": self.body,
            "version": self.version,
            "placeholders": list(self.placeholders),
            "archived": self.archived,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class Rendered:
    """A template version filled in: what a send records and hands to the provider, and what preview shows."""

    template_id: str
    template_version: int
    channel: DeliveryMethod
    body: str
    subject: str | None = None
    html: str | None = None  # e-mail only
    segments: int | None = None  # SMS only
    encoding: str | None = None  # SMS only: GSM-7 or UCS-2

    def to_graphql(self) -> dict:
        return {
            "templateId": self.template_id,
            "templateVersion": self.template_version,
            "subject": self.subject,
            "body": self.body,
            "html": self.html,
            "segments": self.segments,
            "encoding": self.encoding,
        }
