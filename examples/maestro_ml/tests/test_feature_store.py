from datetime import datetime, timedelta

from maestro_ml.features.store import FeatureStore

T0 = datetime(2024, 1, 1)


def test_point_in_time_lookup_never_sees_the_future():
    store = FeatureStore()
    store.put("user-1", "orders_30d", T0, 3)
    store.put("user-1", "orders_30d", T0 + timedelta(days=2), 5)
    assert store.get_as_of("user-1", "orders_30d", T0 - timedelta(seconds=1)) is None
    assert store.get_as_of("user-1", "orders_30d", T0 + timedelta(days=1)) == 3
    assert store.get_as_of("user-1", "orders_30d", T0 + timedelta(days=2)) == 5


def test_training_rows_join_features_per_event():
    store = FeatureStore()
    store.put("user-1", "country", T0, "FR")
    rows = store.training_rows([("user-1", T0), ("user-2", T0)], ["country"])
    assert [row["country"] for row in rows] == ["FR", None]
