"""The batches domain's composition root, built on first use once per execution environment."""

from __future__ import annotations

from functools import cache

from messenger.core.settings import settings


@cache
def table():
    from messenger.adapters.aws import client
    from messenger.batches.dal import BatchesTable

    return BatchesTable(client("dynamodb"), settings().table_name)


@cache
def queue():
    from messenger.adapters.aws import client
    from messenger.adapters.queue import SqsJobQueue

    return SqsJobQueue(client("sqs"), settings().outbound_queue_url)


@cache
def uploads():
    from messenger.adapters.aws import client
    from messenger.adapters.s3 import UploadBucket

    bucket = settings().get("uploads_bucket")
    return UploadBucket(client("s3"), bucket) if bucket else None


# The environment variable (JSON: group, queueArn, roleArn) naming where batch schedules go.
BATCH_SCHEDULES = "batch_schedules"


@cache
def schedules():
    from messenger.scheduling.dependencies import schedules_for

    return schedules_for(BATCH_SCHEDULES)


def optional_schedules():
    """The batch schedules' builder, or None where the function was not given them."""
    return schedules if settings().get(BATCH_SCHEDULES) is not None else None


@cache
def jobs_queue():
    from messenger.adapters.aws import client
    from messenger.adapters.queue import SqsBodyQueue

    url = settings().get("batch_jobs_queue_url")
    return SqsBodyQueue(client("sqs"), url) if url else None


@cache
def statuses():
    from messenger.core.clock import SystemClock
    from messenger.messages.dependencies import status_listeners
    from messenger.messages.status import StatusWriter

    return StatusWriter(table(), SystemClock(), status_listeners())


def _limiter():
    from messenger.limits.dependencies import limiter

    return limiter()


@cache
def batch_jobs():
    from messenger.batches.jobs import BatchJobs
    from messenger.core.clock import SystemClock

    return BatchJobs(table(), fanout(), statuses(), SystemClock(), optional_schedules(), jobs_queue())


@cache
def fanout():
    from messenger.batches.fanout import Fanout
    from messenger.core.clock import SystemClock
    from messenger.suppressions.dependencies import table as suppressions

    return Fanout(table(), queue(), suppressions(), SystemClock(), on_final=_announce)


def _announce(summary: dict) -> None:
    """A batch this function made final: BATCH_COMPLETED to its client's webhooks (never raises)."""
    from messenger.webhooks.dependencies import emitter

    emitter().batch_final(summary)


def _render(args, method):
    from messenger.templates.dependencies import template_service

    return template_service().for_send(args, method)


@cache
def batch_service():
    from messenger.batches.logic import BatchService
    from messenger.core.clock import SystemClock, new_message_id

    return BatchService(table(), fanout(), settings(), SystemClock(), new_message_id, render=_render, uploads=uploads(),
                        schedules=optional_schedules(), jobs=jobs_queue(), statuses=statuses(), limits=_limiter())


@cache
def upload_processor():
    from messenger.batches.uploads import UploadProcessor
    from messenger.core.clock import SystemClock

    return UploadProcessor(table(), fanout(), uploads(), settings(), SystemClock(), render=_render,
                           schedules=optional_schedules(), jobs=batch_jobs(), limits=_limiter())
