"""Tag schemes (BIO, BILUO) and decoding that only produces valid tag sequences.

A softmax per token can emit `O I-GENE` or, in BILUO, `B-GENE O`. Taking the argmax and
repairing afterwards loses probability mass; constrained Viterbi instead finds the
highest-scoring sequence among the valid ones, so every output decodes to spans exactly.
"""
from typing import Dict, List, Literal, NamedTuple, Optional, Sequence, Tuple

import numpy

Scheme = Literal["BIO", "BILUO"]
OUT = "O"
NEG_INF = -1e9


class Constraints(NamedTuple):
    """Which tags may start and end a sequence and follow each other (True: allowed)."""

    start: numpy.ndarray  # (n_tags,)
    transition: numpy.ndarray  # (n_tags, n_tags): [previous, next]
    end: numpy.ndarray  # (n_tags,)


def tag_names(labels: Sequence[str], scheme: Scheme) -> List[str]:
    """The tags of `labels` in `scheme`: O first, then per label B, I (, L, U)."""
    prefixes = {"BIO": "BI", "BILUO": "BILU"}.get(scheme)
    if prefixes is None:
        raise ValueError(f"Unknown tag scheme {scheme!r}: use 'BIO' or 'BILUO'.")
    return [OUT] + [f"{p}-{label}" for label in labels for p in prefixes]


def _split(tag: str) -> Tuple[str, str]:
    return (OUT, "") if tag == OUT else (tag[0], tag[2:])


def constraints(tags: Sequence[str], scheme: Scheme) -> Constraints:
    """The allowed starts, transitions and ends of `tags` in `scheme`."""
    parts = [_split(t) for t in tags]
    n = len(tags)
    start = numpy.zeros(n, dtype=bool)
    end = numpy.zeros(n, dtype=bool)
    trans = numpy.zeros((n, n), dtype=bool)
    inside = {"BIO": ("B", "I"), "BILUO": ("B", "I")}[scheme]  # tags after which the entity continues
    for j, (p, _) in enumerate(parts):
        start[j] = p != "I" and p != "L"
        end[j] = scheme == "BIO" or p in (OUT, "L", "U")
    for i, (pi, li) in enumerate(parts):
        for j, (pj, lj) in enumerate(parts):
            if scheme == "BIO":
                trans[i, j] = pj != "I" or (pi in inside and li == lj)
            else:
                open_entity = pi in inside
                if pj in ("I", "L"):
                    trans[i, j] = open_entity and li == lj
                else:
                    trans[i, j] = not open_entity
    return Constraints(start, trans, end)


def viterbi(scores: numpy.ndarray, allowed: Constraints) -> numpy.ndarray:
    """The best valid tag sequence under per-token scores (log-probabilities).

    scores (numpy.ndarray): (n_tokens, n_tags) log-probabilities of one sequence.
    allowed (Constraints): the scheme's constraints.
    RETURNS (numpy.ndarray): (n_tokens,) tag indices forming a valid sequence.
    """
    return viterbi_batch([scores], allowed)[0]


def viterbi_batch(
    batch: Sequence[numpy.ndarray], allowed: Constraints, transition_scores: Optional[numpy.ndarray] = None
) -> List[numpy.ndarray]:
    """Constrained Viterbi over several sequences at once (padded, one loop over positions).

    transition_scores (Optional[numpy.ndarray]): (n_tags, n_tags) scores added for each
        [previous, next] pair: the learned transitions of a CRF layer.
    """
    lengths = [len(s) for s in batch]
    if not batch or max(lengths, default=0) == 0:
        return [numpy.zeros(n, dtype="int64") for n in lengths]
    n_tags = allowed.start.shape[0]
    size, longest = len(batch), max(lengths)
    scores = numpy.zeros((size, longest, n_tags), dtype="float64")
    for b, s in enumerate(batch):
        scores[b, : len(s)] = s
    lengths_arr = numpy.asarray(lengths)
    trans = numpy.where(allowed.transition, 0.0, NEG_INF)
    if transition_scores is not None:
        trans = trans + transition_scores
    end_penalty = numpy.where(allowed.end, 0.0, NEG_INF)
    best = scores[:, 0] + numpy.where(allowed.start, 0.0, NEG_INF)
    # The end constraint applies at each sequence's own last position.
    best = numpy.where((lengths_arr == 1)[:, None], best + end_penalty, best)
    back = numpy.zeros((size, longest, n_tags), dtype="int64")
    for t in range(1, longest):
        candidates = best[:, :, None] + trans[None, :, :]  # (batch, previous, next)
        back[:, t] = candidates.argmax(axis=1)
        step = candidates.max(axis=1) + scores[:, t]
        step = numpy.where((lengths_arr == t + 1)[:, None], step + end_penalty, step)
        active = (lengths_arr > t)[:, None]
        best = numpy.where(active, step, best)
    out = []
    for b, n in enumerate(lengths):
        if n == 0:
            out.append(numpy.zeros(0, dtype="int64"))
            continue
        path = numpy.zeros(n, dtype="int64")
        path[n - 1] = int(best[b].argmax())
        for t in range(n - 1, 0, -1):
            path[t - 1] = back[b, t, path[t]]
        out.append(path)
    return out


def is_valid(tag_ids: Sequence[int], allowed: Constraints) -> bool:
    """Whether a tag sequence obeys the constraints (used by tests and assertions)."""
    if len(tag_ids) == 0:
        return True
    if not allowed.start[tag_ids[0]] or not allowed.end[tag_ids[-1]]:
        return False
    return all(allowed.transition[a, b] for a, b in zip(tag_ids, tag_ids[1:]))


def spans(tag_ids: Sequence[int], tags: Sequence[str]) -> List[Tuple[int, int, str]]:
    """(start, end, label) token spans of a valid sequence in either scheme."""
    out: List[Tuple[int, int, str]] = []
    start, label = -1, ""
    for i, index in enumerate(tag_ids):
        prefix, tag_label = _split(tags[index])
        if prefix in ("B", "U") or prefix == OUT:
            if start >= 0:
                out.append((start, i, label))
                start = -1
            if prefix == "U":
                out.append((i, i + 1, tag_label))
            elif prefix == "B":
                start, label = i, tag_label
        elif prefix == "L":
            out.append((start, i + 1, label))
            start = -1
    if start >= 0:
        out.append((start, len(tag_ids), label))
    return out


def gold_tag_ids(biluo: Sequence[object], tag_index: Dict[str, int], scheme: Scheme) -> numpy.ndarray:
    """Tag indices from spaCy's aligned BILUO tags; -1 where the gold tag is missing or unknown."""
    out = numpy.full(len(biluo), -1, dtype="int64")
    for i, tag in enumerate(biluo):
        if not isinstance(tag, str) or tag in ("", "-"):
            continue
        if scheme == "BIO" and tag != OUT:
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
