from maestro_ml.registry.models import ModelRegistry, ModelVersion, RegistryError, Stage

__all__ = ["ModelRegistry", "ModelVersion", "RegistryError", "Stage"]
