"""How a recipient appears in a log line: recognisable to its owner, useless to anyone else."""

import pytest
from messenger.core.masking import mask_email, mask_phone, mask_recipient


@pytest.mark.parametrize(("number", "masked"), [
    ("+14155550123", "+1415*****23"),
    ("+254711000001", "+2547******01"),
    ("+1234567", "+1234*67"),  # eight characters: one hidden
])
def test_a_phone_number_shows_its_first_five_and_last_two_characters_only(number, masked):
    assert mask_phone(number) == masked
    assert len(masked) == len(number)


@pytest.mark.parametrize(("number", "masked"), [
    ("+123456", "*****56"),  # seven characters or fewer: only the last two
    ("+1234", "***34"),
    ("12", "12"),
    ("1", "1"),
    ("", ""),
])
def test_a_short_number_shows_its_last_two_characters_only(number, masked):
    assert mask_phone(number) == masked


@pytest.mark.parametrize(("address", "masked"), [
    ("jane.private@example.com", "j***@example.com"),
    ("a@b.example", "a***@b.example"),
    ('"odd@local"@example.com', '"***@example.com'),  # the last '@' separates the domain
])
def test_an_email_address_shows_the_first_letter_and_the_domain(address, masked):
    assert mask_email(address) == masked


@pytest.mark.parametrize("address", ["@example.com", "no-at-sign"])
def test_an_address_without_a_local_part_is_hidden_entirely(address):
    assert mask_email(address) == "***"


@pytest.mark.parametrize(("value", "masked"), [
    ("jane.private@example.com", "j***@example.com"),
    ("+14155550123", "+1415*****23"),
    ("", ""),
    (None, ""),
])
def test_a_recipient_is_masked_as_what_it_is(value, masked):
    assert mask_recipient(value) == masked
