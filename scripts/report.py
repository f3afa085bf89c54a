"""Render reports/results.md from training/metrics/*.json."""
from pathlib import Path
from typing import Optional

import srsly
import typer
from wasabi import msg

from spacy_maize_ner.study.evaluation.report import load_metrics, render_results
from spacy_maize_ner.cli_errors import run_script


def main(
    metrics_dir: Path = typer.Argument(..., help="Folder with <pipeline>.json from the evaluate command"),
    output: Path = typer.Argument(..., help="Markdown file to write"),
    corpus_meta: Optional[Path] = typer.Option(None, "--corpus-meta", help="corpus/meta.json written by convert"),
) -> None:
    try:
        rows = load_metrics(metrics_dir)
    except FileNotFoundError as err:
        msg.fail(str(err), exits=1)
    meta = srsly.read_json(corpus_meta) if corpus_meta and corpus_meta.exists() else None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_results(rows, corpus_meta=meta), encoding="utf8")
    msg.good(f"Wrote {output} ({len(rows)} pipelines)")


if __name__ == "__main__":
    run_script(main)
