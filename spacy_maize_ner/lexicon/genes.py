"""Gene tables as maize literature databases export them, and the lexicon built from them.

A gene table is CSV or TSV with a header row; the PMID and gene symbol columns are named
by options (`pmid_column`, `symbol_column`), an optional synonym column too. A cell may
hold several PMIDs (separated by `;`, `,`, `|` or spaces; a `PMID:` prefix is ignored)
and several synonyms (separated by `;` or `|`). Rows without a symbol still give PMIDs.

The lexicon is one JSON object per line (`write_lexicon`):
`{"text": "ZmCCT9", "symbol": "ZmCCT9", "kind": "symbol", "case_sensitive": false, "label": ""}`
(`label` "" means the dictionary component's label, GENE by default).
Terms are matched case-insensitively, except short ones (<= `short_max` characters, e.g.
`tb1`, `Rf3`) and common English words (`COMMON_WORDS`, e.g. `white`), which match only
with their exact case; their case variants in the source are kept as separate terms.
Terms shorter than `min_length` or without a letter are skipped and listed.
"""
import csv
import re
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from spacy.lang.en.stop_words import STOP_WORDS

PMID_SPLIT = re.compile(r"[;,|\s]+")
SYNONYM_SPLIT = re.compile(r"[;|]")
# English words that are also gene symbols or names: matched with their exact case only.
COMMON_WORDS = frozenset(STOP_WORDS) | {
    "white", "red", "yellow", "green", "brown", "dwarf", "tall", "short", "small", "large", "early",
    "late", "light", "dark", "wild", "type", "cell", "gene", "protein", "stress", "root", "leaf", "seed",
    "set", "can", "cat", "car", "was", "has", "via", "not", "per", "map",
}


class GeneRecord(NamedTuple):
    """One row of a gene table."""

    symbol: str
    synonyms: Tuple[str, ...]
    pmids: Tuple[str, ...]
    line_no: int


class LexiconTerm(NamedTuple):
    """One string the dictionary matches, with the gene symbol it stands for."""

    text: str
    symbol: str
    kind: str  # "symbol", "synonym" or "mention" (from a training corpus)
    case_sensitive: bool
    label: str = ""  # the entity label; "" takes the dictionary component's label


class SkippedTerm(NamedTuple):
    text: str
    symbol: str
    reason: str


def read_gene_table(
    path: Union[str, Path],
    *,
    pmid_column: str = "pmid",
    symbol_column: str = "gene_symbol",
    synonym_column: Optional[str] = None,
    delimiter: Optional[str] = None,
) -> List[GeneRecord]:
    """Read a CSV/TSV gene table (format in the module docstring).

    delimiter (Optional[str]): None: tab for .tsv/.tab/.txt files, comma otherwise.
    RETURNS (List[GeneRecord]): one per data row.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Gene table not found: {path}. Check --genes / vars.maize_genes.")
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab", ".txt") else ","
    with path.open(encoding="utf-8-sig", newline="") as file_:
        reader = csv.DictReader(file_, delimiter=delimiter)
        columns = reader.fieldnames or []
        for option, name in (("pmid_column", pmid_column), ("symbol_column", symbol_column), ("synonym_column", synonym_column)):
            if name is not None and name not in columns:
                raise ValueError(
                    f"{path}: no column {name!r} (the {option}); its columns are {columns}. "
                    f"Name the right one with --{option.replace('_', '-')}."
                )
        records = []
        for row in reader:
            line_no = reader.line_num
            pmids = tuple(_pmids(row.get(pmid_column) or "", path, line_no))
            synonyms = tuple(s.strip() for s in SYNONYM_SPLIT.split(row.get(synonym_column) or "") if s.strip()) if synonym_column else ()
            records.append(GeneRecord((row.get(symbol_column) or "").strip(), synonyms, pmids, line_no))
    return records


def _pmids(cell: str, path: Path, line_no: int) -> List[str]:
    out = []
    for token in PMID_SPLIT.split(cell.strip()):
        token = re.sub(r"^(?:PMID|pmid):?", "", token)
        if not token:
            continue
        if not token.isdigit():
            raise ValueError(f"{path}:{line_no}: {token!r} in the PMID column is not a PMID (a positive integer).")
        out.append(str(int(token)))
    return out


def table_pmids(records: Iterable[GeneRecord]) -> List[str]:
    """RETURNS (List[str]): the PMIDs of all rows, each once, in table order."""
    return list(dict.fromkeys(p for r in records for p in r.pmids))


def build_lexicon(
    entries: Iterable[Tuple[str, str, str]],
    *,
    label: str = "",
    short_max: int = 3,
    min_length: int = 2,
    common_words: Iterable[str] = COMMON_WORDS,
) -> Tuple[List[LexiconTerm], List[SkippedTerm]]:
    """Terms from (text, symbol, kind) entries, with their case rule.

    A case-insensitive term stands for all its case variants, so later variants of it are
    not repeated; exact-case terms keep each variant.
    RETURNS (Tuple[List[LexiconTerm], List[SkippedTerm]]): the terms and those skipped.
    """
    common = {w.lower() for w in common_words}
    terms: Dict[Tuple[str, bool], LexiconTerm] = {}
    skipped: List[SkippedTerm] = []
    for text, symbol, kind in entries:
        text = " ".join(text.split())
        if len(text) < min_length:
            skipped.append(SkippedTerm(text, symbol, f"shorter than {min_length} characters"))
            continue
        if not any(ch.isalpha() for ch in text):
            skipped.append(SkippedTerm(text, symbol, "no letter (a number or punctuation)"))
            continue
        sensitive = len(text) <= short_max or text.lower() in common
        key = (text if sensitive else text.lower(), sensitive)
        if key not in terms:
            terms[key] = LexiconTerm(text, symbol, kind, sensitive, label)
    return list(terms.values()), skipped


def lexicon_entries(records: Iterable[GeneRecord]) -> List[Tuple[str, str, str]]:
    """(text, symbol, kind) for each symbol and synonym of a gene table."""
    out = []
    for r in records:
        if r.symbol:
            out.append((r.symbol, r.symbol, "symbol"))
        out.extend((s, r.symbol or s, "synonym") for s in r.synonyms)
    return out


def write_lexicon(terms: Iterable[LexiconTerm], path: Union[str, Path]) -> Path:
    """Write the lexicon as JSONL (module docstring). RETURNS (Path): the file."""
    import srsly

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_jsonl(path, [t._asdict() for t in terms])
    return path


def read_lexicon(path: Union[str, Path]) -> List[LexiconTerm]:
    """RETURNS (List[LexiconTerm]): the terms of a lexicon JSONL file."""
    import srsly

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Lexicon not found: {path}. Write one with `scripts/maize_pmids.py --genes`.")
    terms = []
    for i, obj in enumerate(srsly.read_jsonl(path), start=1):
        try:
            terms.append(LexiconTerm(obj["text"], obj.get("symbol", obj["text"]), obj.get("kind", "symbol"),
                                     bool(obj["case_sensitive"]), obj.get("label", "")))
        except (KeyError, TypeError):
            raise ValueError(f"{path}:{i}: a lexicon line needs 'text' and 'case_sensitive': {obj!r}") from None
    return terms
