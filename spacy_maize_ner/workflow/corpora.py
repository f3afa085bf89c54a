"""Known corpus layouts and the conversion of a corpus folder into DocBin splits.

A corpus is a folder of raw files (assets/<name>/). Known corpora name their split
files; any other folder is read whole and split by document with a seeded shuffle.
`corpus/meta.json` records where each split came from and which split is evaluated.
"""
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

IOB_SUFFIXES = (".tsv", ".iob", ".iob2", ".conll", ".bio")
PUBTATOR_SUFFIXES = (".pubtator", ".txt")


class CorpusLayout(NamedTuple):
    """Where the splits of a known corpus live and how they are written."""

    name: str
    format: str  # "iob" or "pubtator"
    files: Dict[str, str]  # split name -> file name under the corpus folder


LAYOUTS: Dict[str, CorpusLayout] = {
    "bc2gm": CorpusLayout(
        "bc2gm", "iob", {"train": "train.tsv", "dev": "devel.tsv", "test": "test.tsv"}
    ),
    "bc5cdr": CorpusLayout(
        "bc5cdr",
        "pubtator",
        {
            "train": "CDR_TrainingSet.PubTator.txt",
            "dev": "CDR_DevelopmentSet.PubTator.txt",
            "test": "CDR_TestSet.PubTator.txt",
        },
    ),
}


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
