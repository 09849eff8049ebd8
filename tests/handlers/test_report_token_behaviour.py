"""The delivery-report token: only the exact secret, under /reports/, read from Secrets Manager."""

import pytest

from tests.handlers.test_delivery_reports_handler import url_event
from tests.support import FakeLambdaContext, moto_service


@pytest.fixture
def call():
    with moto_service() as resources:
        from messenger.delivery_reports.handler import lambda_handler

        def status(path, method="POST", form=None):
            event = url_event(path, form or {"id": "ATXid_unknown", "status": "Success"}, method=method)
            return lambda_handler(event, FakeLambdaContext())["statusCode"]

        yield status, resources.report_token, resources


def test_the_exact_token_under_reports_is_accepted(call):
    status, token, _ = call
    assert status(f"/reports/{token}") == 200


@pytest.mark.parametrize("path", [
    "/reports/{token_prefix}", "/reports/{token}/", "/reports/{token_upper}", "/reports{token}", "/report/{token}",
    "/REPORTS/{token}", "/x/reports/{token}", "{token}", "/reports/ {token}", "",
])
def test_anything_but_the_exact_token_is_refused(call, path):
    status, token, _ = call
    assert status(path.format(token=token, token_prefix=token[:-1], token_upper=token.upper())) == 403


def test_the_token_is_checked_before_anything_else_is_looked_at(call):
    status, token, _ = call
    assert status("/reports/guess", method="GET") == 403
    assert status(f"/reports/{token}", method="GET") == 405


def test_without_a_configured_secret_every_report_is_refused():
    with moto_service(env={"REPORT_TOKEN_SECRET_NAME": ""}) as resources:
        from messenger.delivery_reports.handler import lambda_handler

        event = url_event(f"/reports/{resources.report_token}", {"id": "x", "status": "Success"})
        assert lambda_handler(event, FakeLambdaContext())["statusCode"] == 403
