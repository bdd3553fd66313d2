"""A small district for the meeting tests (agenda, follow-up, briefing, page), with hand-checked figures.

Rules: the defaults, except min_assessed = 1, lagging.bottom_n = 1 and hotspots.min_cases = 2, so three streets
rank and the bottom one lags. Every case is responded 2 h and closed 48 h after it was received unless said.
A case scores fully (on time, 解决, 满意) except as noted; a score is 100 × (0.10 × resp + 0.45 × solve + 0.45 × sat).

        2025-02 (all on 02-10)          2025-03                               2025-04 (add_april)
东华门  a3 good @P1, a4 不满意 → 77.50   a1, a2 不满意 @P1 (03-18) → 77.50       a5, a6 good @P1, @-- → 100
景山    b3, b4 good @P2 → 100           b1 部分解决, b2 closed after 216 h     b5, b6, b7 good @P2 → 100
                                        @P2 (03-05) → 88.75
交道口  c3, c4 good → 100               c1 good @P1 (03-20), c2 still open     c8 good, c9 不满意 → 77.50
                                        (03-06), c5 (03-10), c6 (03-12)       (and c2 closed in April)
                                        good → 100

March: ranks 交道口 1 (100), 景山 2 (88.75), 东华门 3 (77.50): 东华门 lags in Feb and Mar → watchlist (2 periods).
Places: P1 (北新桥三条8号, street 东华门街道) 1 → 3 → 1 cases: a surge in March; P2 (景山前街4号, street
景山街道) 2 → 2 → 3: persistent in March. Overdue in March (as of 2025-04-10, limit 168 h): 景山 b2 closed late,
交道口 c2 still open.
每月一题 供暖 (cat_l2, tagged): c4 in Feb, c5 and c6 in March, none in April. c6 repeats c5 (same caller and
cat_l2 two days later): March repeat rate 交道口 1/4 = 25 %, district 1/8 = 12.5 %.
"""
from datetime import datetime, timedelta

from metrics.rules import load_rules_text
from tests.factories import case_row, units, write

RULES_TEXT = """
[ranking]
min_assessed = 1
[lagging]
bottom_n = 1
[hotspots]
min_cases = 2
"""
P1, P2 = "东城区北新桥三条8号", "东城区景山前街4号"
PLACES = {P1: (39.9412, 116.4168), P2: (39.9263, 116.3961)}  # WGS-84, so that the map has something to draw
AS_OF = datetime(2025, 4, 10, 9, 0)
UNITS = (("东华门街道", "街道"), ("景山街道", "街道"), ("交道口街道", "街道"))


def rules():
    return load_rules_text(RULES_TEXT, "meeting-fixture")


def case(no: str, unit_id: int, day: str, place: str | None = None, street: str | None = None,
         closed_after: int | None = 48, **fields) -> dict:
    received = datetime.fromisoformat(f"{day} 08:00:00")
    values = dict(responded_at=received + timedelta(hours=2), solved="解决", satisfaction="满意",
                  closed_at=None if closed_after is None else received + timedelta(hours=closed_after),
                  address=place, street=street, lat=PLACES.get(place, (None, None))[0],
                  lon=PLACES.get(place, (None, None))[1])
    values.update(fields)
    return case_row(no, unit_id, received.isoformat(sep=" "), **values)


def build(engine) -> dict[str, int]:
    """February and March; returns unit name → id."""
    ids = units(engine, *UNITS)
    a, b, c = (ids[name] for name, _ in UNITS)
    write(engine, [
        case("a3", a, "2025-02-10", P1, "东华门街道"), case("a4", a, "2025-02-10", satisfaction="不满意"),
        case("b3", b, "2025-02-10", P2, "景山街道"), case("b4", b, "2025-02-10", P2, "景山街道"),
        case("c3", c, "2025-02-10"), case("c4", c, "2025-02-10", cat_l2="供暖", tags=";每月一题;"),
        case("a1", a, "2025-03-18", P1, "东华门街道"),
        case("a2", a, "2025-03-18", P1, "东华门街道", satisfaction="不满意"),
        case("b1", b, "2025-03-05", P2, "景山街道", solved="部分解决"),
        case("b2", b, "2025-03-05", P2, "景山街道", closed_after=216),
        case("c1", c, "2025-03-20", P1, "东华门街道"),
        case("c2", c, "2025-03-06", closed_after=None),
        case("c5", c, "2025-03-10", cat_l2="供暖", tags=";每月一题;", caller_key="k1"),
        case("c6", c, "2025-03-12", cat_l2="供暖", tags=";每月一题;", caller_key="k1"),
    ], "feb-mar.csv")
    return ids


def add_april(engine, ids: dict[str, int]) -> None:
    a, b, c = (ids[name] for name, _ in UNITS)
    write(engine, [
        case("a5", a, "2025-04-08", P1, "东华门街道"), case("a6", a, "2025-04-08"),
        case("b5", b, "2025-04-09", P2, "景山街道"), case("b6", b, "2025-04-09", P2, "景山街道"),
        case("b7", b, "2025-04-09", P2, "景山街道"),
        case("c8", c, "2025-04-09"), case("c9", c, "2025-04-09", satisfaction="不满意"),
        case("c2", c, "2025-03-06", closed_after=400),
    ], "april.csv")
