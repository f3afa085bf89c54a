"""Cutting a text longer than the tokenizer's limit (`nlp.max_length`) into pieces.

Each piece ends at the last paragraph break (a blank line) before the limit, else the
last line break, else the last sentence end (". " before an upper-case letter or a
bracket), else the last whitespace, else at the limit itself. Pieces are processed as
documents of their own and their entities moved back by the piece's offset, so
entities never cross a cut; with cuts at paragraph or sentence ends, a sentence-level
model (CRF, HMM) predicts exactly what it would on the whole text.

spaCy's tokenizer strips prefixes and suffixes one at a time, each time on the rest of
the string: a run of punctuation without a space ("((((...", ".,.,.,...", "____...")
takes time quadratic in its length (20,000 "(" took 47 s). `break_punct_runs` replaces
every `PUNCT_RUN + 1`-th character of such a run by a space in the text the pipeline
sees, so no run is longer than `PUNCT_RUN`; the text keeps its length, so offsets are
exact, and entity texts are taken from the original text.
"""
import re
from typing import List, Tuple

PUNCT_RUN = 64
_PUNCT_RUN = re.compile(r"(?:[^\w\s]|_){%d,}" % (PUNCT_RUN + 1))

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


def break_punct_runs(text: str) -> Tuple[str, int]:
    """`text` with runs of more than `PUNCT_RUN` punctuation characters broken by spaces (same length).

    text (str): a piece of text for the tokenizer.
    RETURNS (Tuple[str, int]): the text to tokenize, and the number of runs broken (0: `text` itself).
    """
    runs = list(_PUNCT_RUN.finditer(text))
    if not runs:
        return text, 0
    chars = list(text)
    for match in runs:
        for i in range(match.start() + PUNCT_RUN, match.end(), PUNCT_RUN + 1):
            chars[i] = " "
    return "".join(chars), len(runs)
