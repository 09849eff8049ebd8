"""Templates: the parser, the renderer (with property tests), versions under concurrent updates, the cache."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from messenger.core.errors import BadRequest
from messenger.messages.models import DeliveryMethod
from messenger.templates.placeholders import (
    Literal,
    Placeholder,
    normalise,
    parse,
    placeholder_names,
)
from messenger.templates.rendering import (
    render_html,
    render_text,
    require_all,
    values_of,
)

# -- parser ----------------------------------------------------------------------------------


def test_placeholders_and_conditionals_parse_with_normalised_keys():
    parts = parse("Hi ((First name)), ((Is VIP??You are VIP.)) (((ref)))")
    assert parts == (
        Literal("Hi "), Placeholder("First name", "firstname"), Literal(", "),
        Placeholder("Is VIP", "isvip", "You are VIP."), Literal(" ("), Placeholder("ref", "ref"), Literal(")"),
    )
    assert normalise("First_Name") == normalise("first-name") == normalise(" FIRST NAME ") == "firstname"


def test_placeholder_names_are_listed_once_as_first_written():
    assert placeholder_names(parse("((Name)) ((code))"), parse("((name)) ((first_name))")) == [
        "Name", "code", "first_name"]


@pytest.mark.parametrize(("source", "where"), [
    ("Hello ((name", "line 1, column 7"),
    ("Hello\n  ((a ((b))", "line 2, column 3"),
])
def test_an_unclosed_placeholder_is_refused_naming_its_position(source, where):
    with pytest.raises(BadRequest) as raised:
        parse(source)
    assert raised.value.field == "body" and where in raised.value.message and "not closed" in raised.value.message


@pytest.mark.parametrize("source", ["Hi (())", "Hi (( ))", "Hi ((??text))", "Hi ((_-))"])
def test_an_empty_name_is_refused_naming_its_position(source):
    with pytest.raises(BadRequest) as raised:
        parse(source, "subject")
    assert raised.value.field == "subject"
    assert raised.value.message == "subject: the placeholder at line 1, column 4 has no name"


@pytest.mark.parametrize(("source", "where"), [
    ("((a", "line 1, column 1"),
    ("\n((a", "line 2, column 1"),
    ("\n\nab ((a", "line 3, column 4"),
    ("x\ny\n\nzz\n   ((a ((b))", "line 5, column 4"),
    ("a\nbcdef((", "line 2, column 6"),
    ("Hello ((name\nmore\nlines", "line 1, column 7"),  # what follows the position does not count
    ("one\ntwo ((x\nthree", "line 2, column 5"),
])
def test_a_position_counts_lines_and_columns_from_one(source, where):
    with pytest.raises(BadRequest) as raised:
        parse(source)
    assert raised.value.message == f"body: '((' at {where} is not closed with '))'"


def test_text_without_placeholders_is_one_literal():
    assert parse("a ) b )) c ( d") == (Literal("a ) b )) c ( d"),)
    assert parse("") == ()


# -- values and rendering --------------------------------------------------------------------


def test_values_accept_strings_numbers_and_the_one_element_list_form():
    assert values_of({"First Name": ["Jane"], "amount": 12.5, "count": 3, "vip": True}) == {
        "firstname": "Jane", "amount": "12.5", "count": "3", "vip": "true"}
    assert values_of({"gone": None, "also": [None], "vip": False, "name": "Ann"}) == {"vip": "false", "name": "Ann"}
    assert values_of(None) == {}
    for bad, field, message in (
            ({"a": {"b": 1}}, "personalisation.a", "must be a string, a number or a one-element list of a string"),
            ({"a": ["x", "y"]}, "personalisation.a", "must be a string, a number or a one-element list of a string"),
            (["not", "an", "object"], "personalisation", "must be a JSON object"),
            ("text", "personalisation", "must be a JSON object")):
        with pytest.raises(BadRequest) as refused:
            values_of(bad)
        assert (refused.value.field, refused.value.message) == (field, f"{field}: {message}")
    with pytest.raises(BadRequest) as refused:
        values_of("text", "messages[3].personalisation")
    assert refused.value.field == "messages[3].personalisation"
    with pytest.raises(BadRequest) as refused:
        values_of({"name": "Ann\x00"})
    assert str(refused.value) == "personalisation.name: must not contain control characters"


def test_every_missing_placeholder_is_named_and_extra_keys_are_ignored():
    parts = parse("((a)) ((B)) ((c??yes)) ((a))")
    with pytest.raises(BadRequest) as raised:
        require_all(values_of({"a": "1", "unused": "x"}), parts)
    assert raised.value.message == "personalisation: missing B, c"


def test_conditional_text_shows_only_for_yes_true_or_1():
    parts = parse("Order((vip?? [priority])).")
    for value, shown in (("yes", True), ("TRUE", True), ("1", True), ("no", False), ("0", False), ("", False)):
        assert render_text(parts, {"vip": value}) == ("Order [priority]." if shown else "Order.")


def test_html_links_the_templates_urls_but_never_a_values():
    parts = parse("Visit https://example.com/help or ((link)).\n\nOrder https://shop.example/o/((id))")
    out = render_html(parts, {"link": "https://evil.example", "id": "42"})
    assert '<a href="https://example.com/help">' in out
    assert "evil" in out and 'href="https://evil' not in out
    assert 'href="https://shop.example/o/"' not in out  # a URL that runs into a value is not linked
    assert out.count("<p>") == 2


def test_html_keeps_the_lines_and_paragraphs_of_the_text_whatever_its_line_endings():
    parts = parse("\r\n  Hi ((name)),\r\nline two\r\n\r\n \r\nGo https://a.example/x((code)) now\n\n")
    assert render_html(parts, {"name": "Ann\r\n& Bo", "code": "42"}) == (
        "<!DOCTYPE html><html><body>\n"
        "<p>  Hi Ann<br>\n&amp; Bo,<br>\nline two</p>\n"
        "<p>Go https://a.example/x42 now</p>\n"
        "</body></html>")


def test_a_url_in_conditional_text_is_the_templates_own_and_linked():
    parts = parse("Hi((vip?? see https://example.com/vip))")
    assert render_html(parts, {"vip": "yes"}) == (
        '<!DOCTYPE html><html><body>\n<p>Hi see <a href="https://example.com/vip">https://example.com/vip</a></p>'
        "\n</body></html>")


def test_html_trims_only_line_breaks_around_the_text():
    parts = parse("\nX marks ((spot)) X\n\n")
    assert render_html(parts, {"spot": "it"}) == "<!DOCTYPE html><html><body>\n<p>X marks it X</p>\n</body></html>"


def test_a_url_is_linked_unless_the_value_right_after_it_continues_it():
    parts = parse("Go https://a.example/x((code)) or https://b.example/ now")
    assert render_html(parts, {"code": "42"}) == (
        "<!DOCTYPE html><html><body>\n<p>Go https://a.example/x42 or "
        '<a href="https://b.example/">https://b.example/</a> now</p>\n</body></html>')


TAG = re.compile(r"<[^>]*>")
SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@hsettings(max_examples=200, deadline=None)
@given(value=SAFE_TEXT)
def test_any_value_round_trips_as_text_never_as_markup(value):
    parts = parse("<b>Dear</b> ((name)), see https://example.com/x")
    assert render_text(parts, {"name": value}) == f"<b>Dear</b> {value}, see https://example.com/x"
    out = render_html(parts, {"name": value})
    baseline = render_html(parts, {"name": "x"})
    assert TAG.findall(out) == TAG.findall(baseline)  # the value added no tag, no link, no attribute
    inner = out[out.index("Dear") + len("Dear") + len(html.escape("</b> ")):out.rindex(", see")]
    assert html.unescape(inner) == value


PLACEHOLDER_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,12}", fullmatch=True)
LITERAL = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="()"), max_size=20)


@hsettings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.tuples(LITERAL, PLACEHOLDER_NAME, st.booleans()), min_size=1, max_size=6),
       value=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="("), max_size=10))
def test_a_rendered_template_has_no_brackets_left_from_a_known_placeholder(pieces, value):
    source = "".join(f"{lit}(({name}{'??shown' if cond else ''}))" for lit, name, cond in pieces)
    parts = parse(source)
    values = {normalise(name): value for _, name, _ in pieces}
    for rendered in (render_text(parts, values), render_html(parts, values)):
        assert "((" not in rendered and "))" not in rendered


# -- the service over moto: versions, concurrency, cache, preview ------------------------------


@pytest.fixture
def service():
    from tests.support import moto_service

    with moto_service():
        from messenger.templates.dependencies import table, template_service

        yield template_service(), table()


EMAIL = {"name": "Receipt", "channel": "EMAIL", "subject": "Order ((ref))", "body": "Hi ((First name)),\n((ref))"}


def test_update_makes_a_new_version_and_earlier_versions_stay_readable(service):
    templates, _ = service
    created = templates.create({"input": EMAIL})
    assert (created.version, created.placeholders) == (1, ("ref", "First name"))
    updated = templates.update({"id": created.id, "input": {**EMAIL, "body": "Hello ((name))"}})
    assert updated.version == 2 and updated.placeholders == ("ref", "name")
    assert templates.get({"id": created.id, "version": 1})["body"] == EMAIL["body"]
    assert templates.get({"id": created.id})["version"] == 2
    assert templates.get({"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}) is None


def test_concurrent_updates_never_lose_a_version(service):
    templates, table = service
    created = templates.create({"input": EMAIL})
    stale = table.latest(created.id)
    templates.update({"id": created.id, "input": {**EMAIL, "body": "second"}})
    from dataclasses import replace

    # A writer that read version 1 loses the race: its write is refused, nothing is overwritten.
    assert table.add_version(replace(stale, version=2, body="lost?"), 1) is False
    assert table.version(created.id, 2).body == "second"
    # The service retries on top of the winner instead.
    third = templates.update({"id": created.id, "input": {**EMAIL, "body": "third"}})
    assert third.version == 3 and [table.version(created.id, n).body for n in (1, 2, 3)] == [
        EMAIL["body"], "second", "third"]


def test_a_pinned_version_is_read_once_per_warm_function(service, monkeypatch):
    templates, table = service
    created = templates.create({"input": EMAIL})
    reads = []
    for name in ("latest", "version"):
        original = getattr(table, name)
        monkeypatch.setattr(table, name, lambda *a, _o=original, _n=name: reads.append(_n) or _o(*a))
    templates._cache.forget(created.id)
    templates._cache.versions.clear()
    args = {"templateId": created.id, "templateVersion": 1, "personalisation": '{"ref": "A1", "first_name": "Jo"}'}
    first = templates.for_send(args, DeliveryMethod.EMAIL)
    second = templates.for_send(args, DeliveryMethod.EMAIL)
    assert first == second and first.subject == "Order A1" and first.body == "Hi Jo,\nA1"
    assert reads == ["version"]


def test_archived_templates_refuse_sends_but_stay_readable(service):
    templates, _ = service
    created = templates.create({"input": {"name": "Code", "channel": "SMS", "body": "Code ((code))"}})
    templates.archive({"id": created.id})
    with pytest.raises(BadRequest, match="archived"):
        templates.for_send({"templateId": created.id, "personalisation": {"code": "1"}}, DeliveryMethod.SMS)
    with pytest.raises(BadRequest, match="archived"):
        templates.update({"id": created.id, "input": {"name": "Code", "channel": "SMS", "body": "x"}})
    assert templates.get({"id": created.id})["archived"] is True


def test_preview_reports_sms_segments_and_encoding(service):
    templates, _ = service
    created = templates.create({"input": {"name": "Code", "channel": "SMS", "body": "Code ((code)) ✓"}})
    preview = templates.preview({"id": created.id, "personalisation": {"code": "1234"}})
    assert (preview.body, preview.segments, preview.encoding, preview.html) == ("Code 1234 ✓", 1, "UCS-2", None)


@pytest.mark.parametrize(("template", "field"), [
    ({"name": "x", "channel": "SMS", "body": "a", "subject": "s"}, "subject"),
    ({"name": "x", "channel": "EMAIL", "body": " "}, "body"),
    ({"name": "", "channel": "EMAIL", "body": "a"}, "name"),
    ({"name": "x", "channel": "FAX", "body": "a"}, "channel"),
    ({"name": "x", "channel": "EMAIL", "body": "a ((b"}, "body"),
    ({"name": "x", "channel": "EMAIL", "body": "a", "subject": "(())"}, "subject"),
])
def test_template_input_errors_name_the_field(service, template, field):
    with pytest.raises(BadRequest) as raised:
        service[0].create({"input": template})
    assert raised.value.field == field
