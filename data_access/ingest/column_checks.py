"""Proven shortcuts of the row parser: the distinct texts of one column checked at once, in pyarrow.

A shortcut accepts only the cells it can prove the field's own per-cell rule (case_fields) accepts, and gives the
identical value; it answers "not proven" for every other cell, which then goes through that rule. So the rules of
DATA_FORMAT.md §1, their reason texts and their leniency notes live once, in case_fields; here are only their plain
cases: a canonical `YYYY-MM-DD HH:MM[:SS]` inside the date window, a plain decimal within range, text with no
space at its ends that fits its column. Cells needing a mapping's extract or value translation take no shortcut.
tests/test_column_checks.py holds both paths to the same answers.
"""
from datetime import datetime
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_access.ingest.case_fields import EARLIEST_YEAR, default_date_window, parse_datetime

# The characters str.isspace() is true for, i.e. what str.strip() removes (tests check the list against Python's).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# The shape parse_datetime reads with datetime.fromisoformat; RE2's [0-9] is ASCII only, as fromisoformat wants.
_CANONICAL_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
_STAMP = "%Y-%m-%d %H:%M:%S"
_PLAIN_DECIMAL = r"^-?[0-9]{1,3}(\.[0-9]{1,15})?$"   # float() and Arrow's cast both round it correctly: one double
_ASCII_TOKEN = "^[\\x{21}-\\x{7e}]{1,%d}$"            # printable ASCII, no space: normalise_case_no keeps it as is

Shortcut = Callable[[pa.Array], tuple[np.ndarray, list]]


def shortcut(parse: Callable, window: tuple[datetime, datetime] | None) -> Shortcut | None:
    """The shortcut of a field's parser, or None (every cell through the parser). It takes distinct non-null texts
    and returns which it proves (a bool array) and the values of those, in order."""
    if parse is parse_datetime:
        return lambda texts: _datetimes(texts, window)
    kind, *args = getattr(parse, "shape", (None,))
    if kind == "text":
        return lambda texts: _texts(texts, *args)
    if kind == "degrees":
        return lambda texts: _degrees(texts, *args)
    if kind == "token":
        return lambda texts: _tokens(texts, *args)
    return None


def _proven(texts: pa.Array, ok: pa.Array, convert: Callable[[pa.Array], list]) -> tuple[np.ndarray, list]:
    mask = ok.fill_null(False).to_numpy(zero_copy_only=False)
    return mask, convert(texts.filter(mask)) if mask.any() else []


def _no_space_at_ends(texts: pa.Array) -> pa.Array:
    return pc.and_(pc.greater(pc.binary_length(texts), 0), pc.equal(pc.utf8_trim(texts, WHITESPACE), texts))


def _texts(texts: pa.Array, max_chars: int | None, max_bytes: int | None):
    ok = _no_space_at_ends(texts)
    if max_chars:
        ok = pc.and_(ok, pc.less_equal(pc.utf8_length(texts), max_chars))
    if max_bytes:
        ok = pc.and_(ok, pc.less_equal(pc.binary_length(texts), max_bytes))
    return _proven(texts, ok, pa.Array.to_pylist)


def _tokens(texts: pa.Array, max_chars: int):
    return _proven(texts, pc.match_substring_regex(texts, _ASCII_TOKEN % max_chars), pa.Array.to_pylist)


def _degrees(texts: pa.Array, limit: float):
    plain = pc.match_substring_regex(texts, _PLAIN_DECIMAL)
    numbers = pc.cast(pc.if_else(plain, texts, "nan"), pa.float64())
    ok = pc.and_(plain, pc.and_(pc.greater_equal(numbers, -limit), pc.less_equal(numbers, limit)))
    return _proven(numbers, ok, pa.Array.to_pylist)


def _datetimes(texts: pa.Array, window: tuple[datetime, datetime] | None):
    first, last = window or default_date_window()
    first = max(first, datetime(EARLIEST_YEAR, 1, 1))
    shape = pc.match_substring_regex(texts, _CANONICAL_DATETIME)
    full = pc.if_else(pc.equal(pc.binary_length(texts), 16), pc.binary_join_element_wise(texts, ":00", ""), texts)
    stamps = pc.strptime(pc.if_else(shape, full, ""), format=_STAMP, unit="s", error_is_null=True)
    # Arrow's strptime rolls 02-30 over into March and takes 24:00: only a text that prints back the same is a date.
    real = pc.equal(pc.cast(stamps, pa.string()), full)
    inside = pc.and_(pc.greater_equal(stamps, pa.scalar(first, pa.timestamp("s"))),
                     pc.less_equal(stamps, pa.scalar(last, pa.timestamp("s"))))
    return _proven(texts, pc.and_(shape, pc.and_(real, inside)),
                   lambda proven: list(map(datetime.fromisoformat, proven.to_pylist())))

