"""`spacy_maize_ner.Encoder.v1`: spacy-transformers' TransformerModel with name resolution.

The differences from `spacy-transformers.TransformerModel.v3`: a local folder is accepted
wherever a hub id is; an encoder that cannot be loaded fails with an error that says how to
work offline instead of a bare hub traceback; and inference runs in length-sorted chunks
(`inference_chunk_rows`, batching.py), so the encoder reads little padding.

The name is resolved in `initialize()`, when the weights are first loaded for training,
never when the model is constructed: spaCy builds every component from the config before
`from_disk` restores the weights, tokenizer and HF config that a saved pipeline carries,
so a trained or packaged pipeline loads anywhere, whether or not the folder or hub id it
was trained from still exists (its origin is in meta.json, `maize_ner.encoder_origin`).
"""
from typing import Callable, Dict, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch
from spacy_transformers.layers import TransformerModel
from thinc.api import Model

from .batching import DEFAULT_CHUNK_ROWS, use_sorted_chunks
from .resolve import loading_error, refuse_decoder, resolve_encoder


@registry.architectures("spacy_maize_ner.Encoder.v1")
def create_encoder(
    name: str,
    get_spans: Callable,
    tokenizer_config: Dict = {},
    transformer_config: Dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: Dict = {},
    attention: Optional[str] = None,
    inference_chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Model[List[Doc], FullTransformerBatch]:
    """name (str): a hub id or a local folder (see resolve.py); the rest as in TransformerModel.v3.

    inference_chunk_rows (int): at inference the spans of a batch are sorted by length and read
        in chunks of this many rows, each padded only to its own longest (batching.py; 0: one
        tensor padded to the batch's longest span, as spacy-transformers does).
    attention (Optional[str]): set ("causal" or "bidirectional") for a decoder LLM (Gemma 3,
        Qwen2, Llama, Mistral): the model is then spacy_maize_ner.Decoder.v1's (decoders/).
    """
    if attention is not None:  # issue 26: decoder LLMs own their loading, alignment and masks
        # By registered name, not by import: decoders build on this module (and on peft), not it on them.
        create_decoder = registry.architectures.get("spacy_maize_ner.Decoder.v1")
        return create_decoder(name, get_spans, attention, tokenizer_config, transformer_config, mixed_precision,
                              grad_scaler_config)
    return transformer_model(
        name,
        name,
        get_spans=get_spans,
        tokenizer_config=tokenizer_config,
        transformer_config=transformer_config,
        mixed_precision=mixed_precision,
        grad_scaler_config=grad_scaler_config,
        inference_chunk_rows=inference_chunk_rows,
    )


def transformer_model(
    name: str,
    resolved: str,
    *,
    get_spans: Callable,
    tokenizer_config: Dict,
    transformer_config: Dict,
    mixed_precision: bool,
    grad_scaler_config: Dict,
    inference_chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Model[List[Doc], FullTransformerBatch]:
    """A TransformerModel of the encoder `resolved` (a hub id, or a folder resolved at init)
    whose init fails with the offline hint for `name`. Nothing is resolved or read before
    init: loading a saved pipeline never needs the encoder it was trained from."""
    model = TransformerModel(
        resolved,
        get_spans=get_spans,
        tokenizer_config=dict(tokenizer_config),
        transformer_config=dict(transformer_config),
        mixed_precision=mixed_precision,
        grad_scaler_config=dict(grad_scaler_config),
    )
    use_sorted_chunks(model, inference_chunk_rows)
    load = model.init

    def init(model: Model, X=None, Y=None):
        if not model.attrs["has_transformer"]:
            model.attrs["name"] = resolve_encoder(str(model.attrs["name"]))
            refuse_decoder(str(model.attrs["name"]))
        try:
            return load(model, X=X, Y=Y)
        except OSError as error:
            raise loading_error(name, error) from error

    model.init = init
    return model
