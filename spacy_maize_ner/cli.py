"""`python -m spacy_maize_ner` (or `maize-ner`): convert corpora and print their statistics.

    python -m spacy_maize_ner convert INPUT... OUTPUT --format pubtator|iob \\
        [--to docbin|iob|pubtator] [--labels Chemical,Disease | Gene:GENE] [--n-sents 1] \\
        [--report REPORT.json] [--split 0.8,0.1,0.1 --seed 0] [--overwrite]
    python -m spacy_maize_ner stats CORPUS [--json OUT.json] [--overwrite]
    python -m spacy_maize_ner annotate PIPELINE INPUT... OUTPUT [--input-format ...] [--ray]

Every command checks the files it will write before any work (`outputs.check_outputs`):
no input is written to, no file is written twice, and an existing OUTPUT, REPORT or
--json file is replaced only with `--overwrite`.
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

from .corpus.convert import DocumentTooLongError, docs_to_pubtator
from .corpus.iob import IOBFormatError, is_docstart, write_iob
from .corpus.nlp import make_blank_nlp
from .corpus.pubtator import PubTatorFormatError, write_pubtator
from .corpus.reader import CorpusReader, EmptyInputError, check_inputs
from .corpus.report import ConversionReport
from .corpus.split import SPLITS, parse_ratios, split_docs
from .corpus.textio import TextDecodeError, atomic_write_bytes, atomic_write_lines, is_blank
from .corpus.stats import corpus_stats, format_provenance, format_stats, split_provenance
from .outputs import check_outputs
from .corpus.build import parse_labels

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
    max_length: Optional[int] = None,
) -> List[Doc]:
    """Read and convert input files into Docs (`CorpusReader`), with a progress bar per file.

    inputs (List[Path]): PubTator or IOB files, each given once (`check_inputs`).
    fmt (str): "pubtator" or "iob".
    label_map (Optional[Dict[str, str]]): type -> label (`parse_labels`); None keeps all.
    n_sents (int): sentences per Doc for IOB input.
    report (Optional[ConversionReport]): receives every mention's outcome.
    progress (bool): show progress bars (on stderr; the label only when not a terminal).
    max_length (Optional[int]): the longest PubTator document in characters (default
        `nlp.max_length`, 1,000,000); a longer one raises `DocumentTooLongError`.
    RETURNS (List[Doc]): the Docs, in input order.
    RAISES (EmptyInputError): when no input holds a document.
    """
    nlp = make_blank_nlp()
    if max_length:
        nlp.max_length = max_length
    reader = CorpusReader(fmt, nlp, label_map=label_map, n_sents=n_sents, report=report)
    docs: List[Doc] = []
    for i, path in enumerate(check_inputs(inputs), start=1):
        stream: Iterator[Doc] = reader.read(path)
        if not progress:
            docs.extend(stream)
            continue
        if fmt == "pubtator":
            length = _count_lines(path, lambda line: "|t|" in line and "\t" not in line.split("|t|", 1)[0])
        else:
            length = -(-_count_sentences(path) // n_sents)
        label = f"[{i}/{len(inputs)}] {path} ({fmt})"
        with typer.progressbar(stream, length=length, label=label, file=sys.stderr) as bar:
            docs.extend(bar)
    if not docs:
        raise EmptyInputError(
            f"No documents in {', '.join(map(str, inputs))}: the input is empty or not in the "
            f"{fmt} format. Check the files and --format."
        )
    return docs


def _count_lines(path: Path, predicate) -> int:
    with Path(path).open(encoding="utf-8-sig", newline="\n", errors="replace") as file_:
        return sum(1 for line in file_ if predicate(line))


def _count_sentences(path: Path) -> int:
    count, inside = 0, False
    with Path(path).open(encoding="utf-8-sig", newline="\n", errors="replace") as file_:
        for line in file_:
            line = line.rstrip("\n").rstrip("\r")
            blank = is_blank(line)
            if not blank and not inside and not is_docstart(line):
                count += 1
            inside = not blank
    return count


def write_docs(docs: List[Doc], output: Path, to: OutputFormat) -> None:
    """Write Docs as a DocBin (user data included), IOB2 or PubTator, atomically.

    docs (List[Doc]): the Docs.
    output (Path): the file; its folder is created. A failure leaves no partial file.
    to (OutputFormat): docbin, iob or pubtator.
    """
    if to == OutputFormat.docbin:
        atomic_write_bytes(output, DocBin(docs=docs, store_user_data=True).to_bytes())
    elif to == OutputFormat.iob:
        write_iob(docs, output)
    else:
        write_pubtator(docs_to_pubtator(docs), output)
    msg.good(f"Wrote {len(docs)} documents to {output}")


def _planned_outputs(output: Path, to: OutputFormat, split: bool) -> List[Path]:
    return [output / f"{name}{SUFFIXES[to]}" for name in SPLITS] if split else [output]


def check_convert_outputs(
    outputs: List[Path], report_path: Optional[Path], inputs: List[Path], *, overwrite: bool = False
) -> None:
    """Fail (exit 1) before any work when a file convert writes is an input, is written
    twice, cannot be written, or exists without --overwrite (`outputs.check_outputs`).

    outputs (List[Path]): OUTPUT, or the train/dev/test files of --split.
    report_path (Optional[Path]): --report; its .jsonl records are written beside it.
    inputs (List[Path]): INPUT...
    overwrite (bool): --overwrite: existing outputs may be replaced.
    """
    named: Dict[str, Optional[Path]] = {}
    for path in outputs:
        named["OUTPUT" if len(outputs) == 1 else f"OUTPUT {path.name}"] = path
    if report_path is not None:
        named["--report"] = report_path
        named["--report records"] = report_path.with_suffix(".jsonl")
    try:
        check_outputs(inputs, named, overwrite=overwrite, command="convert")
    except (OSError, ValueError) as err:
        msg.fail("Cannot write the output", str(err), exits=1)


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
    max_length: int = typer.Option(
        1_000_000, "--max-length", min=1,
        help="Longest PubTator document in characters (spaCy's nlp.max_length); a longer one is an error naming it",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an existing OUTPUT (or split files) and REPORT; without it they are refused"
    ),
) -> None:
    """Convert PubTator or IOB files to a DocBin, IOB2 or PubTator, accounting for every mention."""
    label_map, ratios = _check_convert_args(inputs, output, fmt, to, labels, n_sents, report_path, split)
    check_convert_outputs(_planned_outputs(output, to, ratios is not None), report_path, inputs, overwrite=overwrite)
    report = ConversionReport()
    try:
        docs = read_docs(inputs, fmt.value, label_map=label_map, n_sents=n_sents, report=report, max_length=max_length)
    except (PubTatorFormatError, IOBFormatError, TextDecodeError, DocumentTooLongError, EmptyInputError) as err:
        msg.fail("Cannot read the input", f"{err}", exits=1)
    _warn_about_inputs(report)
    try:
        if ratios is not None:
            _write_split(docs, output, to, ratios, seed)
        else:
            write_docs(docs, output, to)
    except OSError as err:
        msg.fail(f"Cannot write the output: {err}", "Nothing was left half-written; free space or choose another path.", exits=1)
    report.print_summary()
    if label_map is not None and report.counts["label_filtered"] and not report.mentions_kept:
        seen = sorted({r["type"] for r in report.records if r["reason"] == "label_filtered"})
        msg.warn(f"--labels kept no mention: the input's types are {', '.join(seen)}",
                 "Name the source types before the colon, e.g. --labels " + f"{seen[0]}:GENE")
    if report_path is not None:
        try:
            records = report.write(report_path)
        except OSError as err:
            msg.fail(f"Cannot write the report: {err}", "Free space or choose another --report path.", exits=1)
        msg.good(f"Report: {report_path}; changed and dropped mentions: {records}")


def _check_convert_args(inputs: List[Path], output: Path, fmt: InputFormat, to: OutputFormat, labels: str, n_sents: int,
                        report_path: Optional[Path], split: Optional[str]):
    """Check `convert`'s arguments before anything is read; RETURNS (label map, split ratios or None)."""
    try:
        check_inputs(inputs)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
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
    return label_map, ratios


def _warn_about_inputs(report: ConversionReport) -> None:
    """Empty input files and documents left out as duplicates, said before the summary."""
    for name in report.empty_inputs:
        msg.warn(f"{name} holds no document")
    if report.duplicate_documents:
        first = report.duplicate_documents[0]
        msg.warn(
            f"{len(report.duplicate_documents)} document(s) with a PMID read before were left out "
            f"(first: PMID {first['pmid']} at {first['source']}:{first['line']}, read at "
            f"{first['first_source']}:{first['first_line']}); their mentions are in the report as duplicate_document"
        )


def _write_split(docs: list, output: Path, to: OutputFormat, ratios, seed: int) -> None:
    """Split the documents by `ratios` (refusing an empty requested split) and write each part into `output`."""
    parts = split_docs(docs, ratios, seed=seed)
    empty = [name for name, r in zip(SPLITS, ratios) if r > 0 and not parts[name]]
    if empty:
        msg.fail(
            f"The {' and '.join(empty)} split would be empty: {len(docs)} documents split {tuple(ratios)}",
            "Give more documents or larger fractions for those splits (or 0 to leave a split out).", exits=1,
        )
    for name in SPLITS:
        write_docs(parts[name], output / f"{name}{SUFFIXES[to]}", to)
    msg.info(f"Split {len(docs)} documents {tuple(ratios)} with seed {seed}: "
             + ", ".join(f"{name} {len(parts[name])}" for name in SPLITS))


def corpus_files(path: Path) -> List[Path]:
    """The .spacy files of a corpus: the file itself, or every .spacy file in a folder.

    path (Path): a DocBin or a folder of them.
    RETURNS (List[Path]): the files, in name order.
    RAISES (FileNotFoundError): naming the path and the fix.
    """
    if path.is_dir():
        files = sorted(path.glob("*.spacy"))
        if not files:
            raise FileNotFoundError(f"No .spacy files in {path}. Convert a corpus first (maize-ner convert).")
        return files
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"Corpus not found: {path}. Give a .spacy file or a folder of them.")


def load_corpus(path: Path) -> Dict[str, List[Doc]]:
    """Docs of a .spacy file, or of every .spacy file in a folder.

    path (Path): a DocBin or a folder of them.
    RETURNS (Dict[str, List[Doc]]): {file stem: Docs}, files in name order.
    """
    vocab = Vocab()
    corpus = {}
    for file_ in corpus_files(path):
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
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --json file; without it, it is refused"),
) -> None:
    """Documents, sentences, tokens, entities per label and entity length in tokens (1, 2, >=3)."""
    try:
        files = corpus_files(corpus)
    except FileNotFoundError as err:
        msg.fail(str(err), exits=1)
    if json_path is not None:  # checked before any work: not a corpus file, writable, not replaced unasked
        meta = (corpus if corpus.is_dir() else corpus.parent) / "meta.json"
        try:
            inputs = [*files, meta] if meta.is_file() else files
            check_outputs(inputs, {"--json": json_path}, overwrite=overwrite, command="stats")
        except (OSError, ValueError) as err:
            msg.fail("Cannot write the --json file", str(err), exits=1)
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
        try:
            atomic_write_lines(json_path, [srsly.json_dumps(stats, indent=2) + "\n"])
        except OSError as err:
            msg.fail(f"Cannot write {json_path}: {err}", "Nothing was left half-written; free space or choose another path.", exits=1)
        msg.good(f"Wrote {json_path}")


# ---- annotate (issue 11): the command lives in spacy_maize_ner/annotate/cli.py ----------
from .annotate.cli import annotate_cli  # noqa: E402

app.command("annotate")(annotate_cli)


def main() -> None:
    """`python -m spacy_maize_ner` and `maize-ner`: expected errors (an LLM endpoint refusing the
    key, a missing pipeline, bad input) end with their message alone; `--verbose` or
    MAIZE_NER_VERBOSE=1 adds the traceback (cli_errors.py)."""
    from .cli_errors import run_script

    run_script(app)
