"""The one place that names encoders, pipelines and packages.

- Encoder short name: `minilm`, `minilm_dapt`, `bert`, `biobert`, else a slug of the
  hub id's or folder's last part (`encoder_short_name`).
- Transformer pipeline: `<encoder short name>-<regime>` (`minilm_dapt-full`), the name of
  its training folder (training/transformers/<name>), its metrics file
  (training/metrics/<name>.json) and its row in the report (`transformer_pipeline_name`).
- Classic pipelines: their family, `crf`, `hmm`, `dictionary` (`CLASSIC_PIPELINES`).
- A pipeline on disk: the folder's name, or its parent's for `model-best`/`model-last`
  (`pipeline_name_from_path`), so training/crf/model-best is `crf`.
- Package: `en_maize_<encoder short name>` (`package_name` gives the part after `en_`).
- Benchmark run: `<family>-<encoder short name>-<setting>[-<head>][-<tag>]`, e.g.
  `trf-minilm_dapt-full-transition` or `peft-minilm-lora-r8-token`: the pipeline of its
  result rows; its folder adds the seed, `-s<seed>` (`benchmark_run_name`, `seeded`).
"""
import re
from pathlib import Path
from typing import Union

from ..outputs import MODEL_FOLDERS, pipeline_name_from_path  # noqa: F401 (one place for a pipeline folder's name)

CLASSIC_PIPELINES = ("crf", "hmm", "dictionary")


def encoder_short_name(encoder: Union[str, Path]) -> str:
    """encoder (Union[str, Path]): hub id or folder. RETURNS (str): e.g. 'minilm', 'minilm_dapt', 'biobert'."""
    text = str(encoder).rstrip("/")
    base = Path(text).name.lower()
    if "biobert" in text.lower():
        return "biobert"
    if base.startswith("bert-base"):
        return "bert"
    slug = re.sub(r"[^a-z0-9]+", "_", base).strip("_")
    if not slug:
        raise ValueError(f"Cannot derive a name from encoder {str(encoder)!r}: give a hub id or a folder with a name.")
    return slug


def transformer_pipeline_name(encoder: Union[str, Path], regime: str) -> str:
    """RETURNS (str): `<encoder short name>-<regime>`, e.g. 'minilm_dapt-full'."""
    return f"{encoder_short_name(encoder)}-{regime}"


def benchmark_run_name(family: str, encoder: Union[str, Path], setting: str = "", *, head: str = "", tag: str = "") -> str:
    """family (str): trf, peft or hf. RETURNS (str): e.g. 'trf-minilm_dapt-full-transition'."""
    parts = [family, encoder_short_name(encoder), setting, head, tag]
    return "-".join(part for part in parts if part)


def seeded(name: str, seed: int) -> str:
    """RETURNS (str): the folder of one seed's run, `<name>-s<seed>` (analysis/seeds.py reads it back)."""
    return f"{name}-s{seed}"


def package_name(encoder: Union[str, Path]) -> str:
    """RETURNS (str): the package name after `en_`, e.g. 'maize_biobert'."""
    return f"maize_{encoder_short_name(encoder)}"
