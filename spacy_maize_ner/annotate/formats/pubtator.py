"""PubTator in and out, through the corpus package's parser (`corpus.pubtator`).

Input: each block (lines up to a blank line) is parsed on its own, so a block whose
structure is broken (an abstract without its title, an unknown section, a line that is
not UTF-8) is one malformed record naming its file and line, and the next block is
read as usual. Annotation lines that cannot be read are kept with their document and
written back as they were (`corpus.pubtator.format_pubtator`); relations are kept.

Output: `PMID|t|title`, `PMID|a|abstract`, then the mentions sorted by offset, with
identifier `-1` for predicted mentions without one. A record from another format
becomes a title (its first passage, when a space follows it) and an abstract (the rest
of the text), or a title alone; line breaks and tabs in the text are written as spaces
(same length, so the offsets hold), and `|`, tabs and line breaks in an id as `_`.
"""
from pathlib import Path
from typing import Iterator, List, Tuple, Union

from ...corpus.pubtator import (MalformedLine, PubTatorDocument, PubTatorFormatError, PubTatorMention, format_pubtator,
                                parse_pubtator, relations_from_data, relations_to_data)
from ..records import Annotation, Malformed, Passage, Record
from .base import Item, Writer, is_blank, iter_lines, sorted_annotations


def read_pubtator_records(path: Union[str, Path]) -> Iterator[Item]:
    """YIELDS (Item): a Record per document, a Malformed per unreadable block."""
    source = str(path)
    index = 0
    for start, lines, error in _blocks(path):
        if error is not None:
            yield Malformed(source, error.line_no, error.problem, index, _pmid(lines))
            index += 1
            continue
        try:
            documents = list(parse_pubtator(lines, source=source, start_line=start))
        except PubTatorFormatError as err:
            yield Malformed(source, err.line_no, err.problem, index, _pmid(lines))
            index += 1
            continue
        for document in documents:
            yield _record(document, index)
            index += 1


def _pmid(lines: List[str]) -> str:
    return lines[0].split("|", 1)[0].split("\t", 1)[0] if lines else ""


def _blocks(path) -> Iterator[Tuple[int, List[str], object]]:
    """(first line number, lines, None) per block; (line, lines, error) for a block with undecodable bytes."""
    lines: List[str] = []
    start, error = 0, None
    for line_no, line, err in iter_lines(path):
        if err is None and is_blank(line):
            if lines or error:
                yield start, lines, error
            lines, error = [], None
            continue
        if not lines and error is None:
            start = line_no
        if err is not None and error is None:
            error = err
        lines.append(line)
    if lines or error:
        yield start, lines, error


def _record(document: PubTatorDocument, index: int) -> Record:
    passages = [Passage(0, document.title, "title")]
    if document.has_abstract:
        passages.append(Passage(len(document.title) + 1, document.abstract, "abstract"))
    annotations = [
        Annotation(m.start, m.end, m.text, m.type, m.identifier,
                   extra={k: v for k, v in (("names", m.extra), ("pmid", m.pmid if m.pmid != document.pmid else None)) if v is not None})
        for m in document.mentions
    ]
    extra = dict(relations_to_data(document))  # each relation under the PMID it was read with
    if document.malformed:
        extra["pubtator_malformed"] = [[bad.line_no, bad.line, bad.problem] for bad in document.malformed]
    return Record(document.pmid, passages, annotations, source=document.source, line=document.line_no,
                  index=index, format="pubtator", extra=extra)


def _title_abstract(record: Record) -> Tuple[str, str, bool]:
    text = record.text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    first = record.passages[0] if record.passages else None
    if record.format == "pubtator" or (
        first is not None and first.offset == 0 and len(record.passages) > 1 and text[len(first.text):len(first.text) + 1] == " "
    ):
        n = len(first.text) if first is not None else 0
        return text[:n], text[n + 1:], len(record.passages) > 1
    return text, "", False


class PubTatorWriter(Writer):
    suffix = ".pubtator"

    def record(self, record: Record, first: bool) -> str:
        title, abstract, has_abstract = _title_abstract(record)
        pmid = "".join("_" if c in "|\t\r\n" else c for c in record.id) or "_"  # one field on one line
        clean = lambda s: s.replace("\n", " ").replace("\r", " ").replace("\t", " ")  # noqa: E731
        mentions = [
            PubTatorMention(a.extra.get("pmid", pmid), a.start, a.end, clean(a.text), clean(a.label) or "-",
                            clean(a.identifier) or "-1", a.extra.get("names"))
            for a in sorted_annotations(record.annotations)
        ]
        relations = relations_from_data(pmid, record.extra)
        malformed = [MalformedLine(pmid, line, problem, n) for n, line, problem in record.extra.get("pubtator_malformed", [])]
        return format_pubtator(PubTatorDocument(pmid, title, abstract, mentions, relations, malformed, has_abstract=has_abstract))
