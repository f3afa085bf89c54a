"""BIO tag sequences <-> entity spans, shared by the corpus readers and the taggers.

Tags are IOB2 strings: "B-GENE", "I-GENE", "O". Decoding is lenient in the IOB1 way:
an "I-X" that does not continue an open "X" entity starts a new one, so a tagger's
ill-formed output still becomes spans instead of being dropped.
"""
from typing import Iterable, Iterator, List, NamedTuple, Sequence

from spacy.tokens import Doc, Span

OUTSIDE = "O"


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


def iob_to_bioes(tags: Sequence[str]) -> List[str]:
    """IOB2 tags -> BIOES (S- single-token entity, E- last token of a longer one)."""
    out = [OUTSIDE] * len(tags)
    for start, end, label in tags_to_spans(tags):
        if end - start == 1:
            out[start] = f"S-{label}"
        else:
            out[start] = f"B-{label}"
            for i in range(start + 1, end - 1):
                out[i] = f"I-{label}"
            out[end - 1] = f"E-{label}"
    return out


def bioes_to_iob(tags: Sequence[str]) -> List[str]:
    """BIOES tags -> IOB2; S- becomes B-, E- becomes I-."""
    out = []
    for tag in tags:
        if tag.startswith("S-"):
            out.append("B-" + tag[2:])
        elif tag.startswith("E-"):
            out.append("I-" + tag[2:])
        else:
            out.append(tag)
    return out


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
