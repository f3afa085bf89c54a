"""The one corpus reader: PubTator and IOB files -> Docs, for `convert` and `build_corpus`.

Beyond what `pubtator_to_docs` and `read_iob` do for one file, the reader checks a
whole input:

- `check_inputs`: every input is an existing file, and no file is given twice (a
  typo such as `a.txt a.txt`, or the same file by two paths, would double documents).
- A document whose PMID was read before (in the same file or another) is left out;
  each of its mentions is counted as `duplicate_document` in the report and the
  document is listed in `report.duplicate_documents`, so callers can warn.
- A document whose PMID is in `exclude_pmids` (held-out splits) is left out as
  `document_in_other_split`.
- A file with no document is listed in `report.empty_inputs`; `read_all` raises
  `EmptyInputError` when no input held any.

`annotate` reads PubTator through the same parser (`read_pubtator`) and the same
`check_inputs`.
"""
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc

from .convert import pubtator_to_docs
from .iob import read_iob
from .pubtator import PubTatorDocument, read_pubtator
from .report import ConversionReport

FORMATS = ("pubtator", "iob")


class EmptyInputError(ValueError):
    """No document in any input file."""


def check_inputs(paths: Sequence[Union[str, Path]]) -> List[Path]:
    """Check that every input exists, is a file, and is given once.

    paths (Sequence[Union[str, Path]]): the input files, in order.
    RETURNS (List[Path]): the paths.
    RAISES (FileNotFoundError, IsADirectoryError, ValueError): naming the path and the fix.
    """
    seen: Dict[Path, Path] = {}
    out = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"Input file not found: {path}. Check the path; INPUT... are files and OUTPUT comes last.")
        if not path.is_file():
            raise IsADirectoryError(f"Input is not a file: {path}. Give the files themselves (e.g. dir/*.txt), not a folder.")
        key = path.resolve()
        if key in seen:
            same = "" if seen[key] == path else f" (as {seen[key]})"
            raise ValueError(
                f"Input {path} is given twice{same}: its documents would be read twice. Give each file once."
            )
        seen[key] = path
        out.append(path)
    return out


class CorpusReader:
    """Read corpus files into Docs, keeping one report across all of them.

    fmt (str): "pubtator" or "iob".
    nlp (Language): the tokenizer and sentencizer (`make_blank_nlp()`).
    label_map (Optional[Dict[str, str]]): type -> label (`parse_labels`); None keeps all.
    n_sents (int): sentences per Doc for IOB input.
    report (Optional[ConversionReport]): receives every mention's outcome.
    """

    def __init__(
        self,
        fmt: str,
        nlp: Language,
        *,
        label_map: Optional[Dict[str, str]] = None,
        n_sents: int = 1,
        report: Optional[ConversionReport] = None,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"Unknown corpus format {fmt!r}: use one of {', '.join(FORMATS)}.")
        self.fmt, self.nlp, self.label_map, self.n_sents = fmt, nlp, label_map, n_sents
        self.report = report if report is not None else ConversionReport()
        self.seen: Dict[str, Tuple[str, int]] = {}  # PMID -> (file, line) where first read
        self.removed: List[str] = []  # PMIDs left out as document_in_other_split

    def read(self, path: Union[str, Path], exclude_pmids: Iterable[str] = ()) -> Iterator[Doc]:
        """Stream the Docs of one file.

        path (Union[str, Path]): the file.
        exclude_pmids (Iterable[str]): PMIDs to leave out as `document_in_other_split`.
        YIELDS (Doc): the Docs, in file order.
        """
        n = 0
        if self.fmt == "iob":
            for doc in read_iob(path, n_sents=self.n_sents, vocab=self.nlp.vocab, label_map=self.label_map, report=self.report):
                n += 1
                yield doc
        else:
            self.report.add_input(path)
            documents = self._pubtator_documents(path, frozenset(exclude_pmids))
            for doc in pubtator_to_docs(documents, self.nlp, label_map=self.label_map, report=self.report):
                n += 1
                yield doc
        if n == 0:
            self.report.empty_inputs.append(str(path))

    def read_all(self, paths: Sequence[Union[str, Path]], exclude_pmids: Iterable[str] = ()) -> List[Doc]:
        """The Docs of every file, in order; `EmptyInputError` when there are none."""
        docs = [doc for path in paths for doc in self.read(path, exclude_pmids)]
        if not docs:
            raise EmptyInputError(
                f"No documents in {', '.join(map(str, paths))}: the input is empty or not in the "
                f"{self.fmt} format. Check the files and --format."
            )
        return docs

    def _pubtator_documents(self, path: Union[str, Path], exclude: frozenset) -> Iterator[PubTatorDocument]:
        for document in read_pubtator(path):
            if document.pmid in exclude:
                account_for_skipped(document, self.report, "document_in_other_split")
                self.removed.append(document.pmid)
                continue
            first = self.seen.get(document.pmid)
            if first is not None:
                account_for_skipped(document, self.report, "duplicate_document")
                self.report.duplicate_documents.append({
                    "pmid": document.pmid, "source": document.source, "line": document.line_no,
                    "first_source": first[0], "first_line": first[1],
                })
                continue
            self.seen[document.pmid] = (document.source, document.line_no)
            yield document


def account_for_skipped(document: PubTatorDocument, report: ConversionReport, reason: str) -> None:
    """Count every mention (and malformed line) of a left-out document in the report."""
    report.documents_skipped[reason] = report.documents_skipped.get(reason, 0) + 1
    for bad in document.malformed:
        report.add(reason, source=document.source, line=bad.line_no, doc_id=document.pmid, raw=bad.line)
    for m in document.mentions:
        report.add(reason, source=document.source, line=m.line_no, doc_id=document.pmid, pmid=m.pmid,
                   start=m.start, end=m.end, text=m.text, type=m.type, identifier=m.identifier)
