"""Paired bootstrap confidence intervals for F1 differences, resampling documents.

Two systems scored on the same evaluation documents are compared on the same resamples:
each resample draws documents with replacement (a multinomial count per document), sums
each system's per-document TP/FP/FN over the draw and takes the difference of the strict
F1s. With several seeds, a system's F1 on a resample is the mean over its seeds, so the
interval is that of the mean-over-seeds difference.
"""
from typing import Any, Dict, List, NamedTuple, Sequence

import numpy


class BootstrapResult(NamedTuple):
    """The observed difference of F1 (a - b) and its percentile interval."""

    delta: float
    low: float
    high: float
    level: float
    n_docs: int
    n_resamples: int
    seed: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def to_dict(self) -> Dict[str, Any]:
        return {**self._asdict(), "excludes_zero": self.excludes_zero}


def counts_matrix(records: Sequence[Dict[str, Any]]) -> numpy.ndarray:
    """Per-document (tp, fp, fn) rows of `<pipeline>.docs.jsonl` records (evaluation/predictions.py).

    RETURNS (numpy.ndarray): (n_docs, 3) integers.
    """
    return numpy.asarray([[r["tp"], r["fp"], r["fn"]] for r in records], dtype=numpy.int64).reshape(-1, 3)


def f1_from_counts(counts: numpy.ndarray) -> numpy.ndarray:
    """Strict F1 from summed (tp, fp, fn) along the last axis; 0 where nothing was predicted or gold."""
    counts = numpy.asarray(counts, dtype=float)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denom = 2 * tp + fp + fn
    return numpy.divide(2 * tp, denom, out=numpy.zeros_like(denom), where=denom > 0)


def _stack(system: Any) -> numpy.ndarray:
    array = numpy.asarray(system)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"Expected per-document counts of shape (n_docs, 3) or (n_seeds, n_docs, 3), got {array.shape}.")
    return array


def paired_bootstrap(
    a: Any,
    b: Any,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> BootstrapResult:
    """Paired bootstrap interval of F1(a) - F1(b) over the same evaluation documents.

    a, b: per-document (tp, fp, fn) counts, shape (n_docs, 3), or (n_seeds, n_docs, 3) for
        several seeds of one system (see `counts_matrix`).
    n_resamples (int): resamples of the documents (>= 1000 for the report).
    seed (int): seed of the resampling, so the interval is reproducible.
    level (float): confidence level of the percentile interval.
    RETURNS (BootstrapResult): observed difference, interval bounds, sizes and seed.
    """
    a, b = _stack(a), _stack(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"The two systems were scored on different numbers of documents ({a.shape[1]} vs {b.shape[1]}): "
            "a paired bootstrap needs the same evaluation set. Re-run the evaluate command for both."
        )
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}.")
    n_docs = a.shape[1]
    rng = numpy.random.default_rng(seed)
    weights = rng.multinomial(n_docs, numpy.full(n_docs, 1.0 / n_docs), size=n_resamples).astype(float)

    def resampled_f1(system: numpy.ndarray) -> numpy.ndarray:
        # (n_seeds, n_resamples, 3) summed counts -> mean F1 over seeds per resample
        sums = numpy.einsum("rd,sdk->srk", weights, system.astype(float))
        return f1_from_counts(sums).mean(axis=0)

    deltas = resampled_f1(a) - resampled_f1(b)
    observed = float(f1_from_counts(a.sum(axis=1)).mean() - f1_from_counts(b.sum(axis=1)).mean())
    tail = (1 - level) / 2 * 100
    low, high = numpy.percentile(deltas, [tail, 100 - tail])
    return BootstrapResult(observed, float(low), float(high), level, n_docs, n_resamples, seed)


def same_documents(a: List[Dict[str, Any]], b: List[Dict[str, Any]]) -> bool:
    """Whether two prediction files hold the same documents with the same gold entities."""
    return len(a) == len(b) and all(x["gold"] == y["gold"] for x, y in zip(a, b))
