"""The document model every input format is read into and every output format written from.

A `Record` is one document: passages (a PubTator title and abstract, BioC passages, or
the one text of a plain-text or JSONL record) at character offsets into the document,
the annotations it came with, and what a writer of the same format needs to write it
back as it was (relations, infons, extra JSON fields). Offsets are document-level, as
in PubTator and BioC: `Record.text` places every passage at its offset, gaps filled
with spaces, so `record.text[a.start:a.end] == a.text` for a well-formed annotation.

A `Malformed` is a record that could not be read: where it was (file, line or
document index) and why. Readers yield both, in file order, so a run can skip the
bad ones, list them in its report, and count records the same way when it resumes.
"""
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

INPUT_ORIGIN = "input"
MAX_PASSAGE_GAP = 10_000_000  # characters between two passages; more is a broken offset, not a document
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Passage:
    """A text at a document-level character offset (`kind`: title, abstract, text, or a BioC type)."""

    offset: int
    text: str
    kind: str = "text"
    infons: Dict[str, Any] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)  # format-specific pass-through (BioC sentences, relations)

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


@dataclass
class Annotation:
    """A mention at document-level offsets, from the input or predicted.

    locations: for a discontinuous BioC annotation, every (start, end); start and end
    are then the outermost offsets.
    """

    start: int
    end: int
    text: str
    label: str
    identifier: str = ""
    origin: str = INPUT_ORIGIN  # "input", or the name of the pipeline that predicted it
    id: str = ""
    locations: Tuple[Tuple[int, int], ...] = ()
    infons: Dict[str, Any] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)  # PubTator 7th column ("names"), JSONL extra keys

    def overlaps(self, other: "Annotation") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass
class Record:
    """One document of an input file."""

    id: str
    passages: List[Passage]
    annotations: List[Annotation] = field(default_factory=list)
    source: str = ""
    line: int = 0  # where the record starts in its file (1-based; 0 when unknown)
    index: int = 0  # position among the file's records (0-based, malformed ones included)
    format: str = ""
    infons: Dict[str, Any] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)  # relations, malformed annotation lines, extra JSON keys

    @property
    def text(self) -> str:
        """RETURNS (str): every passage at its offset, gaps filled with spaces."""
        parts: List[str] = []
        length = 0
        for passage in self.passages:
            if passage.offset > length:
                parts.append(" " * (passage.offset - length))
                length = passage.offset
            parts.append(passage.text)
            length += len(passage.text)
        return "".join(parts)

    def passage_at(self, offset: int) -> Optional[Passage]:
        """The passage holding the character at `offset`, else the last one starting before it."""
        found = None
        for passage in self.passages:
            if passage.offset <= offset:
                found = passage
        return found

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else f"{self.source} (document {self.index + 1})"


@dataclass
class Malformed:
    """A record that could not be read; it is skipped and listed in the report."""

    source: str
    line: int
    problem: str
    index: int = 0
    id: str = ""

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else f"{self.source} (document {self.index + 1})"

    def to_dict(self) -> Dict[str, Any]:
        return {"source": self.source, "line": self.line, "document": self.index + 1, "id": self.id, "problem": self.problem}


def check_passages(passages: List[Passage]) -> Optional[str]:
    """The problem with a record's passages (overlapping, negative or far-off offsets, text not a string), or None."""
    end = 0
    for passage in passages:
        if not isinstance(passage.text, str):
            return f"passage text must be a string, found {type(passage.text).__name__}"
        if passage.offset < 0:
            return f"passage offset {passage.offset} is negative"
        if passage.offset < end:
            return f"passage at offset {passage.offset} overlaps the previous passage, which ends at {end}"
        if passage.offset - end > MAX_PASSAGE_GAP:
            return (f"passage offset {passage.offset} lies {passage.offset - end:,} characters after the previous "
                    f"passage's end (more than {MAX_PASSAGE_GAP:,}): the offset is broken")
        end = passage.end
    return None


def check_annotation(annotation: Annotation, text: str) -> Optional[str]:
    """The problem with an input annotation's offsets, or None (its text may differ: kept as read)."""
    if not (0 <= annotation.start < annotation.end <= len(text)):
        return f"annotation offsets {annotation.start}-{annotation.end} lie outside the text ({len(text)} characters)"
    return None


def check_record(record: Record) -> Optional[str]:
    """The problem with a record read from any format, or None: one validation for every reader.

    Passages must be well placed (`check_passages`) and every input annotation must lie
    inside the document (`check_annotation` against the end of its last passage), so a
    PubTator mention past the abstract's end is reported exactly as a JSONL entity past
    the text's end. A BioC file whose passages carry no text (sentence-level BioC) has
    nothing to check annotations against: its annotations are kept as read.
    """
    problem = check_passages(record.passages)
    if problem:
        return problem
    if any(not p.extra.get("has_text", True) for p in record.passages):
        return None
    length = max(record.passages[-1].end if record.passages else 0, len(record.extra.get("jsonl_text", "")))
    for i, annotation in enumerate(record.annotations):
        if not (0 <= annotation.start < annotation.end <= length):
            return (f"annotation {i + 1} ({annotation.text!r}, {annotation.label!r}): offsets "
                    f"{annotation.start}-{annotation.end} lie outside the text ({length} characters)")
    return None


def find_surrogate(value: Any, where: str = "") -> Optional[str]:
    """Where a lone surrogate (a broken UTF-16 escape such as `\\ud800` in JSON) is in decoded JSON, or None.

    Such a string is not text: it cannot be written as UTF-8, so the record is malformed.
    """
    if isinstance(value, str):
        return (where or "a string") if SURROGATE.search(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and SURROGATE.search(key):
            return f"a key of {where or 'the record'}"
        found = find_surrogate(item, f"{where}[{key!r}]" if where else repr(key))
        if found:
            return found
    return None
