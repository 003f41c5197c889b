"""Point-in-time feature store: training rows see only values known at their timestamp."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime


class FeatureStore:
    def __init__(self) -> None:
        # (entity, feature) -> parallel sorted lists of timestamps and values
        self._times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        self._values: dict[tuple[str, str], list[object]] = defaultdict(list)

    def put(self, entity: str, feature: str, ts: datetime, value: object) -> None:
        key = (entity, feature)
        times = self._times[key]
        i = bisect.bisect_right(times, ts)
        times.insert(i, ts)
        self._values[key].insert(i, value)

    def get_as_of(self, entity: str, feature: str, ts: datetime, default: object = None) -> object:
        """The latest value written at or before ``ts`` (no leakage from the future)."""
        key = (entity, feature)
        i = bisect.bisect_right(self._times.get(key, []), ts)
        return self._values[key][i - 1] if i else default

    def training_rows(self, events: list[tuple[str, datetime]], features: list[str]) -> list[dict]:
        return [
            {"entity": entity, "ts": ts, **{f: self.get_as_of(entity, f, ts) for f in features}}
            for entity, ts in events
        ]
