"""What every format module provides: a reader, a writer, and a tolerant line reader."""
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from ...corpus.textio import BOM, TextDecodeError, decode_line, is_blank  # noqa: F401  (is_blank: one rule for every reader)
from ..records import Annotation, Malformed, Record

Item = Union[Record, Malformed]


class Writer:
    """Streams records into one output file: `header()`, `record()` per record, `footer()`.

    `record(record, first)` gets `first=True` for the file's first record (BioC JSON puts
    commas between documents). Each returns the text to append; nothing else is kept
    between calls, so a run resumed half way can go on writing.
    """

    suffix = ".txt"

    def __init__(self, collection: Optional[Dict[str, Any]] = None) -> None:
        self.collection = dict(collection or {})  # BioC collection fields (source, date, key, infons) to keep

    def header(self) -> str:
        return ""

    def record(self, record: Record, first: bool) -> str:
        raise NotImplementedError

    def footer(self) -> str:
        return ""


def iter_lines(path: Union[str, Path]) -> Iterator[Tuple[int, str, "TextDecodeError | None"]]:
    """(line number, line, None), or (line number, "", error) for a line that is not UTF-8.

    Lines end at "\\n" only. A byte order mark at the start of a line is dropped: on the
    first line it marks the encoding, on a later one it is where two files were
    concatenated (`cat a b`), and read as text it would become part of a PMID or id.
    """
    source = str(path)
    with Path(path).open("rb") as file_:
        for line_no, raw in enumerate(file_, start=1):
            if raw.startswith(BOM):
                raw = raw[len(BOM):]
            try:
                yield line_no, decode_line(raw, source, line_no), None
            except TextDecodeError as err:
                yield line_no, "", err


def sorted_annotations(annotations: List[Annotation]) -> List[Annotation]:
    """By start offset; annotations at the same start keep their order (stable)."""
    return sorted(annotations, key=lambda a: a.start)
