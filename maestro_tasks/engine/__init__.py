"""The engine: the Step contract, the runner, and every side-effect policy (DESIGN.md §3–§7)."""

from .context import Context
from .model import (
    CHANGED, FAILED, OK, SKIPPED, BaseStep, Change, Criterion, InputError, LockedError,
    MaestroError, NotApplicable, Step, StepFailed, StepResult, StepSkipped, TaskResult, UsageError,
)
from .masking import Masker, mask_value
from .runner import TaskSpec, run_steps, run_task

__all__ = [
    "BaseStep", "CHANGED", "Change", "Context", "Criterion", "FAILED", "InputError",
    "LockedError", "MaestroError", "Masker", "NotApplicable", "OK", "SKIPPED", "Step", "StepFailed",
    "StepResult", "StepSkipped", "TaskResult", "TaskSpec", "UsageError", "mask_value",
    "run_steps", "run_task",
]
