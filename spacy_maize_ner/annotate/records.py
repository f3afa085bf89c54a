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
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

INPUT_ORIGIN = "input"


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
    """The problem with a record's passages (overlapping, negative offsets), or None."""
    end = 0
    for passage in passages:
        if passage.offset < 0:
            return f"passage offset {passage.offset} is negative"
        if passage.offset < end:
            return f"passage at offset {passage.offset} overlaps the previous passage, which ends at {end}"
        end = passage.end
    return None


def check_annotation(annotation: Annotation, text: str) -> Optional[str]:
    """The problem with an input annotation's offsets, or None (its text may differ: kept as read)."""
    if not (0 <= annotation.start < annotation.end <= len(text)):
        return f"annotation offsets {annotation.start}-{annotation.end} lie outside the text ({len(text)} characters)"
    return None
