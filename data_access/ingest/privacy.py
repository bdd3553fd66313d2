"""Caller phone numbers are never stored: only a keyed hash (for repeat detection) and a masked form.

The hash key lives outside the database: CALLER_HASH_KEY (the environment) or CALLER_HASH_KEY_FILE (a file only
the app's account can read). A key stored beside the hashes lets anyone with the database file try every number
(10⁹ mobiles take minutes), so only the demo database may keep a random key of its own (app_settings); any other
database without a configured key refuses imports and the app refuses to start. Changing the key breaks repeat
detection across the change; a key an earlier version kept in the database is moved out with
`python cli.py caller-key --move-to FILE`.

The mask (one rule, `mask_phone`): a number of 11 digits or more shows its first and last digit only
(`1*********8`), which leaves ≥ 10⁸ possible numbers even knowing that a mobile starts with 13–19; a shorter
number shows no digit.
"""
import hashlib
import os
import re
import secrets
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

import settings
from data_access.ingest.case_fields import ImportRefused
from data_access.storage.schema import app_settings, import_batches

_KEY_NAME = "caller_hash_key"
_NON_DIGIT = re.compile(r"\D")
_NOT_DIGIT_OR_STAR = re.compile(r"[^\d*]")
MIN_KEY_BYTES = 16
KEY_ENV, KEY_FILE_ENV = "CALLER_HASH_KEY", "CALLER_HASH_KEY_FILE"
MASK_FROM_DIGITS = 11  # fewer digits: none shown
KEY_MISSING = ("未配置来电号码哈希密钥：非演示数据库须通过环境变量 CALLER_HASH_KEY 或密钥文件 CALLER_HASH_KEY_FILE "
               "提供密钥（不得与数据保存在同一数据库），请联系系统管理员 (no caller hash key: a database that is not the "
               "demo needs CALLER_HASH_KEY or CALLER_HASH_KEY_FILE, kept outside the database)")


class HashKeyMissing(ImportRefused):
    """No usable caller hash key for a database that is not the demo (message in Chinese, then English)."""


def normalize_phone(raw: str, keep: re.Pattern = _NON_DIGIT) -> str:
    raw = raw or ""
    digits = raw if raw.isascii() and raw.isdigit() else keep.sub("", raw)  # the usual number: nothing to drop
    if digits.startswith("86") and len(digits) == 13:  # +86 138…
        digits = digits[2:]
    return digits


def mask_phone(raw: str) -> str:
    """The one masking rule (module docstring): `1*********8` for 11+ digits, only stars below. A masked number
    (a corrected rejected row) counts its stars as digits, so it keeps its form."""
    digits = normalize_phone(raw, _NOT_DIGIT_OR_STAR)
    if len(digits) >= MASK_FROM_DIGITS:
        return digits[0] + "*" * (len(digits) - 2) + digits[-1]
    return "*" * len(digits)


def caller_key(raw: str, key: bytes) -> str:
    return caller_keys([raw], key)[0]


def caller_keys(numbers: list[str], key: bytes) -> list[str]:
    """caller_key of each number: HMAC-SHA256 of its digits, hex, first 32 characters ("" when it has no digit).
    HMAC by hand from the key's two SHA-256 states, made once: 3x faster than hmac.new per number."""
    inner, outer = _hmac_pads(key)
    start_inner, start_outer, keys = inner.copy, outer.copy, []
    for digits in map(normalize_phone, numbers):
        if not digits:
            keys.append("")
            continue
        hashed = start_inner()
        hashed.update(digits.encode())
        keyed = start_outer()
        keyed.update(hashed.digest())
        keys.append(keyed.hexdigest()[:32])
    return keys


@lru_cache(maxsize=4)
def _hmac_pads(key: bytes):
    """The two SHA-256 states HMAC (RFC 2104) starts from for this key, computed once per key."""
    block = hashlib.sha256().block_size
    key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def configured_key() -> bytes | None:
    """The key from CALLER_HASH_KEY or the file CALLER_HASH_KEY_FILE; None when neither is set."""
    where, key = KEY_ENV, (settings.CALLER_HASH_KEY.get() or "").strip().encode()
    path = (settings.CALLER_HASH_KEY_FILE.get() or "").strip()
    if not key and path:
        where = path
        try:
            key = Path(path).read_bytes().strip()
        except OSError as exc:
            raise HashKeyMissing(f"无法读取密钥文件 {path} (cannot read the key file: {exc.strerror})") from None
    if not key:
        return None
    if len(key) < MIN_KEY_BYTES:
        raise HashKeyMissing(f"{where} 中的来电号码哈希密钥少于 {MIN_KEY_BYTES} 字节 "
                             f"(the caller hash key in {where} is shorter than {MIN_KEY_BYTES} bytes)")
    return key


def stored_key(conn: Connection) -> str | None:
    return conn.execute(select(app_settings.c.value).where(app_settings.c.key == _KEY_NAME)).scalar()


def move_stored_key(conn: Connection, path: Path) -> None:
    """Write a key kept in the database (by an earlier version) to a new file readable by its owner only, and
    remove it from the database; with CALLER_HASH_KEY_FILE pointing there, earlier callers still match."""
    value = stored_key(conn)
    if value is None:
        raise HashKeyMissing("数据库中没有保存的来电号码哈希密钥 (no caller hash key is stored in the database)")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise HashKeyMissing(f"无法新建密钥文件 {path} (cannot create the key file: {exc.strerror})") from None
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    conn.execute(app_settings.delete().where(app_settings.c.key == _KEY_NAME))


def is_demo_database(conn: Connection) -> bool:
    """The demo district's database (demo.seed.is_demo): its key may stay inside it."""
    return conn.execute(select(import_batches.c.id).where(import_batches.c.source == "demo").limit(1)).first() \
        is not None


def hash_key(conn: Connection, demo: bool = False) -> bytes:
    """The caller hash key; raises HashKeyMissing for a database that is not the demo (or being made the demo,
    `demo=True`) when no key is configured outside it."""
    key = configured_key()
    if key:
        return key
    if not (demo or is_demo_database(conn)):
        raise HashKeyMissing(KEY_MISSING)
    value = stored_key(conn)
    if value is None:
        value = secrets.token_hex(32)
        conn.execute(app_settings.insert().values(key=_KEY_NAME, value=value))
    return value.encode()


# Mobile numbers also written as +86 138-1234-5678 or 138 1234 5678; ID-card numbers of 18 characters.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)(0\d{2,3}-?)?(\d{3,4})\d{4}(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def _is_date(digits: str) -> bool:
    """20250301: an eight-digit date in a text is no phone number."""
    try:
        return 1900 <= int(digits[:4]) <= 2099 and bool(datetime.strptime(digits, "%Y%m%d"))
    except ValueError:
        return False


def _mask_landline(m: re.Match) -> str:
    """The area code stays (public); the local number shows no digit (mask_phone's rule for short numbers)."""
    if m.group(1) is None and _is_date(m.group(0)):
        return m.group(0)
    return (m.group(1) or "") + mask_phone(m.group(0)[len(m.group(1) or ""):])


def mask_text(text: str | None) -> str:
    """Mask personal data inside free text: ID-card numbers, mobile and landline numbers. Dates written as
    20250301 stay; runs of digits longer than a phone number (case numbers) are left alone."""
    if not text:
        return text or ""
    text = _ID_IN_TEXT.sub(r"\1********\2", text)
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
    return _LANDLINE_IN_TEXT.sub(_mask_landline, text)


# A column named for a phone (联系电话, 诉求人电话, 手机, mobile, tel …): every number in it is a phone.
_PHONE_HEADER = re.compile(r"电话|手机|来电号码|联系方式|phone|mobile|^tel|fax|传真", re.IGNORECASE)
_NUMBER_RUN = re.compile(r"\+?\d[\d\s()-]*\d")
# One token of letters and digits (a case number, a code): only an unmistakable mobile number in it is masked, since
# an 8-digit identifier (NYC's unique_key) looks exactly like a local landline number.
_IDENTIFIER = re.compile(r"[0-9A-Za-z_/.:-]+")


def _mask_numbers(text: str) -> str:
    return _NUMBER_RUN.sub(lambda m: mask_phone(m.group(0)) if len(normalize_phone(m.group(0))) >= 7
                           else m.group(0), text)


def mask_row(raw: dict[str, str]) -> dict[str, str]:
    """A rejected row's raw values (header -> text) with every phone-like value masked before it is stored:
    columns named for a phone entirely, free text as mask_text does, identifiers only where they hold a mobile."""
    def masked(header: str, value: str) -> str:
        if not value:
            return value
        if _PHONE_HEADER.search(header):
            return _mask_numbers(value)
        if _IDENTIFIER.fullmatch(value):
            return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), value)
        return mask_text(value)
    return {h: masked(h, v) for h, v in raw.items()}
