"""Which pipelines `evaluate` scores, and scoring them all into training/metrics/<name>.json.

A pipeline is a folder given directly (training/crf/model-best) or found as
`<dir>/*/model-best` under a models folder (training/transformers). Its name comes from
`naming.pipeline_name_from_path`; two pipelines with one name are refused, since
their metrics files would overwrite each other.
"""
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import srsly

from ..runs import pipeline_name_from_path
from ...corpus.build import evaluation_split
from ...components.defaults import META_KEY


def discover_pipelines(
    models: Iterable[Path] = (), models_dirs: Iterable[Path] = (), seeds: Optional[Sequence[int]] = None
) -> List[Tuple[str, Path]]:
    """(name, folder) of every pipeline to evaluate, in the order given.

    models (Iterable[Path]): pipeline folders.
    models_dirs (Iterable[Path]): folders whose `*/model-best` are pipelines.
    seeds (Optional[Sequence[int]]): vars.seeds; the runs of every further seed live in
        `<folder>-s<seed>` (analysis/seeds.py) and are named `<name>-s<seed>`. A pipeline
        given directly that was not trained per seed is evaluated once.
    RETURNS (List[Tuple[str, Path]]): names and folders.
    RAISES (FileNotFoundError, ValueError): a missing pipeline, none at all, a name twice.
    """
    from ..analysis.seeds import seed_suffix, seed_variant

    models, models_dirs = [Path(m) for m in models], [Path(d) for d in models_dirs]
    suffixes = [seed_suffix(s, list(seeds)) for s in seeds] if seeds else [""]
    found: List[Tuple[Path, str]] = []
    for suffix in suffixes:
        found += [(seed_variant(m, suffix), suffix) for m in models if not suffix or seed_variant(m, suffix).exists()]
        found += [(m, suffix) for d in models_dirs for m in sorted(seed_variant(d, suffix).glob("*/model-best"))]
    if not found:
        raise FileNotFoundError("No pipelines to evaluate: give model folders or --models-dir.")
    named: Dict[str, Path] = {}
    for model, suffix in found:
        if not model.exists():
            raise FileNotFoundError(f"Pipeline not found: {model}. Train it first (spacy project run train-...).")
        name = pipeline_name_from_path(model)
        if suffix and not name.endswith(suffix):  # training/transformers-s1/minilm-full -> minilm-full-s1
            name += suffix
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
) -> Dict[str, Dict]:
    """Score every pipeline on the evaluation split and write `<output>/<name>.json`.

    RETURNS (Dict[str, Dict]): name -> metrics.
    """
    import spacy

    from ..analysis.seeds import training_seed
    from .predictions import predictions_path
    from .scoring import evaluate_pipeline

    split, data_path = evaluation_split(corpus_dir)
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
