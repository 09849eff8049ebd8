"""A batch's shared content, its rows and its refusals, decided without any table: each refusal's
field and words, which rows get a subject, duplicate recipients, and the names a row's record gets."""

from __future__ import annotations

import pytest
from messenger.batches.logic import batch_id_of_key, upload_key
from messenger.batches.models import Batch, BatchRejected, BatchSource, BatchStatus, Content, RowError, Upload
from messenger.batches.uploads import csv_rows
from messenger.batches.validation import (
    RowChecker,
    fingerprint,
    idempotency_key,
    infer_method,
    parse_content,
    personalisation_of,
    row_message,
    row_message_id,
)
from messenger.core.errors import BadRequest
from messenger.messages import ulids
from messenger.messages.batch_counts import all_final
from messenger.messages.models import DeliveryMethod, DeliveryStatus

from tests.unit.test_validation import SETTINGS

BATCH = "01KAQZ3X8J0000000000000000"  # a ULID: its time is the batch's


def _refused(call, *args) -> tuple[str, str]:
    with pytest.raises(BadRequest) as caught:
        call(*args)
    return caught.value.field, str(caught.value)


# -- shared content --------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "field", "message"), [
    (None, "input", "input: is required"),
    ({}, "body", "body: give either a body or a templateId"),
    ({"body": "x", "templateId": "t1"}, "body", "body: give either a body or a templateId"),
    ({"templateId": "t1", "subject": "s"}, "subject", "subject: comes from the template"),
    ({"templateId": "  "}, "templateId", "templateId: is not a template id"),
    ({"templateId": "t" * 65}, "templateId", "templateId: is not a template id"),
    ({"templateId": 5}, "templateId", "templateId: is not a template id"),
    ({"templateId": "t1", "templateVersion": 0}, "templateVersion", "templateVersion: must be a version number (1 or more)"),
    ({"templateId": "t1", "templateVersion": True}, "templateVersion", "templateVersion: must be a version number (1 or more)"),
    ({"templateId": "t1", "templateVersion": "2"}, "templateVersion", "templateVersion: must be a version number (1 or more)"),
    ({"body": "x", "templateVersion": 2}, "templateVersion", "templateVersion: is only for a batch by templateId"),
    ({"body": "   "}, "body", "body: must not be empty"),
    ({"body": "Hi ((name"}, "body", "body: '((' at line 1, column 4 is not closed with '))'"),
    ({"body": "x", "subject": "About (("}, "subject", "subject: '((' at line 1, column 7 is not closed with '))'"),
    ({"body": "x", "subject": "s" * 51}, "subject", "subject: must be at most 50 characters"),
])
def test_bad_shared_content_is_refused_by_field(args, field, message):
    assert _refused(parse_content, args, SETTINGS) == (field, message)


def test_shared_content_by_body_or_by_template():
    assert parse_content({"body": "Hi ((name))", "subject": "For ((name))", "reference": "promo"}, SETTINGS) == Content(
        body="Hi ((name))", subject="For ((name))", reference="promo")
    assert parse_content({"templateId": "t1", "templateVersion": 3}, SETTINGS) == Content(
        template_id="t1", template_version=3)
    assert parse_content({"templateId": "t" * 64}, SETTINGS).template_id == "t" * 64


@pytest.mark.parametrize("key", ["", "k" * 129, "tab\there", "é", 7])
def test_a_bad_idempotency_key_is_refused(key):
    assert _refused(idempotency_key, {"idempotencyKey": key}) == (
        "idempotencyKey", "idempotencyKey: must be 1 to 128 printable characters")


def test_idempotency_keys_of_one_and_128_printable_characters_are_kept():
    assert idempotency_key({}) is None
    assert idempotency_key({"idempotencyKey": "k"}) == "k"
    assert idempotency_key({"idempotencyKey": "~" * 128}) == "~" * 128


def test_the_fingerprint_ignores_the_key_and_the_order_of_fields_but_not_a_value():
    one = fingerprint({"body": "x", "messages": [{"to": "a"}], "idempotencyKey": "k1"})
    assert one == fingerprint({"messages": [{"to": "a"}], "body": "x", "idempotencyKey": "k2"})
    assert one != fingerprint({"body": "y", "messages": [{"to": "a"}], "idempotencyKey": "k1"})


def test_personalisation_arrives_as_json_text_or_parsed():
    assert personalisation_of('{"a": 1}') == {"a": 1}
    assert personalisation_of({"a": 1}) == {"a": 1} and personalisation_of(None) is None
    assert _refused(personalisation_of, "{oops", "messages.3.personalisation") == (
        "messages.3.personalisation", "messages.3.personalisation: is not valid JSON")


def test_the_channel_of_a_csv_row_without_one_follows_its_recipient():
    assert (infer_method("a@example.com"), infer_method("+254711000001")) == ("EMAIL", "SMS")


def test_a_csv_row_keeps_its_own_channel_and_reference_and_an_empty_cell_means_none_given():
    lines = [" to , deliveryMethod ,reference, name \n",
             "+254711000001,EMAIL,promo-7, Ann \n",  # the file's channel wins over the guess from `to`
             "b@example.com,,,\n",  # empty cells: the channel is guessed, no reference, an empty value
             "+254711000003\n"]  # a short line: the missing cells are empty too
    assert list(csv_rows(lines)) == [
        {"to": "+254711000001", "deliveryMethod": "EMAIL", "reference": "promo-7", "personalisation": {"name": "Ann"}},
        {"to": "b@example.com", "deliveryMethod": "EMAIL", "reference": None, "personalisation": {"name": ""}},
        {"to": "+254711000003", "deliveryMethod": "SMS", "reference": None, "personalisation": {"name": ""}},
    ]


def test_a_csv_line_longer_than_its_header_keeps_only_the_named_cells():
    assert list(csv_rows(["to,name\n", "+254711000001,Ann,surplus,more\n"])) == [
        {"to": "+254711000001", "deliveryMethod": "SMS", "reference": None, "personalisation": {"name": "Ann"}}]


def test_a_csv_column_without_a_name_keeps_the_empty_name_which_no_placeholder_can_use():
    assert list(csv_rows(["to,,name\n", "+254711000001,x,Ann\n"])) == [
        {"to": "+254711000001", "deliveryMethod": "SMS", "reference": None, "personalisation": {"": "x", "name": "Ann"}}]


@pytest.mark.parametrize("header", ["number,name\n", "\n", "To,name\n"])
def test_a_csv_without_a_to_column_is_refused_before_any_row(header):
    assert _refused(lambda: list(csv_rows([header, "+254711000001,Ann\n"]))) == (
        "file", "file: the first line must name the columns, with a `to` column")


# -- rows -------------------------------------------------------------------------------------------
def test_each_row_is_filled_from_its_personalisation_and_only_email_rows_get_the_subject():
    checker = RowChecker(parse_content({"body": "Hi ((name))", "subject": "For ((name))", "reference": "promo"},
                                       SETTINGS), SETTINGS)
    mail = checker.check(0, {"to": "a@example.com", "deliveryMethod": "EMAIL", "personalisation": {"name": "Ann"}})
    text = checker.check(1, {"to": "+254711000001", "deliveryMethod": "SMS", "personalisation": '{"name": "Bo"}',
                             "reference": "own"})
    assert (mail.body, mail.subject, mail.reference) == ("Hi Ann", "For Ann", "promo")
    assert (text.body, text.subject, text.reference) == ("Hi Bo", None, "own")


@pytest.mark.parametrize(("row", "error"), [
    ("a@example.com", RowError(4, "row", "must be an object")),
    ({"to": "a@example.com", "deliveryMethod": "EMAIL"}, RowError(4, "personalisation", "missing name")),
    ({"to": "not-an-address", "deliveryMethod": "EMAIL", "personalisation": {"name": "x"}},
     RowError(4, "to", "not a valid e-mail address")),
])
def test_a_bad_row_is_reported_with_its_index_field_and_reason(row, error):
    checker = RowChecker(parse_content({"body": "Hi ((name))"}, SETTINGS), SETTINGS)
    assert checker.error(4, row) == error


def test_a_recipient_twice_on_one_channel_is_reported_at_its_second_row():
    checker = RowChecker(parse_content({"body": "Hello"}, SETTINGS), SETTINGS)
    assert checker.error(0, {"to": "a@example.com", "deliveryMethod": "EMAIL"}) is None
    assert checker.error(1, {"to": "+254711000001", "deliveryMethod": "SMS"}) is None
    assert checker.error(2, {"to": "a@EXAMPLE.com", "deliveryMethod": "EMAIL"}) == RowError(
        2, "to", "the same recipient as row 0")
    unchecked = RowChecker(parse_content({"body": "Hello"}, SETTINGS), SETTINGS, duplicates=False)
    for index in range(2):
        assert unchecked.error(index, {"to": "a@example.com", "deliveryMethod": "EMAIL"}) is None


def test_a_rows_record_id_is_fixed_by_the_batch_and_the_row_and_sorts_by_row():
    ids = [row_message_id(BATCH, ulids.milliseconds_of(BATCH), index) for index in (0, 1, 999)]
    assert ids == [row_message_id(BATCH, ulids.milliseconds_of(BATCH), index) for index in (0, 1, 999)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    other = "01KAQZ3X8J0000000000000001"
    assert row_message_id(other, ulids.milliseconds_of(other), 0) != ids[0]
    assert ulids.milliseconds_of(ids[0]) == ulids.milliseconds_of(BATCH)


def test_a_rows_record_is_queued_in_its_batch_for_its_client_with_the_retention():
    request = RowChecker(parse_content({"body": "Hello", "reference": "r"}, SETTINGS), SETTINGS).check(
        0, {"to": "+254711000001", "deliveryMethod": "SMS"})
    record = row_message(request, BATCH, "2026-11-23T12:00:00.000Z", 0, "shop", retention_days=30)
    assert (record.delivery_status, record.batch_id, record.client_id, record.reference) == (
        DeliveryStatus.QUEUED, BATCH, "shop", "r")
    assert record.expires_at == 1795435200 + 30 * 86_400
    assert [(e.status, e.at) for e in record.events] == [(DeliveryStatus.QUEUED, "2026-11-23T12:00:00.000Z")]
    assert record.delivery_method is DeliveryMethod.SMS and record.body == "Hello"
    assert row_message(request, BATCH, "2026-11-23T12:00:00.000Z", 0).expires_at is None


# -- refusals and names ----------------------------------------------------------------------------
def test_a_rejected_batch_names_its_first_ten_rows_and_reports_the_first_hundred():
    ten = [RowError(i, "to", "bad") for i in range(10)]
    assert str(BatchRejected(ten, 10)) == "messages: 10 bad row(s), nothing was sent (rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)"
    eleven = [RowError(i, "to", "bad") for i in range(11)]  # one more than is named: the list goes on
    assert str(BatchRejected(eleven, 11)).endswith("(rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9...)")
    many = [RowError(i, "to", "bad") for i in range(150)]
    rejected = BatchRejected(many, 150)
    assert str(rejected) == "messages: 150 bad row(s), nothing was sent (rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9...)"
    assert rejected.error_type == "BadRequest"
    assert rejected.info["badRows"] == 150 and rejected.info["field"] == "messages"
    assert [r["row"] for r in rejected.info["rows"]] == list(range(100))


@pytest.mark.parametrize(("key", "batch_id"), [
    ("uploads/B1.csv", "B1"),
    ("uploads/.csv", None),
    ("uploads/B1.txt", None),
    ("other/B1.csv", None),
    ("B1.csv", None),
])
def test_only_a_csv_under_uploads_names_a_batch(key, batch_id):
    assert batch_id_of_key(key) == batch_id


def test_an_upload_key_names_its_batch_back():
    assert batch_id_of_key(upload_key("B7")) == "B7"


def test_an_upload_answers_its_batch_url_and_expiry():
    assert Upload("B1", "https://u", "2026-11-23T13:00:00.000Z").to_graphql() == {
        "batchId": "B1", "uploadUrl": "https://u", "expiresAt": "2026-11-23T13:00:00.000Z"}


# -- counts ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("counts", "final"), [
    ({"total": 3, "DELIVERED": 1, "FAILED": 1, "CANCELLED": 1}, True),
    ({"total": 3, "DELIVERED": 2, "UNCONFIRMED": 1}, True),
    ({"total": 3, "DELIVERED": 2, "ACCEPTED": 1}, False),
    ({"total": 3, "DELIVERED": 2, "QUEUED": 1}, False),
    ({"total": 0}, False),  # a batch item still being written
    ({}, False),
])
def test_a_batch_is_final_when_its_final_counts_reach_its_total(counts, final):
    assert all_final(counts) is final


@pytest.mark.parametrize(("total", "slices", "done_when"), [(0, 0, None), (1, 1, 1), (4, 2, 2), (5, 3, 3)])
def test_a_batch_is_recorded_once_each_of_its_slices_is_and_an_empty_one_never_is(total, slices, done_when):
    def batch(done):
        return Batch(BATCH, BatchStatus.SENDING, BatchSource.REQUEST, Content("Hi"), "t", "t", total=total,
                     slices_done=done)

    assert batch(0).slices(2) == slices and isinstance(batch(0).slices(2), int)
    recorded = [done for done in range(4) if batch(done).recorded(2)]
    assert recorded == ([] if done_when is None else list(range(done_when, 4)))  # an upload not yet read: never
