"""Read and write PubTator files as PubTator and BioCreative distribute them.

One document per block, blocks separated by a blank line:

    PMID|t|Title text
    PMID|a|Abstract text
    PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>identifier[<TAB>names]
    PMID<TAB>CID<TAB>id1<TAB>id2

- Offsets are character offsets into `title + " " + abstract` (`PubTatorDocument.text`).
- Identifiers may be composite (`D014786|D006311`, with the individual names in an
  optional 7th column, e.g. `ZmCCT9|ZmCOL3`) or `-1` for unnormalised mentions.
- Relation lines (4 or more columns, the second a type name such as `CID`, not a
  number) follow the mentions; columns after `id2` are kept in `PubTatorRelation.extra`
  and written back.
- Tolerated: CRLF line ends, a missing final blank line, a missing blank line before
  the next `PMID|t|` line, a document without its `PMID|a|` line.

Errors. A line that breaks the structure, so that the document cannot be read (an
annotation outside a document, an abstract without its title, an unknown `|x|`
section), raises `PubTatorFormatError` naming the file, line number, line and fix. An
annotation line that can be attributed to a document but not read (not 6 or 7 columns
and not a relation, offsets that are not integers) is kept on its document as a
`MalformedLine`, so that the converter can count it in its report instead of losing it.
"""
import re
from pathlib import Path
from typing import Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from .textio import atomic_write, read_lines

INTEGER = re.compile(r"[+-]?\d+$")
# The second column of a relation line: a type such as CID, Association, Bind.
RELATION_TYPE = re.compile(r"[A-Za-z_][\w.-]*$")
# `PMID|t|text`: no tab before the section, which tells it from a mention line whose
# composite identifier contains "|".
SECTION = re.compile(r"([^\t|]*)\|([^\t|]*)\|(.*)$", re.DOTALL)


class PubTatorMention(NamedTuple):
    """One mention line: a span of the document text with a type and an identifier."""

    pmid: str
    start: int
    end: int
    text: str
    type: str
    identifier: str  # "-1" unnormalised, "D014786|D006311" composite
    extra: Optional[str] = None  # the optional 7th column (names of composite parts)
    line_no: int = 0


class PubTatorRelation(NamedTuple):
    """One relation line, e.g. `PMID<TAB>CID<TAB>D008750<TAB>D007022`."""

    pmid: str
    type: str
    id1: str
    id2: str
    line_no: int = 0
    extra: Tuple[str, ...] = ()  # any columns after id2


class MalformedLine(NamedTuple):
    """An annotation line of a document that could not be read, kept for the report."""

    pmid: str  # the first column, whatever it holds
    line: str
    problem: str
    line_no: int = 0


class PubTatorDocument(NamedTuple):
    """A title, an abstract and their annotations."""

    pmid: str
    title: str
    abstract: str
    mentions: List[PubTatorMention]
    relations: List[PubTatorRelation]
    malformed: Sequence[MalformedLine] = ()
    source: str = ""  # the file it was read from
    has_abstract: bool = True  # False when the file had no `PMID|a|` line
    line_no: int = 0  # line of `PMID|t|`

    @property
    def text(self) -> str:
        """RETURNS (str): `title + " " + abstract`, the text the offsets point into."""
        return f"{self.title} {self.abstract}"


class PubTatorFormatError(ValueError):
    """A PubTator file whose structure cannot be read; names file, line and fix."""

    def __init__(self, source: str, line_no: int, line: str, problem: str, fix: str) -> None:
        self.source, self.line_no, self.line = source, line_no, line
        shown = line if len(line) <= 120 else line[:117] + "..."
        super().__init__(f"{source}:{line_no}: {problem}: {shown!r}. {fix}")


def read_pubtator(path: Union[str, Path]) -> Iterator[PubTatorDocument]:
    """Stream the documents of a PubTator file (format in the module docstring).

    path (Union[str, Path]): the file, UTF-8 (a byte order mark is ignored).
    YIELDS (PubTatorDocument): one per `PMID|t|` block, in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"PubTator file not found: {path}. Check the path.")
    # Lines end only at "\n" (see textio.read_lines); "\r\n" is handled below.
    yield from parse_pubtator((line for _, line in read_lines(path)), source=str(path))


class _Block:
    """A document while its lines are read."""

    def __init__(self, pmid: str, title: str, line_no: int) -> None:
        self.pmid, self.title, self.line_no = pmid, title, line_no
        self.abstract: Optional[str] = None
        self.mentions: List[PubTatorMention] = []
        self.relations: List[PubTatorRelation] = []
        self.malformed: List[MalformedLine] = []

    def finish(self, source: str) -> PubTatorDocument:
        return PubTatorDocument(
            pmid=self.pmid,
            title=self.title,
            abstract=self.abstract or "",
            mentions=self.mentions,
            relations=self.relations,
            malformed=self.malformed,
            source=source,
            has_abstract=self.abstract is not None,
            line_no=self.line_no,
        )


def parse_pubtator(lines: Iterable[str], source: str = "<string>", start_line: int = 1) -> Iterator[PubTatorDocument]:
    """Parse PubTator lines (format in the module docstring).

    lines (Iterable[str]): the lines, with or without their line ends.
    source (str): the file name used in errors and records.
    start_line (int): the line number of the first line (for a block cut out of a file).
    YIELDS (PubTatorDocument): one per `PMID|t|` block.
    """
    block: Optional[_Block] = None
    for line_no, raw in enumerate(lines, start=start_line):
        line = raw.rstrip("\n").rstrip("\r")
        if not line.strip():
            if block is not None:
                yield block.finish(source)
                block = None
            continue
        section = SECTION.match(line)
        if section is not None:
            pmid, kind, body = section.groups()
            if kind == "t":
                if block is not None:  # no blank line before this title: tolerated
                    yield block.finish(source)
                block = _Block(pmid, body, line_no)
            elif kind == "a":
                _add_abstract(block, pmid, body, source, line_no, line)
            else:
                raise PubTatorFormatError(
                    source, line_no, line, f"unknown section '|{kind}|'",
                    "Title and abstract lines look like 'PMID|t|text' and 'PMID|a|text'; "
                    "annotation lines are tab-separated.",
                )
            continue
        if block is None:
            raise PubTatorFormatError(
                source, line_no, line, "annotation outside a document",
                "Annotation lines follow the 'PMID|t|' and 'PMID|a|' lines of their document; "
                "remove the blank line above it or add the document's title line.",
            )
        _add_annotation(block, line, line_no)
    if block is not None:  # no final blank line: tolerated
        yield block.finish(source)


def _add_abstract(block: Optional[_Block], pmid: str, body: str, source: str, line_no: int, line: str) -> None:
    if block is None or block.pmid != pmid:
        raise PubTatorFormatError(
            source, line_no, line, "abstract without its title line",
            f"Put the line 'PMID|t|title' for PMID {pmid} right before its abstract.",
        )
    if block.abstract is not None:
        raise PubTatorFormatError(
            source, line_no, line, "second abstract line for one document",
            "A document has one 'PMID|a|' line: join the two texts (offsets count one "
            "line) or start a new document with its own 'PMID|t|' line.",
        )
    block.abstract = body


def _add_annotation(block: _Block, line: str, line_no: int) -> None:
    """Append a mention, a relation or a malformed line to the block."""
    columns = line.split("\t")
    mention_like = len(columns) in (6, 7) and INTEGER.match(columns[2])
    if len(columns) >= 4 and RELATION_TYPE.match(columns[1]) and not mention_like:
        # A relation, however many columns follow id2 (kept in `extra`): a type name in
        # the second column, where a mention has its start offset. A 6- or 7-column line
        # with an integer third column is a mention with a broken start instead.
        block.relations.append(
            PubTatorRelation(columns[0], columns[1], columns[2], columns[3], line_no, tuple(columns[4:]))
        )
    elif len(columns) in (6, 7):
        if not (INTEGER.match(columns[1]) and INTEGER.match(columns[2])):
            problem = f"start and end offsets must be integers, found {columns[1]!r} and {columns[2]!r}"
            block.malformed.append(MalformedLine(columns[0], line, problem, line_no))
            return
        block.mentions.append(
            PubTatorMention(
                pmid=columns[0],
                start=int(columns[1]),
                end=int(columns[2]),
                text=columns[3],
                type=columns[4],
                identifier=columns[5],
                extra=columns[6] if len(columns) == 7 else None,
                line_no=line_no,
            )
        )
    else:
        problem = (
            f"expected 6 or 7 tab-separated columns for a mention (PMID, start, end, text, "
            f"type, identifier[, names]) or PMID<TAB>TYPE<TAB>id1<TAB>id2[<TAB>...] for a relation, "
            f"found {len(columns)} column(s)"
        )
        block.malformed.append(MalformedLine(columns[0], line, problem, line_no))


def format_pubtator(document: PubTatorDocument) -> str:
    """The document as a PubTator block, ending with its blank line.

    Malformed lines read with the document are written back as they were, after the
    mentions, so that nothing read is lost.
    document (PubTatorDocument): the document.
    RETURNS (str): the block's lines, "\\n"-terminated, then a blank line.
    """
    lines = [f"{document.pmid}|t|{document.title}"]
    if document.has_abstract:
        lines.append(f"{document.pmid}|a|{document.abstract}")
    for m in document.mentions:
        columns = [m.pmid, str(m.start), str(m.end), m.text, m.type, m.identifier]
        if m.extra is not None:
            columns.append(m.extra)
        lines.append("\t".join(columns))
    lines.extend(bad.line for bad in document.malformed)
    for r in document.relations:
        lines.append("\t".join([r.pmid, r.type, r.id1, r.id2, *r.extra]))
    return "\n".join(lines) + "\n\n"


def write_pubtator(documents: Iterable[PubTatorDocument], path: Union[str, Path]) -> int:
    """Write documents as PubTator, "\\n" line ends, a blank line after each document.

    documents (Iterable[PubTatorDocument]): e.g. from `read_pubtator` or `docs_to_pubtator`.
    path (Union[str, Path]): the output file; its folder is created; written atomically.
    RETURNS (int): the number of documents written.
    """
    n = 0
    with atomic_write(path) as file_:
        for document in documents:
            file_.write(format_pubtator(document))
            n += 1
    return n
