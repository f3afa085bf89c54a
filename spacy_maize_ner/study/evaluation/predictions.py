"""Per-document predictions and counts, saved beside a pipeline's metrics file.

The paired bootstrap, the error analysis and the displaCy pages of the report resample or
read documents, so the evaluate command writes `<pipeline>.docs.jsonl` next to
`<pipeline>.json`: one line per evaluation document, in DocBin order,

    {"doc": 0, "tp": 1, "fp": 0, "fn": 1,
     "gold": [[start_char, end_char, "GENE", "Zm00001d"], ...],
     "pred": [[start_char, end_char, "GENE", "text"], ...]}

Counts follow spaCy's `get_ner_prf` exactly (a predicted entity is aligned to the gold
tokens; one that lands on tokens without gold annotation counts neither way), so summing
them over documents gives the same P/R/F as the metrics file.
"""
from pathlib import Path
from typing import Any, Dict, Iterable, List, Union

import srsly
from spacy.training import Example

PREDICTIONS_SUFFIX = ".docs.jsonl"


def predictions_path(metrics_path: Union[str, Path]) -> Path:
    """training/metrics/crf.json -> training/metrics/crf.docs.jsonl."""
    metrics_path = Path(metrics_path)
    return metrics_path.with_name(metrics_path.stem + PREDICTIONS_SUFFIX)


def doc_record(index: int, eg: Example) -> Dict[str, Any]:
    """Gold and predicted entities of one example with its TP/FP/FN counts."""
    gold_keys = {(e.label_, e.start, e.end) for e in eg.reference.ents}
    tp = fp = 0
    if eg.reference.has_annotation("ENT_IOB"):
        align = eg.alignment.x2y
        for ent in eg.predicted.ents:
            indices = align[ent.start : ent.end]
            if not len(indices):
                continue
            g_span = eg.reference[indices[0] : indices[-1] + 1]
            if not all(token.ent_iob != 0 for token in g_span):
                continue
            key = (ent.label_, int(indices[0]), int(indices[-1]) + 1)
            if key in gold_keys:
                tp += 1
                gold_keys.discard(key)
            else:
                fp += 1
        fn = len(gold_keys)
    else:
        fn = 0
    return {
        "doc": index,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "gold": [[e.start_char, e.end_char, e.label_, e.text] for e in eg.reference.ents],
        "pred": [[e.start_char, e.end_char, e.label_, e.text] for e in eg.predicted.ents],
    }


def doc_records(examples: Iterable[Example]) -> List[Dict[str, Any]]:
    """RETURNS (List[Dict[str, Any]]): one `doc_record` per example, in order."""
    return [doc_record(i, eg) for i, eg in enumerate(examples)]


def write_predictions(path: Union[str, Path], records: List[Dict[str, Any]]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(path, records)
    return path


def read_predictions(path: Union[str, Path]) -> List[Dict[str, Any]]:
    """Read `<pipeline>.docs.jsonl`; a missing or malformed file is an error naming it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"Per-document predictions not found: {path}. They are written by the evaluate "
            "command (spacy project run evaluate); re-run it for this pipeline."
        )
    records = []
    for line_no, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = srsly.json_loads(line)
        except ValueError as err:
            raise ValueError(f"{path}, line {line_no}: not valid JSON ({err}). Re-run the evaluate command.") from None
        missing = {"doc", "tp", "fp", "fn", "gold", "pred"} - set(record)
        if missing:
            raise ValueError(f"{path}, line {line_no}: missing keys {sorted(missing)}. Re-run the evaluate command.")
        records.append(record)
    return records
