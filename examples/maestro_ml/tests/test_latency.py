import pytest

from maestro_ml.monitoring.latency import LatencyWindow, percentile


def test_percentile_nearest_rank():
    samples = [float(v) for v in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0


def test_percentile_of_empty_window_is_an_error():
    with pytest.raises(ValueError):
        percentile([], 95)


def test_window_keeps_only_the_latest_samples():
    window = LatencyWindow(size=3)
    for millis in (10.0, 20.0, 30.0, 40.0):
        window.observe(millis)
    assert len(window) == 3
    assert window.prometheus_lines()[-1] == "maestro_request_latency_ms_count 3"
