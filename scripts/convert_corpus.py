"""Convert assets/<corpus> into corpus/{train,dev,test}.spacy with a conversion report."""
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.corpus.build import build_corpus, parse_labels
from spacy_maize_ner.cli_errors import run_script


def main(
    corpus: str = typer.Argument(..., help="Corpus name (bc2gm, bc5cdr, or any folder name)"),
    folder: Path = typer.Argument(..., help="Folder with the raw files, e.g. assets/bc2gm"),
    output: Path = typer.Argument(..., help="Output folder for the DocBins, e.g. corpus"),
    labels: str = typer.Option("", "--labels", help="Types to keep, optionally mapped: 'Chemical,Disease', 'Gene:GENE'"),
    seed: int = typer.Option(0, "--seed", help="Seed of the document-level split (sources without splits)"),
    n_sents: int = typer.Option(1, "--n-sents", help="Sentences per Doc for IOB sources"),
) -> None:
    try:
        meta = build_corpus(corpus, folder, output, label_map=parse_labels(labels), seed=seed, n_sents=n_sents)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    summary = meta["conversion"]
    msg.good(f"{corpus}: " + ", ".join(f"{k} {v} docs" for k, v in meta["splits"].items()) + f" ({meta['split_origin']})")
    changed = {k: v for k, v in summary["changed"].items() if v}
    dropped = {k: v for k, v in summary["dropped"].items() if v}
    msg.text(
        f"{summary['mentions_read']} mentions read, {summary['mentions_kept']} kept "
        f"(changed: {changed or 'none'}), {summary['mentions_dropped']} dropped ({dropped or 'none'})"
    )
    if meta["removed_from_train"]["documents"]:
        msg.warn(
            f"{meta['removed_from_train']['documents']} training documents are also in the dev/test "
            "files and were left out of train (see corpus/meta.json and the report)."
        )
    msg.text(f"Evaluation split: {meta['eval_split']}. Report: {output / 'conversion_report.json'}")


if __name__ == "__main__":
    run_script(main)
