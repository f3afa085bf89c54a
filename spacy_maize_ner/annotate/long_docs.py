"""Cutting a text longer than the tokenizer's limit (`nlp.max_length`) into pieces.

Each piece ends at the last paragraph break (a blank line) before the limit, else the
last line break, else the last sentence end (". " before an upper-case letter or a
bracket), else the last whitespace, else at the limit itself. Pieces are processed as
documents of their own and their entities moved back by the piece's offset, so
entities never cross a cut; with cuts at paragraph or sentence ends, a sentence-level
model (CRF, HMM) predicts exactly what it would on the whole text.
"""
import re
from typing import List, Tuple

SENTENCE_END = re.compile(r"[.?!]\s+(?=[A-Z(\[\"'])")


def chunk_spans(text: str, max_length: int) -> List[Tuple[int, int]]:
    """The (start, end) character offsets of pieces of at most `max_length` characters.

    text (str): the text.
    max_length (int): the longest piece, e.g. `nlp.max_length`.
    RETURNS (List[Tuple[int, int]]): consecutive pieces covering the text; one for a short text.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be positive, got {max_length}.")
    spans = []
    start = 0
    while len(text) - start > max_length:
        limit = start + max_length
        window = text[start:limit]
        cut = _last_break(window)
        end = start + cut if cut > 0 else limit
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def _last_break(window: str) -> int:
    """The position right after the best break in the window, or 0 when there is none."""
    for sep in ("\n\n", "\n"):
        i = window.rfind(sep)
        if i > 0:
            return i + len(sep)
    last = None
    for last in SENTENCE_END.finditer(window):
        pass
    if last is not None:
        return last.end()
    i = max(window.rfind(" "), window.rfind("\t"))
    return i + 1 if i > 0 else 0
