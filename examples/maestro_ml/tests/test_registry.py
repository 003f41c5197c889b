import pytest

from maestro_ml.registry import ModelRegistry, RegistryError, Stage


@pytest.fixture
def registry():
    reg = ModelRegistry()
    reg.register("churn-classifier", run_id="run-1", metrics={"auc": 0.81})
    reg.register("churn-classifier", run_id="run-2", metrics={"auc": 0.84})
    return reg


def test_versions_are_numbered_from_one(registry):
    assert [mv.version for mv in registry.versions("churn-classifier")] == [1, 2]


def test_promotion_archives_previous_production(registry):
    for version in (1, 2):
        registry.transition("churn-classifier", version, Stage.STAGING)
        registry.transition("churn-classifier", version, Stage.PRODUCTION)
    assert registry.get("churn-classifier", 1).stage is Stage.ARCHIVED
    assert registry.latest("churn-classifier", Stage.PRODUCTION).version == 2


def test_production_requires_staging_first(registry):
    with pytest.raises(RegistryError, match="None -> Production"):
        registry.transition("churn-classifier", 1, Stage.PRODUCTION)


def test_invalid_model_name_is_rejected():
    with pytest.raises(RegistryError):
        ModelRegistry().register("../etc", run_id="run-x")
