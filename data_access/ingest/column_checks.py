"""Proven shortcuts of the row parser: the cells of one column checked at once, in pyarrow.

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
_STAMP = "%Y-%m-%d %H:%M:%S"  # parse_datetime reads this shape (and without seconds) by datetime.fromisoformat
_PLAIN_DECIMAL = r"^-?[0-9]{1,3}(\.[0-9]{1,15})?$"   # float() and Arrow's cast both round it correctly: one double
_ASCII_TOKEN = "^[\\x{21}-\\x{7e}]{1,%d}$"            # printable ASCII, no space: normalise_case_no keeps it as is

Shortcut = Callable[[pa.Array], tuple[np.ndarray, np.ndarray]]


def shortcut(parse: Callable, window: tuple[datetime, datetime] | None) -> tuple[Shortcut | None, bool]:
    """(the shortcut of a field's parser or None: every cell through the parser; whether the column is best read
    by its distinct texts). A shortcut takes non-null texts and returns which it proves (a bool array) and the
    values of those, in order. Times, degrees and case numbers seldom repeat; text and choices do."""
    if parse is parse_datetime:
        return (lambda texts: _datetimes(texts, window)), False
    kind, *args = getattr(parse, "shape", (None,))
    if kind == "text":
        return (lambda texts: _texts(texts, *args)), True
    if kind == "degrees":
        return (lambda texts: _degrees(texts, *args)), False
    if kind == "token":
        return (lambda texts: _tokens(texts, *args)), False
    return None, True


def _proven(cells: pa.Array, ok: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The mask of the proven cells and their values as Python objects (strings, floats, datetimes)."""
    mask = ok.fill_null(False).to_numpy(zero_copy_only=False)
    values = cells.filter(mask).to_numpy(zero_copy_only=False)
    return mask, values if values.dtype == object else values.astype(object)


def _no_space_at_ends(texts: pa.Array) -> pa.Array:
    return pc.and_(pc.greater(pc.binary_length(texts), 0), pc.equal(pc.utf8_trim(texts, WHITESPACE), texts))


def _texts(texts: pa.Array, max_chars: int | None, max_bytes: int | None):
    ok = _no_space_at_ends(texts)
    if max_chars:
        ok = pc.and_(ok, pc.less_equal(pc.utf8_length(texts), max_chars))
    if max_bytes:
        ok = pc.and_(ok, pc.less_equal(pc.binary_length(texts), max_bytes))
    return _proven(texts, ok)


def _tokens(texts: pa.Array, max_chars: int):
    return _proven(texts, pc.match_substring_regex(texts, _ASCII_TOKEN % max_chars))


def _degrees(texts: pa.Array, limit: float):
    plain = pc.match_substring_regex(texts, _PLAIN_DECIMAL)
    numbers = pc.cast(pc.if_else(plain, texts, "nan"), pa.float64())
    ok = pc.and_(plain, pc.and_(pc.greater_equal(numbers, -limit), pc.less_equal(numbers, limit)))
    return _proven(numbers, ok)


def _datetimes(texts: pa.Array, window: tuple[datetime, datetime] | None):
    """A text is canonical when Arrow's own rendering of the time it reads is the text itself: zero-padded,
    nothing before or after, a real date (Arrow's strptime would roll 02-30 over into March) and time."""
    first, last = window or default_date_window()
    first = max(first, datetime(EARLIEST_YEAR, 1, 1))
    stamps = pc.strptime(texts, format=_STAMP, unit="s", error_is_null=True)
    canonical = pc.equal(pc.cast(stamps, pa.string()), texts)
    if not pc.all(canonical).as_py():  # YYYY-MM-DD HH:MM: its rendering cut after the minutes
        minutes = pc.strptime(texts, format=_STAMP[:-3], unit="s", error_is_null=True)
        short = pc.equal(pc.utf8_slice_codeunits(pc.cast(minutes, pa.string()), 0, 16), texts)
        canonical = pc.or_(canonical.fill_null(False), short)
        stamps = pc.if_else(pc.fill_null(short, False), minutes, stamps)
    inside = pc.and_(pc.greater_equal(stamps, pa.scalar(first, pa.timestamp("s"))),
                     pc.less_equal(stamps, pa.scalar(last, pa.timestamp("s"))))
    # datetime64 to object gives datetime.datetime: the very value fromisoformat reads from the canonical text
    return _proven(stamps.cast(pa.timestamp("us")), pc.and_(canonical, inside))
