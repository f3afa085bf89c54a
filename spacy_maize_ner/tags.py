"""The one tag-scheme module: BIO and BILUO tags, their conversions, which tags may follow
which, and constrained Viterbi decoding. The corpus readers, the CRF, the HMM and the token
head all use it.

Schemes (spaCy's names): "BIO" (IOB2: "B-GENE", "I-GENE", "O") and "BILUO" (adds "L-" for the
last token of a longer entity and "U-" for a single-token one). Older configs and models of
this package said "iob" and "bioes" (with "E-"/"S-" for "L-"/"U-"): `scheme_name` maps the
names, and `biluo_to_bio` and `allowed_transition` read both letters, so trained CRF and HMM
pipelines saved before the rename still load and decode the same.

Decoding of BIO is lenient in the IOB1 way: an "I-X" that does not continue an open "X"
entity starts a new one, so a tagger's ill-formed output still becomes spans instead of
being dropped. The neural token head never needs that: constrained Viterbi finds the
highest-scoring sequence among the valid ones, so every output decodes to spans exactly.
"""
from typing import Dict, Iterable, Iterator, List, Literal, NamedTuple, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span

Scheme = Literal["BIO", "BILUO"]
SCHEMES: Tuple[str, ...] = ("BIO", "BILUO")
# Names older configs and saved models used for the same schemes.
LEGACY_SCHEME_NAMES: Dict[str, str] = {"iob": "BIO", "iob2": "BIO", "bioes": "BILUO", "iobes": "BILUO", "bilou": "BILUO"}
# BIOES letters of older models -> BILUO letters.
_LEGACY_PREFIX = {"S": "U", "E": "L"}
OUTSIDE = "O"
SENTENCE_START, SENTENCE_END = "<s>", "</s>"
NEG_INF = -1e9


def scheme_name(value: str) -> Scheme:
    """RETURNS (Scheme): "BIO" or "BILUO" for a scheme name in any case, or a legacy name."""
    name = str(value).strip()
    if name.upper() in SCHEMES:
        return name.upper()  # type: ignore[return-value]
    if name.lower() in LEGACY_SCHEME_NAMES:
        return LEGACY_SCHEME_NAMES[name.lower()]  # type: ignore[return-value]
    raise ValueError(f"Unknown tag scheme {value!r}: use 'BIO' or 'BILUO'.")


class TagSpan(NamedTuple):
    """An entity over tokens [start, end) of one tag sequence."""

    start: int
    end: int
    label: str


def split_tag(tag: str) -> "tuple[str, str]":
    """Split "B-GENE" into ("B", "GENE"); "O" into ("O", "").

    tag (str): an IOB tag.
    RETURNS (tuple): the prefix (B, I or O) and the label.
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, label = tag.partition("-")
    if not sep or prefix not in ("B", "I") or not label:
        raise ValueError(
            f"Invalid IOB tag {tag!r}: expected 'O', 'B-<LABEL>' or 'I-<LABEL>'."
        )
    return prefix, label


def tags_to_spans(tags: Sequence[str]) -> List[TagSpan]:
    """Decode IOB1 or IOB2 tags into spans.

    tags (Sequence[str]): one tag per token.
    RETURNS (List[TagSpan]): the entities, in order.
    """
    spans: List[TagSpan] = []
    start, label = -1, ""
    for i, tag in enumerate(tags):
        prefix, tag_label = split_tag(tag)
        continues = prefix == "I" and start >= 0 and tag_label == label
        if start >= 0 and not continues:
            spans.append(TagSpan(start, i, label))
            start, label = -1, ""
        if prefix == "B" or (prefix == "I" and not continues):
            start, label = i, tag_label
    if start >= 0:
        spans.append(TagSpan(start, len(tags), label))
    return spans


def spans_to_tags(spans: Iterable[TagSpan], length: int) -> List[str]:
    """Encode non-overlapping spans as IOB2 tags.

    spans (Iterable[TagSpan]): entities over token offsets.
    length (int): number of tokens.
    RETURNS (List[str]): one tag per token.
    """
    tags = [OUTSIDE] * length
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def sentences(doc: Doc) -> Iterator[Span]:
    """The doc's sentences, or the whole doc when no sentence boundaries are set."""
    if len(doc) == 0:
        return
    if doc.has_annotation("SENT_START"):
        yield from doc.sents
    else:
        yield doc[:]


def span_tags(span: Span) -> List[str]:
    """IOB2 tags of the tokens of a sentence, from the doc's entities.

    Tokens with missing entity annotation count as outside.
    """
    tags = []
    for token in span:
        if token.ent_iob_ == "B" or (token.ent_iob_ == "I" and token.i == span.start):
            tags.append(f"B-{token.ent_type_}")
        elif token.ent_iob_ == "I":
            tags.append(f"I-{token.ent_type_}")
        else:
            tags.append(OUTSIDE)
    return tags


def bio_to_biluo(tags: Sequence[str]) -> List[str]:
    """BIO tags -> BILUO (U- single-token entity, L- last token of a longer one)."""
    out = [OUTSIDE] * len(tags)
    for start, end, label in tags_to_spans(tags):
        if end - start == 1:
            out[start] = f"U-{label}"
        else:
            out[start] = f"B-{label}"
            for i in range(start + 1, end - 1):
                out[i] = f"I-{label}"
            out[end - 1] = f"L-{label}"
    return out


def biluo_to_bio(tags: Sequence[str]) -> List[str]:
    """BILUO tags -> BIO: U- becomes B-, L- becomes I- (and so do the older S- and E-)."""
    out = []
    for tag in tags:
        prefix = _prefix(tag)
        if prefix == "U":
            out.append("B-" + tag[2:])
        elif prefix == "L":
            out.append("I-" + tag[2:])
        else:
            out.append(tag)
    return out


def to_scheme(tags: Sequence[str], scheme: str) -> List[str]:
    """BIO tags in `scheme` (BIO: unchanged)."""
    return bio_to_biluo(tags) if scheme_name(scheme) == "BILUO" else list(tags)


def from_scheme(tags: Sequence[str], scheme: str) -> List[str]:
    """Tags of `scheme` as BIO."""
    return biluo_to_bio(tags) if scheme_name(scheme) == "BILUO" else list(tags)


def _prefix(tag: str) -> str:
    """"B-GENE" -> "B"; "O" and the sentence markers are outside; older S/E read as U/L."""
    if tag in (OUTSIDE, SENTENCE_START, SENTENCE_END):
        return OUTSIDE
    prefix = tag.partition("-")[0]
    return _LEGACY_PREFIX.get(prefix, prefix)


def _label(tag: str) -> str:
    return tag.partition("-")[2]


def allowed_transition(previous: str, following: str, scheme: str) -> bool:
    """Whether tag `following` may come right after tag `previous` in `scheme`.

    "<s>" and "</s>" mark the sentence's start and end, so `allowed_transition("<s>", t, s)`
    says whether `t` may start a sentence. BIO: an I- only continues a B- or I- of its label.
    BILUO: after B- or I- only I- or L- of the same label; elsewhere never I- or L-.
    """
    scheme = scheme_name(scheme)
    p, q = _prefix(previous), _prefix(following)
    same = _label(previous) == _label(following)
    if scheme == "BIO":
        return q != "I" or (p in ("B", "I") and same)
    if p in ("B", "I"):
        return q in ("I", "L") and same
    return q not in ("I", "L")


def strict_prf(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> "tuple[float, float, float]":
    """Strict entity precision, recall and F1 over exact (start, end, label) spans.

    The same numbers spaCy's scorer gives when the tokens match; used by the tuning
    scripts, which tag token lists without building Docs.
    """
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, predicted):
        gold_spans, pred_spans = set(tags_to_spans(g)), set(tags_to_spans(p))
        tp += len(gold_spans & pred_spans)
        n_gold += len(gold_spans)
        n_pred += len(pred_spans)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f


# ---- constrained decoding (the token head) ---------------------------------------


class Constraints(NamedTuple):
    """Which tags may start and end a sequence and follow each other (True: allowed)."""

    start: numpy.ndarray  # (n_tags,)
    transition: numpy.ndarray  # (n_tags, n_tags): [previous, next]
    end: numpy.ndarray  # (n_tags,)


def tag_names(labels: Sequence[str], scheme: str) -> List[str]:
    """The tags of `labels` in `scheme`: O first, then per label B, I (, L, U)."""
    prefixes = {"BIO": "BI", "BILUO": "BILU"}[scheme_name(scheme)]
    return [OUTSIDE] + [f"{p}-{label}" for label in labels for p in prefixes]


def constraints(tags: Sequence[str], scheme: str) -> Constraints:
    """The allowed starts, transitions and ends of `tags` in `scheme` (`allowed_transition`)."""
    start = numpy.array([allowed_transition(SENTENCE_START, t, scheme) for t in tags], dtype=bool)
    end = numpy.array([allowed_transition(t, SENTENCE_END, scheme) for t in tags], dtype=bool)
    trans = numpy.array([[allowed_transition(p, q, scheme) for q in tags] for p in tags], dtype=bool).reshape(len(tags), len(tags))
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


def id_spans(tag_ids: Sequence[int], tags: Sequence[str]) -> List[Tuple[int, int, str]]:
    """(start, end, label) token spans of a valid sequence of tag indices in either scheme."""
    out: List[Tuple[int, int, str]] = []
    start, label = -1, ""
    for i, index in enumerate(tag_ids):
        prefix, tag_label = _prefix(tags[index]), _label(tags[index])
        if prefix in ("B", "U") or prefix == OUTSIDE:
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
