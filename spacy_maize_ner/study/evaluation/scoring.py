"""Score any pipeline on a DocBin the way `spacy evaluate` does, plus F1 by entity length.

Every row of the results table goes through this one function, so rows are comparable:
the same examples (built by `spacy.Corpus` from the same DocBin, re-tokenised by the
pipeline's own tokenizer and aligned to the gold tokens), spaCy's `Scorer`, strict
(exact boundary and label) entity matching.
"""
import datetime
import platform
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional

import spacy
from spacy.language import Language
from spacy.scorer import Scorer, get_ner_prf
from spacy.tokens import Doc, Span
from spacy.training import Corpus, Example

from ...corpus.stats import LENGTH_BUCKETS, length_bucket
from .parameters import count_parameters
from .predictions import doc_records, write_predictions

def _ents_in_bucket(bucket: str) -> Callable[[Doc, str], List[Span]]:
    def getter(doc: Doc, attr: str) -> List[Span]:
        return [ent for ent in doc.ents if length_bucket(len(ent)) == bucket]

    return getter


def score_by_length(examples: Iterable[Example]) -> Dict[str, Dict[str, Any]]:
    """Strict entity P/R/F per length bucket (1, 2, >=3 tokens), with spaCy's scorer.

    Precision in a bucket counts predicted entities of that length, recall counts gold
    entities of that length; lengths are measured in each doc's own tokens.
    RETURNS (Dict[str, Dict[str, Any]]): per bucket, p, r, f and the gold/predicted counts.
    """
    examples = list(examples)
    scores = {}
    for bucket in LENGTH_BUCKETS:
        getter = _ents_in_bucket(bucket)
        result = Scorer.score_spans(
            examples,
            "ents",
            getter=getter,
            has_annotation=lambda doc: doc.has_annotation("ENT_IOB"),
        )
        scores[bucket] = {
            "p": result["ents_p"],
            "r": result["ents_r"],
            "f": result["ents_f"],
            "gold": sum(len(getter(eg.reference, "ents")) for eg in examples),
            "predicted": sum(len(getter(eg.predicted, "ents")) for eg in examples),
        }
    return scores


def load_examples(nlp: Language, data_path: Path, *, gold_preproc: bool = False) -> List[Example]:
    """Examples from a DocBin, made exactly as `spacy evaluate` makes them."""
    data_path = Path(data_path)
    if not data_path.exists():
        raise FileNotFoundError(
            f"Evaluation data not found: {data_path}. Convert the corpus first "
            "(spacy project run convert) or pass the path of a .spacy DocBin."
        )
    return list(Corpus(data_path, gold_preproc=gold_preproc)(nlp))


def evaluate_pipeline(
    nlp: Language,
    data_path: Path,
    *,
    name: str,
    batch_size: int = 256,
    model_path: Optional[str] = None,
    predictions_path: Optional[Path] = None,
) -> Dict[str, Any]:
    """Run `nlp` over the DocBin's texts and score it with spaCy's scorer.

    nlp (Language): the trained pipeline.
    data_path (Path): the evaluation DocBin (the same for every pipeline).
    name (str): the pipeline's name in the report.
    predictions_path (Optional[Path]): also write per-document gold/predicted entities and
        TP/FP/FN counts there (`<pipeline>.docs.jsonl`, see evaluation/predictions.py).
    RETURNS (Dict[str, Any]): spaCy's scores (ents_p/r/f, ents_per_type), ents_by_length,
        words_per_second (tokenisation and all components) and what was evaluated where.
    """
    examples = load_examples(nlp, data_path)
    start = time.perf_counter()
    for eg in examples:  # time tokenisation as `Language.evaluate` does
        nlp.make_doc(eg.reference.text)
    docs = nlp.pipe((eg.predicted for eg in examples), batch_size=batch_size)
    for eg, doc in zip(examples, docs):
        eg.predicted = doc
    seconds = time.perf_counter() - start
    n_words = sum(len(eg.predicted) for eg in examples)
    scores = Scorer(nlp=nlp).score(examples)
    # Entity scores come from spaCy's NER scorer for every pipeline, whether or not its
    # components declare one (a rule or LLM component may not), so every row is comparable.
    scores.update(get_ner_prf(examples))
    extra: Dict[str, Any] = {"parameters": count_parameters(nlp)}
    if predictions_path is not None:
        write_predictions(predictions_path, doc_records(examples))
        extra["predictions"] = Path(predictions_path).name
    return {
        "pipeline": name,
        "model": model_path,
        "data": str(data_path),
        "documents": len(examples),
        "words": n_words,
        "ents_p": scores.get("ents_p"),
        "ents_r": scores.get("ents_r"),
        "ents_f": scores.get("ents_f"),
        "ents_per_type": scores.get("ents_per_type") or {},
        "ents_by_length": score_by_length(examples),
        "words_per_second": n_words / seconds if seconds > 0 else None,
        "seconds": seconds,
        "labels": sorted({ent.label_ for eg in examples for ent in eg.reference.ents}),
        "spacy_version": spacy.__version__,
        "machine": machine_description(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def machine_description() -> str:
    """A short description of this machine for benchmark rows."""
    import os

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
