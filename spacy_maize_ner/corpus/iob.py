"""Token-per-line IOB corpora (the BC2GM format) <-> spaCy Docs.

    Immunohistochemical<TAB>O
    ZmCCT9<TAB>B-GENE
    <blank line between sentences>

The token is the first column and the tag the last (middle columns are ignored);
`-DOCSTART-` lines are skipped. IOB2 and IOB1 are read; an `I-` tag that opens an
entity is kept as its start and reported as `iob1_start`. Writing produces IOB2.
"""
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple, Union

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..tags import sentences, span_tags, split_tag, tags_to_spans
from .report import ConversionReport

LabelMap = Optional[dict]


class IOBFormatError(ValueError):
    pass


def _read_sentences(path: str) -> Iterator[Tuple[int, List[str], List[str]]]:
    """Yield (first line number, words, tags) per sentence, validating each line."""
    words: List[str] = []
    tags: List[str] = []
    first = 0
    with open(path, encoding="utf8", newline=None) as file_:
        for line_no, raw in enumerate(file_, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                if words:
                    yield first, words, tags
                words, tags = [], []
                continue
            if line.startswith("-DOCSTART-"):
                continue
            columns = line.split("\t")
            if len(columns) < 2:
                raise IOBFormatError(
                    f"{path}:{line_no}: expected 'token<TAB>tag', found no tab: {line[:80]!r}. "
                    "Separate token and tag with a tab character, one token per line."
                )
            try:
                split_tag(columns[-1])
            except ValueError as err:
                raise IOBFormatError(f"{path}:{line_no}: {err} Fix the tag in the last column.") from None
            if not words:
                first = line_no
            words.append(columns[0])
            tags.append(columns[-1])
    if words:
        yield first, words, tags


def read_iob(
    path: Union[str, Path],
    *,
    n_sents: int = 1,
    vocab: Optional[Vocab] = None,
    label_map: LabelMap = None,
    report: Optional[ConversionReport] = None,
) -> Iterator[Doc]:
    """Read an IOB file into Docs with entities and sentence starts.

    path (Union[str, Path]): the TSV file.
    n_sents (int): sentences per Doc.
    vocab (Optional[Vocab]): the vocab to build Docs with.
    label_map (Optional[dict]): label -> new label; None keeps all labels.
    report (Optional[ConversionReport]): receives the outcome of every entity.
    YIELDS (Doc): words joined by single spaces.
    """
    if n_sents < 1:
        raise ValueError(f"n_sents must be at least 1, got {n_sents}.")
    path = str(path)
    vocab = vocab if vocab is not None else Vocab()
    report = report if report is not None else ConversionReport()
    buffer: List[Tuple[int, List[str], List[str]]] = []

    def make_doc() -> Doc:
        words = [w for _, ws, _ in buffer for w in ws]
        starts = []
        for _, ws, _ in buffer:
            starts += [True] + [False] * (len(ws) - 1)
        doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False], sent_starts=starts)
        ents, offset = [], 0
        for line_no, ws, tags in buffer:
            for start, end, label in tags_to_spans(tags):
                details = {"source": path, "line": line_no + start, "document": report.documents,
                           "text": " ".join(ws[start:end]), "type": label}
                if label_map is not None and label not in label_map:
                    report.add("label_filtered", **details)
                    continue
                new_label = label_map[label] if label_map is not None else label
                ents.append(Span(doc, offset + start, offset + end, label=new_label))
                report.add("iob1_start" if tags[start].startswith("I-") else "exact",
                           **({} if not tags[start].startswith("I-") else details))
            offset += len(ws)
        doc.ents = ents
        report.documents += 1
        return doc

    report.add_input(path)
    for sentence in _read_sentences(path):
        buffer.append(sentence)
        if len(buffer) == n_sents:
            yield make_doc()
            buffer = []
    if buffer:
        yield make_doc()


def format_iob(doc: Doc) -> str:
    """The doc as IOB2 lines, a blank line after each sentence."""
    lines = []
    for sent in sentences(doc):
        for token, tag in zip(sent, span_tags(sent)):
            lines.append(f"{token.text}\t{tag}\n")
        lines.append("\n")
    return "".join(lines)


def write_iob(docs: Iterable[Doc], path: Union[str, Path]) -> int:
    """Write docs as IOB2. RETURNS (int): the number of docs written."""
    n = 0
    with open(path, "w", encoding="utf8", newline="\n") as file_:
        for doc in docs:
            file_.write(format_iob(doc))
            n += 1
    return n
