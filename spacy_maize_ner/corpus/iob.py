"""Token-per-line IOB corpora (the BC2GM format) <-> spaCy Docs.

    Expression<TAB>O
    of<TAB>O
    ZmCCT9<TAB>B-GENE
    <blank line after each sentence>
    teosinte<TAB>B-GENE
    branched1<TAB>I-GENE

The token is the first column and the tag the last (middle columns are ignored);
CRLF line ends are accepted. A document marker is skipped: a line whose token is
exactly `-DOCSTART-` and whose other columns (tab- or, as CoNLL-2003 writes them,
space-separated) are only `O` or `-X-`, e.g. `-DOCSTART-`, `-DOCSTART-<TAB>O`,
`-DOCSTART- -X- -X- O`; it ends the sentence before it, so no entity runs across
it. Any other line, `-DOCSTART-x<TAB>B-GENE` or
`-DOCSTART-<TAB>B-GENE` included, is a token with its tag. A blank line is empty or
only spaces and tabs; a line of other invisible characters (e.g. `\\x1c`) is an error.
Tags are IOB2 or IOB1: an `I-` tag that opens an entity starts it and is reported as
`iob1_start`. A byte order mark at the start of a line (files joined with `cat`) is
ignored. A Doc holds `n_sents` sentences, its words joined by single spaces, with
sentence starts set.
Writing produces IOB2 with a blank line after each sentence, so an IOB2 file reads
and writes back byte for byte.
"""
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..tags import OUTSIDE, sentences, span_tags, split_tag, tags_to_spans
from .report import ConversionReport
from .textio import atomic_write, is_blank, read_lines

DOCSTART = "-DOCSTART-"
DOCSTART_FILLERS = frozenset({"O", "-X-"})  # the other columns of a CoNLL document marker
# On the last Doc of a file whose last sentence had no blank line after it, so that
# `write_iob` writes the file back as it was.
NO_FINAL_BLANK = "iob_no_final_blank_line"


class IOBSentence(NamedTuple):
    """One sentence of an IOB file."""

    words: List[str]
    tags: List[str]
    line_nos: List[int]  # the line of each token
    closed: bool = True  # False for a last sentence with no blank line after it


class IOBFormatError(ValueError):
    """An IOB line that cannot be read; names file, line and fix."""


def read_iob_sentences(path: Union[str, Path]) -> Iterator[IOBSentence]:
    """Stream the sentences of an IOB file, checking every line.

    path (Union[str, Path]): the file (UTF-8).
    YIELDS (IOBSentence): words, tags and line numbers of a sentence.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IOB file not found: {path}. Check the path.")
    sentence = IOBSentence([], [], [])
    # Lines end only at "\n"; invalid UTF-8 names file and line (textio.read_lines).
    for line_no, raw in read_lines(path):
        line = raw.rstrip("\n").rstrip("\r").lstrip("\ufeff")
        if is_blank(line) or is_docstart(line):  # a document marker also ends a sentence
            if sentence.words:
                yield sentence
                sentence = IOBSentence([], [], [])
            continue
        word, tag = _parse_line(path, line_no, line)
        sentence.words.append(word)
        sentence.tags.append(tag)
        sentence.line_nos.append(line_no)
    if sentence.words:
        yield sentence._replace(closed=False)


def is_docstart(line: str) -> bool:
    """Whether a line (without its line end) is a document marker (module docstring)."""
    first, *rest = line.strip(" \t").split(None, 1) or [""]
    if first != DOCSTART:
        return False
    return all(part in DOCSTART_FILLERS for part in "".join(rest).split())


def _parse_line(path: Path, line_no: int, line: str) -> Tuple[str, str]:
    columns = line.split("\t")
    if len(columns) < 2:
        raise IOBFormatError(
            f"{path}:{line_no}: expected 'token<TAB>tag', found no tab: {line[:80]!r}. "
            "Put one token per line with its tag in the last tab-separated column; "
            "if the columns are separated by spaces, replace them with a tab."
        )
    word, tag = columns[0], columns[-1].strip()
    if not word.strip():
        raise IOBFormatError(
            f"{path}:{line_no}: empty token in {line[:80]!r}. The first column holds the "
            "token; remove the line or put the token there."
        )
    try:
        split_tag(tag)
    except ValueError as err:
        raise IOBFormatError(
            f"{path}:{line_no}: {err} Fix the tag in the last column of {line[:80]!r}."
        ) from None
    return word, tag


def read_iob(
    path: Union[str, Path],
    *,
    n_sents: int = 1,
    vocab: Optional[Vocab] = None,
    label_map: Optional[Dict[str, str]] = None,
    report: Optional[ConversionReport] = None,
) -> Iterator[Doc]:
    """Read an IOB file into Docs with entities and sentence starts.

    path (Union[str, Path]): the TSV file (format in the module docstring).
    n_sents (int): sentences per Doc (the last Doc may hold fewer).
    vocab (Optional[Vocab]): the vocab of the Docs, e.g. `nlp.vocab`; a new one if None.
    label_map (Optional[Dict[str, str]]): label -> new label; labels not in it are
        dropped as `label_filtered`. None keeps every label.
    report (Optional[ConversionReport]): receives the outcome of every entity.
    YIELDS (Doc): words joined by single spaces.
    """
    if n_sents < 1:
        raise ValueError(f"n_sents must be 1 or more, got {n_sents}: give the number of sentences per Doc.")
    vocab = vocab if vocab is not None else Vocab()
    report = report if report is not None else ConversionReport()
    report.add_input(path)
    buffer: List[IOBSentence] = []
    index = 0
    for sentence in read_iob_sentences(path):
        buffer.append(sentence)
        if len(buffer) == n_sents:
            yield _make_doc(vocab, buffer, str(path), index, label_map, report)
            buffer, index = [], index + 1
    if buffer:
        yield _make_doc(vocab, buffer, str(path), index, label_map, report)


def _make_doc(
    vocab: Vocab,
    buffer: List[IOBSentence],
    source: str,
    index: int,
    label_map: Optional[Dict[str, str]],
    report: ConversionReport,
) -> Doc:
    words = [w for s in buffer for w in s.words]
    sent_starts = [i == 0 for s in buffer for i in range(len(s.words))]
    doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False], sent_starts=sent_starts)
    ents = []
    offset = 0
    for sentence in buffer:
        for start, end, label in tags_to_spans(sentence.tags):
            span = Span(doc, offset + start, offset + end, label=label)
            opening = sentence.tags[start]
            record = {
                "source": source, "line": sentence.line_nos[start], "doc_id": index,
                "start": span.start_char, "end": span.end_char, "text": span.text, "type": label,
                "identifier": None, "token_start": span.start, "token_end": span.end, "tag": opening,
            }
            if label_map is not None and label not in label_map:
                report.add("label_filtered", **record)
                continue
            if label_map is not None:
                span = Span(doc, span.start, span.end, label=label_map[label])
            ents.append(span)
            if opening.startswith("I-"):
                report.add("iob1_start", **record, new_start=span.start_char, new_end=span.end_char, new_text=span.text)
            else:
                report.add("exact")
        offset += len(sentence.words)
    doc.ents = ents
    if not buffer[-1].closed:
        doc.user_data[NO_FINAL_BLANK] = True
    report.documents += 1
    return doc


def format_iob(doc: Doc, final_blank_line: bool = True) -> str:
    """The doc as IOB2 lines, a blank line after each sentence.

    Whitespace tokens (from double spaces in PubTator text) are left out.
    doc (Doc): the Doc; sentences from its sentence starts, else one sentence.
    final_blank_line (bool): whether the last sentence is followed by a blank line.
    RETURNS (str): the lines.
    """
    blocks = []
    for sent in sentences(doc):
        pairs = [(t.text, tag) for t, tag in zip(sent, span_tags(sent)) if t.text.strip()]
        if not pairs:
            continue
        lines, previous = [], OUTSIDE
        for text, tag in pairs:
            if tag.startswith("I-") and previous[2:] != tag[2:]:
                tag = "B-" + tag[2:]  # its B- was on a whitespace token
            lines.append(f"{text}\t{tag}\n")
            previous = tag
        blocks.append("".join(lines))
    text = "\n".join(blocks)
    return text + "\n" if blocks and final_blank_line else text


def write_iob(docs: Iterable[Doc], path: Union[str, Path]) -> int:
    """Write Docs as IOB2 (token<TAB>tag, a blank line after each sentence).

    docs (Iterable[Doc]): e.g. from `read_iob` or `pubtator_to_docs`.
    path (Union[str, Path]): the output file; its folder is created.
    RETURNS (int): the number of Docs written.
    """
    n = 0
    previous: Optional[Doc] = None
    with atomic_write(path) as file_:
        for doc in docs:
            if previous is not None:
                file_.write(format_iob(previous))
            previous, n = doc, n + 1
        if previous is not None:
            file_.write(format_iob(previous, final_blank_line=not previous.user_data.get(NO_FINAL_BLANK)))
    return n


def read_iob_lists(path: Union[str, Path]) -> Tuple[List[List[str]], List[List[str]]]:
    """All sentences of an IOB file as parallel lists of words and of tags."""
    sentences_ = list(read_iob_sentences(path))
    return [s.words for s in sentences_], [s.tags for s in sentences_]
