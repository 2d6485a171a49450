"""Distances on the Earth, and how to say them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol, TypeVar

EARTH_RADIUS_M = 6_371_008.8
# A generous box around the Distretto sociale pavese: anything outside is a typo or another place.
SERVICE_AREA = (44.95, 45.45, 8.75, 9.55)  # lat min, lat max, lon min, lon max
FAR_AWAY_M = 25_000


class Located(Protocol):
    @property  # read-only, so that frozen dataclasses (Lab, Place) are Located
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...


T = TypeVar("T", bound=Located)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearest(lat: float, lon: float, items: Iterable[T], limit: int = 3) -> list[tuple[T, float]]:
    """The `limit` nearest located items with their distances, nearest first (ties by order)."""
    ranked = [
        (item, distance_m(lat, lon, item.lat, item.lon))
        for item in items
        if item.lat is not None and item.lon is not None
    ]
    ranked.sort(key=lambda pair: pair[1])
    return ranked[:limit]


def valid_coordinates(lat: float, lon: float) -> bool:
    """Real coordinates: in range and not (0, 0), which is what broken clients send."""
    in_range = -90 <= lat <= 90 and -180 <= lon <= 180
    return in_range and not (abs(lat) < 1e-6 and abs(lon) < 1e-6)


def in_service_area(lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = SERVICE_AREA
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def format_distance(metres: float, lang: str) -> str:
    """Metres under 1 km, km with one decimal under 100 km (Italian decimal comma), else whole
    km: "451,8 km" to Rome is a precision nobody needs."""
    if metres < 1000:
        return f"{max(10, round(metres / 10) * 10):.0f} m"
    if metres >= 100_000:
        return f"{round(metres / 1000)} km"
    km = f"{metres / 1000:.1f}"
    return f"{km.replace('.', ',') if lang == 'it' else km} km"
