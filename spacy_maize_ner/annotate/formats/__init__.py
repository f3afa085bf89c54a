"""The formats `annotate` reads and writes, by name, and guessing them from a file.

Input:  text (a file is a document), lines (a line is a document), jsonl, pubtator,
        bioc (XML), bioc-json.
Output: pubtator, jsonl, bioc (XML), bioc-json.
"""
import re
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional, Union

from .base import Item, Writer
from .bioc import BioCJsonWriter, BioCXmlWriter, collection_info, read_bioc_json, read_bioc_xml
from .jsonl import JsonlWriter, read_jsonl
from .pubtator import PubTatorWriter, read_pubtator_records
from .text import read_lines, read_text

READERS: Dict[str, Callable[[Union[str, Path]], Iterator[Item]]] = {
    "text": read_text,
    "lines": read_lines,
    "jsonl": read_jsonl,
    "pubtator": read_pubtator_records,
    "bioc": read_bioc_xml,
    "bioc-json": read_bioc_json,
}
WRITERS: Dict[str, Callable[[], Writer]] = {
    "pubtator": PubTatorWriter,
    "jsonl": JsonlWriter,
    "bioc": BioCXmlWriter,
    "bioc-json": BioCJsonWriter,
}
PUBTATOR_TITLE = re.compile(r"^[^\t|]+\|t\|")


def guess_input_format(path: Union[str, Path]) -> str:
    """The input format from the file name, else from its first line.

    .jsonl -> jsonl, .xml -> bioc, .json -> bioc-json; a name containing "pubtator",
    or a first line like `PMID|t|...`, -> pubtator; anything else -> text.
    """
    path = Path(path)
    by_suffix = format_from_suffix(path)
    if by_suffix:
        return by_suffix
    if "pubtator" in path.name.lower():
        return "pubtator"
    try:
        with path.open("rb") as file_:
            first = file_.readline(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return "text"
    return "pubtator" if PUBTATOR_TITLE.match(first) else "text"


def guess_output_format(path: Union[str, Path]) -> str:
    """The output format from the file name: .jsonl, .xml (BioC), .json (BioC JSON), else PubTator."""
    return format_from_suffix(path) or "pubtator"


def format_from_suffix(path: Union[str, Path]) -> Optional[str]:
    """jsonl for .jsonl/.ndjson, bioc for .xml, bioc-json for .json; None for any other name."""
    name = Path(path).name.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".xml"):
        return "bioc"
    if name.endswith(".json"):
        return "bioc-json"
    return None


def check_format(name: str, table: Dict, what: str) -> str:
    if name not in table:
        raise ValueError(f"Unknown {what} format {name!r}: use one of {', '.join(table)}.")
    return name
