"""Read and write PubTator files as PubTator and BioCreative distribute them.

One document per block, blocks separated by blank lines:

    PMID|t|Title text
    PMID|a|Abstract text
    PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>identifier[<TAB>names]
    PMID<TAB>CID<TAB>id1<TAB>id2

Offsets are character offsets into `title + " " + abstract`. Identifiers may be
composite (`D014786|D006311`, with the individual names in an optional 7th column) or
`-1` for unnormalised mentions. Relation lines (`CID`) follow the mentions.

A line that breaks the structure (text before a title, an unknown `|x|` section) is an
error naming the file and line. A mention line that cannot be read (wrong number of
columns, offsets that are not integers) is kept as a `MalformedLine` on its document so
the converter can report it rather than lose it.
"""
from pathlib import Path
from typing import Iterable, Iterator, List, NamedTuple, Optional, Union


class PubTatorMention(NamedTuple):
    """One annotation line: a mention with character offsets into the document text."""

    pmid: str
    start: int
    end: int
    text: str
    type: str
    identifier: str
    extra: Optional[str] = None  # the optional 7th column (names of composite parts)
    line_no: int = 0


class PubTatorRelation(NamedTuple):
    """One relation line, e.g. `PMID CID D008750 D007022`."""

    pmid: str
    type: str
    args: tuple
    line_no: int = 0


class MalformedLine(NamedTuple):
    """An annotation line that could not be read, kept for the conversion report."""

    pmid: str
    line: str
    reason: str
    line_no: int = 0


class PubTatorDocument(NamedTuple):
    pmid: str
    title: str
    abstract: str
    mentions: List[PubTatorMention]
    relations: List[PubTatorRelation]
    malformed: List[MalformedLine]
    source: str = ""
    has_abstract: bool = True

    @property
    def text(self) -> str:
        return f"{self.title} {self.abstract}"


class PubTatorFormatError(ValueError):
    pass


def _error(path: str, line_no: int, line: str, problem: str, fix: str) -> PubTatorFormatError:
    return PubTatorFormatError(f"{path}:{line_no}: {problem}: {line[:120]!r}. {fix}")


def read_pubtator(path: Union[str, Path]) -> Iterator[PubTatorDocument]:
    """Stream the documents of a PubTator file.

    path (Union[str, Path]): the file (UTF-8; CRLF line ends are accepted).
    YIELDS (PubTatorDocument): one per `PMID|t|` block, in file order.
    """
    path = str(path)
    with open(path, encoding="utf8", newline=None) as file_:
        yield from parse_pubtator(file_, source=path)


def parse_pubtator(lines: Iterable[str], source: str = "<string>") -> Iterator[PubTatorDocument]:
    """Parse PubTator lines (see the module docstring for the format)."""
    current: Optional[dict] = None

    def finish(doc: dict) -> PubTatorDocument:
        return PubTatorDocument(
            pmid=doc["pmid"],
            title=doc["title"],
            abstract=doc["abstract"] or "",
            mentions=doc["mentions"],
            relations=doc["relations"],
            malformed=doc["malformed"],
            source=source,
            has_abstract=doc["abstract"] is not None,
        )

    for line_no, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if current is not None:
                yield finish(current)
                current = None
            continue
        head = line.split("\t", 1)[0]
        if "\t" not in line and "|" in line:
            pmid, _, rest = line.partition("|")
            section, sep, body = rest.partition("|")
            if not sep or section not in ("t", "a"):
                raise _error(source, line_no, line, "unknown section",
                             "Title and abstract lines look like 'PMID|t|text' and 'PMID|a|text'.")
            if section == "t":
                if current is not None:  # a missing blank line between documents
                    yield finish(current)
                current = {"pmid": pmid, "title": body, "abstract": None, "mentions": [],
                           "relations": [], "malformed": []}
            else:
                if current is None or current["pmid"] != pmid:
                    raise _error(source, line_no, line, "abstract without its title line",
                                 f"Put 'PMID|t|title' for PMID {pmid} before its abstract.")
                if current["abstract"] is not None:
                    raise _error(source, line_no, line, "second abstract line for one document",
                                 "Each document has one 'PMID|a|' line; join the text or split the document.")
                current["abstract"] = body
            continue
        if current is None:
            raise _error(source, line_no, line, "annotation outside a document",
                         "Annotation lines follow the 'PMID|t|' and 'PMID|a|' lines of their document; "
                         "check for a stray blank line above it.")
        columns = line.split("\t")
        if len(columns) == 4 and not columns[1].isdigit():
            current["relations"].append(
                PubTatorRelation(pmid=columns[0], type=columns[1], args=tuple(columns[2:]), line_no=line_no)
            )
            continue
        if len(columns) not in (6, 7):
            current["malformed"].append(
                MalformedLine(head, line, f"expected 6 or 7 tab-separated columns, found {len(columns)}", line_no)
            )
            continue
        try:
            start, end = int(columns[1]), int(columns[2])
        except ValueError:
            current["malformed"].append(MalformedLine(head, line, "start and end offsets must be integers", line_no))
            continue
        current["mentions"].append(
            PubTatorMention(
                pmid=columns[0],
                start=start,
                end=end,
                text=columns[3],
                type=columns[4],
                identifier=columns[5],
                extra=columns[6] if len(columns) == 7 else None,
                line_no=line_no,
            )
        )
    if current is not None:
        yield finish(current)


def format_pubtator(document: PubTatorDocument) -> str:
    """The document as a PubTator block, ending with a blank line."""
    lines = [f"{document.pmid}|t|{document.title}"]
    if document.has_abstract:
        lines.append(f"{document.pmid}|a|{document.abstract}")
    for m in document.mentions:
        columns = [m.pmid, str(m.start), str(m.end), m.text, m.type, m.identifier]
        if m.extra is not None:
            columns.append(m.extra)
        lines.append("\t".join(columns))
    for r in document.relations:
        lines.append("\t".join([r.pmid, r.type, *r.args]))
    return "\n".join(lines) + "\n\n"


def write_pubtator(documents: Iterable[PubTatorDocument], path: Union[str, Path]) -> int:
    """Write documents as PubTator. RETURNS (int): the number written."""
    n = 0
    with open(path, "w", encoding="utf8", newline="\n") as file_:
        for document in documents:
            file_.write(format_pubtator(document))
            n += 1
    return n
