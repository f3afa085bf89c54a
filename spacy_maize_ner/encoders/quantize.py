"""int8 inference on CPU: dynamic quantization of the encoder's linear layers.

`torch.ao.quantization.quantize_dynamic` replaces every `nn.Linear` of the encoder (attention
projections, feed-forward layers: nearly all of a BERT's arithmetic) by an int8 version
whose weights are quantized once, one scale per output channel, and whose activations are
quantized on the fly, batch by batch. Per channel, not one scale per matrix: on the MiniLM
`full` pipeline it loses 1.58 F1 on dev against 2.44 (benchmarks/notes/throughput.md). Nothing is retrained; the embeddings, layer norms and the NER head stay float32.
It is a CPU technique (the quantized kernels are fbgemm/x86 or qnnpack).

Three ways in:
- `quantize_pipeline(nlp)`: a loaded pipeline, in place (`annotate --int8`, benchmarks).
- the `maize_int8` component: a pipeline saved with it quantizes itself when loaded, so a
  package of it is int8 for every `spacy.load` while its files keep the float weights.
- `write_cpu_pipeline(model_dir, output_dir, int8=True, sentence_spans=True, pack=True)`: a copy of a
  trained pipeline with that component (and sentence spans, encoders/spans.py), to package.

A quantized pipeline cannot be saved (its weights would not load into the float encoder that
the config builds): save the float pipeline with the component instead.
"""
import warnings
from pathlib import Path
from typing import Any, Dict, Literal, NamedTuple, Optional, Union

import srsly
from spacy.language import Language

from ..components.defaults import META_KEY

TRANSFORMER = "transformer"
COMPONENT = "maize_int8"
QUANTIZED_ATTR = "maize_int8"


class QuantizeReport(NamedTuple):
    """What `quantize_pipeline` did: linear layers replaced, and the encoder's parameter bytes."""

    linear_layers: int
    float_bytes: int
    int8_bytes: int


def encoder_module(nlp: Language, transformer: str = TRANSFORMER):
    """The torch module of the pipeline's encoder (spacy-transformers' HFShim model)."""
    if transformer not in nlp.pipe_names:
        raise ValueError(
            f"int8: the pipeline has no component {transformer!r} (it has {nlp.pipe_names}). "
            "Quantization applies to the transformer pipelines; the CRF, HMM and dictionary pipelines have no encoder."
        )
    model = nlp.get_pipe(transformer).model
    shims = [s for node in model.walk() for s in node.shims if hasattr(s, "_model")]
    if not shims:
        raise ValueError(f"int8: component {transformer!r} holds no torch encoder (is it a spacy-transformers Transformer?).")
    return model, shims[0]


def _bytes(module) -> int:
    import torch

    total = sum(p.numel() * p.element_size() for p in module.parameters())
    for sub in module.modules():  # packed int8 weights are not parameters
        packed = getattr(sub, "_packed_params", None)
        if packed is not None and hasattr(packed, "_weight_bias"):
            weight, bias = packed._weight_bias()
            total += weight.numel() * weight.element_size() + (bias.numel() * bias.element_size() if bias is not None else 0)
    return int(total) if not isinstance(total, torch.Tensor) else int(total.item())


def quantize_pipeline(nlp: Language, *, transformer: str = TRANSFORMER,
                      scales: Literal["per_channel", "per_tensor"] = "per_channel") -> QuantizeReport:
    """Quantize the encoder of a loaded pipeline to int8 (dynamic, nn.Linear), in place.

    nlp (Language): a transformer pipeline on the CPU.
    transformer (str): the name of its spacy-transformers component.
    scales (str): the weights' scales: "per_channel" (one per output row, the default) or
        "per_tensor" (one per matrix: 0.86 F1 more lost on the MiniLM pipeline; for comparison).
    RETURNS (QuantizeReport): linear layers replaced and parameter bytes before and after.
        A second call changes nothing and reports 0 layers.
    """
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    qconfigs = {"per_channel": per_channel_dynamic_qconfig, "per_tensor": default_dynamic_qconfig}
    if scales not in qconfigs:
        raise ValueError(f"int8: scales must be one of {sorted(qconfigs)}, not {scales!r}.")

    model, shim = encoder_module(nlp, transformer)
    module = shim._model
    if model.attrs.get(QUANTIZED_ATTR):
        return QuantizeReport(0, 0, _bytes(module))
    devices = {p.device.type for p in module.parameters()}
    if devices - {"cpu"}:
        raise ValueError(
            f"int8: the encoder is on {sorted(devices)}; dynamic int8 quantization runs on the CPU only. "
            "Drop --int8 on a GPU (use --gpu-id -1 to annotate on the CPU with int8)."
        )
    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine in (None, "none"):
        usable = [e for e in ("x86", "fbgemm", "onednn", "qnnpack") if e in engines]
        if not usable:
            raise ValueError(f"int8: this torch build ({torch.__version__}) has no quantized CPU engine (supported: {engines}).")
        torch.backends.quantized.engine = usable[0]
    before = _bytes(module)
    n_linear = sum(1 for m in module.modules() if type(m) is torch.nn.Linear)
    module.eval()
    with warnings.catch_warnings():
        # torch >= 2.9 marks eager-mode quantization deprecated in favour of torchao; it still
        # works (tests/test_quantize.py fails the day it stops) and torchao is not a dependency.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=__name__)
        warnings.filterwarnings("ignore", message=r".*quantize_per_tensor.*", category=UserWarning)
        quantize_dynamic(module, {torch.nn.Linear: qconfigs[scales]}, dtype=torch.qint8, inplace=True)
    model.attrs[QUANTIZED_ATTR] = True
    _refuse_saving(shim)
    return QuantizeReport(n_linear, before, _bytes(module))


def _refuse_saving(shim) -> None:
    def refuse(*args, **kwargs):
        raise ValueError(
            "This pipeline's encoder was quantized to int8 in memory and cannot be saved: its weights would not load "
            "into the float encoder its config builds. Save the float pipeline with the maize_int8 component instead "
            "(spacy_maize_ner.encoders.quantize.write_cpu_pipeline), which quantizes at load time."
        )

    shim.to_bytes = refuse
    shim.to_disk = refuse


def is_quantized(nlp: Language, transformer: str = TRANSFORMER) -> bool:
    """Whether `quantize_pipeline` has run on the pipeline's encoder."""
    model, _ = encoder_module(nlp, transformer)
    return bool(model.attrs.get(QUANTIZED_ATTR))


# -- the component: quantize when loaded -----------------------------------------------------


@Language.factory(COMPONENT, default_config={"transformer": TRANSFORMER}, assigns=[], requires=[])
def make_int8(nlp: Language, name: str, transformer: str) -> "Int8Encoder":
    return Int8Encoder(nlp, name, transformer=transformer)


class Int8Encoder:
    """Quantizes the pipeline's encoder to int8 once its weights are loaded.

    Put it anywhere after the transformer component: `from_disk`/`from_bytes` run in pipeline
    order, so by the time its own runs the encoder's weights are there. Added to a live
    pipeline it quantizes on first use. It changes no Doc.
    """

    def __init__(self, nlp: Language, name: str = COMPONENT, *, transformer: str = TRANSFORMER) -> None:
        self.nlp = nlp
        self.name = name
        self.transformer = transformer

    def quantize(self) -> None:
        if not is_quantized(self.nlp, self.transformer):
            quantize_pipeline(self.nlp, transformer=self.transformer)

    def __call__(self, doc):
        self.quantize()
        return doc

    def pipe(self, docs, batch_size: int = 128):
        self.quantize()
        yield from docs

    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> "Int8Encoder":
        self.quantize()
        return self

    def to_disk(self, path, **kwargs) -> None:
        pass

    def from_disk(self, path, **kwargs) -> "Int8Encoder":
        self.quantize()
        return self


def write_cpu_pipeline(
    model_dir: Union[str, Path],
    output_dir: Union[str, Path],
    *,
    int8: bool = True,
    sentence_spans: bool = True,
    pack: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a copy of a trained transformer pipeline set up for CPU inference, to package.

    model_dir (Path): the trained pipeline (model-best).
    output_dir (Path): the new pipeline folder; refused if it exists unless `overwrite`.
    int8 (bool): add the `maize_int8` component (the encoder is quantized whenever the copy is loaded).
    sentence_spans (bool): read sentences once (encoders/spans.py: `maize_sentencizer` before the
        transformer, `spacy_maize_ner.sentence_spans.v1` in the config).
    pack (bool): with sentence_spans, whole sentences share a span up to the window (less padding;
        benchmarks/bench_throughput.py measures which of the two is faster).
    RETURNS (Path): output_dir; its meta.json records the choices under maize_ner.inference.
    """
    import spacy

    from .spans import use_sentence_spans

    model_dir, output_dir = Path(model_dir), Path(output_dir)
    if Path(output_dir).resolve() == model_dir.resolve():
        raise ValueError(f"write_cpu_pipeline: output {output_dir} is the trained pipeline itself; give a new folder.")
    if output_dir.exists() and any(output_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"write_cpu_pipeline: {output_dir} exists and is not empty; give a new folder, or overwrite=True to replace it.")
    config = spacy.util.load_config(model_dir / "config.cfg", interpolate=False)
    # a pipeline that already has the component would quantize while loading, and could not be saved
    nlp = spacy.load(model_dir, exclude=[COMPONENT] if COMPONENT in config["nlp"]["pipeline"] else [])
    if sentence_spans:
        use_sentence_spans(nlp, pack=pack)
    if int8 and COMPONENT not in nlp.pipe_names:
        encoder_module(nlp)  # a clear error for pipelines without an encoder
        nlp.add_pipe(COMPONENT, after=TRANSFORMER, config={"transformer": TRANSFORMER})
    meta: Dict[str, Any] = dict(nlp.meta.get(META_KEY, {}))
    meta["inference"] = {"int8": int8, "sentence_spans": sentence_spans, "pack": bool(sentence_spans and pack), "source": str(model_dir)}
    nlp.meta[META_KEY] = meta
    nlp.to_disk(output_dir)
    return output_dir


def inference_meta(model_dir: Union[str, Path]) -> Optional[Dict[str, Any]]:
    """The maize_ner.inference record of a pipeline folder written by write_cpu_pipeline, or None."""
    meta = srsly.read_json(Path(model_dir) / "meta.json")
    return meta.get(META_KEY, {}).get("inference")
