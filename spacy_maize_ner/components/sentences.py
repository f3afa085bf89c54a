"""Sentence boundaries for biomedical abstracts tokenised by BioTokenizer.

spaCy's `sentencizer` starts a sentence after every `.` token, including those of
pre-tokenised corpus text such as BC2GM's `0 . 2` or `Fig . 2`. Here a sentence ends at
`.`, `?` or `!` only when whitespace follows and the next token starts with an
upper-case letter or an opening bracket. The converters and the trained pipelines use
this same rule, so a model tags the same kind of sentences it was trained on.
"""
from typing import Iterable, Optional

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


def set_sentence_starts(doc: Doc, protected: Optional[Iterable[range]] = None) -> Doc:
    """Mark sentence starts on `doc`; no boundary falls inside a `protected` token range."""
    inside = set()
    for span in protected or ():
        inside.update(range(span.start + 1, span.stop))
    for i, token in enumerate(doc):
        if i == 0:
            token.is_sent_start = True
        else:
            token.is_sent_start = ends_sentence(doc, i - 1) and i not in inside
    return doc


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
