"""Recipients as they may appear in logs: enough to recognise, not enough to identify."""

from __future__ import annotations


def mask_phone(number: str) -> str:
    if len(number) <= 7:
        return "*" * max(len(number) - 2, 0) + number[-2:]
    return number[:5] + "*" * (len(number) - 7) + number[-2:]


def mask_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    if not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_recipient(value: str | None) -> str:
    if not value:
        return ""
    return mask_email(value) if "@" in value else mask_phone(value)
