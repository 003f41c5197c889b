from maestro_ml.api.server import build_router
from maestro_ml.registry import ModelRegistry


def make_router():
    registry = ModelRegistry()
    registry.register("fraud-detector", run_id="run-7", metrics={"f1": 0.9})
    return build_router(registry)


def test_path_parameters_are_converted():
    status, body = make_router().dispatch("GET", "/api/v1/models/fraud-detector/versions/1")
    assert status == 200
    assert body["version"] == 1 and body["run_id"] == "run-7"


def test_unknown_path_and_wrong_method():
    router = make_router()
    assert router.dispatch("GET", "/api/v1/nothing")[0] == 404
    assert router.dispatch("DELETE", "/api/v1/models")[0] == 405


def test_registering_needs_a_user():
    status, _ = make_router().dispatch("POST", "/api/v1/models/new-model", body={"run_id": "r"})
    assert status == 401
