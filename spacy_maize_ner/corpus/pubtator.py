"""Read and write PubTator files as PubTator and BioCreative distribute them.

One document per block, blocks separated by a blank line:

    PMID|t|Title text
    PMID|a|Abstract text
    PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>identifier[<TAB>names]
    PMID<TAB>CID<TAB>id1<TAB>id2

- Offsets are character offsets into `title + " " + abstract` (`PubTatorDocument.text`).
- Identifiers may be composite (`D014786|D006311`, with the individual names in an
  optional 7th column, e.g. `ZmCCT9|ZmCOL3`) or `-1` for unnormalised mentions.
- Tolerated: CRLF line ends, a missing final blank line, a missing blank line before
  the next `PMID|t|` line, a document without its `PMID|a|` line, a byte order mark at
  the start of any line (files concatenated with `cat`).
- A blank line is empty or holds only spaces and tabs; a line of other invisible
  characters (e.g. `\\x1c`, which Python's `str.strip` removes) is not blank, and is
  read as an annotation line (and reported as malformed).

Annotation lines: mention or relation, by shape. The line is split at tabs:

- A *mention* has 6 or 7 columns (`PMID start end text type identifier[ names]`).
  Every line of 6 or more columns is read as a mention. Its start and end are offsets:
  ASCII digits (`[0-9]`, an optional `-` for a negative, out-of-range offset), below
  2**63; anything else (`start`, `1.5`, Arabic-Indic or fullwidth digits, 20 digits)
  makes it a malformed mention. A mention with an empty type is malformed too (it
  would be an entity without a label).
- A *relation* has 4 or 5 columns, `PMID<TAB>TYPE<TAB>id1<TAB>id2[<TAB>extra]`, with a
  type name in the second column (a letter or `_` first, e.g. `CID`, `Association`),
  which is never an integer; the 5th column (e.g. BioRED's novelty) is kept in
  `PubTatorRelation.extra` and written back. Its PMID is kept as read: a relation
  whose PMID differs from its document's is written back under its own PMID (and
  `convert` reports it).
- Anything else (fewer than 4 columns, 8 or more, a 4- or 5-column line whose second
  column is not a type name) is malformed.

Malformed lines are never dropped silently: each is kept on its document as a
`MalformedLine` (file line number, problem); `convert` counts it as a dropped
`malformed_line` in its report, `format_pubtator` (used by `annotate`) writes it back
as it was read.

Errors. A line that breaks the structure, so that the document cannot be read (an
annotation outside a document, an abstract without its title, an unknown `|x|`
section), raises `PubTatorFormatError` naming the file, line number, line and fix.
"""
import re
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from .textio import atomic_write, is_blank, read_lines

# An offset: ASCII digits only (`\d` would accept "١٠" and "１０", which int() reads).
OFFSET = re.compile(r"-?[0-9]+")
MAX_OFFSET = 2**63 - 1  # larger offsets are malformed (JSON, msgpack and numpy stop at 64 bits)
# The second column of a relation line: a type such as CID, Association, Bind.
RELATION_TYPE = re.compile(r"[A-Za-z_][\w.-]*")
MENTION_COLUMNS = (6, 7)
RELATION_COLUMNS = (4, 5)
BOM_CHAR = "\ufeff"
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
        self.problem = f"{problem}: {shown!r}. {fix}"  # without the place, for reports that name it themselves
        super().__init__(f"{source}:{line_no}: {self.problem}")


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
        line = raw.rstrip("\n").rstrip("\r").lstrip(BOM_CHAR)  # a BOM where files were joined
        if is_blank(line):
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
    if block is None:
        raise PubTatorFormatError(
            source, line_no, line, "abstract without its title line",
            f"Put the line 'PMID|t|title' for PMID {pmid} right before its abstract.",
        )
    if block.pmid != pmid:
        raise PubTatorFormatError(
            source, line_no, line, "abstract without its title line",
            f"Put the line '{pmid}|t|title' right before this abstract, or give both lines the same PMID: "
            f"the title line above (line {block.line_no}) has PMID {block.pmid!r} and this abstract {pmid!r} "
            "(look for invisible characters or spaces).",
        )
    if block.abstract is not None:
        raise PubTatorFormatError(
            source, line_no, line, "second abstract line for one document",
            "A document has one 'PMID|a|' line: join the two texts (offsets count one "
            "line) or start a new document with its own 'PMID|t|' line.",
        )
    block.abstract = body


def parse_offset(value: str) -> Optional[int]:
    """An offset column as an int, or None when it is not one (module docstring).

    value (str): the column.
    RETURNS (Optional[int]): the offset; None for anything but ASCII digits (with an
        optional "-") whose value is below 2**63.
    """
    if not OFFSET.fullmatch(value) or len(value) > 20:
        return None
    number = int(value)
    return number if abs(number) <= MAX_OFFSET else None


def _add_annotation(block: _Block, line: str, line_no: int) -> None:
    """Append a mention, a relation or a malformed line to the block (shapes: module docstring)."""
    columns = line.split("\t")
    n = len(columns)
    problem: Optional[str] = None
    if n >= 6:  # a mention, however broken its offsets
        start, end = parse_offset(columns[1]), parse_offset(columns[2])
        if n not in MENTION_COLUMNS:
            problem = (
                f"a mention has 6 or 7 tab-separated columns (PMID, start, end, text, type, identifier"
                f"[, names]), found {n}"
            )
        elif start is None or end is None:
            problem = (
                f"start and end offsets must be integers in ASCII digits (0-9) below 2**63, found "
                f"{_show(columns[1])} and {_show(columns[2])}"
            )
        elif not columns[4].strip():
            problem = "the type (5th column) is empty: give the mention a type such as Gene"
        else:
            block.mentions.append(
                PubTatorMention(
                    pmid=columns[0], start=start, end=end, text=columns[3], type=columns[4],
                    identifier=columns[5], extra=columns[6] if n == 7 else None, line_no=line_no,
                )
            )
            return
    elif n in RELATION_COLUMNS and RELATION_TYPE.fullmatch(columns[1]):
        block.relations.append(
            PubTatorRelation(columns[0], columns[1], columns[2], columns[3], line_no, tuple(columns[4:]))
        )
        return
    else:
        problem = (
            f"neither a mention (6 or 7 tab-separated columns: PMID, start, end, text, type, "
            f"identifier[, names]) nor a relation (PMID<TAB>TYPE<TAB>id1<TAB>id2[<TAB>extra], the "
            f"type a name such as CID): found {n} column(s)"
            + (f", the second {_show(columns[1])}" if n in RELATION_COLUMNS else "")
            + ("; if the columns are separated by spaces, use tabs" if n < 4 and len(line.split()) >= 4 else "")
        )
    block.malformed.append(MalformedLine(columns[0], line, problem, line_no))


def _show(value: str) -> str:
    """A column for a message: repr, cut at 40 characters."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def relations_to_data(document: PubTatorDocument) -> Dict[str, Any]:
    """The document's relations as msgpack-able user data, their PMIDs as read.

    document (PubTatorDocument): the document.
    RETURNS (Dict[str, Any]): {} without relations; else "pubtator_relations"
        ([[type, id1, id2, *extra], ...]) and, when a relation's PMID is not the
        document's, "pubtator_relation_pmids" ({"index": PMID as read}).
    """
    if not document.relations:
        return {}
    data: Dict[str, Any] = {"pubtator_relations": [[r.type, r.id1, r.id2, *r.extra] for r in document.relations]}
    other = {str(i): r.pmid for i, r in enumerate(document.relations) if r.pmid != document.pmid}
    if other:
        data["pubtator_relation_pmids"] = other
    return data


def relations_from_data(pmid: str, data: Dict[str, Any]) -> List[PubTatorRelation]:
    """The relations stored by `relations_to_data`, each under the PMID it was read with.

    pmid (str): the document's PMID.
    data (Dict[str, Any]): e.g. `doc.user_data`.
    RETURNS (List[PubTatorRelation]): the relations, in file order.
    """
    other = data.get("pubtator_relation_pmids") or {}
    return [
        PubTatorRelation(str(other.get(str(i), pmid)), rel[0], rel[1], rel[2], extra=tuple(rel[3:]))
        for i, rel in enumerate(data.get("pubtator_relations") or [])
    ]


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
