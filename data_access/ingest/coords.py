"""Coordinates to WGS-84 from the systems Chinese map services use: GCJ-02 (高德, 腾讯) and BD-09 (百度).

GCJ-02 is a published forward transform from WGS-84 with no closed-form inverse, so the inverse is found by
fixed-point iteration until it is exact to far below the stored precision (6 decimals, about 0.1 m).
Outside China GCJ-02 equals WGS-84.
"""
from math import atan2, cos, pi, sin, sqrt

CRS_NAMES = ("wgs84", "gcj02", "bd09")

_A = 6378245.0                     # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm defines it
_EE = 0.00669342162296594323       # its eccentricity squared
_BD_PI = pi * 3000.0 / 180.0
_TOLERANCE = 1e-9                  # degrees
_MAX_ROUNDS = 20


class OutOfRange(ValueError):
    """A converted point outside the valid degrees (the input was checked, but BD-09's offset can push it out)."""

    def __init__(self, lon: float, lat: float):
        super().__init__(f"换算后的坐标 ({lon:.6f}, {lat:.6f}) 超出经度 ±180、纬度 ±90 的范围 "
                         f"(the converted point ({lon:.6f}, {lat:.6f}) is outside ±180 / ±90 degrees)")


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """WGS-84 degrees of a point given in `crs`; raises OutOfRange when the result is not valid degrees."""
    if crs == "wgs84":
        return lon, lat
    if crs == "gcj02":
        return _checked(*gcj02_to_wgs84(lon, lat))
    if crs == "bd09":
        return _checked(*gcj02_to_wgs84(*bd09_to_gcj02(lon, lat)))
    raise ValueError(f"未知坐标系 {crs!r}，应为 {' / '.join(CRS_NAMES)} (unknown coordinate system {crs!r})")


def _checked(lon: float, lat: float) -> tuple[float, float]:
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise OutOfRange(lon, lat)
    return lon, lat


def _out_of_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret += (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if _out_of_china(lon, lat):
        return lon, lat
    rad = lat / 180.0 * pi
    magic = 1 - _EE * sin(rad) ** 2
    dlat = _shift_lat(lon - 105.0, lat - 35.0) * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt(magic)) * pi)
    dlon = _shift_lon(lon - 105.0, lat - 35.0) * 180.0 / (_A / sqrt(magic) * cos(rad) * pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    wlon, wlat = lon, lat
    for _ in range(_MAX_ROUNDS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        if abs(dlon) < _TOLERANCE and abs(dlat) < _TOLERANCE:
            break
        wlon, wlat = wlon - dlon, wlat - dlat
    return wlon, wlat


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = sqrt(x * x + y * y) - 0.00002 * sin(y * _BD_PI)
    theta = atan2(y, x) - 0.000003 * cos(x * _BD_PI)
    return z * cos(theta), z * sin(theta)
