"""A deterministic synthetic month of NYC green taxi trips, for offline classrooms and CI.

Same columns and types as the TLC files. The distributions are made so the lessons tell the
same story as on real data:

- pickups concentrate on a few busy zones (the real top green-taxi zones lead), drop-offs are
  mostly near the pickup, sometimes in the same zone;
- trip distances are right-skewed (median about 2 miles, a long tail past 10);
- the duration depends on distance non-linearly (short trips crawl, long trips reach the
  highway), on how congested both zones are, and on the hour, with noise; a few trips are
  under a minute or over an hour, so the 1..60 minute filter matters.

A linear model on ``PU_DO`` and ``trip_distance`` gets an RMSE of a few minutes; a boosted
tree model, which can bend with distance, beats it.
"""

from __future__ import annotations

import numpy as np

DEFAULT_ROWS = 20_000
# The zone map is the same for every month (and every seed), as it is in New York.
_ZONE_SEED = 2021
# The busiest green-taxi pickup zones in the real 2021 data, most popular first.
_BUSY_ZONES = [74, 75, 41, 42, 166, 97, 7, 82, 244, 95, 129, 65, 181, 260, 116, 152, 255, 61]
# Relative number of pickups per hour of day (0..23): quiet nights, busy afternoons.
_HOURLY = np.array(
    [2, 1.5, 1, 0.8, 0.8, 1.2, 2.5, 4, 5, 5, 5, 5.5, 5.5, 6, 6.5, 7, 7.5, 7.5, 7, 6, 5, 4, 3.5, 3]
)
# How much slower traffic is at each hour, relative to a free-flowing road.
_RUSH = np.array(
    [0.8, 0.75, 0.75, 0.75, 0.8, 0.85, 1.0, 1.2, 1.3, 1.2, 1.1, 1.1, 1.1, 1.1, 1.15, 1.2, 1.3,
     1.35, 1.3, 1.15, 1.0, 0.95, 0.9, 0.85]
)  # fmt: skip


def _zones():
    """Zone ids, their coordinates (miles), popularity and congestion, fixed for all months."""
    rng = np.random.default_rng(_ZONE_SEED)
    others = np.setdiff1d(np.arange(1, 264), _BUSY_ZONES)
    ids = np.concatenate([_BUSY_ZONES, rng.choice(others, size=150, replace=False)])
    xy = rng.uniform([0.0, 0.0], [18.0, 24.0], size=(len(ids), 2))
    popularity = 1.0 / np.arange(1, len(ids) + 1) ** 1.15
    congestion = rng.lognormal(0.0, 0.2, size=len(ids))
    return ids, xy, popularity / popularity.sum(), congestion


def generate(month: str = "2021-01", rows: int = DEFAULT_ROWS, seed: int | None = None):
    """``rows`` synthetic trips in ``month`` (YYYY-MM); the same arguments give the same frame.

    ``seed`` defaults to one derived from the month, so January and February differ.
    """
    import pandas as pd

    year, mon = (int(part) for part in month.split("-"))
    if seed is None:
        seed = year * 100 + mon
    rng = np.random.default_rng(seed)
    ids, xy, popularity, congestion = _zones()
    n = int(rows)

    # Where: pick up by popularity; drop off near the pickup, popular zones pull harder.
    pu = rng.choice(len(ids), size=n, p=popularity)
    gap = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    attraction = np.sqrt(popularity)[None, :] * np.exp(-gap / 3.0)
    attraction[np.arange(len(ids)), np.arange(len(ids))] *= 6.0  # many trips stay in the zone
    cumulative = np.cumsum(attraction / attraction.sum(axis=1, keepdims=True), axis=1)
    do = np.minimum((cumulative[pu] < rng.uniform(size=n)[:, None]).sum(axis=1), len(ids) - 1)

    # How far: the straight line stretched by the street grid, plus driving within the zones.
    distance = gap[pu, do] * 1.3 + rng.gamma(2.0, 0.5, size=n)
    distance *= rng.lognormal(0.0, 0.15, size=n)
    distance[rng.uniform(size=n) < 0.01] = 0.0  # meters that never started counting
    distance = np.round(distance, 2)

    # When: a day of the month, an hour by the daily profile, any minute.
    days = pd.Period(month, freq="M").days_in_month
    hour = rng.choice(24, size=n, p=_HOURLY / _HOURLY.sum())
    offset_s = rng.integers(0, days, size=n) * 86400 + hour * 3600 + rng.integers(0, 3600, size=n)
    start = np.datetime64(f"{month}-01T00:00:00", "us")
    pickup = start + offset_s.astype("timedelta64[s]")

    # How long: slow for short hops, highway speed for long trips, congestion and rush hour.
    speed_mph = 4.0 + 31.0 * (1.0 - np.exp(-distance / 5.0))
    slowdown = np.sqrt(congestion[pu] * congestion[do]) * _RUSH[hour]
    minutes = 1.5 + distance / speed_mph * 60.0 * slowdown
    minutes *= rng.lognormal(0.0, 0.2, size=n)
    odd = rng.uniform(size=n)
    minutes[odd < 0.015] = rng.uniform(0.0, 1.0, size=(odd < 0.015).sum())  # cancelled trips
    late = odd > 0.992
    minutes[late] = rng.uniform(60.0, 600.0, size=late.sum())  # meter left running
    dropoff = pickup + np.round(minutes * 60_000_000).astype("timedelta64[us]")

    # The money columns, shaped like the TLC's.
    fare = np.round(2.5 + 2.5 * distance + 0.35 * np.clip(minutes, 0, 120), 2)
    payment = rng.choice([1.0, 2.0, 3.0], size=n, p=[0.55, 0.43, 0.02])
    tip = np.where(payment == 1.0, np.round(fare * rng.uniform(0.1, 0.25, size=n), 2), 0.0)
    extra = rng.choice([0.0, 0.5, 1.0], size=n, p=[0.5, 0.3, 0.2])
    tolls = np.where(rng.uniform(size=n) < 0.02, 6.55, 0.0)
    congestion_fee = np.where(rng.uniform(size=n) < 0.1, 2.75, 0.0)
    total = np.round(fare + extra + 0.5 + tip + tolls + 0.3 + congestion_fee, 2)

    frame = pd.DataFrame(
        {
            "VendorID": rng.choice([1, 2], size=n, p=[0.15, 0.85]).astype("int64"),
            "lpep_pickup_datetime": pickup.astype("datetime64[us]"),
            "lpep_dropoff_datetime": dropoff.astype("datetime64[us]"),
            "store_and_fwd_flag": np.where(rng.uniform(size=n) < 0.01, "Y", "N"),
            "RatecodeID": rng.choice([1.0, 5.0], size=n, p=[0.97, 0.03]),
            "PULocationID": ids[pu].astype("int64"),
            "DOLocationID": ids[do].astype("int64"),
            "passenger_count": rng.choice(
                [1.0, 2.0, 3.0, 5.0, 6.0], size=n, p=[0.84, 0.09, 0.03, 0.02, 0.02]
            ),
            "trip_distance": distance.astype("float64"),
            "fare_amount": fare,
            "extra": extra,
            "mta_tax": np.full(n, 0.5),
            "tip_amount": tip,
            "tolls_amount": tolls,
            "ehail_fee": np.full(n, np.nan),
            "improvement_surcharge": np.full(n, 0.3),
            "total_amount": total,
            "payment_type": payment,
            "trip_type": rng.choice([1.0, 2.0], size=n, p=[0.96, 0.04]),
            "congestion_surcharge": congestion_fee,
        }
    )
    frame = frame.sort_values("lpep_pickup_datetime", kind="stable").reset_index(drop=True)
    frame.attrs["seed"] = seed
    frame.attrs["source"] = "synthetic"
    return frame
