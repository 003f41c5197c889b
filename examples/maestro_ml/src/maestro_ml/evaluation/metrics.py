"""Classification and regression metrics used when a run is logged to the registry."""

from __future__ import annotations

import math
from collections.abc import Sequence


def _check_lengths(y_true: Sequence, y_pred: Sequence) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"length mismatch: {len(y_true)} labels, {len(y_pred)} predictions")
    if not y_true:
        raise ValueError("metrics need at least one sample")


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    _check_lengths(y_true, y_pred)
    return sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true)


def precision_recall_f1(y_true: Sequence, y_pred: Sequence, positive=1) -> tuple[float, float, float]:
    _check_lengths(y_true, y_pred)
    tp = sum(t == positive and p == positive for t, p in zip(y_true, y_pred))
    fp = sum(t != positive and p == positive for t, p in zip(y_true, y_pred))
    fn = sum(t == positive and p != positive for t, p in zip(y_true, y_pred))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def rmse(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    _check_lengths(y_true, y_pred)
    return math.sqrt(sum((t - p) ** 2 for t, p in zip(y_true, y_pred)) / len(y_true))


def top_k_accuracy(y_true: Sequence, ranked_predictions: Sequence[Sequence], k: int = 5) -> float:
    """Share of samples whose label is among the first k ranked predictions."""
    _check_lengths(y_true, ranked_predictions)
    if k < 1:
        raise ValueError("k must be at least 1")
    hits = sum(label in ranked[:k] for label, ranked in zip(y_true, ranked_predictions))
    return hits / len(y_true)
