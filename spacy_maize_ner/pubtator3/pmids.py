"""PMID lists: one or more PubMed ids per line, separated by commas, tabs or spaces.

Blank lines and everything after `#` are ignored. A token that is not a positive
integer is an error naming the file, line and token.
"""
import re
from pathlib import Path
from typing import Iterable, List, Union

SEPARATORS = re.compile(r"[\s,;]+")


def parse_pmids(lines: Iterable[str], source: str = "<string>") -> List[str]:
    """lines (Iterable[str]): the list's lines. RETURNS (List[str]): PMIDs, each once, in order."""
    pmids: List[str] = []
    for line_no, line in enumerate(lines, start=1):
        for token in SEPARATORS.split(line.split("#", 1)[0].strip()):
            if not token:
                continue
            if not token.isdigit() or int(token) == 0:
                raise ValueError(
                    f"{source}:{line_no}: {token!r} is not a PMID. Give PubMed ids (positive integers), "
                    "one or more per line; start comments with '#'."
                )
            pmids.append(str(int(token)))
    return list(dict.fromkeys(pmids))


def read_pmids(path: Union[str, Path]) -> List[str]:
    """path (Union[str, Path]): a PMID list. RETURNS (List[str]): its PMIDs, each once."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"PMID list not found: {path}. Write one PMID per line there, or use a search query "
            "(--query / vars.maize_query) or a gene table (--genes / vars.maize_genes)."
        )
    return parse_pmids(path.read_text(encoding="utf-8-sig").splitlines(), source=str(path))


def write_pmids(pmids: Iterable[str], path: Union[str, Path]) -> Path:
    """Write one PMID per line. RETURNS (Path): the file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{p}\n" for p in pmids), encoding="utf8")
    return path
