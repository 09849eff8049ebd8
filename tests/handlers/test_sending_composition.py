"""The sending domain's composition root: which sender the worker uses for each provider, and how the
Africa's Talking sender is built from the settings (credentials cached for their max age)."""

import datetime
import json

import boto3
from messenger.messages.models import DeliveryMethod, DeliveryStatus, Message, Provider

from tests.handlers.test_delivery_reports_handler import SecretsCacheClock
from tests.support import moto_service


def test_the_worker_sends_africastalking_in_groups_and_the_direct_channels_one_by_one():
    with moto_service():
        from messenger.adapters.ses import SesEmailChannel
        from messenger.adapters.sns import SnsSmsChannel
        from messenger.sending.dependencies import channels, senders
        from messenger.sending.providers.africastalking import AfricasTalkingSender
        from messenger.sending.providers.base import OneByOne

        built = senders()
        assert isinstance(built[Provider.AFRICASTALKING], AfricasTalkingSender)
        for provider, channel in ((Provider.SNS, SnsSmsChannel), (Provider.SES, SesEmailChannel)):
            assert isinstance(built[provider], OneByOne) and isinstance(channels()[provider], channel)
            assert built[provider]._channel is channels()[provider]
        assert built[Provider.SNS] is senders()[Provider.SNS]  # built once per warm function


def test_the_africastalking_sender_reads_its_credentials_through_the_cache_and_again_when_forced(monkeypatch):
    from aws_lambda_powertools.utilities.parameters import base

    monkeypatch.setattr(base, "datetime", SecretsCacheClock)
    monkeypatch.setattr(SecretsCacheClock, "moment", SecretsCacheClock.moment)  # restored afterwards
    with moto_service(overrides={"atSenderId": "ACME"}) as resources:
        from messenger.core.settings import settings
        from messenger.sending.models import Credentials
        from messenger.sending.providers.africastalking import _sender

        config = settings()
        sender = _sender(config)
        assert (sender._sender_id, sender._max_recipients) == ("ACME", config.at_max_recipients_per_request)
        first = sender._credentials()
        boto3.client("secretsmanager").put_secret_value(
            SecretId=resources.at_secret_name, SecretString=json.dumps({"username": "sandbox", "apiKey": "rotated"}))
        SecretsCacheClock.moment += datetime.timedelta(seconds=config.at_secret_max_age_seconds - 1)
        assert sender._credentials() == first  # within the max age: the cached key
        assert sender._credentials(force=True) == Credentials("sandbox", "rotated")  # a refused key: read again
        boto3.client("secretsmanager").put_secret_value(
            SecretId=resources.at_secret_name, SecretString=json.dumps({"username": "sandbox", "apiKey": "later"}))
        SecretsCacheClock.moment += datetime.timedelta(seconds=config.at_secret_max_age_seconds + 1)
        assert sender._credentials() == Credentials("sandbox", "later")  # past the max age: read again


def test_without_a_credentials_secret_every_africastalking_message_fails_as_not_configured():
    with moto_service():
        from messenger.core.settings import Settings, settings
        from messenger.sending.providers.africastalking import _sender
        from messenger.sending.providers.base import Refused

        env = {name: value for name, value in settings()._env.items() if name != "AT_SECRET_NAME"}
        sender = _sender(Settings(env))
        message = Message("01J0000000000000000000000A", "+254711000001", "Hi", DeliveryMethod.SMS,
                          DeliveryStatus.QUEUED, Provider.AFRICASTALKING, "t", "t")
        assert sender.send_group([message]).outcomes == {
            message.id: Refused("AfricasTalking:NotConfigured", transient=False)}


def test_the_direct_channels_use_their_configured_regions_one_attempt_and_the_event_configuration_set():
    with moto_service(overrides={"sesRegion": "eu-west-1", "snsRegion": "eu-central-1"}):
        from messenger.core.settings import settings
        from messenger.sending.dependencies import channels

        ses, sns = channels()[Provider.SES], channels()[Provider.SNS]
        assert (ses._ses.meta.region_name, sns._sns.meta.region_name) == ("eu-west-1", "eu-central-1")
        for client in (ses._ses, sns._sns):  # the queue retries, with back-off; the SDK tries once
            assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
        assert ses._configuration_set == settings().ses_event_configuration_set and ses._configuration_set
        assert sns._sms_type == settings().sms_type
