"""Align spaCy tokens to a decoder's pieces by character offsets, exactly.

spacy-transformers aligns tokens to wordpieces with BERT's conventions in mind. For a
decoder the pieces are byte-level BPE (`Ġmaize`, a Greek letter as two byte pieces) or
SentencePiece (`▁maize`, whose `▁` stands for the space before the word), a `<bos>` may
open the sequence and pads may sit on the left (Gemma) or the right. The rule here uses
nothing but the fast tokenizer's offsets:

- piece j of a span belongs to token t when the characters of j (its offsets, relative
  to the span) and those of t overlap; a piece that covers only the space before a word
  (`▁`, `Ġ`) belongs to no token, a piece that spans two tokens (`(p` for `(` and `p`)
  belongs to both;
- special pieces (`special_tokens_mask`: `<bos>`, `<eos>`) and pads (`attention_mask` 0)
  are never pieces of a token, wherever they are in the row.

Indices are positions in the flattened, padded (spans x longest row) batch, as
`FullTransformerBatch.align` expects. A token of a span is aligned in every span that
holds it (strided spans overlap); its vector is then the mean over all of them.
"""
from typing import Dict, List, Sequence, Set, Tuple, cast

import numpy
from spacy.tokens import Span, Token
from thinc.types import Ints1d, Ragged


class AlignmentError(ValueError):
    """A token whose characters no piece covers (the tokenizer dropped or truncated text)."""


def token_positions(spans: Sequence[Span]) -> Dict[Token, int]:
    """Each token of each Doc behind `spans`, in Doc order, numbered across the batch."""
    positions: Dict[Token, int] = {}
    seen = set()
    for span in spans:
        if id(span.doc) in seen:
            continue
        seen.add(id(span.doc))
        for token in span.doc:
            positions[token] = len(positions)
    return positions


def span_pieces(span: Span, offsets: numpy.ndarray, keep: numpy.ndarray) -> List[List[int]]:
    """For each token of `span`, the row positions of the pieces that cover its characters.

    offsets (array (n, 2)): character offsets of the row's pieces, relative to span.text.
    keep (array (n,) of bool): which positions are real pieces (not special, not padding).
    """
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = keep & (ends > starts)
    out = []
    base = span.start_char
    for token in span:
        t_start, t_end = token.idx - base, token.idx - base + len(token.text)
        hits = numpy.nonzero(real & (starts < t_end) & (ends > t_start))[0]
        out.append([int(j) for j in hits])
    return out


def align_spans(
    spans: Sequence[Span],
    offsets: numpy.ndarray,
    attention_mask: numpy.ndarray,
    special_tokens_mask: numpy.ndarray,
    *,
    strict: bool = True,
) -> Ragged:
    """The alignment (Ragged of flat piece indices per token) of a tokenized batch of spans.

    offsets (array (spans, pieces, 2)), attention_mask and special_tokens_mask (spans, pieces):
        the fast tokenizer's output for `[span.text for span in spans]`, padded.
    strict (bool): raise AlignmentError for a non-space token that no piece covers.
    """
    if not (len(spans) == len(offsets) == len(attention_mask) == len(special_tokens_mask)):
        raise ValueError("Cannot align: the batch of spans and the tokenizer's output differ in length.")
    positions = token_positions(spans)
    aligned: List[Set[int]] = [set() for _ in range(len(positions))]
    width = offsets.shape[1] if len(offsets) else 0
    for row, span in enumerate(spans):
        keep = (numpy.asarray(attention_mask[row]) > 0) & (numpy.asarray(special_tokens_mask[row]) == 0)
        for token, pieces in zip(span, span_pieces(span, numpy.asarray(offsets[row]), keep)):
            if not pieces and strict and not token.is_space:
                raise AlignmentError(
                    f"No piece of the decoder's tokenizer covers the token {token.text!r} (characters "
                    f"{token.idx}-{token.idx + len(token.text)} of its document): the tokenizer dropped or truncated "
                    "text. Use shorter spans (get_spans window) or a tokenizer that keeps every character."
                )
            aligned[positions[token]].update(row * width + j for j in pieces)
    lengths = [len(a) for a in aligned]
    flat = [j for a in aligned for j in sorted(a)]
    return Ragged(cast(Ints1d, numpy.array(flat, dtype="i")), cast(Ints1d, numpy.array(lengths, dtype="i")))


def position_ids(attention_mask: numpy.ndarray) -> numpy.ndarray:
    """Positions 0, 1, ... of the real pieces of each row, wherever the pads are (left or right).

    Decoders number positions from the first real piece; with left padding the default
    (0..n-1 over the whole row) would shift every position by the row's pads.
    """
    mask = numpy.asarray(attention_mask) > 0
    positions = numpy.cumsum(mask, axis=1) - 1
    return numpy.where(mask, positions, 0).astype("int64")


def tokens_and_pieces(span: Span, alignment: Ragged, pieces: List[str], row_width: int) -> List[Tuple[str, List[str]]]:
    """(token text, piece strings) for one span's tokens: for reports and tests."""
    out, start = [], 0
    lengths = alignment.lengths
    data = alignment.dataXd
    for token, n in zip(span, lengths):
        idx = data[start:start + n]
        out.append((token.text, [pieces[int(j) % row_width] for j in idx]))
        start += n
    return out
