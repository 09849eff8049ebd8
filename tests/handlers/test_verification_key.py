"""The verification function's hashing key: read from Secrets Manager, kept for the configured max age,
and a rotated key applies once that age has passed (codes sent before keep checking until then)."""

import datetime

import boto3

from tests.handlers.test_delivery_reports_handler import SecretsCacheClock
from tests.support import moto_service


def test_a_rotated_verification_key_is_used_once_the_cache_max_age_has_passed(monkeypatch):
    from aws_lambda_powertools.utilities.parameters import base

    monkeypatch.setattr(base, "datetime", SecretsCacheClock)
    monkeypatch.setattr(SecretsCacheClock, "moment", SecretsCacheClock.moment)  # restored afterwards
    with moto_service(overrides={"verificationKeyMaxAgeSeconds": 120}):  # not the SDK cache's default (300 s)
        from messenger.core.settings import settings
        from messenger.verification.dependencies import _key

        config, start = settings(), SecretsCacheClock.moment
        assert config.verification_key_max_age_seconds == 120
        boto3.client("secretsmanager").put_secret_value(
            SecretId=config.verification_key_secret_name, SecretString="first-key")
        assert _key() == b"first-key"
        boto3.client("secretsmanager").put_secret_value(
            SecretId=config.verification_key_secret_name, SecretString="second-key")
        SecretsCacheClock.moment = start + datetime.timedelta(seconds=config.verification_key_max_age_seconds - 1)
        assert _key() == b"first-key"
        SecretsCacheClock.moment = start + datetime.timedelta(seconds=config.verification_key_max_age_seconds + 1)
        assert _key() == b"second-key"
