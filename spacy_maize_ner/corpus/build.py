"""Known corpus layouts and the conversion of a corpus folder into DocBin splits.

A corpus is a folder of raw files (assets/<name>/). Known corpora name their split
files; any other folder is read whole and split by document with a seeded shuffle.
`corpus/meta.json` records where each split came from and which split is evaluated.
"""
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

from .registry import CORPORA

IOB_SUFFIXES = (".tsv", ".iob", ".iob2", ".conll", ".bio")
PUBTATOR_SUFFIXES = (".pubtator", ".txt")


class CorpusLayout(NamedTuple):
    """Where the splits of a known corpus live and how they are written."""

    name: str
    format: str  # "iob" or "pubtator"
    files: Dict[str, str]  # split name -> file name under the corpus folder


# Views of the one corpus registry (corpus/registry.py).
LAYOUTS: Dict[str, CorpusLayout] = {n: CorpusLayout(n, c.format, dict(c.files)) for n, c in CORPORA.items()}


# Who annotated the known corpora. A corpus folder may say it itself in provenance.json
# (written by the maize export: {"annotation": "silver", "source": ..., "note": ...}).
PROVENANCE: Dict[str, Dict[str, str]] = {n: {"annotation": c.annotation, "source": c.annotators} for n, c in CORPORA.items()}


def corpus_provenance(name: str, folder: Path) -> Dict[str, str]:
    """Whether a corpus is gold (human-annotated) or silver (machine-annotated), and its source.

    RETURNS (Dict[str, str]): `annotation` ("gold", "silver" or "unknown"), `source`, and
        whatever else `<folder>/provenance.json` holds.
    """
    path = Path(folder) / "provenance.json"
    if path.is_file():
        import srsly

        data = dict(srsly.read_json(path))
        if data.get("annotation") not in ("gold", "silver", "unknown"):
            raise ValueError(f"{path}: 'annotation' must be gold, silver or unknown, found {data.get('annotation')!r}.")
        return data
    return dict(PROVENANCE.get(name, {"annotation": "unknown", "source": f"folder {folder}"}))


def evaluation_split(corpus_dir: Path) -> Tuple[str, Path]:
    """The split every pipeline is scored on: test when it exists, else dev.

    RETURNS (Tuple[str, Path]): the split's name and its DocBin.
    """
    corpus_dir = Path(corpus_dir)
    for split in ("test", "dev"):
        path = corpus_dir / f"{split}.spacy"
        if path.exists():
            return split, path
    raise FileNotFoundError(
        f"Neither test.spacy nor dev.spacy in {corpus_dir}. Convert a corpus first "
        "(spacy project run convert)."
    )


def parse_labels(spec: str) -> Optional[Dict[str, str]]:
    """'Chemical,Disease' -> {Chemical: Chemical, Disease: Disease}; 'Gene:GENE' maps; '' keeps all."""
    spec = (spec or "").strip()
    if not spec:
        return None
    mapping: Dict[str, str] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        source, _, target = item.partition(":")
        if not source.strip() or (_ and not target.strip()):
            raise ValueError(
                f"Invalid label option {item!r} in {spec!r}: use TYPE or TYPE:LABEL, comma-separated "
                "(e.g. 'Chemical,Disease' or 'Gene:GENE')."
            )
        mapping[source.strip()] = (target or source).strip()
    return mapping


def guess_format(path: Path) -> str:
    """'iob' or 'pubtator' from the file name; error for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in IOB_SUFFIXES:
        return "iob"
    if suffix in PUBTATOR_SUFFIXES:
        return "pubtator"
    raise ValueError(
        f"Cannot tell the format of {path}: use {', '.join(IOB_SUFFIXES)} for token-per-line IOB "
        f"or {', '.join(PUBTATOR_SUFFIXES)} for PubTator."
    )


def find_split_files(name: str, folder: Path) -> Tuple[str, Dict[str, List[Path]], bool]:
    """The format, the files of each split, and whether the splits are the source's own.

    RETURNS (Tuple[str, Dict[str, List[Path]], bool]): format; {split: files}, with all
        files under "all" when the source has no split; True when the splits are official.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Corpus folder not found: {folder}. Provide the raw files first (spacy project run fetch)."
        )
    layout = LAYOUTS.get(name)
    if layout is not None:
        files = {split: [folder / f] for split, f in layout.files.items() if (folder / f).exists()}
        missing = [layout.files[s] for s in ("train", "dev") if s not in files]
        if missing:
            raise FileNotFoundError(
                f"{folder} lacks {', '.join(missing)} of the {name} corpus. Run "
                "`spacy project run fetch` (or copy the files there)."
            )
        return layout.format, files, True
    candidates = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "README")))
    candidates = [p for p in candidates if p.suffix.lower() in IOB_SUFFIXES + PUBTATOR_SUFFIXES]
    if not candidates:
        raise FileNotFoundError(
            f"No corpus files in {folder}: expected IOB ({', '.join(IOB_SUFFIXES)}) or PubTator "
            f"({', '.join(PUBTATOR_SUFFIXES)}) files."
        )
    formats = {guess_format(p) for p in candidates}
    if len(formats) > 1:
        raise ValueError(f"{folder} mixes IOB and PubTator files; keep one format per corpus folder.")
    by_split: Dict[str, List[Path]] = {}
    for path in candidates:
        stem = path.stem.lower()
        split = "train" if "train" in stem else "dev" if ("dev" in stem or "valid" in stem) else "test" if "test" in stem else None
        if split:
            by_split.setdefault(split, []).append(path)
    if "train" in by_split and "dev" in by_split:
        return formats.pop(), by_split, True
    return formats.pop(), {"all": candidates}, False


def build_corpus(
    name: str,
    folder: Path,
    output_dir: Path,
    *,
    label_map: Optional[Dict[str, str]] = None,
    seed: int = 0,
    n_sents: int = 1,
    ratios: Tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_length: Optional[int] = None,
) -> Dict:
    """Convert a corpus folder into `train/dev(/test).spacy`, a report and `meta.json`.

    name (str): a key of LAYOUTS, or any name for a folder read whole.
    folder (Path): the raw files (assets/<name>).
    output_dir (Path): where the DocBins, `conversion_report.json` and `meta.json` go.
    max_length (Optional[int]): the longest document in characters (`nlp.max_length`,
        1,000,000 by default); a longer one is an error naming it and this option.
    RETURNS (Dict): the contents of meta.json.
    RAISES (ValueError): an empty input, or a dev (or requested test) split left empty.
    """
    import srsly
    from spacy.tokens import DocBin

    from .nlp import make_blank_nlp
    from .reader import CorpusReader, EmptyInputError, check_inputs
    from .report import ConversionReport
    from .split import split_docs
    from .textio import atomic_write_bytes, atomic_write_lines, check_output_path

    fmt, files, official = find_split_files(name, Path(folder))
    provenance = corpus_provenance(name, Path(folder))
    nlp = make_blank_nlp()
    if max_length:
        nlp.max_length = max_length
    report = ConversionReport()
    for paths in files.values():
        check_inputs(paths)
    output_dir = Path(output_dir)
    for target in ("train.spacy", "dev.spacy", "test.spacy", "conversion_report.json", "conversion_report.jsonl", "meta.json"):
        check_output_path(output_dir / target, "corpus output")
    reader = CorpusReader(fmt, nlp, label_map=label_map, n_sents=n_sents, report=report)

    def read(paths: List[Path], exclude_pmids: frozenset = frozenset()) -> list:
        return [doc for path in paths for doc in reader.read(path, exclude_pmids)]

    if official:
        # Held-out splits are read first: a training document that is also in dev or test
        # (the shared BC5CDR training file contains the whole development set) is dropped
        # from train, so evaluation never scores documents the model was trained on.
        splits = {split: read(paths) for split, paths in files.items() if split != "train"}
        held_out = frozenset(d.user_data.get("pmid") for docs in splits.values() for d in docs) - {None}
        splits = {"train": read(files["train"], held_out), **splits}
        origin = "the source's own splits"
    else:
        splits = split_docs(read(files["all"]), ratios, seed=seed)
        origin = f"document-level split {ratios} with seed {seed}"
    if not any(splits.values()):
        raise EmptyInputError(f"No documents in the {name} corpus files under {folder}: check the files and their format.")
    check_split_sizes(splits, requested_test=official or ratios[2] > 0, origin=origin)
    removed = reader.removed
    output_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("train", "dev", "test"):
        if not splits.get(stale):
            (output_dir / f"{stale}.spacy").unlink(missing_ok=True)
    for split, docs in splits.items():
        if docs:
            atomic_write_bytes(output_dir / f"{split}.spacy", DocBin(docs=docs, store_user_data=True).to_bytes())
    report.write(output_dir / "conversion_report.json")
    eval_split = "test" if splits.get("test") else "dev"
    meta = {
        "corpus": name,
        "format": fmt,
        "folder": str(folder),
        "splits": {split: len(docs) for split, docs in splits.items()},
        "sources": {split: [str(p) for p in paths] for split, paths in files.items()},
        "split_origin": origin,
        "labels": label_map,
        "eval_split": eval_split,
        "eval_note": "" if eval_split == "test" else "no test split available here; dev is the evaluation split",
        "removed_from_train": {
            "documents": len(removed),
            "reason": "same PMID in the dev or test split",
            "pmids": removed,
        },
        "conversion": report.summary(),
        "annotation": provenance["annotation"],
        "provenance": {
            split: {**provenance, "files": [str(p) for p in files.get(split, files.get("all", []))]}
            for split, docs in splits.items() if docs
        },
    }
    atomic_write_lines(output_dir / "meta.json", [srsly.json_dumps(meta, indent=2) + "\n"])
    return meta


def check_split_sizes(splits: Dict[str, list], *, requested_test: bool, origin: str) -> None:
    """Raise when train or dev is empty, or test when a test split was asked for.

    splits (Dict[str, list]): split name -> documents.
    requested_test (bool): whether a test split is expected (official files, or a ratio > 0).
    origin (str): how the splits were made, for the message.
    """
    wanted = ["train", "dev"] + (["test"] if requested_test and "test" in splits else [])
    empty = [name for name in wanted if not splits.get(name)]
    if empty:
        sizes = ", ".join(f"{k} {len(v)}" for k, v in splits.items())
        raise ValueError(
            f"The {' and '.join(empty)} split would be empty ({sizes}; {origin}): a pipeline cannot be "
            "trained or evaluated on it. Give more documents, or other split ratios (e.g. --split 0.6,0.2,0.2)."
        )
