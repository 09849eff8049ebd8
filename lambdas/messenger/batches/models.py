"""The batches domain's records: a batch, its shared content, a validated row, a row error."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from messenger.core.errors import MessagingError
from messenger.messages.models import DeliveryStatus

MAX_REPORTED_ERRORS = 100


class BatchStatus(str, Enum):
    VALIDATING = "VALIDATING"  # an upload waiting for its file, or being checked
    SCHEDULED = "SCHEDULED"  # sendAt in the future (scheduled sends)
    SENDING = "SENDING"  # every row valid; records written or being written, sends queued
    COMPLETED = "COMPLETED"  # every message reached a final status
    FAILED = "FAILED"  # a row was bad (an upload), a quota was full, or its recording was interrupted
    CANCELLED = "CANCELLED"  # cancelBatch: what was not yet sent never will be

    @property
    def final(self) -> bool:
        return self in (BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED)


class BatchSource(str, Enum):
    REQUEST = "REQUEST"  # sendBatch: the rows came in the request
    UPLOAD = "UPLOAD"  # createBatchUpload: the rows are a CSV file in the uploads bucket


@dataclass(frozen=True)
class RowError:
    row: int  # from 0, in the order given (a CSV's first data line is row 0)
    field: str
    message: str

    @classmethod
    def of(cls, row: int, refusal) -> "RowError":
        """A BadRequest as the row's error: its field, and its reason without the field in front."""
        return cls(row, refusal.field, refusal.message.removeprefix(f"{refusal.field}: "))

    def to_graphql(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class NotFound(MessagingError):
    """No batch of this client has this id (another client's batch is not found either)."""

    error_type = "NotFound"


class BatchRejected(MessagingError):
    """Some rows are bad: nothing was written or sent. Lists the first MAX_REPORTED_ERRORS."""

    error_type = "BadRequest"

    def __init__(self, errors: list[RowError], bad_rows: int) -> None:
        shown = errors[:MAX_REPORTED_ERRORS]
        rows = ", ".join(str(error.row) for error in shown[:10])
        super().__init__(
            f"messages: {bad_rows} bad row(s), nothing was sent (rows {rows}{'...' if bad_rows > 10 else ''})",
            {"field": "messages", "badRows": bad_rows, "rows": [error.to_graphql() for error in shown]},
        )


@dataclass(frozen=True)
class Content:
    """What every row of a batch shares: a body (and subject), or a template and its version."""

    body: str | None = None
    subject: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    reference: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in {
            "body": self.body, "subject": self.subject, "templateId": self.template_id,
            "templateVersion": self.template_version, "reference": self.reference,
        }.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict) -> Content:
        return cls(data.get("body"), data.get("subject"), data.get("templateId"), data.get("templateVersion"),
                   data.get("reference"))


@dataclass(frozen=True)
class Batch:
    id: str
    status: BatchStatus
    source: BatchSource
    content: Content
    created_at: str
    updated_at: str
    total: int = 0
    reference: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    errors: tuple[RowError, ...] = ()
    bad_rows: int = 0
    slices_done: int = 0  # slices whose records are written and counted
    completed_at: str | None = None
    send_at: str | None = None  # a scheduled batch: when its schedule hands it to the fan-out
    client_id: str | None = None  # the API client that created it (only it may cancel it)
    slices_queued: int = 0  # slices whose jobs are queued (a fan-out that records first, then queues)

    def slices(self, slice_rows: int) -> int:
        return -(-self.total // slice_rows)

    def recorded(self, slice_rows: int) -> bool:
        """Every row's record is written (and counted)."""
        return self.total > 0 and self.slices_done >= self.slices(slice_rows)

    def to_graphql(self) -> dict:
        return {
            "id": self.id,
            "reference": self.reference,
            "status": self.status.value,
            "total": self.total,
            "counts": [{"status": s.value, "count": n} for s in DeliveryStatus if (n := self.counts.get(s.value))],
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "completedAt": self.completed_at,
            "sendAt": self.send_at,
            "errors": [error.to_graphql() for error in self.errors],
            "badRows": self.bad_rows,
        }


@dataclass(frozen=True)
class Upload:
    batch_id: str
    upload_url: str
    expires_at: str

    def to_graphql(self) -> dict:
        return {"batchId": self.batch_id, "uploadUrl": self.upload_url, "expiresAt": self.expires_at}
