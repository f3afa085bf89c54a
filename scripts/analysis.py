"""Run every analysis over all trained pipelines found -> reports/analysis/{analysis.json,figures/}."""
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from spacy_maize_ner.study.analysis.pipelines import MetricsError
from spacy_maize_ner.study.analysis.run import run_analysis
from spacy_maize_ner.cli_errors import run_script


def main(
    metrics_dir: Path = typer.Argument(..., help="Folder with <pipeline>.json and <pipeline>.docs.jsonl from the evaluate command"),
    corpus_dir: Path = typer.Argument(..., help="Folder with train.spacy / dev.spacy (topics, co-occurrence)"),
    output: Path = typer.Argument(..., help="Folder for analysis.json and figures/"),
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples of the evaluation documents"),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap, the token sample, t-SNE and SVD"),
    tsne_tokens: int = typer.Option(1500, "--tsne-tokens", help="Sampled evaluation tokens for the t-SNE pictures"),
    top_n: int = typer.Option(20, "--top-n", help="Gene mentions in the co-occurrence heatmap"),
    topics: int = typer.Option(8, "--topics", help="SVD topics"),
    learning_curve: List[Path] = typer.Option([], "--learning-curve", help="Learning-curve rows files (shared schema); missing ones are skipped"),
    rows: List[Path] = typer.Option([], "--rows", help="More benchmark rows files (shared schema, e.g. benchmarks/results/llm.json) for the Encoders vs LLMs section; missing ones are skipped"),
    decoders_dir: Path = typer.Option(Path("assets/decoders"), "--decoders-dir", help="Folder of provided decoders (<name>/provenance.json, for the caption)"),
) -> None:
    try:
        run_analysis(metrics_dir, corpus_dir, output, n_resamples=resamples, seed=seed, tsne_tokens=tsne_tokens,
                     top_n=top_n, n_topics=topics, learning_curves=learning_curve,
                     result_rows=rows, decoders_dir=decoders_dir)
    except (MetricsError, FileNotFoundError) as err:
        msg.fail(str(err), exits=1)


if __name__ == "__main__":
    run_script(main)
