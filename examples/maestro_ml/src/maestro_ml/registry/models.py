"""In-process model registry: versions, lifecycle stages and promotion rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum


class RegistryError(Exception):
    pass


class Stage(str, Enum):
    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"


# Production is only reachable through Staging, so every served model was validated first.
_ALLOWED = {
    Stage.NONE: {Stage.STAGING, Stage.ARCHIVED},
    Stage.STAGING: {Stage.PRODUCTION, Stage.ARCHIVED, Stage.NONE},
    Stage.PRODUCTION: {Stage.ARCHIVED},
    Stage.ARCHIVED: set(),
}


@dataclass
class ModelVersion:
    name: str
    version: int
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)
    stage: Stage = Stage.NONE
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "metrics": dict(self.metrics),
            "stage": self.stage.value,
            "created_at": self.created_at.isoformat(),
        }


class ModelRegistry:
    def __init__(self) -> None:
        self._models: dict[str, list[ModelVersion]] = {}

    def register(self, name: str, run_id: str, metrics: dict[str, float] | None = None) -> ModelVersion:
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise RegistryError(f"invalid model name: {name!r}")
        versions = self._models.setdefault(name, [])
        mv = ModelVersion(name=name, version=len(versions) + 1, run_id=run_id,
                          metrics=dict(metrics or {}))
        versions.append(mv)
        return mv

    def get(self, name: str, version: int) -> ModelVersion:
        for mv in self._models.get(name, []):
            if mv.version == version:
                return mv
        raise RegistryError(f"model {name!r} has no version {version}")

    def names(self) -> list[str]:
        return sorted(self._models)

    def versions(self, name: str) -> list[ModelVersion]:
        return list(self._models.get(name, []))

    def transition(self, name: str, version: int, stage: Stage) -> ModelVersion:
        mv = self.get(name, version)
        if stage not in _ALLOWED[mv.stage]:
            raise RegistryError(f"{name} v{version}: cannot move {mv.stage.value} -> {stage.value}")
        if stage is Stage.PRODUCTION:
            # One production version per model: the previous one is archived.
            for other in self._models[name]:
                if other.stage is Stage.PRODUCTION:
                    other.stage = Stage.ARCHIVED
        mv.stage = stage
        return mv

    def latest(self, name: str, stage: Stage | None = None) -> ModelVersion | None:
        candidates = [mv for mv in self._models.get(name, []) if stage is None or mv.stage is stage]
        return max(candidates, key=lambda mv: mv.version, default=None)
