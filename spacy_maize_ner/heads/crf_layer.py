"""The token head's CRF layer: gold tag indices and the linear-chain CRF loss over valid
sequences only. Tags, schemes, constraints and Viterbi are spacy_maize_ner/tags.py's."""
from typing import Dict, Sequence, Tuple

import numpy

from ..tags import NEG_INF, OUTSIDE, Constraints, scheme_name


def gold_tag_ids(biluo: Sequence[object], tag_index: Dict[str, int], scheme: str) -> numpy.ndarray:
    """Tag indices from spaCy's aligned BILUO tags; -1 where the gold tag is missing or unknown."""
    out = numpy.full(len(biluo), -1, dtype="int64")
    for i, tag in enumerate(biluo):
        if not isinstance(tag, str) or tag in ("", "-"):
            continue
        if scheme_name(scheme) == "BIO" and tag != OUTSIDE:
            prefix, label = tag[0], tag[2:]
            tag = f"{'B' if prefix in ('B', 'U') else 'I'}-{label}"
        out[i] = tag_index.get(tag, -1)
    return out


def crf_loss(
    emissions: numpy.ndarray, gold: numpy.ndarray, transition_scores: numpy.ndarray, allowed: Constraints
) -> Tuple[float, numpy.ndarray, numpy.ndarray]:
    """Negative log-likelihood of a linear-chain CRF over the valid sequences only.

    emissions (numpy.ndarray): (n, n_tags) unnormalised scores of one sequence.
    gold (numpy.ndarray): (n,) gold tag indices, all known and a valid sequence.
    transition_scores (numpy.ndarray): (n_tags, n_tags) learned [previous, next] scores.
    RETURNS (tuple): the loss, its gradient for the emissions (n, n_tags) and for the
        transitions (n_tags, n_tags): expected counts under the model minus gold counts.
    """
    n, n_tags = emissions.shape
    trans = numpy.where(allowed.transition, transition_scores, NEG_INF)
    start = numpy.where(allowed.start, 0.0, NEG_INF)
    end = numpy.where(allowed.end, 0.0, NEG_INF)
    alpha = numpy.zeros((n, n_tags))
    alpha[0] = start + emissions[0]
    for t in range(1, n):
        alpha[t] = _logsumexp(alpha[t - 1][:, None] + trans, axis=0) + emissions[t]
    beta = numpy.zeros((n, n_tags))
    beta[n - 1] = end
    for t in range(n - 2, -1, -1):
        beta[t] = _logsumexp(trans + (emissions[t + 1] + beta[t + 1])[None, :], axis=1)
    log_z = float(_logsumexp(alpha[n - 1] + end, axis=0))
    unary = numpy.exp(alpha + beta - log_z)
    pairwise = numpy.zeros((n_tags, n_tags))
    for t in range(1, n):
        pairwise += numpy.exp(alpha[t - 1][:, None] + trans + (emissions[t] + beta[t])[None, :] - log_z)
    gold_score = float(emissions[numpy.arange(n), gold].sum() + trans[gold[:-1], gold[1:]].sum())
    d_emissions = unary.copy()
    d_emissions[numpy.arange(n), gold] -= 1.0
    d_trans = pairwise
    numpy.add.at(d_trans, (gold[:-1], gold[1:]), -1.0)
    d_trans = numpy.where(allowed.transition, d_trans, 0.0)
    return log_z - gold_score, d_emissions, d_trans


def _logsumexp(x: numpy.ndarray, axis: int) -> numpy.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return (top + numpy.log(numpy.exp(x - top).sum(axis=axis, keepdims=True))).squeeze(axis)
