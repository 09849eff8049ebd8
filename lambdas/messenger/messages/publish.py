"""The subscriptions listener of the status writer: every status a message reaches is published to
AppSync's `publishMessageUpdate` mutation, which only IAM may call, and AppSync pushes it to the
`onMessageUpdated` subscribers whose arguments match.

The call (adapters/appsync.py) is an HTTPS POST to the API's GraphQL URL (GRAPHQL_URL, from the wiring),
signed with SigV4 (service "appsync") with the function's own credentials; the role may call that one field only. In the
local mode the same request goes to the local endpoint, which checks the signature.

A publish that fails (a timeout, an HTTP error, a GraphQL error) never fails or repeats the status
change: it is logged without the body and with the recipient masked, and counted (`PublishFailed`).
"""

from __future__ import annotations

import logging
import os

from messenger.core.masking import mask_recipient
from messenger.core.observability import count
from messenger.core.settings import settings
from messenger.messages.metrics import channel_of
from messenger.messages.models import Message

log = logging.getLogger(__name__)

PUBLISH_FIELD = "publishMessageUpdate"
TIMEOUT_SECONDS = 3
# Subscribers only ever see fields the publishing mutation selects: it selects all of them.
MESSAGE_SELECTION = (
    "id to from subject body deliveryMethod deliveryStatus recipientId senderId reference provider "
    "providerMessageId failureReason segments cost createdAt updatedAt sentAt completedAt "
    "events { status at detail } templateId templateVersion clientId test sendAt batchId direction"
)
PUBLISH_MUTATION = (
    f"mutation Publish($message: MessageUpdateInput!) {{ {PUBLISH_FIELD}(message: $message) {{ {MESSAGE_SELECTION} }} }}"
)


class PublishFailed(Exception):
    pass


class PublishListener:
    """Publishes `recorded` and `moved` alike: a subscriber sees the first status too."""

    def __init__(self, url: str | None = None, region: str | None = None) -> None:
        self._url = url if url is not None else settings().get("graphql_url", "")
        self._region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    def recorded(self, message: Message) -> None:
        self.publish(message)

    def moved(self, message: Message) -> None:
        self.publish(message)

    def publish(self, message: Message) -> bool:
        try:
            self._post(message)
        except Exception as error:  # noqa: BLE001 - a publish never fails the status change
            log.warning(
                "status publish failed",
                extra={
                    "messageId": message.id,
                    "to": mask_recipient(message.to),
                    "deliveryStatus": message.delivery_status.value,
                    "reason": type(error).__name__,
                },
            )
            count("PublishFailed", channel_of(message))
            return False
        return True

    def _post(self, message: Message) -> None:
        from messenger.adapters.appsync import call_graphql

        if not self._url:
            raise PublishFailed("GRAPHQL_URL is not set")
        call_graphql(self._url, self._region, PUBLISH_MUTATION, {"message": message.to_graphql()}, TIMEOUT_SECONDS)
