"""Which pipelines `evaluate` scores, and scoring them all into training/metrics/<name>.json.

A pipeline is a folder given directly (training/dictionary/model-best) or found as
`<dir>/*/model-best` under a models folder (training/crf, training/transformers), whose
run folders carry their seed (crf-s0, minilm-full-s1: `runs.RunId.folder`). Its name comes
from `runs.pipeline_name_from_path`; two pipelines with one name are refused, since their
metrics files would overwrite each other.
"""
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import srsly

from ...components.defaults import META_KEY
from ...corpus.build import evaluation_split
from ..runs import pipeline_name_from_path


def discover_pipelines(models: Iterable[Path] = (), models_dirs: Iterable[Path] = ()) -> List[Tuple[str, Path]]:
    """(name, folder) of every pipeline to evaluate, in the order given.

    models (Iterable[Path]): pipeline folders.
    models_dirs (Iterable[Path]): folders whose `*/model-best` are pipelines.
    RETURNS (List[Tuple[str, Path]]): names and folders.
    RAISES (FileNotFoundError, ValueError): a missing pipeline, none at all, a name twice.
    """
    found = [Path(m) for m in models]
    found += [m for d in models_dirs for m in sorted(Path(d).glob("*/model-best"))]
    if not found:
        raise FileNotFoundError("No pipelines to evaluate: give model folders or --models-dir.")
    named: Dict[str, Path] = {}
    for model in found:
        if not model.exists():
            raise FileNotFoundError(f"Pipeline not found: {model}. Train it first (spacy project run train-...).")
        name = pipeline_name_from_path(model)
        if name in named:
            raise ValueError(f"{named[name]} and {model} are both named {name!r}; their metrics would overwrite each other.")
        named[name] = model
    return list(named.items())


def evaluate_all(
    pipelines: List[Tuple[str, Path]],
    corpus_dir: Path,
    output: Path,
    *,
    batch_size: int = 256,
    on_result: Optional[Callable[[str, Dict, Path], None]] = None,
    gpu_id: int = -1,
) -> Dict[str, Dict]:
    """Score every pipeline on the evaluation split and write `<output>/<name>.json`.

    gpu_id (int): the GPU to load and run the pipelines on (`spacy.require_gpu`, before any is
        loaded); -1 for the CPU. The rows' words/s are then the GPU's.

    RETURNS (Dict[str, Dict]): name -> metrics.
    """
    import spacy

    from .predictions import predictions_path
    from .scoring import evaluate_pipeline

    split, data_path = evaluation_split(corpus_dir)
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)  # before the output folder: a machine without the GPU writes nothing
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, model in pipelines:
        nlp = spacy.load(model)
        metrics = evaluate_pipeline(
            nlp, data_path, name=name, batch_size=batch_size, model_path=str(model),
            predictions_path=predictions_path(output / f"{name}.json"),
        )
        metrics["split"] = split
        metrics["seed"] = training_seed(nlp)
        if META_KEY in nlp.meta:  # encoder and regime of transformer pipelines
            metrics[META_KEY] = nlp.meta[META_KEY]
        srsly.write_json(output / f"{name}.json", metrics)
        results[name] = metrics
        if on_result is not None:
            on_result(name, metrics, output / f"{name}.json")
    return results


def training_seed(nlp: Any) -> Optional[int]:
    """The `[training] seed` a loaded pipeline was trained with (None if it has none)."""
    try:
        seed = nlp.config.interpolate()["training"].get("seed")
    except Exception:  # a pipeline built in code may have no [training] section
        return None
    return int(seed) if isinstance(seed, int) else None
