"""Case rows whose scores are easy to work out by hand, for the scoring, awards and lagging tests."""
from datetime import datetime, timedelta

from tests.factories import case_row

TIME = "%Y-%m-%d %H:%M:%S"


def perfect(case_no: str, unit_id: int, received_at: str, **fields) -> dict:
    """Received, dispatched at once, answered within the hour, closed in two days, 解决 and 满意."""
    t = datetime.strptime(received_at, TIME)
    base = dict(dispatched_at=t, responded_at=t + timedelta(hours=1), closed_at=t + timedelta(hours=48),
                callback_at=t + timedelta(hours=50), urgency="一般", solved="解决", satisfaction="满意")
    return case_row(case_no, unit_id, t, **{**base, **fields})


def month_cases(unit_id: int, month: str, *, n: int = 10, late: int = 0, unsolved: int = 0, unsatisfied: int = 0,
                tag: str = "") -> list[dict]:
    """n perfect cases of a unit in a month ("2025-03"), of which the first `late` were answered after 25 hours,
    the next `unsolved` were 未解决 and the next `unsatisfied` 不满意 (each defect on its own case).

    With the default weights and n = 10: score = 100 − late − 4.5 × unsolved − 4.5 × unsatisfied.
    """
    assert late + unsolved + unsatisfied <= n
    rows = []
    for i in range(n):
        received = f"{month}-{i % 28 + 1:02d} 08:00:00"
        fields = {}
        if i < late:
            fields["responded_at"] = datetime.strptime(received, TIME) + timedelta(hours=25)
        elif i < late + unsolved:
            fields["solved"] = "未解决"
        elif i < late + unsolved + unsatisfied:
            fields["satisfaction"] = "不满意"
        rows.append(perfect(f"{tag or unit_id}-{month}-{i:02d}", unit_id, received, **fields))
    return rows
