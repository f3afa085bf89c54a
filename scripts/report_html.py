"""Render the static HTML report (reports/index.html) from the analysis and the metrics."""
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.study.analysis.html import write_report
from spacy_maize_ner.study.analysis.pipelines import MetricsError
from spacy_maize_ner.cli_errors import run_script


def main(
    analysis_dir: Path = typer.Argument(..., help="Folder with analysis.json and figures/ (the analysis command)"),
    output: Path = typer.Argument(..., help="HTML file to write, e.g. reports/index.html"),
    metrics_dir: Path = typer.Option(Path("training/metrics"), "--metrics-dir", help="Folder with <pipeline>.json"),
    docs: int = typer.Option(3, "--docs", help="Evaluation documents shown with displaCy per pipeline"),
) -> None:
    try:
        path = write_report(analysis_dir, output, metrics_dir=metrics_dir, n_docs=docs)
    except (MetricsError, FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Wrote {path}")


if __name__ == "__main__":
    run_script(main)
