"""Build a pip-installable pipeline package (en_maize_<encoder>) plus the spacy-maize-ner wheel.

    python scripts/package.py training/trf-biobert-full/model-best packages \
        --metrics training/metrics/trf-biobert-full.json --corpus bc2gm
    pip install packages/*.whl && python -c "import spacy; spacy.load('en_maize_biobert')"
    python scripts/package.py MODEL packages --name maize_minilm_int8 --int8   # int8 encoder on CPU
    python scripts/package.py MODEL packages --spans strided   # the training windows (default: one span per sentence)
"""
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from spacy_maize_ner.study.packaging import DEFAULT_SPANS, SPANS, package_pipeline
from spacy_maize_ner.cli_errors import run_script

ROOT = Path(__file__).resolve().parents[1]


def main(
    model: Path = typer.Argument(..., exists=True, help="Trained pipeline folder (model-best)"),
    output: Path = typer.Argument(Path("packages"), help="Folder for the wheels"),
    metrics: Optional[Path] = typer.Option(None, "--metrics", help="Scores from the evaluate command, put in the meta"),
    corpus: str = typer.Option("bc2gm", "--corpus", help="Training corpus (for the meta's sources)"),
    name: Optional[str] = typer.Option(None, "--name", help="Package name after 'en_' (default: from the encoder)"),
    code_wheel: bool = typer.Option(True, "--code-wheel/--no-code-wheel", help="Also build the spacy-maize-ner wheel"),
    int8: bool = typer.Option(False, "--int8", help="Transformer pipelines: quantize the encoder to int8 when loaded (CPU inference)"),
    spans: str = typer.Option(DEFAULT_SPANS, "--spans", help=f"Transformer pipelines: what the encoder reads, one of {', '.join(SPANS)} (sentences: one span per sentence; packed: whole sentences share a window, each read once)"),
) -> None:
    wheels = package_pipeline(model, output, metrics_path=metrics, corpus=corpus, name=name,
                              project_dir=ROOT if code_wheel else None, int8=int8, spans=spans)
    for wheel in wheels:
        msg.good(f"Built {wheel}")
    msg.info(f"Install with: pip install {' '.join(str(w) for w in wheels)}")


if __name__ == "__main__":
    run_script(main)
