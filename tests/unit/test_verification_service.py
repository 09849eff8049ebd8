"""startVerification and checkVerification as the service decides them, over the real table (moto).

The code is read from what the service hands to the sending path (as a phone would receive it); the
clock is fixed and moved by hand; the hashing key is a constant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from types import SimpleNamespace

import boto3
import pytest
from messenger.core.errors import BadRequest
from messenger.verification.dal import VerificationTable
from messenger.verification.logic import VerificationService
from messenger.verification.models import NotFound, TooManyRequests, VerificationStatus

from tests.fakes import FixedClock
from tests.support import table_items

KEY = b"test-verification-key"
TEXT = "{code} is your code. It expires in {minutes} minutes."
NUMBER = "+254711000001"
START = 1795435200  # 2026-11-23T12:00:00Z


class World:
    def __init__(self, table_name: str, **limits) -> None:
        self.table_name = table_name
        self.table = VerificationTable(boto3.client("dynamodb"), self.table_name)
        self.clock = FixedClock()
        self.sent: list[tuple[dict, str]] = []
        self.ids = iter(f"ver{n:03d}" for n in range(1, 100))
        settings = {"code_length": 6, "valid_minutes": 10, "max_checks": 3, "max_sends": 2, "starts_per_hour": 4,
                    "text": TEXT, "subject": "Your code"} | limits
        self.service = VerificationService(self.table, self._send, self.clock, lambda: next(self.ids), lambda: KEY,
                                           **settings)

    def _send(self, args: dict, record_body: str):
        self.sent.append((args, record_body))
        return SimpleNamespace(id=f"msg{len(self.sent)}", delivery_status=SimpleNamespace(value="ACCEPTED"))

    def last_code(self) -> str:
        return re.match(r"(\d+) is your code", self.sent[-1][0]["body"]).group(1)

    def later(self, **delta) -> None:
        self.clock.moment += dt.timedelta(**delta)

    def item(self, verification_id: str) -> dict:
        return boto3.client("dynamodb").get_item(
            TableName=self.table_name, Key={"PK": {"S": f"VERIFICATION#{verification_id}"},
                                            "SK": {"S": f"VERIFICATION#{verification_id}"}})["Item"]


@pytest.fixture
def world(empty_moto_table):
    return World(empty_moto_table)


def _refusal(call, args) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        call(args)
    return caught.value


# -- start ---------------------------------------------------------------------------------------------
def test_a_start_sends_a_code_and_answers_the_pending_verification_without_it(world):
    answer = world.service.start({"channel": "SMS", "to": "+254 711 000 001", "reference": "signup-7"})
    code = world.last_code()
    assert answer == {"id": "ver001", "to": NUMBER, "channel": "SMS", "reference": "signup-7", "status": "PENDING",
                      "createdAt": "2026-11-23T12:00:00.000Z", "expiresAt": "2026-11-23T12:10:00.000Z",
                      "attemptsLeft": 3, "sendsLeft": 1}
    args, record_body = world.sent[0]
    assert args == {"to": NUMBER, "body": f"{code} is your code. It expires in 10 minutes.", "deliveryMethod": "SMS",
                    "reference": "signup-7"}
    assert record_body == "****** is your code. It expires in 10 minutes."
    assert len(code) == 6 and code not in str(answer)


def test_a_check_answers_the_stored_verification_with_its_reference(world):
    started = world.service.start({"channel": "EMAIL", "to": "ada@example.com", "reference": "signup-7"})
    wrong = "000000" if world.last_code() != "000000" else "111111"
    checked = world.service.check({"id": started["id"], "code": wrong})
    assert checked == {**started, "attemptsLeft": 2}


def test_the_stored_verification_keeps_a_keyed_hash_of_the_code_and_lives_a_day_past_expiry(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    item = world.item("ver001")
    expected = hmac.new(KEY, f"ver001:{world.last_code()}".encode(), hashlib.sha256).hexdigest()
    assert item["codeHash"]["S"] == expected
    assert world.last_code() not in str(item)
    assert int(item["expiresAt"]["N"]) == START + 10 * 60 + 86_400
    assert "reference" not in item
    assert (item["status"]["S"], item["checks"]["N"], item["sends"]["N"]) == ("PENDING", "0", "1")


def test_an_email_code_goes_with_the_subject_to_the_normalised_address(world):
    answer = world.service.start({"channel": "EMAIL", "to": "  Ada@Example.com "})
    args, _ = world.sent[0]
    assert args["to"] == answer["to"] == "Ada@example.com"
    assert (args["deliveryMethod"], args["subject"]) == ("EMAIL", "Your code")
    assert "reference" not in args


@pytest.mark.parametrize(("args", "field", "message"), [
    (None, "input", "is required"),
    ({"channel": "VOICE", "to": NUMBER}, "channel", "must be SMS or EMAIL"),
    ({"to": NUMBER}, "channel", "must be SMS or EMAIL"),
    ({"channel": "SMS"}, "to", "is required"),
    ({"channel": "SMS", "to": "   "}, "to", "is required"),
    ({"channel": "EMAIL", "to": 42}, "to", "is required"),
    ({"channel": "SMS", "to": "12"}, "to", "a phone number must be in E.164 form: + and the country code"),
    ({"channel": "EMAIL", "to": "not-an-address"}, "to", "not a valid e-mail address"),
    ({"channel": "SMS", "to": NUMBER, "reference": "r" * 257}, "reference", "must be at most 256 characters"),
])
def test_a_bad_start_is_refused_with_nothing_counted_or_sent(world, args, field, message):
    refusal = _refusal(world.service.start, args)
    assert (refusal.field, str(refusal)) == (field, f"{field}: {message}")
    assert world.sent == [] and table_items(world.table_name) == []


def test_a_second_start_while_pending_resends_a_new_code_that_alone_approves(world):
    first = world.service.start({"channel": "SMS", "to": NUMBER})
    old_code = world.last_code()
    second = world.service.start({"channel": "SMS", "to": NUMBER})
    new_code = world.last_code()
    assert second["id"] == first["id"] and second["sendsLeft"] == 0
    if old_code != new_code:
        assert world.service.check({"id": first["id"], "code": old_code})["status"] == "PENDING"
    assert world.service.check({"id": first["id"], "code": new_code})["status"] == "APPROVED"


def test_sends_per_verification_are_limited_and_the_refusal_sends_nothing(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    world.service.start({"channel": "SMS", "to": NUMBER})
    with pytest.raises(TooManyRequests) as caught:
        world.service.start({"channel": "SMS", "to": NUMBER})
    assert str(caught.value) == "to: at most 2 codes per verification"
    assert len(world.sent) == 2


def test_starts_per_hour_are_limited_per_recipient_and_the_next_hour_starts_afresh(world):
    world = World(world.table_name, max_sends=10, starts_per_hour=2)
    for _ in range(2):
        world.service.start({"channel": "SMS", "to": NUMBER})
    with pytest.raises(TooManyRequests) as caught:
        world.service.start({"channel": "SMS", "to": NUMBER})
    assert str(caught.value) == "to: at most 2 verifications per hour for one recipient"
    assert len(world.sent) == 2
    world.service.start({"channel": "SMS", "to": "+254711000002"})  # another recipient is not held back
    world.later(hours=1)
    world.service.start({"channel": "SMS", "to": NUMBER})
    assert len(world.sent) == 4


def test_a_start_after_expiry_or_approval_makes_a_new_verification(world):
    first = world.service.start({"channel": "SMS", "to": NUMBER})
    world.later(minutes=10)
    second = world.service.start({"channel": "SMS", "to": NUMBER})
    assert second["id"] != first["id"] and second["sendsLeft"] == 1
    world.service.check({"id": second["id"], "code": world.last_code()})
    third = world.service.start({"channel": "SMS", "to": NUMBER})
    assert third["id"] not in (first["id"], second["id"])


# -- check ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "field", "message"), [
    (None, "input", "is required"),
    ({"id": "ver001"}, "code", "must be 4 to 10 digits"),
    ({"id": "ver001", "code": 123456}, "code", "must be 4 to 10 digits"),
    ({"id": "ver001", "code": "12a456"}, "code", "must be 4 to 10 digits"),
    ({"id": "ver001", "code": "123"}, "code", "must be 4 to 10 digits"),
    ({"id": "ver001", "code": "12345678901"}, "code", "must be 4 to 10 digits"),
    ({"code": "123456"}, "id", "give either id or to"),
    ({"id": "ver001", "to": NUMBER, "code": "123456"}, "id", "give either id or to"),
    ({"id": "", "code": "123456"}, "id", "is not a verification id"),
    ({"id": 7, "code": "123456"}, "id", "is not a verification id"),
    ({"id": "v" * 65, "code": "123456"}, "id", "is not a verification id"),
    ({"to": "  ", "code": "123456"}, "to", "is required"),
    ({"to": "12", "code": "123456"}, "to", "a phone number must be in E.164 form: + and the country code"),
    ({"to": "a@b", "code": "123456"}, "to", "not a valid e-mail address"),
])
def test_a_bad_check_is_refused_and_uses_no_attempt(world, args, field, message):
    world.service.start({"channel": "SMS", "to": NUMBER})
    refusal = _refusal(world.service.check, args)
    assert (refusal.field, str(refusal)) == (field, f"{field}: {message}")
    assert world.item("ver001")["checks"]["N"] == "0"


def test_an_unknown_verification_is_not_found(world):
    for args in ({"id": "ver404", "code": "123456"}, {"id": "v" * 64, "code": "123456"}, {"to": NUMBER, "code": "123456"}):
        with pytest.raises(NotFound) as caught:
            world.service.check(args)
        assert str(caught.value) == "no such verification"


def test_the_right_code_approves_once_and_a_second_check_finds_nothing_pending(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    code = world.last_code()
    answer = world.service.check({"to": "+254 711 000 001", "code": code})
    assert (answer["id"], answer["status"], answer["attemptsLeft"]) == ("ver001", "APPROVED", 2)
    with pytest.raises(NotFound) as caught:
        world.service.check({"id": "ver001", "code": code})
    assert str(caught.value) == "no pending verification: it was approved already"


def test_a_check_by_address_finds_the_latest_verification_of_that_address(world):
    world.service.start({"channel": "EMAIL", "to": "ada@example.com"})
    answer = world.service.check({"to": " ada@Example.COM", "code": world.last_code()})
    assert (answer["id"], answer["status"]) == ("ver001", "APPROVED")


def test_wrong_codes_use_attempts_and_the_last_one_fails_the_verification(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    code = world.last_code()
    wrong = "000000" if code != "000000" else "111111"
    assert [world.service.check({"id": "ver001", "code": wrong})["attemptsLeft"] for _ in range(2)] == [2, 1]
    last = world.service.check({"id": "ver001", "code": wrong})
    assert (last["status"], last["attemptsLeft"]) == ("FAILED", 0)
    assert world.item("ver001")["status"]["S"] == "FAILED"
    after = world.service.check({"id": "ver001", "code": code})
    assert (after["status"], after["attemptsLeft"]) == ("FAILED", 0)
    assert world.item("ver001")["checks"]["N"] == "3"


def test_a_check_after_expiry_answers_and_records_expired(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    world.later(minutes=10)
    answer = world.service.check({"id": "ver001", "code": world.last_code()})
    assert (answer["status"], answer["attemptsLeft"]) == ("EXPIRED", 3)
    assert world.item("ver001")["status"]["S"] == "EXPIRED"


def test_a_pending_verification_with_every_check_used_is_closed_as_failed(world):
    """checks reached the limit but the FAILED write was lost (a crash between the two): the next check closes it."""
    world.service.start({"channel": "SMS", "to": NUMBER})
    boto3.client("dynamodb").update_item(
        TableName=world.table_name, Key={"PK": {"S": "VERIFICATION#ver001"}, "SK": {"S": "VERIFICATION#ver001"}},
        UpdateExpression="SET checks = :n", ExpressionAttributeValues={":n": {"N": "3"}})
    answer = world.service.check({"id": "ver001", "code": world.last_code()})
    assert (answer["status"], answer["attemptsLeft"]) == ("FAILED", 0)
    assert world.item("ver001")["status"]["S"] == "FAILED"


class _Racing(VerificationTable):
    """A table where another check settles the verification between this check's steps."""

    def __init__(self, inner: VerificationTable, settle_first: str) -> None:
        self.__dict__.update(inner.__dict__)
        self._settle_first = settle_first

    def count_check(self, verification_id, max_checks, now):
        if self._settle_first == "before count":
            super().settle(verification_id, VerificationStatus.APPROVED)
        return super().count_check(verification_id, max_checks, now)

    def settle(self, verification_id, status):
        if self._settle_first == "before settle":
            super().settle(verification_id, VerificationStatus.FAILED)
        return super().settle(verification_id, status)


@pytest.mark.parametrize("when", ["before count", "before settle"])
def test_a_verification_settled_by_a_concurrent_check_is_not_approved_twice(world, when):
    world.service.start({"channel": "SMS", "to": NUMBER})
    code = world.last_code()
    world.service._table = _Racing(world.table, when)
    with pytest.raises(NotFound) as caught:
        world.service.check({"id": "ver001", "code": code})
    assert str(caught.value).startswith("no pending verification")


def test_a_reference_of_256_characters_is_kept(world):
    assert world.service.start({"channel": "SMS", "to": NUMBER, "reference": "r" * 256})["reference"] == "r" * 256


def test_the_hourly_start_count_is_kept_two_hours(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    [rate] = [i for i in table_items(world.table_name) if i["PK"]["S"].startswith("VERIFYRATE#")]
    assert (rate["PK"]["S"], rate["n"]["N"], rate["expiresAt"]["N"]) == (
        f"VERIFYRATE#{NUMBER}#2026-11-23T12", "1", str(START + 7_200))


class _SettledMeanwhile(VerificationTable):
    """No check can be counted (expired), and another check closes it first."""

    def __init__(self, inner: VerificationTable) -> None:
        self.__dict__.update(inner.__dict__)

    def count_check(self, verification_id, max_checks, now):
        return None

    def settle(self, verification_id, status):
        super().settle(verification_id, VerificationStatus.FAILED)
        return super().settle(verification_id, status)


def test_a_closing_that_loses_to_another_answers_what_the_other_wrote(world):
    world.service.start({"channel": "SMS", "to": NUMBER})
    world.later(minutes=10)
    world.service._table = _SettledMeanwhile(world.table)
    answer = world.service.check({"id": "ver001", "code": world.last_code()})
    assert answer["status"] == "FAILED" and world.item("ver001")["status"]["S"] == "FAILED"
