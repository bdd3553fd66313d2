"""Caller phone numbers are never stored: only a keyed hash (for repeat detection) and a masked form.

The hash key comes from CALLER_HASH_KEY, else a random key made once per database (app_settings). A deployment
that wants the key outside the database sets CALLER_HASH_KEY; changing it breaks repeat detection across it.
"""
import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

import settings
from data_access.schema import app_settings

_KEY_NAME = "caller_hash_key"
_NON_DIGIT = re.compile(r"\D")


def normalize_phone(raw: str) -> str:
    digits = _NON_DIGIT.sub("", raw or "")
    if digits.startswith("86") and len(digits) == 13:  # +86 138…
        digits = digits[2:]
    return digits


def mask_phone(raw: str) -> str:
    digits = normalize_phone(raw)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" if digits else ""


def caller_key(raw: str, key: bytes) -> str:
    digits = normalize_phone(raw)
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:32] if digits else ""


def hash_key(conn: Connection) -> bytes:
    if settings.CALLER_HASH_KEY.get():
        return settings.CALLER_HASH_KEY.get().encode()
    value = conn.execute(select(app_settings.c.value).where(app_settings.c.key == _KEY_NAME)).scalar()
    if value is None:
        value = secrets.token_hex(32)
        conn.execute(app_settings.insert().values(key=_KEY_NAME, value=value))
    return value.encode()


# Mobile numbers also written as +86 138-1234-5678 or 138 1234 5678; ID-card numbers of 18 characters.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)(0\d{2,3}-?)?(\d{3,4})\d{4}(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def _is_date(digits: str) -> bool:
    """20250301: an eight-digit date in a text is no phone number."""
    try:
        return 1900 <= int(digits[:4]) <= 2099 and bool(datetime.strptime(digits, "%Y%m%d"))
    except ValueError:
        return False


def _mask_landline(m: re.Match) -> str:
    if m.group(1) is None and _is_date(m.group(0)):
        return m.group(0)
    return (m.group(1) or "") + m.group(2)[:2] + "****"


def mask_text(text: str | None) -> str:
    """Mask personal data inside free text: ID-card numbers, mobile and landline numbers. Dates written as
    20250301 stay; runs of digits longer than a phone number (case numbers) are left alone."""
    if not text:
        return text or ""
    text = _ID_IN_TEXT.sub(r"\1********\2", text)
    text = _PHONE_IN_TEXT.sub(r"\1****\2", text)
    return _LANDLINE_IN_TEXT.sub(_mask_landline, text)
