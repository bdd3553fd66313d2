"""The plan of one demo build, drawn before any case: where people call from, how well each unit works month by
month, who calls again and again, which places surge when, and how many cases each day brings."""
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from demo.catalog import (
    BY_L2, CASES_PER_YEAR, FREQUENT_CALLER_TOPICS, HOTSPOT_TOPICS, SURGE_TOPICS, VOLUME_BY_MONTH, VOLUME_BY_WEEKDAY,
    WEAK_CANDIDATES,
)
from demo.places import STREETS, Place, build_places, community_centers, unit_specs

N_HOTSPOTS = 5      # places that draw many cases every month
PLACE_WEIGHT_CAP = 6  # ordinary places: Pareto weights (mean ≈ 2.4 once capped)
HOTSPOT_WEIGHT = 10   # a hotspot: ≈ 0.7 % of all cases, ~200 a month at scale 1.0
N_SURGES = 3        # places that surge in one month (one of them in the newest month)
MISS_RANGE = {"街道": (0.010, 0.040), "区级部门": (0.010, 0.055)}  # else enterprises
WEAK_MISS = (0.09, 0.13)            # a bad spell: rates around 87–91 %
IMPROVER_MISS = (0.085, 0.012)      # from this miss rate in the first month to this one in the last


@dataclass
class MonthPlan:
    start: date
    days: list     # (day, number of ordinary cases)
    extras: dict   # day → extra cases: ("surge", Place, Category) or ("frequent", FrequentCaller)

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def total(self) -> int:
        return sum(n for _, n in self.days) + sum(len(v) for v in self.extras.values())


@dataclass(frozen=True)
class FrequentCaller:
    phone: str
    place: Place
    topics: tuple  # Category


@dataclass
class World:
    places: list
    place_cum: list          # cumulative pick weights of places
    hotspot_topic: dict      # place address → Category most of its cases are about
    centers: dict            # (street, community) → (lat, lon)
    street_cum: list         # cumulative weights of STREETS for addresses off the list of places
    miss: dict               # unit name → the unit's miss rate per month
    months: list             # MonthPlan, oldest first

    @property
    def total(self) -> int:
        return sum(m.total for m in self.months)


def new_mobile(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10 ** 9):09d}"


def build_world(rng: random.Random, month_starts: list[date], last_day: date, scale: float) -> World:
    centers = community_centers(rng)
    places = build_places(rng, centers)
    weights = [min(rng.paretovariate(1.6), PLACE_WEIGHT_CAP) for _ in places]
    hot = rng.sample(range(len(places)), N_HOTSPOTS)
    for i in hot:
        weights[i] = HOTSPOT_WEIGHT
    street_weights = [s.relative_population * rng.uniform(0.8, 1.4) for s in STREETS]
    miss = miss_rates(rng, len(month_starts))
    callers = frequent_callers(rng, places, scale)
    plans = [month_plan(rng, start, last_day, scale, callers) for start in month_starts]
    add_surges(rng, plans, [p for i, p in enumerate(places) if i not in hot], scale)
    return World(places, list(accumulate(weights)),
                 {places[i].address: BY_L2[t] for i, t in zip(hot, HOTSPOT_TOPICS)}, centers,
                 list(accumulate(street_weights)), miss, plans)


def miss_rates(rng: random.Random, n_months: int) -> dict[str, list[float]]:
    """Each unit's share of cases handled badly, per month: a steady level with monthly noise; three streets and
    three departments or enterprises have a bad spell of 3–5 months (the first street's lasts until now), two
    streets and one department improve steadily."""
    specs = unit_specs()
    level = {s.name: rng.uniform(*MISS_RANGE.get(s.unit_type, (0.015, 0.045))) for s in specs}
    miss = {name: [m] * n_months for name, m in level.items()}
    picked = rng.sample([s.name for s in specs if s.unit_type == "街道"], 5)
    weak = picked[:3] + rng.sample(WEAK_CANDIDATES, 3)
    for i, name in enumerate(weak):
        length = min(n_months, rng.randint(3, 5))
        end = n_months if i == 0 else rng.randint(length, n_months)
        for k in range(end - length, end):
            miss[name][k] = rng.uniform(*WEAK_MISS)
    improvers = picked[3:] + [rng.choice([n for n in WEAK_CANDIDATES if n not in weak])]
    first, last = IMPROVER_MISS
    for name in improvers:
        miss[name] = [first + (last - first) * k / max(1, n_months - 1) for k in range(n_months)]
    return {name: [m * rng.uniform(0.75, 1.3) for m in months] for name, months in miss.items()}


def frequent_callers(rng: random.Random, places: list[Place], scale: float) -> list[FrequentCaller]:
    count = max(3, round(12 * scale))
    return [FrequentCaller(new_mobile(rng), rng.choice(places),
                           tuple(BY_L2[t] for t in rng.sample(FREQUENT_CALLER_TOPICS, 2))) for _ in range(count)]


def month_plan(rng: random.Random, start: date, last_day: date, scale: float, callers: list) -> MonthPlan:
    """Ordinary cases per day by season and weekday (±8 % noise); each frequent caller files 5–14 cases."""
    per_day = CASES_PER_YEAR / 365 * scale * VOLUME_BY_MONTH[start.month - 1]
    days = []
    day = start
    while day.month == start.month and day <= last_day:
        days.append((day, round(per_day * VOLUME_BY_WEEKDAY[day.weekday()] * rng.uniform(0.92, 1.08))))
        day += timedelta(days=1)
    plan = MonthPlan(start, days, {})
    if days:
        for caller in callers:
            for d in rng.choices([d for d, _ in days], k=rng.randint(5, 14)):
                plan.extras.setdefault(d, []).append(("frequent", caller))
    return plan


def add_surges(rng: random.Random, plans: list[MonthPlan], places: list[Place], scale: float) -> None:
    """A place suddenly draws many cases about one thing within a week or so: once in the newest month and in
    up to two earlier months (never the first, so a surge always has a month before it)."""
    months = [len(plans) - 1] + rng.sample(range(1, len(plans) - 1), min(N_SURGES - 1, max(0, len(plans) - 2)))
    size = max(8, round(150 * scale))
    for index, place in zip(months, rng.sample(places, len(months))):
        days = [d for d, _ in plans[index].days]
        if not days:
            continue
        width = min(len(days), rng.randint(5, 10))
        begin = len(days) - width if index == len(plans) - 1 else rng.randint(0, len(days) - width)
        topic = BY_L2[rng.choice(SURGE_TOPICS)]
        for d in rng.choices(days[begin:begin + width], k=size):
            plans[index].extras.setdefault(d, []).append(("surge", place, topic))
