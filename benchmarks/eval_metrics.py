"""Clustering quality measures: pairwise precision, recall and F1, and the adjusted Rand index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from math import comb


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    ari: float


def _pairs(counts: Counter[object]) -> int:
    return sum(comb(n, 2) for n in counts.values())


def score(truth: Mapping[str, str], predicted: Mapping[str, str]) -> Scores:
    """Compare two labellings of the same items (item -> label)."""
    if set(truth) != set(predicted):
        raise ValueError("truth and prediction must label the same items")
    items = list(truth)
    joint = Counter((truth[i], predicted[i]) for i in items)
    true_pairs = _pairs(Counter(truth[i] for i in items))
    pred_pairs = _pairs(Counter(predicted[i] for i in items))
    both = _pairs(joint)  # type: ignore[arg-type]
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = comb(len(items), 2)
    expected = true_pairs * pred_pairs / total if total else 0.0
    maximum = (true_pairs + pred_pairs) / 2
    ari = (both - expected) / (maximum - expected) if maximum != expected else 1.0
    return Scores(precision, recall, f1, ari)
