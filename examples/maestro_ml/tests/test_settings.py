import pytest

from maestro_ml.config.settings import SettingsError, get_settings


def test_defaults_point_at_local_services(clean_env):
    settings = get_settings()
    assert settings.environment == "development"
    assert settings.api_port == 8000
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.redis_url == "redis://localhost:6379/0"


def test_environment_overrides_defaults(clean_env):
    clean_env.setenv("API_PORT", "9100")
    clean_env.setenv("LOG_LEVEL", "debug")
    settings = get_settings()
    assert settings.api_port == 9100
    assert settings.log_level == "DEBUG"


def test_non_numeric_port_is_rejected(clean_env):
    clean_env.setenv("API_PORT", "eighty")
    with pytest.raises(SettingsError, match="API_PORT"):
        get_settings()


def test_production_requires_a_long_jwt_key(clean_env):
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("JWT_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="JWT_SECRET_KEY"):
        get_settings()
