"""Exports of a PEFT pipeline, and the numbers the report prints beside P/R/F.

- adapter-only (`export_adapter`): the pipeline with the adapter weights and a reference
  to the base encoder (PeftShim with save_base = false); a few MB.
- merged (`export_merged`, LoRA only): the LoRA updates merged into the encoder's weights
  and the pipeline rewritten as a plain `spacy_maize_ner.Encoder.v1` pipeline: no peft at
  inference, no extra matrix products, loadable by spacy-transformers' own HFShim.
Both are ordinary pipeline folders for `spacy.load`, `spacy evaluate` and `spacy package`.
"""
import copy
import shutil
from pathlib import Path
from typing import Any, Dict, Union

import srsly
from confection import Config
from spacy.language import Language

from ..encoders.architecture import create_encoder
from ..components.defaults import META_KEY
from .architecture import peft_shim

TRANSFORMER = "transformer"
ENCODER_KEYS = ("name", "get_spans", "tokenizer_config", "transformer_config", "mixed_precision", "grad_scaler_config")


def trainable_parameters(nlp: Language, component: str = TRANSFORMER) -> Dict[str, Any]:
    """Parameter counts of a PEFT pipeline's encoder.

    RETURNS (Dict[str, Any]): trainable (adapter or prompt parameters), encoder (the base
        encoder's own parameters), percent (trainable / encoder * 100), and peft's own
        count (peft_trainable, from PeftModel.get_nb_trainable_parameters).
    """
    shim = peft_shim(nlp.get_pipe(component).model)
    wrapped = shim._model
    trainable = sum(p.numel() for p in wrapped.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in wrapped.parameters() if not p.requires_grad)
    peft_trainable, _ = shim.peft_model.get_nb_trainable_parameters()
    return {
        "method": shim.method.method,
        "settings": dict(shim.method.settings),
        "trainable": int(trainable),
        "encoder": int(frozen),
        "percent": 100.0 * trainable / frozen if frozen else 0.0,
        "peft_trainable": int(peft_trainable),
    }


def folder_size(path: Union[str, Path]) -> int:
    """RETURNS (int): the bytes of every file under `path`."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def peft_meta(model_dir: Union[str, Path]) -> Dict[str, Any]:
    """The PEFT facts of a saved pipeline, for its meta.json and the report.

    RETURNS (Dict[str, Any]): trainable_parameters' counts plus artifact_bytes (the
        adapter-only pipeline folder) and transformer_bytes (its transformer/ folder).
    """
    import spacy

    nlp = spacy.load(model_dir)
    return {**trainable_parameters(nlp), "artifact_bytes": folder_size(model_dir),
            "transformer_bytes": folder_size(Path(model_dir) / TRANSFORMER)}


def _update_meta(folder: Path, export: str, extra: Dict[str, Any]) -> None:
    meta_path = folder / "meta.json"
    meta = srsly.read_json(meta_path)
    info = meta.setdefault(META_KEY, {})
    info["export"] = export
    info.update(extra)
    srsly.write_json(meta_path, meta)


def export_adapter(nlp: Language, output: Union[str, Path]) -> Path:
    """Write `nlp` adapter-only to `output`. RETURNS (Path): output.

    The transformer keeps a reference to its base encoder (config name, resolved folder,
    SHA-256 of its weights), resolved when the pipeline is loaded.
    """
    output = Path(output)
    shim = peft_shim(nlp.get_pipe(TRANSFORMER).model)
    saved = shim.save_base
    shim.save_base = False
    try:
        nlp.to_disk(output)
    finally:
        shim.save_base = saved
    config = Config().from_disk(output / "config.cfg", interpolate=False)
    config["components"][TRANSFORMER]["model"]["save_base"] = False
    config.to_disk(output / "config.cfg")
    _update_meta(output, "adapter", {"peft": trainable_parameters(nlp), "base_encoder": shim.base_name})
    return output


def export_merged(source: Union[str, Path], output: Union[str, Path]) -> Path:
    """Merge a LoRA pipeline's adapters into its encoder and write a plain Encoder.v1 pipeline.

    source (Path): a saved LoRA pipeline (PeftEncoder.v1 with spacy_maize_ner.lora.v1).
    output (Path): the merged pipeline's folder (replaced if it exists).
    RETURNS (Path): output.
    """
    import spacy
    from spacy_transformers.data_classes import HFObjects

    source, output = Path(source), Path(output)
    nlp = spacy.load(source)
    trf = nlp.get_pipe(TRANSFORMER)
    shim = peft_shim(trf.model)
    if shim.method.method != "lora":
        raise ValueError(
            f"Only LoRA adapters can be merged into the encoder's weights; {source} uses {shim.method.method} "
            "tuning, whose virtual tokens stay an input of the encoder. Export it adapter-only instead "
            "(scripts/export_peft.py --mode adapter)."
        )
    counts = trainable_parameters(nlp)
    merged = copy.deepcopy(shim.peft_model).merge_and_unload()
    hf = shim._hfmodel
    config = Config().from_disk(source / "config.cfg", interpolate=False)
    block = config["components"][TRANSFORMER]["model"]
    plain = {"@architectures": "spacy_maize_ner.Encoder.v1", **{k: block[k] for k in ENCODER_KEYS if k in block}}
    resolved = trf.model.attrs["name"]
    model = create_encoder(
        name=str(shim.base_path or resolved),
        get_spans=trf.model.attrs["get_spans"],
        tokenizer_config=dict(hf._init_tokenizer_config),
        transformer_config=dict(hf._init_transformer_config),
    )
    # The plain encoder has no prompt: the tokenizer gets the encoder's whole budget back.
    tokenizer = copy.deepcopy(hf.tokenizer)
    tokenizer.model_max_length = int(shim.text_budget or 0) + shim.method.num_virtual_tokens or tokenizer.model_max_length
    model.attrs["set_transformer"](model, HFObjects(tokenizer, merged, hf.vocab_file_contents))
    model.attrs["name"] = resolved
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(source, output)
    config["components"][TRANSFORMER]["model"] = plain
    # The adapters' parameter group has nothing left to select; drop it so the config trains as `full`.
    groups = config.get("training", {}).get("optimizer", {}).get("groups", {})
    groups.pop("adapters", None)
    config.to_disk(output / "config.cfg")
    model.to_disk(output / TRANSFORMER / "model")
    _update_meta(output, "merged", {"peft": counts, "base_encoder": shim.base_name})
    return output
