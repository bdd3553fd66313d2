"""The rules file (METRICS.md §9): defaults, presets, SCORING_RULES, and refusals that name the key."""
import numpy as np
import pytest

from metrics.rules import RulesError, load_rules, load_rules_text


def _file(tmp_path, text: str) -> str:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_shipped_default_is_the_metrics_md_default():
    rules = load_rules("default")
    assert rules.weights == {"response": 0.10, "resolution": 0.45, "satisfaction": 0.45}
    assert rules.basis == "r"
    assert rules["response_limit_hours"] == {"紧急": 2, "一般": 24}
    assert rules["close_limit_hours"] == {"紧急": 2, "水电气热": 24, "一般": 168, "疑难": 360}
    assert rules["solved_credit"] == {"解决": 1.0, "部分解决": 0.5, "未解决": 0.0}
    assert rules["satisfaction_credit"] == {"满意": 1.0, "基本满意": 1.0, "不满意": 0.0}
    assert (rules.get("ranking.min_assessed"), rules.get("awards.top_n"), rules.get("awards.min_score"),
            rules.get("awards.min_rank_gain"), rules.get("lagging.bottom_n"), rules.get("lagging.consecutive")) == \
        (10, 3, 95, 3, 3, 2)
    assert [rules.group_of(t) for t in ("街道", "乡镇", "区级部门", "国有企业", "公共服务企业")] == \
        ["街乡镇", "街乡镇", "部门", "企业", "企业"]


@pytest.mark.parametrize("score, tier", [(100, "优秀"), (97, "优秀"), (96.99, "良好"), (94, "良好"),
                                         (93.99, "一般"), (90, "一般"), (89.99, "较差"), (0, "较差"), (None, None)])
def test_tiers(score, tier):
    assert load_rules("default").tier_of(score) == tier


def test_tiers_of_an_array_of_2_decimal_scores():
    got = load_rules("default").tiers_of(np.array([100, 97, 96.99, 94, 93.99, 90, 89.99, 0]))
    assert got.tolist() == ["优秀", "优秀", "良好", "良好", "一般", "一般", "较差", "较差"]


def test_preset_changes_only_what_it_names():
    rules = load_rules("beijing-2019")
    assert rules.weights == {"response": 0.20, "resolution": 0.40, "satisfaction": 0.40}
    assert rules.get("ranking.min_assessed") == 10 and rules.source == "beijing-2019"


def test_a_users_file_merges_over_the_default_and_scoring_rules_picks_it(tmp_path, monkeypatch):
    path = _file(tmp_path, 'period_basis = "callback"\n[ranking]\nmin_assessed = 5\n'
                           '[ranking.groups]\n"乡镇" = "乡镇"\n[tiers]\n"A" = 98\n"B" = 90\n')
    rules = load_rules(path)
    assert rules.basis == "c" and rules.get("ranking.min_assessed") == 5
    assert rules.group_of("乡镇") == "乡镇" and rules.group_of("街道") == "街乡镇"
    assert (rules.tier_of(98), rules.tier_of(97.99), rules.tier_of(89)) == ("A", "B", "较差")  # tiers replaced
    assert rules.get("awards.top_n") == 3
    monkeypatch.setenv("SCORING_RULES", path)
    assert load_rules().get("ranking.min_assessed") == 5
    monkeypatch.setenv("SCORING_RULES", "beijing-2019")
    assert load_rules().weights["response"] == 0.20


@pytest.mark.parametrize("text, names", [
    ("colour = 1\n", "colour"),
    ("[awards]\ntop_three = 3\n", "awards.top_three"),
    ('[response_limit_hours]\n"特急" = 1\n', "response_limit_hours.特急"),
    ('[ranking]\nmin_assessed = "ten"\n', "ranking.min_assessed"),
    ("[ranking]\nmin_assessed = 9.5\n", "ranking.min_assessed"),
    ('[response_limit_hours]\n"紧急" = 2.5\n', "response_limit_hours.紧急"),
    ('period_basis = "closed"\n', "period_basis"),
    ("[weights]\nresponse = 0.2\n", "weights"),
    ("[weights]\nresponse = -0.1\nresolution = 0.55\nsatisfaction = 0.55\n", "weights"),
    ('[tiers]\n"优秀" = 90\n"良好" = 95\n', "tiers"),
    ("awards = 3\n", "awards"),
    ("[weights\n", "TOML"),
])
def test_bad_rules_are_refused_naming_the_key(tmp_path, text, names):
    with pytest.raises(RulesError, match=names.replace(".", r"\.")) as refused:
        load_rules(_file(tmp_path, text))
    assert refused.value.args[0][0] > "\u2e80"  # Chinese first


def test_missing_file_and_uploaded_text():
    with pytest.raises(RulesError, match="找不到评分规则文件"):
        load_rules("/no/such/rules.toml")
    assert load_rules_text("[awards]\ntop_n = 5\n").get("awards.top_n") == 5
    with pytest.raises(RulesError, match="weights"):
        load_rules_text("[weights]\nsatisfaction = 0.9\n")
