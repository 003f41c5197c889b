"""Runtime settings read from the environment (the compose file / .env provide them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(ValueError):
    """A setting is present but unusable."""


@dataclass(frozen=True)
class Settings:
    environment: str
    log_level: str
    api_host: str
    api_port: int
    database_url: str
    redis_url: str
    mlflow_tracking_uri: str
    jwt_secret_key: str
    jwt_algorithm: str
    access_token_expire_minutes: int

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process; cached, call ``get_settings.cache_clear()`` after env changes."""
    env = os.environ.get
    settings = Settings(
        environment=env("ENVIRONMENT", "development"),
        log_level=env("LOG_LEVEL", "INFO").upper(),
        api_host=env("API_HOST", "127.0.0.1"),
        api_port=_int_env("API_PORT", 8000),
        database_url=env("DATABASE_URL", "postgresql+asyncpg://maestro@localhost:5432/maestro"),
        redis_url=env("REDIS_URL", "redis://localhost:6379/0"),
        mlflow_tracking_uri=env("MLFLOW_TRACKING_URI", "http://localhost:5000"),
        jwt_secret_key=env("JWT_SECRET_KEY", ""),
        jwt_algorithm=env("JWT_ALGORITHM", "HS256"),
        access_token_expire_minutes=_int_env("ACCESS_TOKEN_EXPIRE_MINUTES", 30),
    )
    if not 0 < settings.api_port < 65536:
        raise SettingsError(f"API_PORT out of range: {settings.api_port}")
    if settings.is_production and len(settings.jwt_secret_key) < 32:
        # A short HS256 key can be brute-forced offline from any issued token.
        raise SettingsError("JWT_SECRET_KEY must be at least 32 characters in production")
    return settings
