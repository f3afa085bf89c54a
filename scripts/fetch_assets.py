"""Provide a corpus's raw files in assets/<corpus>: local copy first, else download."""
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.study.workflow.assets import AssetError, fetch_corpus_assets
from spacy_maize_ner.cli_errors import run_script


def main(
    corpus: str = typer.Argument(..., help="Corpus folder under assets/ (bc2gm, bc5cdr)"),
    local: str = typer.Option("", "--local", help="Folder laid out like assets/ to copy from before downloading"),
    verify: int = typer.Option(1, "--verify", help="1: checksum mismatch is an error; 0: a warning"),
    project_dir: Path = typer.Option(Path("."), "--project-dir", help="Folder with project.yml"),
) -> None:
    try:
        outcomes = fetch_corpus_assets(project_dir, corpus, Path(local) if local else None, verify=bool(verify))
    except AssetError as err:
        msg.fail(str(err), exits=1)
    for dest, outcome in outcomes.items():
        if outcome == "missing":
            msg.info(f"{dest}: optional, not available (no local copy)")
        else:
            msg.good(f"{dest}: {outcome}")


if __name__ == "__main__":
    run_script(main)
