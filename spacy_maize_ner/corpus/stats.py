"""Corpus statistics: documents, sentences, tokens, entities per label and by length."""
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List

from spacy.tokens import Doc
from wasabi import table

from ..tags import sentences

LENGTH_BUCKETS = ("1", "2", ">=3")


def count_sentences(doc: Doc) -> int:
    """Sentences of a gold doc (1 when it has no sentence boundaries: BC2GM docs are sentences)."""
    if doc.has_annotation("SENT_START"):
        return sum(1 for _ in doc.sents)
    return 1


def length_bucket(n_tokens: int) -> str:
    """n_tokens (int): an entity's length in tokens. RETURNS (str): "1", "2" or ">=3"."""
    return "1" if n_tokens <= 1 else "2" if n_tokens == 2 else ">=3"


def corpus_stats(docs: Iterable[Doc]) -> Dict[str, Any]:
    """Count documents, sentences, tokens and entities.

    docs (Iterable[Doc]): the corpus; Docs without sentence starts count as one sentence.
    RETURNS (Dict[str, Any]): `documents`, `sentences`, `tokens`, `entities`,
        `entities_per_label` {label: n}, `entity_length` {bucket: n} and
        `entity_length_per_label` {label: {bucket: n}} (buckets "1", "2", ">=3" tokens).
    """
    n_docs = n_sents = n_tokens = 0
    per_label: Counter = Counter()
    lengths: Counter = Counter()
    lengths_per_label: Dict[str, Counter] = {}
    for doc in docs:
        n_docs += 1
        n_tokens += len(doc)
        n_sents += sum(1 for _ in sentences(doc))
        for ent in doc.ents:
            bucket = length_bucket(len(ent))
            per_label[ent.label_] += 1
            lengths[bucket] += 1
            lengths_per_label.setdefault(ent.label_, Counter())[bucket] += 1
    return {
        "documents": n_docs,
        "sentences": n_sents,
        "tokens": n_tokens,
        "entities": sum(per_label.values()),
        "entities_per_label": dict(sorted(per_label.items())),
        "entity_length": {b: lengths[b] for b in LENGTH_BUCKETS},
        "entity_length_per_label": {
            label: {b: counts[b] for b in LENGTH_BUCKETS} for label, counts in sorted(lengths_per_label.items())
        },
    }


def stats_table(stats_by_split: Dict[str, Dict[str, Any]]) -> List[List[str]]:
    """Rows of a table with one column per split, the header row first.

    stats_by_split (Dict[str, Dict[str, Any]]): {split name: `corpus_stats(...)`}.
    RETURNS (List[List[str]]): the header, then one row per count.
    """
    splits = list(stats_by_split)
    labels = sorted({label for s in stats_by_split.values() for label in s["entities_per_label"]})
    rows = [["", *splits]]
    for key in ("documents", "sentences", "tokens", "entities"):
        rows.append([key, *(f"{stats_by_split[s][key]:,}" for s in splits)])
    for label in labels:
        rows.append([f"  {label}", *(f"{stats_by_split[s]['entities_per_label'].get(label, 0):,}" for s in splits)])
    for bucket in LENGTH_BUCKETS:
        rows.append([f"length {bucket}", *(f"{stats_by_split[s]['entity_length'][bucket]:,}" for s in splits)])
        for label in labels if len(labels) > 1 else []:
            per_label = (stats_by_split[s]["entity_length_per_label"].get(label, {}) for s in splits)
            rows.append([f"  {label} {bucket}", *(f"{counts.get(bucket, 0):,}" for counts in per_label)])
    return rows


def format_stats(stats_by_split: Dict[str, Dict[str, Any]]) -> str:
    """The statistics as a wasabi table, one column per split.

    stats_by_split (Dict[str, Dict[str, Any]]): {split name: `corpus_stats(...)`}.
    RETURNS (str): the table.
    """
    header, *rows = stats_table(stats_by_split)
    return table(rows, header=header, divider=True, aligns=["l"] + ["r"] * (len(header) - 1))


def split_provenance(corpus: Path) -> Dict[str, Dict[str, Any]]:
    """Per-split provenance from the `meta.json` beside the DocBins (written by `build_corpus`).

    corpus (Path): a DocBin or a folder of them.
    RETURNS (Dict[str, Dict[str, Any]]): {split: {"annotation": "gold"|"silver"|..., "source": ...}};
        empty when there is no meta.json or it predates provenance.
    """
    import srsly

    meta_path = (Path(corpus) if Path(corpus).is_dir() else Path(corpus).parent) / "meta.json"
    if not meta_path.is_file():
        return {}
    return dict(srsly.read_json(meta_path).get("provenance") or {})


def format_provenance(stats_by_split: Dict[str, Dict[str, Any]]) -> List[str]:
    """One line per split that has an `annotation`, saying gold or silver and the source."""
    lines = []
    for split, stats in stats_by_split.items():
        if "annotation" in stats:
            kind = {"gold": "gold (human-annotated)", "silver": "silver (machine-annotated)"}.get(stats["annotation"], stats["annotation"])
            lines.append(f"{split}: {kind}; {stats.get('source', '')}")
    if any(s.get("annotation") == "silver" for s in stats_by_split.values()):
        lines.append("Silver splits: scores against them measure agreement with the annotating tagger, not with human annotators.")
    return lines
