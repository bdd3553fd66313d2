"""The demo district's geography and handling units: 东城区's 17 streets, its departments and enterprises, and
~300 places (community + road + number) around the street centers.

Street centers and relative populations are public figures (rounded); community and road names are real names
of the area, picked for flavour, not a complete or exact list.
"""
import random
from dataclasses import dataclass

DISTRICT_POPULATION = 708_000
CODE_PREFIX = "110101"
# Where a geocoder that fails puts a case: the district government (东城区人民政府, 钱粮胡同).
PLACEHOLDER_POINT = (39.9287, 116.4163)


@dataclass(frozen=True)
class Street:
    name: str
    lat: float
    lon: float
    relative_population: int
    communities: tuple  # (community name without 社区, its main road)


STREETS = (
    Street("东华门街道", 39.912, 116.400, 67_803, (("多福巷", "多福巷"), ("南池子", "南池子大街"),
           ("北池子", "北池子大街"), ("韶九", "韶九胡同"), ("正义路", "正义路"))),
    Street("景山街道", 39.926, 116.398, 40_271, (("黄化门", "黄化门街"), ("吉祥", "吉祥胡同"),
           ("三眼井", "三眼井胡同"), ("景山东街", "景山东街"), ("北河沿", "北河沿大街"))),
    Street("交道口街道", 39.938, 116.398, 54_012, (("南锣鼓巷", "南锣鼓巷"), ("菊儿", "菊儿胡同"),
           ("福祥", "福祥胡同"), ("府学", "府学胡同"), ("交东", "交道口东大街"))),
    Street("安定门街道", 39.944, 116.405, 53_056, (("国子监", "国子监街"), ("五道营", "五道营胡同"),
           ("分司厅", "分司厅胡同"), ("车辇店", "车辇店胡同"), ("钟楼湾", "钟楼湾胡同"))),
    Street("北新桥街道", 39.943, 116.413, 80_354, (("民安", "民安小区"), ("九道湾", "九道湾胡同"),
           ("北官厅", "北官厅胡同"), ("门楼", "门楼胡同"), ("船板", "船板胡同"))),
    Street("东四街道", 39.928, 116.412, 45_477, (("东四六条", "东四六条"), ("东四七条", "东四七条"),
           ("豆瓣", "豆瓣胡同"), ("礼士", "礼士胡同"), ("朝西", "朝阳门北小街"))),
    Street("朝阳门街道", 39.925, 116.423, 43_300, (("史家", "史家胡同"), ("演乐", "演乐胡同"),
           ("新鲜", "新鲜胡同"), ("竹杆", "竹杆胡同"), ("朝内头条", "朝内头条"))),
    Street("建国门街道", 39.906, 116.420, 56_741, (("东总布", "东总布胡同"), ("西总布", "西总布胡同"),
           ("赵家楼", "赵家楼胡同"), ("贡院", "贡院头条"), ("崇内", "崇文门内大街"))),
    Street("东直门街道", 39.939, 116.427, 52_346, (("新中街", "新中街"), ("香河园", "香河园路"),
           ("清水苑", "清水苑小区"), ("东外", "东直门外大街"), ("胡家园", "胡家园小区"))),
    Street("和平里街道", 39.958, 116.410, 125_597, (("和平里东街", "和平里东街"), ("安德路", "安德路"),
           ("青年湖", "青年湖北街"), ("地坛", "安定门外大街"), ("化工", "和平里北街"), ("兴化", "兴化路"))),
    Street("前门街道", 39.896, 116.392, 20_012, (("草厂", "草厂三条"), ("长巷", "长巷头条"),
           ("鲜鱼口", "鲜鱼口街"), ("西打磨厂", "西打磨厂街"), ("大江", "大江胡同"))),
    Street("崇文门外街道", 39.894, 116.410, 39_804, (("新怡", "新怡家园"), ("西花市", "西花市大街"),
           ("幸福", "幸福大街"), ("国瑞", "国瑞城"), ("崇外", "崇文门外大街"))),
    Street("东花市街道", 39.893, 116.425, 45_460, (("广渠门", "广渠门内大街"), ("东花市北里", "东花市北里"),
           ("忠实里", "忠实里"), ("南小市", "南小市口"), ("花市枣苑", "花市枣苑"))),
    Street("龙潭街道", 39.878, 116.432, 64_063, (("龙潭", "龙潭路"), ("夕照寺", "夕照寺街"),
           ("光明楼", "光明路"), ("左安门", "左安门内大街"), ("板厂", "板厂南里"))),
    Street("体育馆路街道", 39.882, 116.413, 44_251, (("法华寺", "法华寺街"), ("四块玉", "四块玉南街"),
           ("长青园", "长青园小区"), ("天坛东路", "天坛东路"), ("体育馆路", "体育馆路"))),
    Street("天坛街道", 39.884, 116.398, 51_108, (("金鱼池", "金鱼池大街"), ("天坛东里", "天坛东里"),
           ("永内", "永定门内大街"), ("精忠庙", "精忠庙街"), ("东晓市", "东晓市街"))),
    Street("永定门外街道", 39.862, 116.393, 83_367, (("安乐林", "安乐林路"), ("定安里", "定安路"),
           ("琉璃井", "琉璃井路"), ("景泰", "景泰西里"), ("沙子口", "沙子口路"))),
)

DEPARTMENTS = (
    "区城市管理委", "区住房城乡建设委", "区市场监管局", "区生态环境局", "区交通委", "区卫生健康委", "区教委",
    "区人力社保局", "区民政局", "区园林绿化局", "区水务局", "东城公安分局", "东城交通支队", "区城管执法局",
    "区房屋管理局", "区医保局", "区残联", "区文化和旅游局", "区体育局", "区应急管理局", "区消防救援支队",
    "东城规划自然资源分局", "区退役军人局", "区税务局", "区商务局", "区政务服务局", "区发展改革委", "区科信局",
    "区司法局", "区财政局", "区统计局", "区人防办", "区妇联", "区国资委", "区投资促进局",
)

ENTERPRISES = (
    ("北京自来水集团东城分公司", "公共服务企业"), ("国网北京东城供电公司", "公共服务企业"),
    ("北京燃气集团东城分公司", "公共服务企业"), ("北京热力集团东城分公司", "公共服务企业"),
    ("北京排水集团东城分公司", "公共服务企业"), ("北京公交集团东城客运分公司", "国有企业"),
    ("中国联通北京东城分公司", "国有企业"), ("东城区房地经营公司", "国有企业"),
)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    unit_type: str
    population: int | None = None
    lat: float | None = None
    lon: float | None = None


def unit_specs() -> list[UnitSpec]:
    """Streets 110101001…, departments 110101D01…, enterprises 110101E01…; street populations scaled to the
    district total."""
    total = sum(s.relative_population for s in STREETS)
    streets = [UnitSpec(f"{CODE_PREFIX}{i:03d}", s.name, "街道",
                        round(s.relative_population * DISTRICT_POPULATION / total), s.lat, s.lon)
               for i, s in enumerate(STREETS, 1)]
    departments = [UnitSpec(f"{CODE_PREFIX}D{i:02d}", name, "区级部门") for i, name in enumerate(DEPARTMENTS, 1)]
    enterprises = [UnitSpec(f"{CODE_PREFIX}E{i:02d}", name, kind) for i, (name, kind) in enumerate(ENTERPRISES, 1)]
    return streets + departments + enterprises


@dataclass(frozen=True)
class Place:
    address: str
    street: str
    community: str
    lat: float
    lon: float


_COMPOUND_SUFFIXES = ("小区", "家园", "里", "城", "苑")


def house_address(road: str, number: int) -> str:
    """'南锣鼓巷45号'; in a residential compound the number is a building: '民安小区3号楼'."""
    return f"{road}{number}号楼" if road.endswith(_COMPOUND_SUFFIXES) else f"{road}{number}号"


def community_centers(rng: random.Random) -> dict[tuple[str, str], tuple[float, float]]:
    """(street, community) → a center within about 600 m of the street's center."""
    return {(s.name, c): (s.lat + rng.uniform(-0.005, 0.005), s.lon + rng.uniform(-0.006, 0.006))
            for s in STREETS for c, _ in s.communities}


def build_places(rng: random.Random, centers: dict, n_places: int = 300) -> list[Place]:
    """About n_places recurring places, per street in proportion to its population (at least 8 each)."""
    total = sum(s.relative_population for s in STREETS)
    places = []
    for s in STREETS:
        count = max(8, round(n_places * s.relative_population / total))
        for number in rng.sample(range(1, 120), count):
            community, road = rng.choice(s.communities)
            lat, lon = centers[(s.name, community)]
            places.append(Place(house_address(road, number), s.name, f"{community}社区",
                                round(lat + rng.uniform(-0.0015, 0.0015), 6),
                                round(lon + rng.uniform(-0.0018, 0.0018), 6)))
    return places
