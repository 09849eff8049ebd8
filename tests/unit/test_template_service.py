"""The template service's decisions over the real table (moto): what each refusal says, versions and
channels, paging, rendering for a send or a preview, and how long a warm function trusts what it read."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import boto3
import pytest
from messenger.core.errors import BadRequest
from messenger.messages.cursor import decode_cursor
from messenger.messages.models import DeliveryMethod
from messenger.templates.dal import HEADS, TemplatesTable
from messenger.templates.logic import MAX_CACHED_VERSIONS, TemplateService

from tests.fakes import FixedClock
from tests.support import table_items

def ID(n: int) -> str:  # ULIDs in creation order, as the cursor requires
    return f"01ARZ3NDEKTSV4RRFFQ69G5{n:03d}"


SETTINGS = SimpleNamespace(template_cache_seconds=10, max_email_body_bytes=64, max_subject_chars=30)
EMAIL = {"name": "Receipt", "channel": "EMAIL", "subject": "Order ((ref))", "body": "Hi ((name)), see https://x.example/((ref))"}
SMS = {"name": "Code", "channel": "SMS", "body": "Code ((code))"}


class Clocks:
    def __init__(self) -> None:
        self.wall = FixedClock()
        self.seconds = 1000.0

    def later(self, seconds: float) -> None:
        self.seconds += seconds
        self.wall.moment += dt.timedelta(seconds=seconds)


@pytest.fixture
def world(empty_moto_table):
    db = boto3.client("dynamodb")
    clocks = Clocks()
    ids = iter(ID(n) for n in range(1, 1000))
    table = TemplatesTable(db, empty_moto_table)

    def service(table=table):  # another warm function: the same table, a cache of its own
        return TemplateService(table, SETTINGS, clocks.wall, lambda: next(ids), monotonic=lambda: clocks.seconds)

    return SimpleNamespace(service=service(), another=service, table=table, clocks=clocks)


def _refused(call, *args) -> str:
    with pytest.raises(BadRequest) as caught:
        call(*args)
    return str(caught.value)


# -- writes ----------------------------------------------------------------------------------------
def test_a_created_template_answers_every_field_of_its_first_version(world):
    created = world.service.create({"input": EMAIL})
    assert created.to_graphql() == {
        "id": ID(1), "name": "Receipt", "channel": "EMAIL", "subject": "Order ((ref))", "body": EMAIL["body"],
        "version": 1, "placeholders": ["ref", "name"], "archived": False,
        "createdAt": "2026-11-23T12:00:00.000Z", "updatedAt": "2026-11-23T12:00:00.000Z",
    }


@pytest.mark.parametrize(("args", "message"), [
    ({}, "input: is required"),
    ({"input": "x"}, "input: is required"),
    ({"input": {"channel": "SMS", "body": "a"}}, "name: is required"),
    ({"input": {"name": "n", "channel": "SMS"}}, "body: must not be empty"),
    ({"input": {"name": "n", "channel": "SMS", "body": 42}}, "body: must be a string"),
    ({"input": {"name": "n", "channel": "SMS", "body": "é" * 33}}, "body: must be at most 64 bytes"),
    ({"input": {"name": "n", "channel": "SMS", "body": "a", "subject": "s"}}, "subject: SMS templates have no subject"),
    ({"input": {"name": "n", "channel": "EMAIL", "body": "a", "subject": "s" * 31}}, "subject: must be at most 30 characters"),
])
def test_bad_template_input_is_refused_with_what_to_change_and_nothing_written(world, args, message):
    assert _refused(world.service.create, args) == message
    assert table_items(world.table._table) == []


def test_a_body_of_exactly_the_byte_limit_is_accepted(world):
    assert world.service.create({"input": {"name": "n", "channel": "SMS", "body": "é" * 32}}).version == 1


def test_an_update_keeps_the_creation_time_and_stamps_its_own(world):
    created = world.service.create({"input": EMAIL})
    world.clocks.later(60)
    updated = world.service.update({"id": created.id, "input": {**EMAIL, "body": "Bye ((name))"}})
    assert (updated.version, updated.created_at, updated.updated_at) == (
        2, "2026-11-23T12:00:00.000Z", "2026-11-23T12:01:00.000Z")
    assert updated.placeholders == ("ref", "name")


def test_an_update_cannot_change_the_channel(world):
    created = world.service.create({"input": EMAIL})
    assert _refused(world.service.update, {"id": created.id, "input": SMS}) == (
        "channel: stays EMAIL: create another template instead")


def test_an_update_that_keeps_losing_the_race_gives_up_after_five_tries(world):
    created = world.service.create({"input": SMS})
    tries = []

    class Busy(TemplatesTable):
        def add_version(self, template, previous):
            tries.append(previous)
            return False

    busy = world.another(Busy(world.table._db, world.table._table))
    assert _refused(busy.update, {"id": created.id, "input": SMS}) == "id: is being updated by others; try again"
    assert tries == [1] * 5


def test_an_update_that_loses_once_builds_on_the_winner_even_in_a_function_that_never_read_it(world):
    created = world.service.create({"input": SMS})
    lost = []

    class OnceLate(TemplatesTable):
        def add_version(self, template, previous):
            if not lost:
                lost.append(previous)
                return False
            return super().add_version(template, previous)

    fresh = world.another(OnceLate(world.table._db, world.table._table))
    assert fresh.update({"id": created.id, "input": {**SMS, "body": "New ((code))"}}).version == 2
    assert lost == [1]


def test_a_template_id_of_64_characters_is_a_template_id(world):
    assert world.service.get({"id": "t" * 64}) is None


@pytest.mark.parametrize("raw", [None, "", "   ", "t" * 65, 42])
def test_a_bad_template_id_is_refused_by_name(world, raw):
    assert _refused(world.service.get, {"id": raw}) == "id: is not a template id"
    assert _refused(world.service.for_send, {"templateId": raw}, DeliveryMethod.SMS) == "templateId: is not a template id"


@pytest.mark.parametrize("raw", [0, -1, True, "2", 1.5])
def test_a_bad_version_is_refused_by_name(world, raw):
    created = world.service.create({"input": SMS})
    assert _refused(world.service.get, {"id": created.id, "version": raw}) == "version: must be a version number (1 or more)"
    assert _refused(world.service.for_send, {"templateId": created.id, "templateVersion": raw}, DeliveryMethod.SMS) == (
        "templateVersion: must be a version number (1 or more)")


def test_archiving_an_unknown_template_is_refused_and_a_known_one_shows_archived(world):
    assert _refused(world.service.archive, {"id": ID(404)}) == "id: no template has this id"
    created = world.service.create({"input": SMS})
    assert world.service.archive({"id": created.id}).archived is True
    assert world.service.get({"id": created.id, "version": 1})["archived"] is True


# -- reads -----------------------------------------------------------------------------------------
def test_templates_page_in_order_with_a_cursor_and_the_default_page_size(world):
    for n in range(22):
        world.service.create({"input": {**SMS, "name": f"t{n}"}})
    first = world.service.page({})
    assert len(first["data"]) == 20 and first["pageInfo"]["hasNextPage"] is True
    two = world.service.page({"first": 2})
    assert [t["id"] for t in two["data"]] == [ID(1), ID(2)]
    assert decode_cursor(two["pageInfo"]["endCursor"], HEADS) == ID(2)
    rest = world.service.page({"first": 100, "after": two["pageInfo"]["endCursor"]})
    assert [t["id"] for t in rest["data"]] == [ID(n) for n in range(3, 23)]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_an_empty_page_has_no_next_page_and_no_cursor(world):
    assert world.service.page({"first": 5}) == {"data": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


@pytest.mark.parametrize(("args", "message"), [
    ({"first": 0}, "first: must be between 1 and 100"),
    ({"first": 101}, "first: must be between 1 and 100"),
    ({"first": True}, "first: must be between 1 and 100"),
    ({"first": "5"}, "first: must be between 1 and 100"),
    ({"after": 5}, "after: not a valid cursor"),
])
def test_bad_paging_arguments_are_refused_by_name(world, args, message):
    assert _refused(world.service.page, args) == message


def test_the_latest_version_is_trusted_for_the_cache_seconds_then_read_again(world):
    created = world.service.create({"input": SMS})
    elsewhere = world.another()
    elsewhere.update({"id": created.id, "input": {**SMS, "body": "v2 ((code))"}})
    world.clocks.later(9.9)
    assert world.service.get({"id": created.id})["version"] == 1  # what this function wrote, still fresh
    world.clocks.later(0.1)
    assert world.service.get({"id": created.id})["version"] == 2


def test_an_archive_elsewhere_stops_pinned_sends_once_the_cache_seconds_pass(world):
    created = world.service.create({"input": SMS})
    args = {"templateId": created.id, "templateVersion": 1, "personalisation": {"code": "1"}}
    world.service.for_send(args, DeliveryMethod.SMS)
    world.another().archive({"id": created.id})
    world.clocks.later(9)
    assert world.service.for_send(args, DeliveryMethod.SMS).body == "Code 1"
    world.clocks.later(1)
    assert _refused(world.service.for_send, args, DeliveryMethod.SMS) == "templateId: this template is archived"


def test_the_version_cache_is_bounded(world):
    created = world.service.create({"input": SMS})
    template = world.table.latest(created.id)
    for n in range(MAX_CACHED_VERSIONS - 2):
        world.service._cache.versions[("other", n)] = template
    world.service.update({"id": created.id, "input": SMS})  # the 512th version kept: no room made yet
    assert len(world.service._cache.versions) == MAX_CACHED_VERSIONS
    world.service.update({"id": created.id, "input": SMS})  # the cache is full: it starts afresh
    assert list(world.service._cache.versions) == [(created.id, 3)]


# -- rendering -------------------------------------------------------------------------------------
def test_an_email_renders_subject_text_and_html_from_one_personalisation(world):
    created = world.service.create({"input": EMAIL})
    rendered = world.service.for_send({"templateId": created.id, "personalisation": '{"ref": "A1", "name": "<Jo>"}'},
                                      DeliveryMethod.EMAIL)
    assert (rendered.template_id, rendered.template_version, rendered.channel) == (created.id, 1, DeliveryMethod.EMAIL)
    assert (rendered.subject, rendered.body) == ("Order A1", "Hi <Jo>, see https://x.example/A1")
    assert "&lt;Jo&gt;" in rendered.html and (rendered.segments, rendered.encoding) == (None, None)


def test_an_email_template_without_subject_renders_none(world):
    created = world.service.create({"input": {"name": "n", "channel": "EMAIL", "body": "Hi ((name))"}})
    assert world.service.preview({"id": created.id, "personalisation": {"name": "Jo"}}).subject is None


def test_a_value_that_would_break_or_overflow_the_subject_is_refused(world):
    created = world.service.create({"input": EMAIL})
    send = world.service.for_send
    assert _refused(send, {"templateId": created.id, "personalisation": {"ref": "a\nb", "name": "x"}},
                    DeliveryMethod.EMAIL) == "subject: must be a single line"
    assert _refused(send, {"templateId": created.id, "personalisation": {"ref": "r" * 30, "name": "x"}},
                    DeliveryMethod.EMAIL) == "subject: must be at most 30 characters"


@pytest.mark.parametrize(("personalisation", "message"), [
    ("{not json", "personalisation: is not valid JSON"),
    ({"name": "x"}, "personalisation: missing ref"),
])
def test_bad_personalisation_is_refused_by_name(world, personalisation, message):
    created = world.service.create({"input": EMAIL})
    assert _refused(world.service.preview, {"id": created.id, "personalisation": personalisation}) == message


def test_a_send_by_template_must_use_the_templates_channel(world):
    created = world.service.create({"input": EMAIL})
    assert _refused(world.service.for_send, {"templateId": created.id}, DeliveryMethod.SMS) == (
        "templateId: is an EMAIL template, not SMS")


def test_preview_of_an_unknown_template_or_version_is_refused(world):
    created = world.service.create({"input": SMS})
    assert _refused(world.service.preview, {"id": ID(404)}) == "id: no template has this id (and version)"
    assert _refused(world.service.preview, {"id": created.id, "version": 2}) == "id: no template has this id (and version)"
    assert _refused(world.service.for_send, {"templateId": ID(404)}, DeliveryMethod.SMS) == (
        "templateId: no template has this id (and version)")


def test_preview_of_a_pinned_version_renders_that_version(world):
    created = world.service.create({"input": SMS})
    world.service.update({"id": created.id, "input": {**SMS, "body": "New ((code))"}})
    assert world.service.preview({"id": created.id, "version": 1, "personalisation": {"code": "7"}}).body == "Code 7"
    assert world.service.preview({"id": created.id, "personalisation": {"code": "7"}}).body == "New 7"


def test_updating_an_unknown_or_archived_template_is_refused_by_id(world):
    assert _refused(world.service.update, {"id": ID(404), "input": SMS}) == "id: no template has this id (and version)"
    created = world.service.create({"input": SMS})
    world.service.archive({"id": created.id})
    assert _refused(world.service.update, {"id": created.id, "input": SMS}) == "id: this template is archived"


def test_an_update_takes_the_new_subject(world):
    created = world.service.create({"input": EMAIL})
    updated = world.service.update({"id": created.id, "input": {**EMAIL, "subject": "Receipt ((ref))"}})
    assert updated.subject == "Receipt ((ref))" and world.table.latest(created.id).subject == "Receipt ((ref))"


def test_a_function_that_gave_up_updating_reads_the_latest_again(world):
    created = world.service.create({"input": SMS})
    assert world.service.get({"id": created.id})["version"] == 1  # cached as the latest
    world.another().update({"id": created.id, "input": {**SMS, "body": "v2 ((code))"}})

    class Busy(TemplatesTable):
        def add_version(self, template, previous):
            return False

    world.service._table = Busy(world.table._db, world.table._table)
    assert _refused(world.service.update, {"id": created.id, "input": SMS}) == "id: is being updated by others; try again"
    world.service._table = world.table
    assert world.service.get({"id": created.id})["version"] == 2  # forgotten, so read afresh at once


def test_a_pinned_read_does_not_become_the_latest_and_the_latest_is_read_once(world, monkeypatch):
    created = world.service.create({"input": SMS})
    world.another().update({"id": created.id, "input": {**SMS, "body": "v2 ((code))"}})
    fresh = world.another()
    assert fresh.get({"id": created.id, "version": 1})["version"] == 1
    reads = []
    original = world.table.latest
    monkeypatch.setattr(world.table, "latest", lambda template_id: reads.append(template_id) or original(template_id))
    assert [fresh.get({"id": created.id})["version"] for _ in range(3)] == [2, 2, 2]
    assert reads == [created.id]


def test_a_subject_only_placeholder_is_required_too(world):
    created = world.service.create({"input": {"name": "n", "channel": "EMAIL", "subject": "About ((topic))", "body": "Hi"}})
    assert _refused(world.service.preview, {"id": created.id, "personalisation": {}}) == "personalisation: missing topic"


def test_an_sms_rendering_names_its_template_version_and_channel(world):
    created = world.service.create({"input": SMS})
    rendered = world.service.for_send({"templateId": created.id, "personalisation": {"code": "9"}}, DeliveryMethod.SMS)
    assert (rendered.template_id, rendered.template_version, rendered.channel, rendered.subject) == (
        created.id, 1, DeliveryMethod.SMS, None)


def test_a_page_of_one_and_a_last_page_exactly_full(world):
    for n in range(2):
        world.service.create({"input": {**SMS, "name": f"t{n}"}})
    one = world.service.page({"first": 1})
    assert len(one["data"]) == 1 and one["pageInfo"]["hasNextPage"] is True
    both = world.service.page({"first": 2})
    assert len(both["data"]) == 2 and both["pageInfo"]["hasNextPage"] is False
