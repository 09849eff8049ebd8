"""Recipient normalisation: the same address written two ways is one history.

Phone numbers become E.164 (phonenumbers knows every country's numbering plan); e-mail
addresses are checked by email-validator and keep their local part with the domain lower-cased.
Both libraries are imported on first use, so a cold start that needs neither pays for neither.
"""

from __future__ import annotations

import re
import unicodedata

from messenger.core.errors import BadRequest

MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64  # RFC 5321, 4.5.3.1.1
# Scripts that one language writes together (Japanese: Han, Hiragana, Katakana; Korean: Han, Hangul).
_SCRIPT_FAMILY = {"CJK": "HAN", "HIRAGANA": "HAN", "KATAKANA": "HAN", "HANGUL": "HAN", "IDEOGRAPHIC": "HAN"}
# One leading "+", ASCII digits and the usual separators: no letters ("vanity" numbers), no other
# scripts' digits, no second "+", which phonenumbers would otherwise quietly accept.
_PHONE_TEXT = re.compile(r"^\+[0-9][0-9 ().-]{2,30}$")


def normalise_phone(raw: str, field: str) -> str:
    import phonenumbers

    text = raw.strip()
    if not text.startswith("+"):
        raise BadRequest(field, "a phone number must be in E.164 form: + and the country code")
    if not _PHONE_TEXT.match(text):
        raise BadRequest(field, "not a valid phone number")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise BadRequest(field, "not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise BadRequest(field, "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, field: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    text = raw.strip()
    if len(text) > MAX_ADDRESS_LENGTH:
        raise BadRequest(field, "not a valid e-mail address")
    try:
        # SES takes ASCII addresses only: no UTF-8 local parts, and domains in their IDNA form
        # (so "bücher.de" and "xn--bcher-kva.de" are one recipient).
        result = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise BadRequest(field, "not a valid e-mail address") from None
    if len(result.local_part) > MAX_LOCAL_PART_LENGTH:
        raise BadRequest(field, f"the part before @ must be at most {MAX_LOCAL_PART_LENGTH} characters")
    return f"{result.local_part}@{result.ascii_domain.lower()}"


def _scripts(label: str) -> set[str]:
    found = set()
    for char in label:
        if char.isascii() and not char.isalpha():
            continue  # digits and "-" belong to every script
        name = unicodedata.name(char, "UNKNOWN").split(" ")[0]
        found.add(_SCRIPT_FAMILY.get(name, name))
    return found


def mixed_script_domain(address: str) -> bool:
    """True when a label of the address's domain mixes scripts ("аpple.com", Cyrillic а + Latin):
    a homograph of another domain. Takes the normalised (IDNA, ASCII) form."""
    domain = address.rpartition("@")[2]
    try:
        unicode_domain = domain.encode("ascii").decode("idna")
    except UnicodeError:
        return True  # not decodable: treat as suspect
    return any(len(_scripts(label)) > 1 for label in unicode_domain.split("."))


def normalise_recipient(raw: str, field: str) -> str:
    """Normalise either kind of address, telling them apart by the '@'."""
    return normalise_email(raw, field) if "@" in raw else normalise_phone(raw, field)


def country_calling_code_of(e164: str, codes: tuple[str, ...]) -> str | None:
    """The configured calling code an E.164 number starts with (calling codes are prefix-free)."""
    digits = e164.lstrip("+")
    for code in codes:
        if digits.startswith(code):
            return code
    return None
