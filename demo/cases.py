"""Clean case rows for the demo district, month by month, from a World plan: who calls about what and where,
which unit handles it, how fast, and how the caller rates it at the callback (DOMAIN.md)."""
import random
from bisect import bisect
from datetime import date, datetime, timedelta
from itertools import accumulate

from demo.catalog import (
    ASKS, CALLS_BY_HOUR, CATEGORIES, CLOSE_HOURS, DETAIL_SHARE, DETAILS, EXCLUSION_REASONS, MIXED_SHARE,
    MONTHLY_THEMES, OPENINGS, REQUEST_MIX, RESPONSE_HOURS, SEASONS, STREET, SYNONYMS, VAGUE, VAGUE_SHARE, Category,
)
from demo.places import PLACEHOLDER_POINT, STREETS, Place, house_address
from demo.world import MonthPlan, World, new_mobile

REPEAT_SHARE = 0.06        # cases where a caller comes back about the same thing
REPEAT_WINDOW = timedelta(days=29)
LISTED_PLACE_SHARE = 0.55  # cases at one of the recurring places; the rest at other house numbers
NOT_GEOCODED = 0.05
ON_PLACEHOLDER = 0.075     # of all cases with an address: the geocoder's fallback point (METRICS.md §7)
NO_PHONE = 0.03
LANDLINE = 0.15
PHONE_IN_TEXT = 0.03
EXCLUDED_SHARE = 0.01
HOURS, HOUR_CUM = range(24), list(accumulate(CALLS_BY_HOUR))


def _cumulative(shares) -> tuple[list, list]:
    """(value, share) pairs as (values, cumulative weights) for pick()."""
    return [v for v, _ in shares], list(accumulate(s for _, s in shares))


def pick(rng: random.Random, values, cum_weights):
    """random.choices(values, cum_weights=...)[0] without its per-call checks (it runs millions of times)."""
    return values[bisect(cum_weights, rng.random() * cum_weights[-1])]


class CaseMaker:
    """Makes the rows of each month in turn (months must come oldest first: repeat callers carry over)."""

    def __init__(self, rng: random.Random, world: World, unit_ids: dict[str, int], phone_key, as_of: datetime):
        self.rng, self.world, self.unit_ids, self.phone_key, self.as_of = rng, world, unit_ids, phone_key, as_of
        self._recent: list = []  # (received_at, phone, Category, Place | None), oldest first
        self._routes = {c.l2: _cumulative(c.routes) for c in CATEGORIES}
        self._requests = {kind: _cumulative(mix) for kind, mix in REQUEST_MIX.items()}
        # Wording draws from its own generator, seeded from (not drawing on) the main one: every other demo
        # figure stays what it was before the texts were varied.
        self.words_rng = random.Random(hash(rng.getstate()[1]))  # the ints only: hash(None) varies by run

    def month_rows(self, index: int, plan: MonthPlan) -> list[dict]:
        month = plan.start.month
        cat_cum = list(accumulate(c.weight * SEASONS[c.season][month - 1] for c in CATEGORIES))
        rows = []
        for day, n in plan.days:
            specs = [None] * n + plan.extras.get(day, [])
            timed = sorted(((self._time_on(day), spec) for spec in specs), key=lambda t: t[0])
            for seq, (received, spec) in enumerate(timed, 1):
                case_no = f"DC{day:%Y%m%d}{seq:05d}"
                rows.append(self._case(case_no, received, spec, index, month, cat_cum))
        return rows

    def _time_on(self, day: date) -> datetime:
        hour = pick(self.rng, HOURS, HOUR_CUM)
        return datetime(day.year, day.month, day.day, hour, self.rng.randrange(60), self.rng.randrange(60))

    def _case(self, case_no, received, spec, index, month, cat_cum) -> dict:
        rng = self.rng
        phone, category, place, repeat = self._who_and_what(received, spec, cat_cum)
        unit = self._route(category, place)
        miss = self.world.miss[unit][index]
        urgency = "紧急" if rng.random() < category.urgent else "一般"
        deadline = "紧急" if urgency == "紧急" else "疑难" if rng.random() < category.difficult else category.deadline
        row = timeline(rng, received, miss * category.hardness, urgency, deadline, self.as_of)
        excluded = rng.random() < EXCLUDED_SHARE
        if excluded and row["satisfaction"] and rng.random() < 0.7:
            row["satisfaction"] = "不满意"  # what gets a case reviewed for exclusion in the first place
        lat, lon = self._coordinates(place)
        key, masked = self.phone_key(phone) if phone else (None, None)
        types, type_cum = self._requests[category.request]
        row.update(
            case_no=case_no, received_at=received, unit_id=self.unit_ids[unit],
            dispatch_mode="直派" if place and unit == place.street and rng.random() < 0.9 else "区派",
            request_type=pick(rng, types, type_cum),
            cat_l1=category.l1, cat_l2=category.l2, cat_l3=rng.choice(category.l3),
            content=case_text(rng, category, place, repeat, self.words_rng),
            address=place.address if place else None, street=place.street if place else None,
            community=place.community if place else None, lat=lat, lon=lon, urgency=urgency, deadline_class=deadline,
            dispatch_count=dispatch_count(rng, miss), excluded=excluded,
            exclusion_reason=rng.choice(EXCLUSION_REASONS) if excluded else None,
            caller_key=key, caller_masked=masked, tags=tags(rng, category, month, deadline, row["solved"]),
        )
        return row

    def _who_and_what(self, received, spec, cat_cum):
        """(phone, category, place, is_repeat): a frequent caller, a surge, a caller coming back, or a new one."""
        rng = self.rng
        repeat = False
        if spec and spec[0] == "frequent":
            caller = spec[1]
            phone, category, place = caller.phone, rng.choice(caller.topics), caller.place
        elif spec:
            phone, place, category = self._new_phone(), spec[1], spec[2]
        elif rng.random() < REPEAT_SHARE and (earlier := self._earlier(received)):
            _, phone, category, place = earlier
            repeat = True
        else:
            category = pick(rng, CATEGORIES, cat_cum)
            place = self._place(category)
            topic = self.world.hotspot_topic.get(place.address) if place else None
            if topic and rng.random() < 0.5:
                category = topic
            phone = self._new_phone()
        if phone:
            self._recent.append((received, phone, category, place))
        return phone, category, place, repeat

    def _earlier(self, received: datetime):
        """A case of the last 29 days to be filed again (the same caller and cat_l2, within the 30-day window)."""
        recent = self._recent
        first = 0
        while first < len(recent) and recent[first][0] < received - REPEAT_WINDOW:
            first += 1
        del recent[:first]
        return recent[self.rng.randrange(len(recent))] if recent else None

    def _new_phone(self) -> str | None:
        rng = self.rng
        r = rng.random()
        if r < NO_PHONE:
            return None  # an online request without a number
        if r < NO_PHONE + LANDLINE:
            return f"010-{rng.choice('5678')}{rng.randrange(10 ** 7):07d}"
        return new_mobile(rng)

    def _place(self, category: Category) -> Place | None:
        rng, world = self.rng, self.world
        if rng.random() < category.placeless:
            return None
        if rng.random() < LISTED_PLACE_SHARE:
            return pick(rng, world.places, world.place_cum)
        street = pick(rng, STREETS, world.street_cum)
        community, road = rng.choice(street.communities)
        lat, lon = world.centers[(street.name, community)]
        return Place(house_address(road, rng.randint(120, 400)), street.name, f"{community}社区",
                     round(lat + rng.uniform(-0.002, 0.002), 6), round(lon + rng.uniform(-0.0025, 0.0025), 6))

    def _route(self, category: Category, place: Place | None) -> str:
        handlers, cum = self._routes[category.l2]
        handler = pick(self.rng, handlers, cum)
        if handler != STREET:
            return handler
        return place.street if place else pick(self.rng, STREETS, self.world.street_cum).name

    def _coordinates(self, place: Place | None) -> tuple:
        if place is None:
            return None, None
        r = self.rng.random()
        if r < NOT_GEOCODED:
            return None, None
        return PLACEHOLDER_POINT if r < NOT_GEOCODED + ON_PLACEHOLDER else (place.lat, place.lon)


def timeline(rng: random.Random, received: datetime, miss: float, urgency: str, deadline: str,
             as_of: datetime) -> dict:
    """Dispatch, response, close and callback times and the callback's verdict. `miss` drives lateness and
    unhappy outcomes; whatever would happen after `as_of` (the moment of the export) is left empty."""
    dispatched = _at(received, (rng.uniform(2, 15) if urgency == "紧急" else rng.uniform(5, 100)) / 60)
    limit = RESPONSE_HOURS[urgency]
    if rng.random() < 0.25 * miss:
        respond_h = limit + rng.uniform(0.2, 30)
    else:
        respond_h = min(0.95 * limit, 0.05 + rng.expovariate(12.5 / limit))
    close_limit = CLOSE_HOURS[deadline]
    late_close = rng.random() < 0.02 + 0.6 * miss
    close_h = max(close_limit * (rng.uniform(1.05, 1.8) if late_close else rng.uniform(0.15, 0.95)),
                  respond_h + rng.uniform(0.1, 0.5))
    callback_h = close_h + rng.uniform(6, 72)
    solved, satisfaction = verdict(rng, miss)
    row = {"dispatched_at": dispatched, "responded_at": _at(dispatched, respond_h),
           "closed_at": _at(dispatched, close_h), "callback_at": _at(dispatched, callback_h),
           "solved": solved, "satisfaction": satisfaction}
    steps = ("responded_at", "closed_at", "callback_at")
    for i, step in enumerate(steps):
        if row[step] > as_of:
            row.update(dict.fromkeys(steps[i:] + ("solved", "satisfaction")))
            break
    return row


def _at(start: datetime, hours: float) -> datetime:
    return start + timedelta(seconds=round(hours * 3600))  # whole seconds, as exports have them


def verdict(rng: random.Random, miss: float) -> tuple:
    """解决情况 and 满意度 at the callback: resolution rate ≈ 1 − miss, satisfaction ≈ 1 − 1.2 × miss."""
    r = rng.random()
    solved = "未解决" if r < 0.7 * miss else "部分解决" if r < 1.3 * miss else "解决"
    unhappy = {"解决": 0.3 * miss, "部分解决": 0.5, "未解决": 0.85}[solved]
    satisfaction = "不满意" if rng.random() < unhappy else rng.choice(("满意", "满意", "满意", "基本满意"))
    r = rng.random()
    if r < 0.05:
        satisfaction = "未评价"
    elif r < 0.065:
        satisfaction = None
    return (None if rng.random() < 0.02 else solved), satisfaction


def dispatch_count(rng: random.Random, miss: float) -> int:
    r = rng.random()
    return 3 if r < 0.005 else 2 if r < 0.035 + 0.3 * miss else 1


def case_text(rng: random.Random, category: Category, place: Place | None, repeat: bool,
              words_rng: random.Random) -> str:
    problem = reworded(words_rng, rng.choice(category.problems))
    if category.request == "consult":
        text = f"来电人咨询：{problem}，希望给予解答。"
    else:
        opening = "来电人再次反映：" if repeat else rng.choice(OPENINGS)
        text = f"{opening}{place.address if place else ''}{problem}，{rng.choice(ASKS)}"
    if rng.random() < PHONE_IN_TEXT:
        text += f"联系电话{new_mobile(rng)}。"
    return text


def reworded(rng: random.Random, problem: str) -> str:
    """The problem in other words: synonyms, a detail, now and then another problem too, or only a vague line."""
    r = rng.random()
    if r < VAGUE_SHARE:
        return rng.choice(VAGUE).rstrip("。，")
    for word, others in SYNONYMS:
        if word in problem and rng.random() < 0.6:
            problem = problem.replace(word, rng.choice(others))
    if rng.random() < DETAIL_SHARE:
        problem = f"{problem}，{rng.choice(DETAILS)}" if rng.random() < 0.5 else f"{rng.choice(DETAILS)}，{problem}"
    if r < VAGUE_SHARE + MIXED_SHARE:
        problem = f"{problem}，另外{rng.choice(rng.choice(CATEGORIES).problems)}"
    return problem


def tags(rng: random.Random, category: Category, month: int, deadline: str, solved: str | None) -> str | None:
    """';每月一题;疑难;挂账;' as stored (schema: one tag matches LIKE '%;tag;%')."""
    found = ["每月一题"] if category.l2 in MONTHLY_THEMES[month] else []
    if deadline == "疑难":
        found.append("疑难")
        if solved == "未解决" or rng.random() < 0.2:
            found.append("挂账")
    return f";{';'.join(found)};" if found else None
