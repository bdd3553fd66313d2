"""A tiny hand-checked district for the page tests (AppTest and browser): three streets, February and March 2025.

Scoring rules for it (RULES_TOML): defaults, except that one assessed case is enough to be ranked, the bottom one
of a group lags, and two cases make a hotspot or a frequent caller, so that a dozen cases show every panel.

March 2025 (weights 0.10 / 0.45 / 0.45), every case responded within 1 hour unless said otherwise:
- 东华门街道: 4 perfect cases                         → 100.00, rank 1, 红旗
- 景山街道:   4 cases, one 未解决 + 不满意             → 100 × (0.1 + 0.45 × 3/4 + 0.45 × 3/4) = 77.50, rank 2
- 交道口街道: 4 cases; C1 late (30 h) + 未解决 + 不满意, C2 未解决 + 不满意
                                                     → 100 × (0.1 × 3/4 + 0.45 × 2/4 + 0.45 × 2/4) = 52.50, rank 3
  失分: C1 Δ = 100 × (0.1/4 + 0.45/4 + 0.45/4) = 25.00 (物业管理, 北新桥社区), C2 Δ = 22.50 (市容环卫, 民安社区);
  points lost per rate: 响应 2.50, 解决 22.50, 满意 22.50; 差几件 to 100 (the lowest red flag): 2; to 75: 1.
  C1, C2, C3 come from one caller (1*********1): a frequent caller with 3 cases.
February 2025: 东华门 and 景山 100.00, 交道口 77.50 (one 未解决 + 不满意) → 交道口 lags twice: 连续后进.
Hotspots, March: 东华门大街1号 3 cases (1 in February) → 突增; 景山前街5号 2 cases (2 in February) → 高频.
"""
from datetime import datetime, timedelta

from data_access.ingest import privacy
from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import INPUT_COLUMNS, write_cases
from data_access.records.units import add_unit
from tests.dbs import migrated_engine

RULES_TOML = """
[ranking]
min_assessed = 1

[lagging]
bottom_n = 1
consecutive = 2

[repeat]
frequent_caller_min = 2

[hotspots]
min_cases = 2
"""

STREETS = {"东华门街道": (39.915, 116.404), "景山街道": None, "交道口街道": None}
PLACES = {"东华门大街1号": ("东华门街道", 39.9151, 116.4031), "景山前街5号": ("景山街道", 39.9242, 116.3975)}
CALLER = "13800001111"


def _case(case_no, unit, day, *, late=False, solved="解决", satisfaction="满意", cat=("市容环卫", "道路不洁"),
          place=None, community=None, phone=None, content="门前道路有垃圾，请尽快清理。"):
    received = datetime.fromisoformat(f"{day} 08:00:00")
    row = {k: None for k in INPUT_COLUMNS}
    row.update(case_no=case_no, unit_id=unit, received_at=received, cat_l1=cat[0], cat_l2=cat[1], content=content,
               urgency="一般", deadline_class="一般", responded_at=received + timedelta(hours=30 if late else 1),
               closed_at=received + timedelta(hours=48), callback_at=received + timedelta(hours=72),
               solved=solved, satisfaction=satisfaction, dispatch_count=1, excluded=False, community=community,
               _phone=phone)
    if place:
        street, lat, lon = PLACES[place]
        row.update(address=place, street=street, lat=lat, lon=lon)
    return row


def _month(ids: dict, month: str, feb: bool) -> list[dict]:
    a, b, c = ids["东华门街道"], ids["景山街道"], ids["交道口街道"]
    d = f"2025-{month}"
    p = "F" if feb else "M"
    rows = [
        _case(f"{p}A1", a, f"{d}-03", place="东华门大街1号"),
        _case(f"{p}A2", a, f"{d}-04", place="东华门大街1号" if not feb else None),
        _case(f"{p}A3", a, f"{d}-05", place="东华门大街1号" if not feb else None),
        _case(f"{p}A4", a, f"{d}-06"),
        _case(f"{p}B1", b, f"{d}-03", place="景山前街5号"),
        _case(f"{p}B2", b, f"{d}-04", place="景山前街5号"),
        _case(f"{p}B3", b, f"{d}-05"),
        _case(f"{p}B4", b, f"{d}-06", solved="未解决" if not feb else "解决",
              satisfaction="不满意" if not feb else "满意"),
    ]
    if feb:
        rows += [_case(f"FC{i}", c, f"{d}-0{i + 2}") for i in (1, 2, 3)]
        rows.append(_case("FC4", c, f"{d}-07", solved="未解决", satisfaction="不满意"))
        return rows
    return rows + [
        _case("MC1", c, f"{d}-03", late=True, solved="未解决", satisfaction="不满意", cat=("物业管理", "物业服务"),
              community="北新桥社区", phone=CALLER, content="楼道漏水无人处理，联系电话13912345678。"),
        _case("MC2", c, f"{d}-04", solved="未解决", satisfaction="不满意", community="民安社区", phone=CALLER),
        _case("MC3", c, f"{d}-05", community="民安社区", phone=CALLER),
        _case("MC4", c, f"{d}-06", community="北新桥社区"),
    ]


def build(url: str, rules_path=None) -> None:
    """Create the fixture district in an empty database at `url`; write the rules file if a path is given."""
    engine = migrated_engine(url)
    with engine.begin() as conn:
        ids = {name: add_unit(conn, name, "街道", lat=ll[0] if ll else None, lon=ll[1] if ll else None)
               for name, ll in STREETS.items()}
        key = privacy.hash_key(conn, demo=True)  # written as demo batches below
        for month, feb in (("02", True), ("03", False)):
            rows = _month(ids, month, feb)
            for row in rows:
                phone = row.pop("_phone")
                if phone:
                    row.update(caller_key=privacy.caller_key(phone, key), caller_masked=privacy.mask_phone(phone))
            # source 'demo': the open demo mode lets the pages show without a login (ui.auth)
            batch = start_batch(conn, f"fixture-2025-{month}", f"fixture-{month}", source="demo")
            res = write_cases(conn, rows, batch)
            finish_batch(conn, batch, n_rows=len(rows), n_new=res.new, n_updated=res.updated,
                         n_unchanged=res.unchanged, n_rejected=0)
    engine.dispose()
    if rules_path is not None:
        rules_path.write_text(RULES_TOML, encoding="utf-8")
