"""E-mail through Amazon SES (v2 API): a plain-text part and an HTML part, the body escaped (a message
sent by template brings its own rendered HTML, its values escaped)."""

from __future__ import annotations

import html

from botocore.exceptions import BotoCoreError, ClientError

from messenger.adapters.aws import transport_failure
from messenger.core.errors import ProviderError
from messenger.messages.models import Message
from messenger.sending.models import Receipt

_TRANSIENT_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException",
     "InternalFailure", "ServiceUnavailable", "InternalServerError"}
)


def html_body(text: str) -> str:
    escaped = html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\n")
    return f'<!DOCTYPE html><html><body><div style="white-space: pre-wrap">{escaped}</div></body></html>'


def classify(error: ClientError) -> ProviderError:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    transient = code in _TRANSIENT_CODES or status >= 500
    return ProviderError(f"SES:{code}", transient=transient)


MESSAGE_ID_TAG = "messageId"


class SesEmailChannel:
    def __init__(self, client, configuration_set: str | None = None) -> None:
        self._ses = client
        self._configuration_set = configuration_set

    def send(self, message: Message) -> Receipt:
        request = {
            "FromEmailAddress": message.sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject or "", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": message.body, "Charset": "UTF-8"},
                        "Html": {"Data": message.html or html_body(message.body), "Charset": "UTF-8"},
                    },
                }
            },
        }
        if self._configuration_set:
            # The set's event destination sends this message's receipts; the tag names our record.
            request["ConfigurationSetName"] = self._configuration_set
            request["EmailTags"] = [{"Name": MESSAGE_ID_TAG, "Value": message.id}]
        try:
            response = self._ses.send_email(**request)
        except ClientError as error:
            raise classify(error) from None
        except BotoCoreError as error:
            raise transport_failure("SES", error) from None
        return Receipt(provider_message_id=response["MessageId"])
