"""One recipient, one history: how addresses are normalised, and what is refused with which words."""

import pytest
from messenger.core.errors import BadRequest
from messenger.messages.recipients import (
    MAX_ADDRESS_LENGTH,
    country_calling_code_of,
    normalise_email,
    normalise_phone,
    normalise_recipient,
)


def refusal(function, raw, field="to"):
    with pytest.raises(BadRequest) as error:
        function(raw, field)
    return error.value.message


@pytest.mark.parametrize(("raw", "e164"), [
    ("+254711223344", "+254711223344"),
    ("  +254 711 223 344 ", "+254711223344"),
    ("+1 (415) 555-0123", "+14155550123"),
    ("+44.20.7946.0958", "+442079460958"),
])
def test_a_phone_number_written_any_usual_way_becomes_one_e164_number(raw, e164):
    assert normalise_phone(raw, "to") == e164


def test_a_number_without_its_country_code_is_refused_saying_how_to_write_it():
    assert refusal(normalise_phone, "0711223344") == "to: a phone number must be in E.164 form: + and the country code"


@pytest.mark.parametrize("raw", [
    "+25471122334a",  # a letter
    "++254711223344",  # a second plus
    "+2",  # too short to be anything
    "+254 711 223 344 555 666 777 888 999",  # past 31 characters of number text
    "+0711223344",  # no country starts with 0
    "+254711",  # too short for Kenya
    "+١٢٣٤٥٦٧٨٩",  # digits of another script
])
def test_anything_else_is_not_a_valid_phone_number(raw):
    assert refusal(normalise_phone, raw, "phoneNumber") == "phoneNumber: not a valid phone number"


def test_number_text_up_to_its_length_limit_is_read():
    assert normalise_phone("+1" + " " * 20 + "4155550123", "to") == "+14155550123"  # 32 characters
    assert refusal(normalise_phone, "+1" + " " * 21 + "4155550123") == "to: not a valid phone number"


@pytest.mark.parametrize(("raw", "address"), [
    ("Jane.Doe@Example.COM", "Jane.Doe@example.com"),
    ("  jane@example.com  ", "jane@example.com"),
    ("jane@bücher.de", "jane@xn--bcher-kva.de"),
])
def test_an_email_keeps_its_local_part_and_lower_cases_its_domain(raw, address):
    assert normalise_email(raw, "to") == address


def test_an_address_up_to_the_length_limit_is_read_and_a_longer_one_refused():
    address = "a" * 64 + "@" + ".".join(["b" * 63, "b" * 63, "c" * 61])
    assert len(address) == MAX_ADDRESS_LENGTH
    assert normalise_email(address, "to") == address
    assert refusal(normalise_email, address + "c") == "to: not a valid e-mail address"


@pytest.mark.parametrize("raw", ["jane", "jane@", "@example.com", "jane@exa mple.com", "jané@example.com"])
def test_an_invalid_email_is_refused_naming_its_field(raw):
    assert refusal(normalise_email, raw, "from") == "from: not a valid e-mail address"


def test_either_kind_of_address_is_told_apart_by_the_at_sign_and_keeps_the_field_name():
    assert normalise_recipient("Jane@Example.com", "filter.to") == "Jane@example.com"
    assert normalise_recipient("+254 711 223344", "filter.to") == "+254711223344"
    assert refusal(normalise_recipient, "jane@", "filter.to") == "filter.to: not a valid e-mail address"
    assert refusal(normalise_recipient, "+2547", "filter.to") == "filter.to: not a valid phone number"


@pytest.mark.parametrize(("e164", "code"), [
    ("+254711223344", "254"), ("+255754123456", "255"), ("+14155550123", None), ("+2547", "254"),
])
def test_the_configured_calling_code_a_number_starts_with_is_found(e164, code):
    assert country_calling_code_of(e164, ("254", "255")) == code


def test_no_configured_codes_means_no_match():
    assert country_calling_code_of("+254711223344", ()) is None
