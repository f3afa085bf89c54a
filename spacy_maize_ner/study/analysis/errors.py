"""Error analysis of predicted entities against gold, per pipeline.

Every predicted entity is one of: exact (same boundaries and label), a boundary error
(overlaps a gold entity of the same label: too long, too short or shifted), a type error
(overlaps a gold entity of another label only), or spurious (overlaps nothing). A gold
entity that no prediction matched or overlapped is a miss. Spans are compared by
character offsets in the evaluation text (`<pipeline>.docs.jsonl`).
"""
from collections import Counter
from typing import Any, Dict, List, Sequence, Tuple

CATEGORIES = ("exact", "too_long", "too_short", "shifted", "type", "missed", "spurious")
CATEGORY_HELP = {
    "exact": "same boundaries and label as a gold entity",
    "too_long": "same label, covers a gold entity and more",
    "too_short": "same label, inside a gold entity",
    "shifted": "same label, overlaps a gold entity partly on each side",
    "type": "overlaps a gold entity of another label only",
    "missed": "gold entity that no prediction overlaps",
    "spurious": "prediction that overlaps no gold entity",
}

Span = Tuple[int, int, str, str]


def _overlaps(a: Sequence, b: Sequence) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def boundary_kind(pred: Sequence, gold: Sequence) -> str:
    """'too_long', 'too_short' or 'shifted' for two overlapping, different spans."""
    if pred[0] <= gold[0] and pred[1] >= gold[1]:
        return "too_long"
    if pred[0] >= gold[0] and pred[1] <= gold[1]:
        return "too_short"
    return "shifted"


def classify_doc(gold: Sequence[Sequence], pred: Sequence[Sequence]) -> List[Tuple[str, Sequence]]:
    """(category, span) for every predicted entity and every missed gold entity of one doc."""
    gold = [tuple(g) for g in gold]
    pred = [tuple(p) for p in pred]
    exact = set(gold) & set(pred)
    out: List[Tuple[str, Sequence]] = [("exact", p) for p in pred if p in exact]
    open_gold = [g for g in gold if g not in exact]
    touched = set()
    for p in (p for p in pred if p not in exact):
        overlapping = [g for g in open_gold if _overlaps(p, g)]
        same = [g for g in overlapping if g[2] == p[2]]
        if same:
            out.append((boundary_kind(p, same[0]), p))
        elif overlapping:
            out.append(("type", p))
        else:
            out.append(("spurious", p))
        touched.update(overlapping)
    out += [("missed", g) for g in open_gold if g not in touched]
    return out


def error_analysis(records: Sequence[Dict[str, Any]], *, top: int = 10) -> Dict[str, Any]:
    """Counts per category, and the most frequent false positives and misses.

    records: `<pipeline>.docs.jsonl` records (evaluation/predictions.py).
    top (int): how many of the most frequent mentions to list.
    RETURNS (Dict[str, Any]): `counts` per category (CATEGORIES), `gold`, `predicted`,
        `false_positives` and `false_negatives` as [text, count] lists (strict: every
        prediction / gold entity without an exact match, lowercased).
    """
    counts = Counter({c: 0 for c in CATEGORIES})
    fps: Counter = Counter()
    fns: Counter = Counter()
    n_gold = n_pred = 0
    for record in records:
        n_gold += len(record["gold"])
        n_pred += len(record["pred"])
        exact = {tuple(g) for g in record["gold"]} & {tuple(p) for p in record["pred"]}
        for category, span in classify_doc(record["gold"], record["pred"]):
            counts[category] += 1
        fps.update(p[3].lower() for p in record["pred"] if tuple(p) not in exact)
        fns.update(g[3].lower() for g in record["gold"] if tuple(g) not in exact)
    return {
        "counts": dict(counts),
        "gold": n_gold,
        "predicted": n_pred,
        "false_positives": [[t, c] for t, c in fps.most_common(top)],
        "false_negatives": [[t, c] for t, c in fns.most_common(top)],
    }
