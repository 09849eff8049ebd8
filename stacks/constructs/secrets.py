"""Secrets: the Africa's Talking credentials and the delivery-report callback token.

Neither value appears in the template: CloudFormation asks Secrets Manager to generate them.
"""

from __future__ import annotations

import json

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.nag import acknowledge
from stacks.wiring import Wiring

AT_USERNAME_PLACEHOLDER = "sandbox"
REPORT_TOKEN_LENGTH = 48
VERIFICATION_KEY_LENGTH = 64


class Secrets(Construct):
    def __init__(self, scope: Construct, id: str, *, wiring: Wiring) -> None:
        super().__init__(scope, id)
        self.at_secret_name = wiring.secret("africastalking").name
        self.report_token_secret_name = wiring.secret("report-token").name
        # {"username": ..., "apiKey": ...}; apiKey starts as a random placeholder that operators
        # overwrite with the real key after the first deploy (see the README).
        self.africastalking = secretsmanager.Secret(
            self,
            "AfricasTalking",
            secret_name=self.at_secret_name,
            description="Africa's Talking credentials: username and apiKey (set apiKey after deploy)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": AT_USERNAME_PLACEHOLDER}),
                generate_string_key="apiKey",
                exclude_punctuation=True,
            ),
        )
        acknowledge(
            self.africastalking,
            "AwsSolutions-SMG4",
            "The Africa's Talking API key is issued and rotated in the Africa's Talking dashboard, "
            "which has no API a rotation Lambda could call; operators store the new key by hand.",
        )
        # The path segment of the delivery-report callback URL: letters and digits only.
        self.report_token = secretsmanager.Secret(
            self,
            "DeliveryReportToken",
            secret_name=self.report_token_secret_name,
            description="Shared secret in the Africa's Talking delivery-report callback URL path",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=REPORT_TOKEN_LENGTH,
                exclude_punctuation=True,
                include_space=False,
            ),
        )
        acknowledge(
            self.report_token,
            "AwsSolutions-SMG4",
            "The token is part of the callback URL registered in the Africa's Talking dashboard; an "
            "automatic rotation would break delivery reports until the URL is re-registered by hand.",
        )
        # The HMAC key of verification codes: only hashes of codes are stored, under this key.
        self.verification_key = secretsmanager.Secret(
            self,
            "VerificationKey",
            secret_name=wiring.secret("verification-key").name,
            description="HMAC key under which verification codes are stored (hashes only)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=VERIFICATION_KEY_LENGTH, exclude_punctuation=True, include_space=False,
            ),
        )
        acknowledge(
            self.verification_key,
            "AwsSolutions-SMG4",
            "Codes live 10 minutes; rotating the key by hand (put a new value) invalidates only the codes "
            "pending at that moment, which is an operator's decision, not a schedule's.",
        )
        self.by_key = {"africastalking": self.africastalking, "report-token": self.report_token,
                       "verification-key": self.verification_key}
