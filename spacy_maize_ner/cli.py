"""`python -m spacy_maize_ner` (or `maize-ner`): convert corpora and print their statistics.

    python -m spacy_maize_ner convert INPUT... OUTPUT --format pubtator|iob \\
        [--to docbin|iob|pubtator] [--labels Chemical,Disease | Gene:GENE] [--n-sents 1] \\
        [--report REPORT.json] [--split 0.8,0.1,0.1 --seed 0]
    python -m spacy_maize_ner stats CORPUS [--json OUT.json]
"""
import sys
from enum import Enum
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import srsly
import typer
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from wasabi import msg

from .corpus.convert import docs_to_pubtator, pubtator_to_docs
from .corpus.iob import IOBFormatError, read_iob, write_iob
from .corpus.nlp import make_blank_nlp
from .corpus.pubtator import PubTatorFormatError, read_pubtator, write_pubtator
from .corpus.report import ConversionReport
from .corpus.split import SPLITS, parse_ratios, split_docs
from .corpus.stats import corpus_stats, format_provenance, format_stats, split_provenance
from .workflow.corpora import parse_labels

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Biomedical NER corpora for spaCy: convert PubTator/IOB files, print corpus statistics.",
)


class InputFormat(str, Enum):
    pubtator = "pubtator"
    iob = "iob"


class OutputFormat(str, Enum):
    docbin = "docbin"
    iob = "iob"
    pubtator = "pubtator"


SUFFIXES = {OutputFormat.docbin: ".spacy", OutputFormat.iob: ".tsv", OutputFormat.pubtator: ".PubTator.txt"}


def read_docs(
    inputs: List[Path],
    fmt: str,
    *,
    label_map: Optional[Dict[str, str]] = None,
    n_sents: int = 1,
    report: Optional[ConversionReport] = None,
    progress: bool = True,
) -> List[Doc]:
    """Read and convert input files into Docs, with a progress bar per file.

    inputs (List[Path]): PubTator or IOB files.
    fmt (str): "pubtator" or "iob".
    label_map (Optional[Dict[str, str]]): type -> label (`parse_labels`); None keeps all.
    n_sents (int): sentences per Doc for IOB input.
    report (Optional[ConversionReport]): receives every mention's outcome.
    progress (bool): show progress bars (on stderr; the label only when not a terminal).
    RETURNS (List[Doc]): the Docs, in input order.
    """
    nlp = make_blank_nlp()
    report = report if report is not None else ConversionReport()
    docs: List[Doc] = []
    for i, path in enumerate(inputs, start=1):
        if fmt == "pubtator":
            stream: Iterator[Doc] = pubtator_to_docs(read_pubtator(path), nlp, label_map=label_map, report=report)
            length = _count_lines(path, lambda line: "|t|" in line and "\t" not in line.split("|t|", 1)[0])
        else:
            stream = read_iob(path, n_sents=n_sents, vocab=nlp.vocab, label_map=label_map, report=report)
            length = -(-_count_sentences(path) // n_sents)
        label = f"[{i}/{len(inputs)}] {path} ({fmt})"
        if not progress:
            docs.extend(stream)
            continue
        with typer.progressbar(stream, length=length, label=label, file=sys.stderr) as bar:
            docs.extend(bar)
    return docs


def _count_lines(path: Path, predicate) -> int:
    with Path(path).open(encoding="utf-8-sig", newline="\n") as file_:
        return sum(1 for line in file_ if predicate(line))


def _count_sentences(path: Path) -> int:
    count, inside = 0, False
    with Path(path).open(encoding="utf-8-sig", newline="\n") as file_:
        for line in file_:
            blank = not line.strip()
            if not blank and not inside and not line.startswith("-DOCSTART-"):
                count += 1
            inside = not blank
    return count


def write_docs(docs: List[Doc], output: Path, to: OutputFormat) -> None:
    """Write Docs as a DocBin (user data included), IOB2 or PubTator.

    docs (List[Doc]): the Docs.
    output (Path): the file; its folder is created.
    to (OutputFormat): docbin, iob or pubtator.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    if to == OutputFormat.docbin:
        DocBin(docs=docs, store_user_data=True).to_disk(output)
    elif to == OutputFormat.iob:
        write_iob(docs, output)
    else:
        write_pubtator(docs_to_pubtator(docs), output)
    msg.good(f"Wrote {len(docs)} documents to {output}")


@app.command("convert")
def convert_cli(
    inputs: List[Path] = typer.Argument(
        ..., metavar="INPUT...", help="One or more PubTator or IOB files (all in --format), read in order"
    ),
    output: Path = typer.Argument(
        ..., metavar="OUTPUT", help="Output file (.spacy for docbin), or a folder with --split"
    ),
    fmt: InputFormat = typer.Option(..., "--format", "-f", help="Input format: pubtator or iob (token<TAB>tag)"),
    to: OutputFormat = typer.Option(
        OutputFormat.docbin, "--to", "-t", help="Output format: docbin (.spacy), iob (IOB2 TSV) or pubtator"
    ),
    labels: str = typer.Option(
        "", "--labels", "-l",
        help="Types to keep, comma-separated, optionally renamed: 'Chemical,Disease' or 'Gene:GENE'; "
        "others are dropped (label_filtered). Empty keeps every type",
    ),
    n_sents: int = typer.Option(1, "--n-sents", "-n", min=1, help="Sentences per Doc (IOB input only)"),
    report_path: Optional[Path] = typer.Option(
        None, "--report", "-r",
        help="Write the conversion report here (JSON summary) and beside it a .jsonl with every "
        "changed or dropped mention",
    ),
    split: Optional[str] = typer.Option(
        None, "--split",
        help="Split the documents into train,dev,test by these fractions, e.g. 0.8,0.1,0.1; "
        "OUTPUT is then a folder and gets train/dev/test files",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the document-level --split (random.Random(seed))"),
) -> None:
    """Convert PubTator or IOB files to a DocBin, IOB2 or PubTator, accounting for every mention."""
    for path in inputs:
        if not path.exists():
            msg.fail(f"Input file not found: {path}", "Check the path. INPUT... are files; OUTPUT comes last.", exits=1)
        if not path.is_file():
            msg.fail(f"Input is not a file: {path}", "Give the files themselves (e.g. dir/*.txt), not a folder.", exits=1)
    try:
        label_map = parse_labels(labels)
    except ValueError as err:
        msg.fail("Invalid --labels", str(err), exits=1)
    ratios = None
    if split is not None:
        try:
            ratios = parse_ratios(split)
        except ValueError as err:
            msg.fail("Invalid --split", str(err), exits=1)
        if output.exists() and not output.is_dir():
            msg.fail(f"--split writes train/dev/test into a folder, but {output} is a file", "Give a folder as OUTPUT.", exits=1)
    elif output.is_dir():
        msg.fail(f"OUTPUT {output} is a folder", f"Give a file name such as {output / ('train' + SUFFIXES[to])}, or use --split.", exits=1)
    elif to == OutputFormat.docbin and output.suffix != ".spacy":
        msg.warn(f"{output} has no .spacy suffix; spaCy's training config expects .spacy DocBins")
    if report_path is not None and report_path.suffix == ".jsonl":
        msg.fail(f"--report {report_path} ends in .jsonl", "Give the JSON summary's path, e.g. report.json; "
                 "the .jsonl records are written beside it.", exits=1)
    if n_sents != 1 and fmt != InputFormat.iob:
        msg.warn("--n-sents only applies to IOB input; ignored")
    report = ConversionReport()
    try:
        docs = read_docs(inputs, fmt.value, label_map=label_map, n_sents=n_sents, report=report)
    except (PubTatorFormatError, IOBFormatError, UnicodeDecodeError) as err:
        msg.fail("Cannot read the input", f"{err}", exits=1)
    if ratios is not None:
        parts = split_docs(docs, ratios, seed=seed)
        output.mkdir(parents=True, exist_ok=True)
        for name in SPLITS:
            write_docs(parts[name], output / f"{name}{SUFFIXES[to]}", to)
        msg.info(f"Split {len(docs)} documents {tuple(ratios)} with seed {seed}: "
                 + ", ".join(f"{name} {len(parts[name])}" for name in SPLITS))
    else:
        write_docs(docs, output, to)
    report.print_summary()
    if label_map is not None and report.counts["label_filtered"] and not report.mentions_kept:
        seen = sorted({r["type"] for r in report.records if r["reason"] == "label_filtered"})
        msg.warn(f"--labels kept no mention: the input's types are {', '.join(seen)}",
                 "Name the source types before the colon, e.g. --labels " + f"{seen[0]}:GENE")
    if report_path is not None:
        records = report.write(report_path)
        msg.good(f"Report: {report_path}; changed and dropped mentions: {records}")


def load_corpus(path: Path) -> Dict[str, List[Doc]]:
    """Docs of a .spacy file, or of every .spacy file in a folder.

    path (Path): a DocBin or a folder of them.
    RETURNS (Dict[str, List[Doc]]): {file stem: Docs}, files in name order.
    """
    if path.is_dir():
        files = sorted(path.glob("*.spacy"))
        if not files:
            raise FileNotFoundError(f"No .spacy files in {path}. Convert a corpus first (maize-ner convert).")
    elif path.is_file():
        files = [path]
    else:
        raise FileNotFoundError(f"Corpus not found: {path}. Give a .spacy file or a folder of them.")
    vocab = Vocab()
    corpus = {}
    for file_ in files:
        try:
            corpus[file_.stem] = list(DocBin().from_disk(file_).get_docs(vocab))
        except Exception as err:  # msgpack and zlib errors have no common base
            raise ValueError(
                f"{file_} is not a readable DocBin ({type(err).__name__}: {err}). Give a .spacy "
                "file written by `maize-ner convert` or `DocBin.to_disk`."
            ) from None
    return corpus


@app.command("stats")
def stats_cli(
    corpus: Path = typer.Argument(..., metavar="CORPUS", help="A .spacy DocBin or a folder of them (one column per file)"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the statistics as JSON: {file stem: stats}"),
) -> None:
    """Documents, sentences, tokens, entities per label and entity length in tokens (1, 2, >=3)."""
    try:
        docs_by_name = load_corpus(corpus)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    stats = {name: corpus_stats(docs) for name, docs in docs_by_name.items()}
    provenance = split_provenance(corpus)
    for name in stats:
        if name in provenance:
            stats[name]["annotation"] = provenance[name].get("annotation", "unknown")
            stats[name]["source"] = provenance[name].get("source", "")
    print(format_stats(stats))
    for line in format_provenance(stats):
        msg.text(line)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(json_path, stats)
        msg.good(f"Wrote {json_path}")
