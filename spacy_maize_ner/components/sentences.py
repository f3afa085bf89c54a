"""Sentence boundaries for biomedical abstracts tokenised by BioTokenizer.

spaCy's `sentencizer` starts a sentence after every `.` token, including those of
pre-tokenised corpus text such as BC2GM's `0 . 2` or `Fig . 2`. Here a sentence ends at
`.`, `?` or `!` only when whitespace follows and the next token starts with an
upper-case letter or an opening bracket. The converters and the trained pipelines use
this same rule, so a model tags the same kind of sentences it was trained on.
"""
from typing import Iterable, List, Optional, Sequence

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

SENTENCE_END = frozenset(".?!")
SENTENCE_OPENERS = frozenset("([\"'")


def ends_sentence(doc: Doc, i: int) -> bool:
    """Whether token i closes a sentence."""
    token = doc[i]
    if token.text not in SENTENCE_END or not token.whitespace_ or i + 1 >= len(doc):
        return False
    first = doc[i + 1].text[0]
    return first.isupper() or first in SENTENCE_OPENERS


def sentence_starts(doc: Doc, protected: Optional[Iterable[range]] = None) -> List[bool]:
    """Whether each token starts a sentence by the rule above, in one pass over the doc.

    doc (Doc): the doc.
    protected (Optional[Iterable[range]]): token ranges (e.g. entities) no boundary falls inside.
    RETURNS (List[bool]): one flag per token; the first token always starts a sentence.
    """
    texts = [t.text for t in doc]
    spaces = [bool(t.whitespace_) for t in doc]
    starts = [False] * len(texts)
    for i in range(1, len(texts)):
        prev = texts[i - 1]
        if prev in SENTENCE_END and spaces[i - 1]:
            first = texts[i][0]
            starts[i] = first.isupper() or first in SENTENCE_OPENERS
    if starts:
        starts[0] = True
    for span in protected or ():
        for i in range(span.start + 1, span.stop):
            starts[i] = False
    return starts


def apply_sentence_starts(doc: Doc, starts: Sequence[bool]) -> Doc:
    """Set every token's sentence start in one array operation (`Doc.from_array`).

    Setting `token.is_sent_start` token by token makes spaCy check the whole doc each
    time, which is quadratic in its length; this is linear.
    doc (Doc): the doc; its entities are kept.
    starts (Sequence[bool]): one flag per token.
    RETURNS (Doc): the same doc.
    """
    if len(starts) != len(doc):
        raise ValueError(f"{len(starts)} sentence-start flags for a doc of {len(doc)} tokens: give one per token.")
    if len(doc):
        values = numpy.where(numpy.asarray(starts, dtype=bool), 1, -1).astype("int64")
        doc.from_array([SENT_START], values.astype("uint64").reshape(-1, 1))
    return doc


def set_sentence_starts(doc: Doc, protected: Optional[Iterable[range]] = None) -> Doc:
    """Mark sentence starts on `doc`; no boundary falls inside a `protected` token range."""
    return apply_sentence_starts(doc, sentence_starts(doc, protected))


@Language.factory("maize_sentencizer", assigns=["token.is_sent_start"])
def make_maize_sentencizer(nlp: Language, name: str) -> "MaizeSentencizer":
    return MaizeSentencizer(name)


class MaizeSentencizer:
    """Pipeline component wrapping `set_sentence_starts`; keeps boundaries already set."""

    def __init__(self, name: str = "maize_sentencizer") -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        if doc.has_annotation("SENT_START"):
            return doc
        return set_sentence_starts(doc)

    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "MaizeSentencizer":
        return self

    def to_disk(self, path, **kwargs) -> None:
        pass

    def from_disk(self, path, **kwargs) -> "MaizeSentencizer":
        return self
