import pytest

# Variables get_settings() reads; cleared so a developer's shell cannot change test results.
SETTINGS_VARS = (
    "ENVIRONMENT", "LOG_LEVEL", "API_HOST", "API_PORT", "DATABASE_URL", "REDIS_URL",
    "MLFLOW_TRACKING_URI", "JWT_SECRET_KEY", "JWT_ALGORITHM", "ACCESS_TOKEN_EXPIRE_MINUTES",
)


@pytest.fixture
def clean_env(monkeypatch):
    from maestro_ml.config.settings import get_settings

    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
