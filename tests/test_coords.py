"""Coordinates to WGS-84. Expected values are gcoord's published test figures (hujiulong/gcoord, test/unit/crs)."""
import pytest

from data_access.ingest.coords import gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02


def test_wgs84_to_gcj02_matches_the_published_figure():
    assert wgs84_to_gcj02(123, 45) == pytest.approx((123.00607541, 45.00197815), abs=5e-6)


def test_gcj02_and_bd09_to_wgs84_match_the_published_figures():
    assert to_wgs84(123, 45, "gcj02") == pytest.approx((122.99395597, 44.99804071), abs=5e-6)
    assert to_wgs84(123, 45, "bd09") == pytest.approx((122.98762210, 44.99171540), abs=5e-6)


def test_gcj02_inverse_is_exact_far_below_stored_precision():
    tiananmen_wgs = (116.391248, 39.907501)
    assert gcj02_to_wgs84(*wgs84_to_gcj02(*tiananmen_wgs)) == pytest.approx(tiananmen_wgs, abs=1e-8)


def test_outside_china_and_wgs84_pass_through_unchanged():
    assert to_wgs84(-73.985, 40.758, "gcj02") == (-73.985, 40.758)
    assert to_wgs84(116.4, 39.9, "wgs84") == (116.4, 39.9)


def test_unknown_system_is_refused():
    with pytest.raises(ValueError, match="未知坐标系"):
        to_wgs84(116.4, 39.9, "utm")
