"""The SMS fraud guard: which numbers a send may go to, decided before anything is written.

SMS pumping sends to numbers that pay their owner per message received (premium-rate, shared-cost,
some personal and UAN ranges) or to countries a deployment never serves. Two checks, both on the
normalised E.164 number: the country calling code must be one the deployment allows
(`allowedSmsCountries`), and phonenumbers' type of the number must not be on the deny-list
(`deniedSmsNumberTypes`). A number whose type phonenumbers does not know is allowed unless
"UNKNOWN" is denied.
"""

from __future__ import annotations

from messenger.core.errors import BadRequest


def check_sms_destination(e164: str, allowed_countries, denied_types) -> None:
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise BadRequest("to", "not a valid phone number") from None
    code = str(number.country_code)
    if code not in allowed_countries:
        raise BadRequest("to", f"SMS to country calling code +{code} is not allowed by this deployment")
    kind = phonenumbers.number_type(number)
    for name in denied_types:
        if kind == getattr(phonenumbers.PhoneNumberType, name):
            readable = name.lower().replace("_", " ")
            raise BadRequest("to", f"SMS to {readable} numbers is not allowed")
