"""`spacy_maize_ner.PeftEncoder.v1`: spacy-transformers' TransformerModel with a peft encoder.

The model is built as `spacy_maize_ner.Encoder.v1` (a TransformerModel: strided spans, alignment,
listeners, every head unchanged) whose Hugging Face layer is wrapped by `PeftShim`. The
encoder is loaded in `initialize()` as usual; the shim wraps it with the PEFT block at
once, before the pipeline's after_init callbacks run, so the adapters are there when the
optimizer's parameter groups are bound. peft freezes every base weight (requires_grad =
False): thinc's PyTorchShim only hands parameters with a gradient to the optimizer, so
it sees the adapter (and the head) and nothing else.

    [components.transformer.model]
    @architectures = "spacy_maize_ner.PeftEncoder.v1"
    name = ${paths.encoder}

    [components.transformer.model.peft]
    @misc = "spacy_maize_ner.lora.v1"
    r = 8
"""
from typing import Callable, Dict, List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from spacy_transformers.data_classes import FullTransformerBatch, HFObjects
from spacy_transformers.layers.transformer_model import _convert_transformer_inputs, _convert_transformer_outputs
from thinc.api import Model
from thinc.layers.pytorchwrapper import forward as pytorch_forward

from ..encoders.architecture import create_encoder
from ..encoders.batching import DEFAULT_CHUNK_ROWS, use_sorted_chunks
from .methods import PeftMethod, require_peft
from .shim import PeftShim


@registry.architectures("spacy_maize_ner.PeftEncoder.v1")
def create_peft_encoder(
    *,
    name: str,
    get_spans: Callable,
    peft: PeftMethod,
    save_base: bool = False,
    tokenizer_config: Dict = {},
    transformer_config: Dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: Dict = {},
    attention: Optional[str] = None,
    inference_chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Model[List[Doc], FullTransformerBatch]:
    """A transformer whose encoder is tuned with LoRA, prompt or prefix tuning.

    name (str): a hub id or a local folder, as for Encoder.v1.
    get_spans (Callable): the span getter (strided spans).
    peft (PeftMethod): the PEFT block (spacy_maize_ner.lora.v1, .prompt_tuning.v1, .prefix_tuning.v1).
    save_base (bool): write the base encoder's weights into the pipeline (self-contained)
        instead of a reference to it (adapter-only, the default).
    attention (Optional[str]): set ("causal" or "bidirectional") for a decoder LLM: the model is
        then spacy_maize_ner.PeftDecoder.v1's (decoders/architecture.py; LoRA only).
    inference_chunk_rows (int): as for Encoder.v1 (encoders/batching.py).
    RETURNS (Model[List[Doc], FullTransformerBatch]): the transformer model.
    """
    if attention is not None:  # issue 26: decoder LLMs, by registered name (decoders build on peft, not it on them)
        create_peft_decoder = registry.architectures.get("spacy_maize_ner.PeftDecoder.v1")
        return create_peft_decoder(name=name, get_spans=get_spans, peft=peft, attention=attention, save_base=save_base,
                                   tokenizer_config=tokenizer_config, transformer_config=transformer_config,
                                   mixed_precision=mixed_precision, grad_scaler_config=grad_scaler_config)
    require_peft()
    if not isinstance(peft, PeftMethod):
        raise TypeError(
            "PeftEncoder.v1's [components.transformer.model.peft] block must be a registered PEFT method "
            '(@misc = "spacy_maize_ner.lora.v1", "spacy_maize_ner.prompt_tuning.v1" or '
            f'"spacy_maize_ner.prefix_tuning.v1"); got {type(peft).__name__}.'
        )
    # Nothing is resolved here (Encoder.v1 resolves in init): a self-contained or merged
    # pipeline loads without its base encoder; an adapter-only one finds its base in
    # PeftShim.from_bytes (peft/base.py), or fails there with the ways to provide it.
    model = create_encoder(name, get_spans, tokenizer_config, transformer_config, mixed_precision, grad_scaler_config)
    shim = PeftShim(
        HFObjects(None, None, None, dict(tokenizer_config), dict(transformer_config)),
        method=peft,
        base_name=name,
        save_base=save_base,
        mixed_precision=mixed_precision,
        grad_scaler_config=dict(grad_scaler_config),
    )
    model.layers[0] = Model(
        "hf-pytorch",
        pytorch_forward,
        attrs={"convert_inputs": _convert_transformer_inputs, "convert_outputs": _convert_transformer_outputs},
        shims=[shim],
        dims={"nI": None, "nO": None},
    )
    use_sorted_chunks(model, inference_chunk_rows)
    model.attrs["set_transformer"] = set_peft_transformer
    return model


def set_peft_transformer(model: Model, hf_model: HFObjects) -> None:
    """TransformerModel's `set_transformer` for a PeftShim: wrap, then install the encoder."""
    if model.attrs["has_transformer"]:
        raise ValueError("Cannot set second transformer.")
    shim: PeftShim = model.layers[0].shims[0]
    shim.attach(hf_model, base_path=str(model.attrs["name"]))
    model.attrs["has_transformer"] = True
    model.set_dim("nO", hf_model.transformer.config.hidden_size)


def peft_shim(model: Model) -> PeftShim:
    """The PeftShim of a PeftEncoder model (or a pipeline's transformer component model)."""
    for node in model.walk():
        for shim in node.shims:
            if isinstance(shim, PeftShim):
                return shim
    raise ValueError(
        "This transformer has no PEFT encoder: its [components.transformer.model] is not "
        'spacy_maize_ner.PeftEncoder.v1 (regimes lora, prompt, prefix: configs/regimes/).'
    )
