"""Decoder LLMs (Gemma 3, Qwen2, Llama, Mistral) as the encoder of a spaCy pipeline.

`spacy_maize_ner.Decoder.v1` and `spacy_maize_ner.PeftDecoder.v1` are spacy-transformers
TransformerModels, so every listener and head of the project reads them unchanged
(the token-classification head with constrained Viterbi, the transition-based `ner`). What
differs from an encoder is owned here:

- loading (`load_decoder`): a hub id or a local folder (`assets/decoders/<name>/`, written by
  `scripts/provide_decoder.py`); the tokenizer becomes a plain `PreTrainedTokenizerFast`
  (tokenizer.json only: spacy-transformers' loader reads `tokenizer.vocab_file`, which such
  a tokenizer does not have) and it is saved inside the pipeline, so a trained pipeline
  loads with `spacy.load` without the decoder folder;
- alignment (`alignment.py`): spaCy tokens to pieces by character offsets; `<bos>`, `<eos>`
  and pads (left or right) are never pieces of a token;
- positions: numbered from each row's first real piece, so left padding changes nothing;
- `attention = "causal"` (the decoder as pretrained: a token sees only what precedes it) or
  `"bidirectional"`: the causal mask is replaced by a padding-only mask in training and
  inference (Dukic and Snajder 2024), so every token also sees the words after it.

    [components.transformer.model]
    @architectures = "spacy_maize_ner.Decoder.v1"
    name = ${paths.encoder}
    attention = "bidirectional"
"""
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch, HFObjects, WordpieceBatch
from spacy_transformers.layers import TransformerModel
from spacy_transformers.layers.transformer_model import _convert_transformer_outputs
from thinc.api import Model, xp2torch
from thinc.types import ArgsKwargs

from ..encoders.batching import use_sorted_chunks

# DECODER_TYPES, DecoderConfigError and is_decoder_config live with name resolution (Encoder.v1
# refuses a decoder folder without `attention`); imported here, where decoders use them.
from ..encoders.resolve import DECODER_TYPES, DecoderConfigError, is_decoder_config, loading_error, resolve_encoder  # noqa: F401
from .alignment import align_spans, position_ids

ATTENTION = ("causal", "bidirectional")
def check_attention(attention: str) -> str:
    if attention not in ATTENTION:
        raise DecoderConfigError(
            f'attention = "{attention}" is not one of {", ".join(ATTENTION)}: set [components.transformer.model] '
            'attention = "causal" (the decoder as pretrained) or "bidirectional" (no causal mask).'
        )
    return attention


def as_plain_fast_tokenizer(tokenizer: Any):
    """A `PreTrainedTokenizerFast` with the same backend and special tokens (no vocab_file)."""
    from transformers import PreTrainedTokenizerFast

    if not getattr(tokenizer, "is_fast", False):
        raise DecoderConfigError(
            f"The decoder's tokenizer ({type(tokenizer).__name__}) is not a fast tokenizer: exact alignment needs "
            "character offsets. Provide a folder with tokenizer.json (scripts/provide_decoder.py writes one)."
        )
    plain = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer.backend_tokenizer,
        bos_token=tokenizer.bos_token, eos_token=tokenizer.eos_token, unk_token=tokenizer.unk_token,
        pad_token=tokenizer.pad_token or tokenizer.eos_token,
        padding_side=tokenizer.padding_side,
        model_max_length=min(int(tokenizer.model_max_length or 32768), 1_000_000),
        clean_up_tokenization_spaces=False,
    )
    if getattr(tokenizer, "chat_template", None):
        plain.chat_template = tokenizer.chat_template
    return plain


def load_decoder(name: str, tokenizer_config: Dict, transformer_config: Dict) -> HFObjects:
    """Load the decoder `name` (hub id or local folder) as HFObjects (plain fast tokenizer, base model)."""
    import torch
    from thinc.api import get_torch_default_device
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    location = resolve_encoder(name)
    try:
        tok_cfg = {k: v for k, v in dict(tokenizer_config).items() if k != "use_fast"}
        tokenizer = as_plain_fast_tokenizer(AutoTokenizer.from_pretrained(location, use_fast=True, **tok_cfg))
        trf_cfg = dict(transformer_config)
        trf_cfg["return_dict"] = True
        config = AutoConfig.from_pretrained(location, **trf_cfg)
        if not is_decoder_config(config):
            raise DecoderConfigError(
                f"'{name}' is a {config.model_type} model, not a decoder LM ({', '.join(DECODER_TYPES)}): "
                'load encoders with @architectures = "spacy_maize_ner.Encoder.v1".'
            )
        transformer = AutoModel.from_pretrained(location, config=config, torch_dtype=torch.float32)
    except OSError as error:
        raise loading_error(name, error) from error
    transformer.to(get_torch_default_device())
    return HFObjects(tokenizer, transformer, None)


def tokenize_spans(tokenizer: Any, texts: List[str]) -> Dict[str, numpy.ndarray]:
    """The tokenizer's padded output with offsets and special-token masks, as numpy arrays."""
    enc = tokenizer(
        texts, add_special_tokens=True, return_attention_mask=True, return_offsets_mapping=True,
        return_special_tokens_mask=True, return_token_type_ids=False, return_tensors="np", padding="longest",
    )
    return {k: numpy.asarray(v) for k, v in enc.items()}


def wordpiece_batch(tokenizer: Any, enc: Dict[str, numpy.ndarray]) -> WordpieceBatch:
    mask = enc["attention_mask"]
    return WordpieceBatch(
        strings=[tokenizer.convert_ids_to_tokens(row) for row in enc["input_ids"].tolist()],
        input_ids=enc["input_ids"].astype("int64"),
        attention_mask=mask.astype("float32"),
        lengths=[int(n) for n in mask.sum(axis=1)],
        token_type_ids=None,
    )


def decoder_forward(model: TransformerModel, docs: List[Doc], is_train: bool) -> Tuple[FullTransformerBatch, Callable]:
    """TransformerModel's forward with the decoder's tokenization and alignment."""
    nested_spans = model.attrs["get_spans"](docs)
    flat_spans = [span for doc_spans in nested_spans for span in doc_spans]
    if not flat_spans:
        return FullTransformerBatch.empty(len(docs)), lambda d_output: docs
    tokenizer = model.tokenizer
    enc = tokenize_spans(tokenizer, [span.text for span in flat_spans])
    align = align_spans(flat_spans, enc["offset_mapping"], enc["attention_mask"], enc["special_tokens_mask"])
    wordpieces = wordpiece_batch(tokenizer, enc)
    model_output, bp_tensors = model.layers[0](wordpieces, is_train)
    output = FullTransformerBatch(spans=nested_spans, wordpieces=wordpieces, model_output=model_output, align=align)

    def backprop(d_output: FullTransformerBatch) -> List[Doc]:
        bp_tensors(d_output.model_output)
        return docs

    return output, backprop


def decoder_convert_inputs(model: Model, wps: WordpieceBatch, is_train: bool):
    """Inputs of the Hugging Face decoder: ids, positions from the mask, and the attention mask
    (2D, so the model adds its causal mask; or 4D padding-only for bidirectional attention)."""
    import torch

    transformer = model.shims[0]._hfmodel.transformer
    device = transformer.device
    mask = numpy.asarray(wps.attention_mask) > 0
    kwargs: Dict[str, Any] = {
        "input_ids": xp2torch(numpy.asarray(wps.input_ids).astype("int64"), device=device),
        "position_ids": xp2torch(position_ids(mask), device=device),
        "use_cache": False,
    }
    if model.attrs.get("decoder_attention", "causal") == "bidirectional":
        implementation = getattr(transformer.config, "_attn_implementation", "eager")
        if implementation and implementation.startswith("flash"):
            raise DecoderConfigError(
                f"attention = \"bidirectional\" needs an attention kernel that takes a 4D mask; the decoder uses "
                f"{implementation}, which is always causal. Load it with attn_implementation = \"sdpa\" or \"eager\" "
                "([components.transformer.model.transformer_config])."
            )
        dtype = next(transformer.parameters()).dtype
        keys = torch.as_tensor(mask, device=device)[:, None, None, :]  # (batch, 1, 1, key)
        full = torch.zeros(keys.shape[0], 1, mask.shape[1], mask.shape[1], dtype=dtype, device=device)
        kwargs["attention_mask"] = full.masked_fill(~keys, torch.finfo(dtype).min)
    else:
        kwargs["attention_mask"] = torch.as_tensor(mask.astype("int64"), device=device)
    return ArgsKwargs(args=(), kwargs=kwargs), lambda dX: []


def decoder_init(model: TransformerModel, X: Optional[List[Doc]] = None, Y=None) -> None:
    """Load the decoder (first initialize only; a loaded pipeline already has it) and infer the width."""
    if model.attrs["has_transformer"]:
        return
    hf_model = load_decoder(str(model.attrs["name"]), model._init_tokenizer_config, model._init_transformer_config)
    model.attrs["set_transformer"](model, hf_model)
    texts = [span.text for doc_spans in model.attrs["get_spans"](X) for span in doc_spans][:8] if X else []
    enc = tokenize_spans(model.tokenizer, texts or ["hello world", "maize gene"])
    wordpieces = wordpiece_batch(model.tokenizer, enc)
    model.layers[0].initialize(X=wordpieces)
    output = model.layers[0].predict(wordpieces)
    model.set_dim("nO", output.last_hidden_state.shape[-1])


def make_decoder_model(model: TransformerModel, attention: str) -> TransformerModel:
    """Turn a TransformerModel (plain or PEFT) into a decoder model: own init, forward and inputs."""
    model._func = decoder_forward
    model.init = decoder_init
    use_sorted_chunks(model, 0)  # one padded tensor: decoders pad on either side and take mask inputs of their own
    model.attrs["decoder_attention"] = attention
    model.layers[0].attrs["decoder_attention"] = attention
    model.layers[0].attrs["convert_inputs"] = decoder_convert_inputs
    model.layers[0].attrs["convert_outputs"] = _convert_transformer_outputs
    return model


@registry.architectures("spacy_maize_ner.Decoder.v1")
def create_decoder(
    name: str,
    get_spans: Callable,
    attention: str = "causal",
    tokenizer_config: Dict = {},
    transformer_config: Dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: Dict = {},
) -> Model[List[Doc], FullTransformerBatch]:
    """A decoder LLM as the pipeline's transformer, fully fine-tuned.

    name (str): a hub id (google/gemma-3-270m, Qwen/Qwen2.5-0.5B-Instruct) or a local folder
        (assets/decoders/<name>, scripts/provide_decoder.py). Read at initialize only.
    attention (str): "causal" or "bidirectional" (see the module docstring).
    """
    check_attention(attention)
    model = TransformerModel(
        name, get_spans=get_spans, tokenizer_config=dict(tokenizer_config),
        transformer_config=dict(transformer_config), mixed_precision=mixed_precision,
        grad_scaler_config=dict(grad_scaler_config),
    )
    return make_decoder_model(model, attention)


@registry.architectures("spacy_maize_ner.PeftDecoder.v1")
def create_peft_decoder(
    *,
    name: str,
    get_spans: Callable,
    peft: Any,
    attention: str = "causal",
    save_base: bool = False,
    tokenizer_config: Dict = {},
    transformer_config: Dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: Dict = {},
) -> Model[List[Doc], FullTransformerBatch]:
    """A decoder LLM with LoRA adapters (base frozen), as PeftEncoder.v1 for encoders.

    Only LoRA: prompt and prefix tuning prepend positions that the decoder's position ids
    and 4D masks would have to take into account. Adapter-only serialization (save_base =
    false) stores the base's fingerprint and needs the decoder folder to load; save_base =
    true makes the pipeline self-contained.
    """
    from ..peft.architecture import create_peft_encoder

    check_attention(attention)
    if getattr(peft, "method", None) != "lora":
        raise DecoderConfigError(
            f"PeftDecoder.v1 supports LoRA only (got {getattr(peft, 'method', peft)!r}): set "
            '[components.transformer.model.peft] @misc = "spacy_maize_ner.lora.v1" with target_modules '
            '["q_proj", "k_proj", "v_proj", "o_proj"].'
        )
    model = create_peft_encoder(
        name=name, get_spans=get_spans, peft=peft, save_base=save_base, tokenizer_config=tokenizer_config,
        transformer_config=transformer_config, mixed_precision=mixed_precision, grad_scaler_config=grad_scaler_config,
    )
    return make_decoder_model(model, attention)
