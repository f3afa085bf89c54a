"""`python -m spacy_maize_ner` (or `maize-ner`): convert corpora and print their statistics."""
from pathlib import Path
from typing import Dict, List, Optional

import srsly
import typer
from spacy.tokens import DocBin
from wasabi import msg

from .corpus.convert import docs_to_pubtator, pubtator_to_docs
from .corpus.iob import IOBFormatError, read_iob, write_iob
from .corpus.nlp import make_blank_nlp
from .corpus.pubtator import PubTatorFormatError, read_pubtator, write_pubtator
from .corpus.report import ConversionReport
from .corpus.split import split_docs
from .corpus.stats import corpus_stats, stats_table
from .workflow.corpora import parse_labels

app = typer.Typer(add_completion=False, help="Biomedical NER corpora for spaCy: convert, stats.")
FORMATS = ("pubtator", "iob")
TARGETS = ("docbin", "iob", "pubtator")


def _parse_ratios(text: str) -> List[float]:
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give three fractions like 0.8,0.1,0.1") from None


def read_docs(inputs: List[Path], fmt: str, *, labels: str = "", n_sents: int = 1,
              report: Optional[ConversionReport] = None) -> list:
    """Read and convert every input file; RETURNS (list): the Docs, in input order."""
    nlp = make_blank_nlp()
    label_map = parse_labels(labels)
    report = report if report is not None else ConversionReport()
    docs = []
    for i, path in enumerate(inputs, start=1):
        msg.info(f"[{i}/{len(inputs)}] Reading {path} ({fmt})")
        if fmt == "pubtator":
            report.add_input(path)
            docs.extend(pubtator_to_docs(read_pubtator(path), nlp, label_map=label_map, report=report))
        else:
            docs.extend(read_iob(path, n_sents=n_sents, vocab=nlp.vocab, label_map=label_map, report=report))
    return docs


@app.command("convert")
def convert_cli(
    paths: List[Path] = typer.Argument(..., help="One or more input files, then the OUTPUT file (or folder with --split)"),
    fmt: str = typer.Option(..., "--format", "-f", help="Input format: pubtator or iob"),
    to: str = typer.Option("docbin", "--to", "-t", help="Output format: docbin (.spacy), iob or pubtator"),
    labels: str = typer.Option("", "--labels", "-l", help="Types to keep, optionally mapped: 'Chemical,Disease' or 'Gene:GENE'; empty keeps all"),
    n_sents: int = typer.Option(1, "--n-sents", "-n", help="Sentences per Doc (IOB input)"),
    report_path: Optional[Path] = typer.Option(None, "--report", "-r", help="Write the conversion report (JSON summary + JSONL of changed/dropped mentions)"),
    split: Optional[str] = typer.Option(None, "--split", help="Split documents into train,dev,test by these fractions (OUTPUT is a folder), e.g. 0.8,0.1,0.1"),
    seed: int = typer.Option(0, "--seed", help="Seed of the document-level split"),
) -> None:
    """Convert PubTator or IOB files to a DocBin, IOB or PubTator, with a conversion report."""
    if len(paths) < 2:
        raise typer.BadParameter("give at least one INPUT file and the OUTPUT path")
    *inputs, output = paths
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}: use one of {', '.join(FORMATS)}", param_hint="--format")
    if to not in TARGETS:
        raise typer.BadParameter(f"{to!r}: use one of {', '.join(TARGETS)}", param_hint="--to")
    for path in inputs:
        if not path.is_file():
            msg.fail(f"Input file not found: {path}", exits=1)
    report = ConversionReport()
    try:
        docs = read_docs(inputs, fmt, labels=labels, n_sents=n_sents, report=report)
    except (PubTatorFormatError, IOBFormatError, ValueError) as err:
        msg.fail(str(err), exits=1)
    if split:
        parts = split_docs(docs, _parse_ratios(split), seed=seed)
        output.mkdir(parents=True, exist_ok=True)
        suffix = {"docbin": ".spacy", "iob": ".tsv", "pubtator": ".PubTator.txt"}[to]
        for name, part in parts.items():
            _write(part, output / f"{name}{suffix}", to)
        msg.good(f"Split {len(docs)} documents (seed {seed}): " + ", ".join(f"{k} {len(v)}" for k, v in parts.items()))
    else:
        _write(docs, output, to)
    for line in report.format_summary():
        msg.text(line)
    if report_path:
        records = report.write(report_path)
        msg.good(f"Report: {report_path} (details in {records})")


def _write(docs: list, output: Path, to: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    if to == "docbin":
        DocBin(docs=docs, store_user_data=True).to_disk(output)
    elif to == "iob":
        write_iob(docs, output)
    else:
        write_pubtator(docs_to_pubtator(docs), output)
    msg.good(f"Wrote {len(docs)} documents to {output}")


def load_corpus(path: Path) -> Dict[str, list]:
    """{split name: docs} for a .spacy file or a folder of them."""
    from spacy.vocab import Vocab

    vocab = Vocab()
    if path.is_dir():
        files = sorted(path.glob("*.spacy"))
        if not files:
            msg.fail(f"No .spacy files in {path}. Convert a corpus first.", exits=1)
    elif path.is_file():
        files = [path]
    else:
        msg.fail(f"Corpus not found: {path}", exits=1)
    return {f.stem: list(DocBin().from_disk(f).get_docs(vocab)) for f in files}


@app.command("stats")
def stats_cli(
    corpus: Path = typer.Argument(..., help="A .spacy DocBin or a folder of them (one column per file)"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the statistics as JSON"),
) -> None:
    """Documents, sentences, tokens, entities per label and entity length in tokens."""
    stats = {name: corpus_stats(docs) for name, docs in load_corpus(corpus).items()}
    rows = stats_table(stats)
    msg.table(rows[1:], header=rows[0], aligns=["l"] + ["r"] * (len(rows[0]) - 1))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(json_path, stats)
        msg.good(f"Wrote {json_path}")
