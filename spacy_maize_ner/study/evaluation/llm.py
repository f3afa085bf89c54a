"""Build an LLM pipeline from its config, score it with spaCy's scorer, account its cost.

Every LLM row goes through `evaluation.scoring.evaluate_pipeline` like the other
pipelines; the model's usage counters and the task's answer counts are added under
`metrics["llm"]`, so they are written beside the metrics in the same file.

A row is written only when enough documents got an answer (`check_answers`): a run in
which more than `max_failed_share` of the documents got no answer after all retries
fails with a message and leaves an earlier row in place. A sample run's row carries the
sample in its name (`row_name`), so it never replaces the full run's row.
"""
import random
import time
from pathlib import Path
from typing import Any, Dict, Optional, Union

from spacy.language import Language

from ...cli_errors import MaizeNerError
from .scoring import evaluate_pipeline
from ...llm.cost import cost_summary

DEFAULT_MAX_FAILED_SHARE = 0.05


class TooManyFailuresError(MaizeNerError):
    """Too many documents got no answer: the run's row would not measure the model."""


def row_name(name: str, *, sample: int = 0, seed: int = 0) -> str:
    """The row's name with the sample in it: e.g. llm-deepseek-v3.2-0shot-sample300-s0.

    A full run (sample 0) keeps `name`; a name that already ends with the suffix is kept.
    """
    if sample <= 0:
        return name
    suffix = f"-sample{sample}-s{seed}"
    return name if name.endswith(suffix) else name + suffix


def check_answers(metrics: Dict[str, Any], *, max_failed_share: float = DEFAULT_MAX_FAILED_SHARE,
                  row: Optional[Path] = None) -> None:
    """Raise TooManyFailuresError when more than `max_failed_share` of the documents got no answer.

    metrics (Dict[str, Any]): what `evaluate_llm` returned.
    max_failed_share (float): 0.0-1.0; the share of documents allowed to lack an answer.
    row (Optional[Path]): the row file that is then not written (named in the message).
    """
    if not 0.0 <= max_failed_share <= 1.0:
        raise ValueError(f"max_failed_share must be between 0 and 1, got {max_failed_share}.")
    answers = metrics["llm"].get("answers") or {}
    docs = answers.get("docs") or metrics.get("documents") or 0
    failed = answers.get("docs_failed", 0)
    if docs and failed / docs > max_failed_share:
        cost = metrics["llm"].get("cost") or {}
        reasons = ", ".join(f"{k} {v}" for k, v in sorted((cost.get("retry_reasons") or {}).items())) or "see the log"
        kept = f" {row} was not written (an earlier row there is kept)." if row else ""
        raise TooManyFailuresError(
            f"{failed} of {docs} documents ({100 * failed / docs:.1f}%) got no answer from "
            f"{metrics['llm'].get('endpoint')} after all retries (retry reasons: {reasons}), more than the "
            f"{100 * max_failed_share:.1f}% allowed (--max-failed-share).{kept} Check the endpoint and "
            "rerun: the answers received are cached, so only the missing ones are asked again."
        )


def load_llm_pipeline(config_path: Union[str, Path], overrides: Optional[Dict[str, Any]] = None) -> Language:
    """The pipeline of an LLM config (configs/llm_*.cfg); nothing is sent until it runs."""
    import spacy

    config = spacy.util.load_config(Path(config_path), overrides=dict(overrides or {}), interpolate=False)
    return spacy.util.load_model_from_config(config, auto_fill=True, validate=True)


def sample_docbin(source: Path, target: Path, *, n: int, seed: int = 0) -> Path:
    """A fixed sample of `n` documents of the DocBin `source` (seeded, kept in corpus order).

    n <= 0 or n >= the number of documents copies all of them. RETURNS (Path): target.
    """
    import spacy
    from spacy.tokens import DocBin

    docs = list(DocBin().from_disk(source).get_docs(spacy.blank("en").vocab))
    if 0 < n < len(docs):
        keep = sorted(random.Random(seed).sample(range(len(docs)), n))
        docs = [docs[i] for i in keep]
    target.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(target)
    return target


def evaluate_llm(nlp: Language, data_path: Path, *, name: str, component: str = "llm", **kwargs: Any) -> Dict[str, Any]:
    """Score an LLM pipeline on a DocBin and add what it cost.

    RETURNS (Dict[str, Any]): `evaluate_pipeline`'s metrics plus "llm": model, endpoint, api,
        answers (the task's counts, share_parsed) and cost (tokens, requests, retries,
        cache hits, wall time, price; totals and per 1,000 words).
    """
    llm = nlp.get_pipe(component)
    model, task = llm._model, llm._task
    if hasattr(model, "stats"):
        model.stats.reset()
    if hasattr(task, "stats"):
        task.stats.clear()
    start = time.perf_counter()
    metrics = evaluate_pipeline(nlp, Path(data_path), name=name, **kwargs)
    wall = time.perf_counter() - start
    if hasattr(model, "close_progress"):
        model.close_progress()
    usage = model.stats.to_dict() if hasattr(model, "stats") else {}
    metrics["llm"] = {
        "model": getattr(model, "model", type(model).__name__),
        "endpoint": getattr(model, "url", None),
        "api": getattr(model, "api", None),
        "params": dict(getattr(model, "params", {})),
        "concurrency": getattr(model, "concurrency", None),
        "task": {"answer_format": getattr(task, "answer_format", None), "template": getattr(task, "template_name", None),
                 "examples": len(getattr(task, "examples", []) or [])},
        "answers": task.summary() if hasattr(task, "summary") else {},
        "cost": cost_summary(usage, words=metrics["words"], wall_seconds=wall, price=getattr(model, "price", None)),
    }
    return metrics
