import math

import pytest

from maestro_ml.evaluation.metrics import accuracy, precision_recall_f1, rmse, top_k_accuracy


def test_accuracy():
    assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75


def test_precision_recall_f1():
    precision, recall, f1 = precision_recall_f1([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert f1 == pytest.approx(2 / 3)


def test_rmse():
    assert rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(12.5))


def test_top_k_accuracy_counts_hits_within_k():
    ranked = [["cat", "dog", "fox"], ["dog", "cat", "fox"], ["fox", "dog", "cat"]]
    assert top_k_accuracy(["cat", "cat", "cat"], ranked, k=2) == pytest.approx(2 / 3)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="length mismatch"):
        accuracy([1, 0], [1])
