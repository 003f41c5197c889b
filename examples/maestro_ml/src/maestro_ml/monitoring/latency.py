"""Request latency tracking for the serving API (exported to Prometheus as a summary)."""

from __future__ import annotations

from collections import deque


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least q% of samples at or below it."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    ordered = sorted(samples)
    rank = int(len(ordered) * q / 100)
    return ordered[min(rank, len(ordered) - 1)]


class LatencyWindow:
    """The last ``size`` request durations, in milliseconds."""

    def __init__(self, size: int = 1000) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def observe(self, millis: float) -> None:
        if millis < 0:
            raise ValueError("latency cannot be negative")
        self._samples.append(millis)

    def __len__(self) -> int:
        return len(self._samples)

    def summary(self) -> dict[str, float]:
        data = list(self._samples)
        return {
            "count": len(data),
            "p50": percentile(data, 50),
            "p95": percentile(data, 95),
            "p99": percentile(data, 99),
        }

    def prometheus_lines(self, metric: str = "maestro_request_latency_ms") -> list[str]:
        if not self._samples:
            return [f"{metric}_count 0"]
        s = self.summary()
        return [
            f'{metric}{{quantile="0.5"}} {s["p50"]}',
            f'{metric}{{quantile="0.95"}} {s["p95"]}',
            f'{metric}{{quantile="0.99"}} {s["p99"]}',
            f"{metric}_count {s['count']}",
        ]
