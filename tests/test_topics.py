"""诉求分析: cleaning, emerging clusters and hot words on small hand-written Chinese texts.

March 2025 (the period) against February 2025 (the period before):
- 和平里小区停水: 5 callers in March write the same problem five ways (paraphrases) at one place; none in February
  → one cluster of 5, new (growth unknown, increase +5): first by growth.
- 胡同口垃圾桶满溢: 6 cases in March, 8 in February (the same wording) → increase −2: first by size, last by growth.
- Two one-off texts, and one case of each other demo problem phrase (the rest of a real period, so that word
  weights are those of a real mix: a place named by five callers is rare, 没有 is not): no cluster of 3.
A phone number and a caller's name are written into the texts; they must reach no label, term or hot word.
"""
from datetime import date

import pandas as pd
import pytest

from demo.catalog import CATEGORIES
from metrics.periods import parse_period
from metrics.text import corpus as corpus_module
from metrics.text.clean import clean_text
from metrics.text.clusters import cluster_ids
from metrics.text.hotwords import hot_words
from metrics.text.topics import label, topics
from metrics.text.words import words
from tests.factories import case_row, units, write

WATER = ["和平里小区3号楼从昨天早上开始停水，到现在还没来水，联系电话13912345678",
         "和平里小区3号楼停水了，一直没有来水，张先生请尽快处理",
         "和平里小区3号楼突然停水，家里一直没有来水",
         "市民反映：和平里小区3号楼停水，至今没有来水",
         "和平里小区3号楼昨天开始停水到现在都没来水，老人做饭都没水"]
BINS = "胡同口垃圾桶满溢无人清运，气味很大"
ONE_OFF = ["楼上装修拆改承重墙", "公交车间隔时间太长"]
BACKGROUND = [p for c in CATEGORIES if c.l1 not in ("市容环卫", "供水") for p in c.problems]

# Long letters (≈ 100 characters each, as on a message board): three about one planned 垃圾中转站 at one place, each
# in its own words and details (pairwise cosine 0.25–0.34: below the short-text threshold 0.45), three on other
# problems (cosine ≤ 0.09 with any of them).
TRANSFER = [
    "我们是青塔西里小区的居民，听说区里准备在小区北门外的空地上修建一座垃圾中转站，离居民楼不到三十米。夏天垃圾的臭味、"
    "来回运垃圾的车辆噪音，会严重影响几百户居民的生活，楼里还有很多老人和小孩。我们坚决反对在这里修建垃圾中转站，请求重新选址。",
    "反对在青塔西里北门修建垃圾中转站。这块空地紧挨着幼儿园和居民楼，垃圾中转站建成后每天都有垃圾车进出，臭气和噪音谁来负责？"
    "小区居民联名反对，多次找过街道也没有答复，恳请领导重新考虑选址，把垃圾中转站建到远离居民区的地方。",
    "青塔西里小区北门外正在打地基，据说要建垃圾中转站。作为住在旁边楼里的业主，我家窗户正对着工地，以后开窗就是垃圾味。"
    "为什么要把垃圾中转站建在居民区门口？没有听证也没有公示，请求立即停工，另行选址。",
]
OTHERS = [
    "我是一名退休教师，去年办理了退休手续，但是养老金一直没有按新标准发放，社保中心说要等文件，已经等了八个多月了。"
    "请问退休人员养老金调整到底什么时候执行，补发的部分能不能一次补齐，希望给个明确的时间。",
    "孩子今年九月上小学，我们家房子在学区内，户口也迁过来一年多了，可是报名的时候学校说我们不满足入学条件，要求提供"
    "三年的居住证明。之前公布的入学政策里没有这一条，请问这个要求的依据是什么，孩子能不能在本学区入学。",
    "小区门口的公交站去年撤掉了，现在坐公交要走一公里多到下一站，老人出门看病非常不方便。我们问过公交公司，说是线路调整，"
    "可是调整前没有征求居民意见。请求恢复小区门口的公交站，或者增加一条经过小区的公交线路。",
]


def test_clean_text_removes_phones_ids_names_and_boilerplate():
    text = "张先生来电反映：家中暖气不热，电话13812345678（138****5678），身份证110101199003071234。希望尽快处理。"
    assert clean_text(text) == "家中暖气不热"
    assert clean_text("市民反映：\n\t\t　楼道灯坏了，座机010-65123456，请回电") == "楼道灯坏了，请回电"
    assert clean_text(None) == "" and clean_text("") == ""
    assert clean_text("易书记，路灯不亮") == "路灯不亮" and clean_text("王市长您好：路灯不亮") == "路灯不亮"
    # a link, an xlsx writer's escaped carriage return, a letter's greeting and thanks
    assert clean_text("_x000D_你们好！首先感谢您在百忙之中倾听我们的心声。详见https://example.org/a?id=1 路灯不亮") == "详见路灯不亮"


def test_paraphrases_of_one_problem_at_one_place_form_one_cluster():
    ids = cluster_ids([clean_text(t) for t in WATER + [BINS] * 3 + ONE_OFF + BACKGROUND])
    assert len(set(ids[:5])) == 1
    assert ids[5] == ids[6] == ids[7] != ids[0]
    assert len({ids[0], ids[5], ids[8], ids[9]}) == 4
    assert not set(ids[:8]) & set(ids[8:])


def test_a_cluster_is_labelled_by_its_most_frequent_wording_the_shortest_of_equals():
    assert label(pd.Series({"暖气不热室温低": 3, "暖气不热": 3, "暖": 1})) == "暖气不热"
    assert label(pd.Series({"楼道灯坏了很久": 4, "灯坏": 1})) == "楼道灯坏了很久"


def test_long_letters_about_one_problem_form_one_cluster_and_others_stay_apart():
    # The threshold falls with length as the chance similarity does (0.45 × sqrt(40 / length)): at 0.45 for every
    # length the three letters would stay apart.
    ids = cluster_ids([clean_text(t) for t in TRANSFER + OTHERS + BACKGROUND])
    assert ids[0] == ids[1] == ids[2]
    assert len({ids[0], ids[3], ids[4], ids[5]}) == 4
    assert ids[0] not in set(ids[6:])


def write_march(engine) -> None:
    """The month of the module docstring (and its February) written through the write path."""
    ids = units(engine, ("和平里街道", "街道"), ("区城市管理委", "区级部门"))
    rows = [case_row(f"W{i}", ids["和平里街道"], f"2025-03-{10 + i:02d} 09:00:00", cat_l1="供水", cat_l2="停水",
                     content=t, address="和平里北街12号", street="和平里街道") for i, t in enumerate(WATER)]
    rows += [case_row(f"B{i}", ids["区城市管理委"], f"2025-03-{1 + i:02d} 10:00:00", cat_l2="垃圾清运",
                      content=f"来电人反映：{BINS}，希望尽快处理。", address="胡同口", street="交道口街道")
             for i in range(6)]
    rows += [case_row(f"P{i}", ids["区城市管理委"], f"2025-02-{1 + i:02d} 10:00:00", cat_l2="垃圾清运",
                      content=BINS, address="胡同口", street="交道口街道") for i in range(8)]
    rows += [case_row(f"O{i}", ids["和平里街道"], "2025-03-20 10:00:00", content=t, street="和平里街道")
             for i, t in enumerate(ONE_OFF)]
    rows += [case_row(f"G{i}", ids["和平里街道"], "2025-03-25 10:00:00", content=t, street="安定门街道")
             for i, t in enumerate(BACKGROUND)]
    write(engine, rows)


@pytest.fixture
def march(engine):
    write_march(engine)
    corpus_module._kept.clear()
    return engine


def test_a_surge_of_a_new_problem_ranks_first_by_growth(march):
    found = topics(march, parse_period("2025-03"), rank="growth")
    assert list(found["size"]) == [5, 6] and list(found["prev_size"]) == [0, 8]
    assert list(found["increase"]) == [5, -2]
    first = found.iloc[0]
    assert first["growth"] != first["growth"]  # NaN: new this period, no growth ratio
    assert sorted(first["case_nos"]) == ["W0", "W1", "W2", "W3", "W4"] and first["case_nos"][0] == "W4"
    assert first["places"] == "和平里北街12号（5）" and first["units"] == "和平里街道（5）"
    assert {"停水", "小区"} <= set(first["top_terms"].split()[:3])  # each said by all five
    assert first["label"] in {clean_text(t)[:24] + "…" for t in WATER} | {clean_text(t) for t in WATER}
    assert found.iloc[1]["growth"] == pytest.approx(-0.25)
    by_size = topics(march, parse_period("2025-03"), rank="size")
    assert list(by_size["size"]) == [6, 5]
    assert by_size.iloc[0]["label"] == "垃圾桶满溢无人清运，气味很大"  # the address 胡同口 taken out


def test_a_phone_number_or_name_never_reaches_labels_terms_or_hot_words(march):
    found = topics(march, parse_period("2025-03"))
    shown = " ".join(found["label"]) + " ".join(found["top_terms"])
    hot = hot_words(march, parse_period("2025-03"), by="street", top=50)
    assert not any(ch.isdigit() for ch in "".join(hot["word"]))
    for secret in ("13912345678", "1391234", "5678", "张先生", "先生"):
        assert secret not in shown and secret not in set(hot["word"])


def test_hot_words_per_street_with_change(march):
    hot = hot_words(march, parse_period("2025-03"), by="street", top=3)
    bins = hot[hot["group"] == "交道口街道"].set_index("word")
    # 6 cases in March, 8 in February say 垃圾桶 (once per case); 来电人 and 希望 are boilerplate; no other text
    # of the period says 垃圾桶 (the background leaves out 市容环卫 and 供水).
    assert bins.loc["垃圾桶", ["count", "prev_count", "change"]].tolist() == [6, 8, -2]
    water = hot[hot["group"] == "和平里街道"].set_index("word")
    assert water.loc["停水", "count"] == 5 and water.loc["停水", "prev_count"] == 0
    assert "来电人" not in set(hot["word"]) and "希望" not in set(hot["word"])
    district = hot_words(march, parse_period("2025-03"), top=500).set_index("word")
    assert set(district["group"]) == {"全区"}
    assert district.loc["垃圾桶", "count"] == 6 and district.loc["停水", "count"] == 5


def test_words_skip_stop_words_and_numbers():
    assert words(clean_text("来电人反映：12号楼电梯停运，希望尽快处理")) == ["电梯", "停运"]
    assert words("A7县KTV噪音扰民") == ["KTV", "噪音", "扰民"]  # an area's code (A7) is no word


def test_empty_period_gives_no_topics(engine):
    corpus_module._kept.clear()
    assert topics(engine, parse_period("2025-03")).empty
    assert hot_words(engine, parse_period("2025-03")).empty
    assert date(2025, 3, 1) == parse_period("2025-03").start
