"""Per-unit score tables of several periods in one statement (METRICS.md §3, §4): every unit (active, or with cases
in the period) with the base counts of score_queries, every rate of the registry as numerator over denominator,
raw and adjusted score, the competition rank within its group by the score rounded to 2 decimals (window RANK()),
and its score and rank in the periods it is compared with (环比, 同比: self-joins on the period). One round trip,
on SQLite ≥ 3.25, PostgreSQL and MariaDB alike.

Nothing here names a rate: the rates, the weights and the groups come from metrics as ScoreSettings (made from
the registry and the rules), as the counts' settings come as CountSettings. The arithmetic is the one
metrics.scores does in pandas, in the same order in IEEE doubles, so the scores are the same numbers.

Rounding as metrics.ranking.round2 (half-up at 2 decimals of the score rounded to 9): with a = |score|·10⁹ in
floating point and k the integer nearest a, the rounded score is ⌊(k + 5·10⁶) / 10⁷⌋ / 100, carried as the integer
`rank_key` = its value × 10⁹. That is round2 exactly unless a lies within 0.01 of a half and k ends in 4999999 or
5000000 (then how the 9th decimal itself rounds decides the 2nd), or |score| ≥ 10⁴: such rows come back with
`inexact` set on every row of the statement, and the caller ranks that frame with round2 in Python.
"""
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger, Float, Integer, String, and_, bindparam, case, cast, func, literal_column, null, or_, select, true,
    type_coerce, union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data_access.storage.measures import CLOSE, COUNT_COLUMNS
from data_access.storage.schema import score_adjustments, units
from data_access.queries.score_queries import CountSettings, counts_query

UNIT_COLUMNS = ("unit_id", "unit_code", "unit_name", "unit_type", "group")
_HALF_STEP, _STEP = 5_000_000, 10_000_000  # half a hundredth and a hundredth, in units of 10⁻⁹
_PLAIN_LIMIT = 10_000                      # as metrics.ranking: above it a·10⁹ is too coarse for the test below


@dataclass(frozen=True)
class ScoreSettings:
    """What scoring needs from the registry and the rules (data_access knows neither)."""
    rates: tuple      # (rate key, numerator, denominator): every rate of the registry, in its order
    weights: tuple    # (rate key, weight): the rates the score weighs, in registry order
    groups: tuple     # (unit type, ranking group)
    min_assessed: int


def scored_units(engine: Engine, ranges: list[tuple[date, date]], keys: list[str], compared: dict[str, tuple],
                 counting: CountSettings, scoring: ScoreSettings, closing: bool = True,
                 shown: tuple[int, ...] | None = None) -> pd.DataFrame:
    """One row per bucket (index into `ranges`, whose period keys are `keys`) and unit that is active or has cases
    then: bucket, UNIT_COLUMNS, COUNT_COLUMNS, the rates, raw_score, adjustment, adjusted_score, rank (of ranked
    units: cases assessed, at least min_assessed, a score and a group), rounded, inexact (some score of the
    statement may round otherwise than round2: see above), and per prefix of
    `compared` (prefix → for each bucket the bucket it is compared with, or None) <prefix>score and <prefix>rank.
    closing=False leaves on_time_close null (see score_queries.unit_counts); `shown`: the buckets whose rows
    come back (None: all; the others are still scored, for ranks and changes)."""
    counts, params = counts_query(ranges, counting, closing=closing)
    names = list(dict.fromkeys(g for _, g in scoring.groups))
    shape = (counts, len(ranges), tuple((p, tuple(b)) for p, b in compared.items()), scoring.rates,
             tuple(key for key, _ in scoring.weights), tuple(names.index(g) for _, g in scoring.groups), closing,
             shown)
    params |= {f"key_{i}": key for i, key in enumerate(keys)}
    params |= {f"weight_{key}": float(w) for key, w in scoring.weights}
    params |= {f"type_{i}": t for i, (t, _) in enumerate(scoring.groups)}
    params |= {f"group_{i}": g for i, g in enumerate(names)}
    params |= {"min_assessed": scoring.min_assessed, "one": 1.0, "giga": 1e9}
    with engine.connect() as conn:
        result = conn.execute(_statement(*shape), params)
        names, rows = list(result.keys()), result.all()
    # Column by column, each straight to its type: a frame of a dozen periods has thousands of rows, and pandas'
    # guessing of mixed rows' types cost more than the rest of the reading.
    values = dict(zip(names, zip(*rows))) if rows else dict.fromkeys(names, ())
    frame = pd.DataFrame({name: _typed(name, column) for name, column in values.items()})
    return frame.sort_values(["bucket", "position"], ignore_index=True).drop(columns="position")


_INTEGERS = {"bucket", "unit_id", "position",
             *(c for c in COUNT_COLUMNS if not c.endswith("_credit_sum") and c != CLOSE)}


def _typed(name: str, column: tuple):
    """A column of the statement as the frame keeps it. MariaDB returns sums as Decimal and every driver a null
    as None: plain numbers, NaN (or <NA> for ranks) for null."""
    if name in UNIT_COLUMNS[1:]:
        return np.array(column, dtype=object)
    if name in _INTEGERS:
        return np.array(column, dtype=np.int64)
    if name.endswith("rank"):
        return pd.array(column, dtype="Int64")
    if name == "inexact":
        return np.array([bool(x) for x in column], dtype=bool)
    return np.array(column, dtype=np.float64)


class _whole(FunctionElement):
    """The integer part of a non-negative number, as an integer."""
    type = BigInteger()
    inherit_cache = True


@compiles(_whole)
def _whole_default(element, compiler, **kw):
    return compiler.process(cast(func.floor(*element.clauses), BigInteger), **kw)


@compiles(_whole, "sqlite")
def _whole_sqlite(element, compiler, **kw):  # SQLite has floor() only when built with its math functions
    return compiler.process(cast(*element.clauses, Integer), **kw)


@lru_cache(maxsize=64)
def _statement(counts, n: int, compared: tuple, rates: tuple, weighted: tuple, groups: tuple, closing: bool,
               shown: tuple | None):
    """`groups`: per unit type of the rules (parameter type_<i>) the number of its group (group_<number>)."""
    scored = _ranked(_keyed(_rated(_base(counts.subquery("counts"), n, groups, closing), rates, weighted)))
    scored = scored.cte("scored")
    # The units' names and the groups' names join the narrow rows at the end (wide rows sort and rank slower).
    group = case(*[(scored.c.group_no == i, bindparam(f"group_{i}", type_=String)) for i in sorted(set(groups))],
                 else_=null()) if groups else cast(null(), String)
    # Rows in list_units' order (by code, in the database's collation), which sorting the units alone gives once:
    # sorting every row by its code text costs more than the rest of the ranking.
    named = select(units.c.id, units.c.code, units.c.name, units.c.unit_type,
                   func.row_number().over(order_by=units.c.code).label("position")).subquery("named")
    columns = [scored.c.bucket, scored.c.unit_id, named.c.code.label("unit_code"), named.c.name.label("unit_name"),
               named.c.unit_type, group.label("group"), *[c for c in scored.c if c.name not in ("bucket", "unit_id",
                                                                                                "group_no")]]
    joined = scored.join(named, named.c.id == scored.c.unit_id)
    for prefix, buckets in compared:
        pairs = [(i, b) for i, b in enumerate(buckets) if b is not None and (shown is None or i in shown)]
        if not pairs:
            columns += [cast(null(), Float).label(f"{prefix}score"), cast(null(), Integer).label(f"{prefix}rank")]
            continue
        # Only the compared buckets' rows on the other side: a small hash join, where joining every row sorted
        # the whole table twice (a third of a twelve-period statement on PostgreSQL).
        other = (select(scored.c.unit_id, scored.c.bucket, scored.c.adjusted_score, scored.c.rank)
                 .where(scored.c.bucket.in_(sorted({b for _, b in pairs}))).subquery(f"{prefix}scored"))
        joined = joined.outerjoin(other, and_(
            other.c.unit_id == scored.c.unit_id,
            other.c.bucket == case(*[(scored.c.bucket == i, b) for i, b in pairs], else_=null())))
        columns += [other.c.adjusted_score.label(f"{prefix}score"), other.c.rank.label(f"{prefix}rank")]
    # Unsorted: pandas sorts the rows by bucket and position (sorting them here cost PostgreSQL a sixth).
    query = select(*columns, named.c.position).select_from(joined)
    return query if shown is None else query.where(scored.c.bucket.in_(shown))


def _base(counts, n: int, groups: tuple, closing: bool):
    """Every bucket × unit, with its counts (0 without cases), group number and Σ adjustments; inactive units
    only with cases in the bucket."""
    buckets = union_all(*[select(literal_column(str(i)).label("bucket")) for i in range(n)]) if n > 1 else select(
        literal_column("0").label("bucket"))
    buckets = buckets.subquery("buckets")
    period = score_adjustments.c.period
    adjustments = (select(case(*[(period == bindparam(f"key_{i}", type_=String), i) for i in range(n)])
                          .label("bucket"), score_adjustments.c.unit_id,
                          func.sum(score_adjustments.c.points).label("points"))
                   .where(period.in_([bindparam(f"key_{i}", type_=String) for i in range(n)]))
                   .group_by(period, score_adjustments.c.unit_id).subquery("adjustments"))
    group = case(*[(units.c.unit_type == bindparam(f"type_{i}", type_=String), number)
                   for i, number in enumerate(groups)], else_=null()) if groups else cast(null(), Integer)
    # Integer counts as BIGINT: PostgreSQL sums them as NUMERIC, whose arithmetic is many times slower.
    counted = [(func.coalesce(counts.c[c], 0) if c.endswith("_credit_sum") else
                cast(func.coalesce(counts.c[c], 0), BigInteger)).label(c) for c in COUNT_COLUMNS if closing or c != CLOSE]
    if not closing:
        counted.insert(COUNT_COLUMNS.index(CLOSE), cast(null(), Integer).label(CLOSE))
    return (select(buckets.c.bucket, units.c.id.label("unit_id"), group.label("group_no"), *counted,
                   func.coalesce(adjustments.c.points, 0.0).label("adjustment"))
            .select_from(buckets.join(units, true())
                         .outerjoin(counts, and_(counts.c.bucket == buckets.c.bucket, counts.c.unit_id == units.c.id))
                         .outerjoin(adjustments, and_(adjustments.c.bucket == buckets.c.bucket,
                                                      adjustments.c.unit_id == units.c.id)))
            .where(or_(units.c.active == true(), counts.c.volume > 0))
            .subquery("base"))


def _rated(base, rates: tuple, weighted: tuple):
    """Each rate = numerator / denominator as doubles (null when the denominator is 0); raw_score = 100 × Σ weight
    × rate over the weighted rates, added up in registry order as metrics.scores does; adjusted_score."""
    # × 1.0: a double on every database (MariaDB cannot CAST to one); the integer denominator typed as a double
    # (nothing rendered) so that SQLAlchemy does not divide by a NUMERIC cast of it, many times slower.
    one = bindparam("one", type_=Float)
    rate = {key: case((base.c[den] > 0, base.c[num] * one / type_coerce(base.c[den], Float)), else_=null())
            for key, num, den in rates}
    raw = literal_column("100") * sum((bindparam(f"weight_{key}", type_=Float) * rate[key] for key in weighted[1:]),
                                      start=bindparam(f"weight_{weighted[0]}", type_=Float) * rate[weighted[0]])
    adjusted = raw + base.c.adjustment
    # Computed once per row: PostgreSQL would otherwise copy the score's whole expression into each of the
    # dozen places the rank key uses it (about a third of the statement's time).
    return select(base, *[r.label(key) for key, r in rate.items()], raw.label("raw_score"),
                  adjusted.label("adjusted_score")).cte("rated").prefix_with("MATERIALIZED", dialect="postgresql")


def _keyed(rated):
    """ranked (1/0), the rounded score as the integer rank_key and as a number, and whether that may differ from
    round2 (see the module's docstring)."""
    score = rated.c.adjusted_score
    a = func.abs(score) * bindparam("giga", type_=Float)
    k = _whole(a + 0.5)
    key = (k + _HALF_STEP) - (k + _HALF_STEP) % _STEP
    signed = case((score < 0, -key), else_=key)
    ranked = and_(rated.c.assessed > 0, score.is_not(None), rated.c.assessed >= bindparam("min_assessed"),
                  rated.c.group_no.is_not(None))
    inexact = or_(func.abs(score) >= _PLAIN_LIMIT,
                  and_((k % _STEP).in_([_HALF_STEP - 1, _HALF_STEP]), func.abs(a - k) >= 0.49))
    return select(rated, case((ranked, 1), else_=0).label("ranked_flag"), signed.label("rank_key"),
                  (signed / bindparam("giga", type_=Float)).label("rounded"),
                  case((inexact, 1), else_=0).label("inexact")).subquery("keyed")


def _ranked(keyed):
    rank = func.rank().over(partition_by=[keyed.c.bucket, keyed.c.group_no, keyed.c.ranked_flag],
                            order_by=keyed.c.rank_key.desc())
    kept = [c for c in keyed.c if c.name not in ("ranked_flag", "rank_key", "inexact")]
    return select(*kept, case((keyed.c.ranked_flag == 1, rank), else_=null()).label("rank"),
                  func.max(keyed.c.inexact).over().label("inexact"))  # any row of the statement, shown or not
