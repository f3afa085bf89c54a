"""Plain text input: a whole file is one document (`text`), or every non-empty line is one (`lines`).

`text`: the id is the file's stem; the text is the file's content, as is.
`lines`: the id is `<stem>:<line number>`; the text is the line without its line end.
"""
from pathlib import Path
from typing import Iterator, Union

from ..records import Malformed, Passage, Record
from .base import Item, is_blank, iter_lines


def read_text(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): one Record for the file, or a Malformed naming a line that is not UTF-8."""
    path = Path(path)
    parts = []
    for line_no, line, error in iter_lines(path):
        if error is not None:
            yield Malformed(str(path), line_no, error.problem, 0, path.stem)
            return
        parts.append(line)
    yield Record(path.stem, [Passage(0, "".join(parts))], source=str(path), line=1, format="text")


def read_lines(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): a Record per non-empty line; a Malformed for a line that is not UTF-8."""
    path = Path(path)
    index = 0
    for line_no, line, error in iter_lines(path):
        line = line.rstrip("\n").rstrip("\r")
        if error is not None:
            yield Malformed(str(path), line_no, error.problem, index, f"{path.stem}:{line_no}")
        elif not is_blank(line):
            yield Record(f"{path.stem}:{line_no}", [Passage(0, line)], source=str(path), line=line_no, index=index, format="lines")
        else:
            continue
        index += 1
