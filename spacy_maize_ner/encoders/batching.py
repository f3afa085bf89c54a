"""Inference in length-sorted chunks: the encoder reads as little padding as it can.

spacy-transformers pads every span of a batch of docs to the longest one, and a BERT reads the
padding like any other wordpiece. On BC2GM dev sentences joined ten to a document (batches of
32 docs, MiniLM's tokenizer) the padded tensor is 72% padding with one span per sentence, 31%
with packed sentence spans and 23% with the strided windows (benchmarks/notes/throughput.md).

At inference, `sorted_forward` replaces the forward of the encoder's HFWrapper layer: the
rows (spans) are sorted by length and cut into chunks of `chunk_rows`; each chunk is trimmed
to its own longest row and run; the hidden states go back to their rows, padded with zeros to
the batch's width (padding positions are never aligned to a spaCy token). Chunks of 8 leave
4% padding with one span per sentence and 5% with packed spans (16: 8% and 9%). Training is unchanged: with
`is_train` the layer runs spacy-transformers' own forward, as it does for a batch that fits
one chunk, for left-padded inputs, and for outputs other than hidden states (attentions).

The masked attention makes a row's vectors the same whatever it is batched with, up to float
rounding; `tests/test_encoder_batching.py` checks the vectors and the entities.
"""
from typing import Any, Callable, List, Optional, Sequence, Tuple

from thinc.api import ArgsKwargs, Model
from thinc.layers.pytorchwrapper import forward as pytorch_forward

DEFAULT_CHUNK_ROWS = 8  # measured against 16 and 0: benchmarks/notes/throughput.md


def chunks_by_length(lengths: Sequence[int], chunk_rows: int) -> List[List[int]]:
    """Row indices sorted by length (stable), in chunks of at most `chunk_rows`."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i:i + chunk_rows] for i in range(0, len(order), chunk_rows)]


def _right_padded_lengths(mask) -> Optional[List[int]]:
    """Each row's length when every row is ones then zeros (right padding); else None."""
    import torch

    lengths = mask.sum(dim=1)
    positions = torch.arange(mask.shape[1], device=mask.device)
    if not bool(((positions[None, :] < lengths[:, None]) == mask.bool()).all()):
        return None
    return [int(n) for n in lengths.tolist()]


def _place(parts: List[Any], chunks: List[List[int]], rows: int, width: int) -> Any:
    """One output value of the whole batch from the chunks' values, rows back in place."""
    import torch

    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_place([p[i] for p in parts], chunks, rows, width) for i in range(len(first)))
    if first.dim() not in (2, 3):
        raise _Unsupported()
    # (rows, length, hidden): each chunk's length is padded to the batch's; (rows, hidden), e.g.
    # the pooler's output, goes back row for row (the slice below then takes every column).
    out = first.new_zeros((rows, width, first.shape[2]) if first.dim() == 3 else (rows, first.shape[1]))
    for part, idx in zip(parts, chunks):
        out[torch.tensor(idx, device=first.device), : part.shape[1]] = part
    return out


class _Unsupported(Exception):
    """An output the chunks cannot be put back into (e.g. attention maps): run unchunked."""


def make_sorted_forward(chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Callable:
    """The forward of an HFWrapper layer that runs inference in length-sorted chunks."""

    def sorted_forward(model: Model, X: Any, is_train: bool) -> Tuple[Any, Callable]:
        if is_train or chunk_rows <= 0:
            return pytorch_forward(model, X, is_train)
        Xtorch, _ = model.attrs["convert_inputs"](model, X, is_train)
        kwargs = dict(Xtorch.kwargs)
        mask = kwargs.get("attention_mask")
        if Xtorch.args or mask is None or mask.dim() != 2 or mask.shape[0] <= chunk_rows:
            return pytorch_forward(model, X, is_train)
        import torch

        if not all(isinstance(v, torch.Tensor) and v.dim() in (1, 2) and v.shape[0] == mask.shape[0]
                   and (v.dim() == 1 or v.shape[1] == mask.shape[1]) for v in kwargs.values()):
            return pytorch_forward(model, X, is_train)  # inputs other than per-row tensors: nothing to cut safely
        lengths = _right_padded_lengths(mask)
        if lengths is None:
            return pytorch_forward(model, X, is_train)
        rows, width = mask.shape
        chunks = chunks_by_length(lengths, chunk_rows)
        outputs = []
        for idx in chunks:
            index = torch.tensor(idx, device=mask.device)
            longest = max(1, max(lengths[i] for i in idx))
            part = {k: v[index, :longest] if v.dim() == 2 else v[index] for k, v in kwargs.items()}
            output, _ = model.shims[0](ArgsKwargs(args=(), kwargs=part), False)
            outputs.append(output)
        try:
            merged = {key: _place([o[key] for o in outputs], chunks, rows, width) for key in outputs[0].keys()}
        except _Unsupported:
            return pytorch_forward(model, X, is_train)
        Ytorch = type(outputs[0])(**merged)
        Y, _ = model.attrs["convert_outputs"](model, (X, Ytorch), is_train)

        def backprop(dY: Any) -> Any:
            raise ValueError("sorted_forward is inference only: training runs spacy-transformers' forward (is_train=True).")

        return Y, backprop

    sorted_forward.chunk_rows = chunk_rows  # type: ignore[attr-defined]
    return sorted_forward


def use_sorted_chunks(model: Model, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Model:
    """Make the HFWrapper layer of a spacy-transformers TransformerModel run inference in
    length-sorted chunks of `chunk_rows` rows (0: as spacy-transformers does). In place."""
    model.layers[0]._func = make_sorted_forward(chunk_rows)
    return model
