"""SES and SNS adapters: what each failure means for a retry (Stubber pins the requests)."""

import boto3
import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.stub import Stubber
from messenger.adapters.ses import SesEmailChannel, html_body
from messenger.adapters.sns import SnsSmsChannel
from messenger.core.errors import ProviderError
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider

EMAIL = Message(id="01G8NBDZ6YMH5SCEQ1BGR3QTWG", to="jane@example.com", body="Hi <b>&</b>\nline 2",
                delivery_method=DeliveryMethod.EMAIL, delivery_status=DeliveryStatus.PENDING, provider=Provider.SES,
                created_at="t", updated_at="t", sender="no-reply@example.com", subject="S")
SMS = Message(id="01G8NBDZ6YMH5SCEQ1BGR3QTWG", to="+14155550123", body="Hi", delivery_method=DeliveryMethod.SMS,
              delivery_status=DeliveryStatus.PENDING, provider=Provider.SNS, created_at="t", updated_at="t")


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_ses_request_has_a_text_part_and_an_escaped_html_part():
    ses = client("sesv2")
    with Stubber(ses) as stub:
        stub.add_response("send_email", {"MessageId": "ses-1"}, {
            "FromEmailAddress": "no-reply@example.com", "Destination": {"ToAddresses": ["jane@example.com"]},
            "Content": {"Simple": {"Subject": {"Data": "S", "Charset": "UTF-8"}, "Body": {
                "Text": {"Data": EMAIL.body, "Charset": "UTF-8"},
                "Html": {"Data": html_body(EMAIL.body), "Charset": "UTF-8"}}}}})
        assert SesEmailChannel(ses).send(EMAIL).provider_message_id == "ses-1"
    assert "&lt;b&gt;&amp;&lt;/b&gt;<br>" in html_body(EMAIL.body) and "<b>&" not in html_body(EMAIL.body)


def test_sns_request_publishes_to_the_number_with_the_sms_type():
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_response("publish", {"MessageId": "sns-1"}, {
            "PhoneNumber": "+14155550123", "Message": "Hi",
            "MessageAttributes": {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}})
        assert SnsSmsChannel(sns, "Transactional").send(SMS).provider_message_id == "sns-1"


@pytest.mark.parametrize(("code", "status", "transient"), [
    ("TooManyRequestsException", 429, True), ("InternalFailure", 500, True), ("MessageRejected", 400, False),
    ("MailFromDomainNotVerifiedException", 400, False)])
def test_ses_errors_are_transient_or_permanent(code, status, transient):
    ses = client("sesv2")
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=status)
        with pytest.raises(ProviderError) as error:
            SesEmailChannel(ses).send(EMAIL)
    assert error.value.transient is transient and error.value.reason == f"SES:{code}"


def test_an_error_answer_without_an_error_code_is_unknown_and_classified_by_its_status():
    from botocore.exceptions import ClientError
    from messenger.adapters import ses, sns

    for classify, name in ((ses.classify, "SES"), (sns.classify, "SNS")):
        server_side = classify(ClientError({"ResponseMetadata": {"HTTPStatusCode": 503}}, "Send"))
        assert (server_side.reason, server_side.transient, server_side.throttled) == (f"{name}:Unknown", True, False)
        refused = classify(ClientError({}, "Send"))
        assert (refused.reason, refused.transient) == (f"{name}:Unknown", False)
    slow = ses.classify(ClientError({"Error": {"Code": "MessageRejected", "Message": "Maximum sending rate exceeded."}}, "Send"))
    assert slow.throttled is True


@pytest.mark.parametrize(("failure", "transient"), [
    (ConnectTimeoutError(endpoint_url="https://x"), True),
    (EndpointConnectionError(endpoint_url="https://x"), True),
    (ReadTimeoutError(endpoint_url="https://x"), False),
])
def test_no_answer_is_retried_only_when_the_request_never_left(failure, transient):
    sns = client("sns")

    def fail(**_):
        raise failure

    sns.meta.events.register("before-send.sns.Publish", fail)
    with pytest.raises(ProviderError) as error:
        SnsSmsChannel(sns, "Transactional").send(SMS)
    assert error.value.transient is transient
    assert error.value.reason == (f"SNS:{type(failure).__name__}" if transient else "SNS:NoAnswer (may have been sent)")


def test_an_sns_refusal_is_classified_by_its_code():
    sns = client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", service_error_code="InvalidParameter", http_status_code=400)
        with pytest.raises(ProviderError) as error:
            SnsSmsChannel(sns, "Transactional").send(SMS)
    assert (error.value.reason, error.value.transient, error.value.throttled) == ("SNS:InvalidParameter", False, False)


def test_line_breaks_of_any_kind_become_one_html_break_each():
    assert html_body("a\r\nb\nc") == ('<!DOCTYPE html><html><body><div style="white-space: pre-wrap">'
                                      'a<br>\nb<br>\nc</div></body></html>')
