"""Score every trained pipeline on the same evaluation DocBin with spaCy's scorer."""
from pathlib import Path
from typing import List

import spacy
import srsly
import typer
from wasabi import msg

from spacy_maize_ner.analysis.seeds import parse_seeds, seed_suffix, seed_variant, training_seed
from spacy_maize_ner.evaluation.predictions import predictions_path
from spacy_maize_ner.evaluation.scoring import evaluate_pipeline
from spacy_maize_ner.workflow.corpora import evaluation_split


def main(
    models: List[Path] = typer.Argument(None, help="Pipeline folders, e.g. training/crf/model-best"),
    models_dir: List[Path] = typer.Option([], "--models-dir", help="Also every <dir>/*/model-best (e.g. training/transformers)"),
    corpus_dir: Path = typer.Option(Path("corpus"), "--corpus-dir", help="Folder with dev.spacy (and test.spacy)"),
    output: Path = typer.Option(Path("training/metrics"), "--output", help="Folder for <pipeline>.json"),
    batch_size: int = typer.Option(256, "--batch-size", help="Docs per batch"),
    seeds: str = typer.Option("", "--seeds", help="vars.seeds: also the runs of the further seeds, <folder>-s<seed> beside each pipeline or models dir"),
) -> None:
    # Seed runs (spacy_maize_ner/analysis/seeds.py): the first seed keeps the usual folders.
    seed_list = parse_seeds(seeds) if seeds else [None]
    suffixes = [seed_suffix(s, seed_list) if s is not None else "" for s in seed_list]
    models = [(seed_variant(m, sfx), sfx) for sfx in suffixes for m in (models or [])]
    for model, sfx in [(m, sfx) for m, sfx in models if sfx and not m.exists()]:
        msg.info(f"No {sfx[1:]} run at {model} (that pipeline is not trained per seed): evaluated once")
    models = [(m, sfx) for m, sfx in models if not sfx or m.exists()]
    models += [(m, sfx) for sfx in suffixes for d in models_dir for m in sorted(seed_variant(Path(d), sfx).glob("*/model-best"))]
    if not models:
        msg.fail("No pipelines to evaluate: give model folders or --models-dir.", exits=1)
    split, data_path = evaluation_split(corpus_dir)
    msg.info(f"Evaluating {len(models)} pipeline(s) on {data_path} ({split} split)")
    output.mkdir(parents=True, exist_ok=True)
    for model, suffix in models:
        if not model.exists():
            msg.fail(f"Pipeline not found: {model}. Train it first (spacy project run train-...).", exits=1)
        name = model.parent.name if model.name in ("model-best", "model-last") else model.name
        if suffix and not name.endswith(suffix):  # training/transformers-s1/minilm-full -> minilm-full-s1
            name += suffix
        nlp = spacy.load(model)
        metrics = evaluate_pipeline(
            nlp, data_path, name=name, batch_size=batch_size, model_path=str(model),
            predictions_path=predictions_path(output / f"{name}.json"),
        )
        metrics["split"] = split
        metrics["seed"] = training_seed(nlp)
        if "maize_ner" in nlp.meta:  # encoder and regime of transformer pipelines
            metrics["maize_ner"] = nlp.meta["maize_ner"]
        srsly.write_json(output / f"{name}.json", metrics)
        msg.good(
            f"{name}: P {metrics['ents_p']:.4f}  R {metrics['ents_r']:.4f}  F {metrics['ents_f']:.4f}  "
            f"({metrics['words_per_second']:,.0f} words/s) -> {output / f'{name}.json'}"
        )


if __name__ == "__main__":
    typer.run(main)
