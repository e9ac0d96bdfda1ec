"""The evaluation harness's measures, checked against hand-computed values."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from eval_metrics import score


def test_perfect_clustering() -> None:
    truth = {"a": "x", "b": "x", "c": "y"}
    s = score(truth, {"a": 1, "b": 1, "c": 2})  # type: ignore[dict-item]
    assert (s.precision, s.recall, s.f1, s.ari) == (1.0, 1.0, 1.0, 1.0)


def test_everything_in_one_cluster() -> None:
    truth = {"a": "x", "b": "x", "c": "y", "d": "y"}
    s = score(truth, dict.fromkeys(truth, "all"))
    assert s.precision == pytest.approx(2 / 6)
    assert s.recall == 1.0
    assert s.ari == pytest.approx(0.0)


def test_known_adjusted_rand_index() -> None:
    # sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
    truth = {"a": "0", "b": "0", "c": "1", "d": "1"}
    s = score(truth, {"a": "0", "b": "0", "c": "1", "d": "2"})
    assert s.ari == pytest.approx(0.5714285714285715)
    assert (s.precision, s.recall) == (1.0, 0.5)


def test_labels_must_cover_the_same_items() -> None:
    with pytest.raises(ValueError):
        score({"a": "x"}, {"b": "x"})
