"""Score every trained pipeline on the same evaluation DocBin with spaCy's scorer."""
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from spacy_maize_ner.study.evaluation.discovery import discover_pipelines, evaluate_all
from spacy_maize_ner.corpus.build import evaluation_split
from spacy_maize_ner.cli_errors import run_script


def main(
    models: List[Path] = typer.Argument(None, help="Pipeline folders, e.g. training/crf/crf-s0/model-best"),
    models_dir: List[Path] = typer.Option([], "--models-dir", help="Also every <dir>/*/model-best (e.g. training/transformers: one run folder per seed)"),
    corpus_dir: Path = typer.Option(Path("corpus"), "--corpus-dir", help="Folder with dev.spacy (and test.spacy)"),
    output: Path = typer.Option(Path("training/metrics"), "--output", help="Folder for <pipeline>.json"),
    batch_size: int = typer.Option(256, "--batch-size", help="Docs per batch"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU to run the pipelines on; -1 for the CPU"),
) -> None:
    try:
        pipelines = discover_pipelines(models or [], models_dir)
        split, data_path = evaluation_split(corpus_dir)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.info(f"Evaluating {len(pipelines)} pipeline(s) on {data_path} ({split} split)")

    def show(name, metrics, path):
        msg.good(
            f"{name}: P {metrics['ents_p']:.4f}  R {metrics['ents_r']:.4f}  F {metrics['ents_f']:.4f}  "
            f"({metrics['words_per_second']:,.0f} words/s) -> {path}"
        )

    try:
        evaluate_all(pipelines, corpus_dir, output, batch_size=batch_size, on_result=show, gpu_id=gpu_id)
    except ValueError as err:
        if gpu_id < 0 or "GPU" not in str(err):
            raise
        msg.fail(f"--gpu-id {gpu_id}: {err} Give --gpu-id -1 to evaluate on the CPU.", exits=1)


if __name__ == "__main__":
    run_script(main)
