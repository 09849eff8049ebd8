"""SMS through Amazon SNS Publish to an E.164 number."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from messenger.adapters.aws import transport_failure
from messenger.core.errors import ProviderError
from messenger.messages.models import Message
from messenger.sending.models import Receipt

_TRANSIENT_CODES = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "InternalError", "InternalFailure",
     "ServiceUnavailable", "KMSThrottlingException"}
)


# "Too fast": the account's SMS rate or the API's request rate was exceeded; nothing was sent.
_THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "Throttled"})


def classify(error: ClientError) -> ProviderError:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return ProviderError(f"SNS:{code}", transient=code in _TRANSIENT_CODES or status >= 500,
                         throttled=code in _THROTTLING_CODES)  # fmt: skip


class SnsSmsChannel:
    def __init__(self, client, sms_type: str) -> None:
        self._sns = client
        self._sms_type = sms_type

    def send(self, message: Message) -> Receipt:
        attributes = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": self._sms_type},
        }
        if message.sender and message.sender.startswith("+"):  # one of our numbers (a proxy pool number)
            attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": message.sender}
        elif message.sender:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": message.sender}
        try:
            response = self._sns.publish(
                PhoneNumber=message.to, Message=message.body, MessageAttributes=attributes
            )
        except ClientError as error:
            raise classify(error) from None
        except BotoCoreError as error:
            raise transport_failure("SNS", error) from None
        return Receipt(provider_message_id=response["MessageId"])
