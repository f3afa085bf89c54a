"""The one place that names runs, encoders and packages: `RunId`.

A run is one trained pipeline. Its identity has six parts, and its name, its folder and
the `pipeline` of its rows are all made here from them and parsed back here:

    [family-]encoder-setting[-head][-tag]        name   (rows, metrics, the report)
    <name>-s<seed>                               folder (every run with a seed)

- family: `crf`, `hmm`, `dictionary` (classic: no encoder, no setting), or `trf`, `peft`,
  `hf` in benchmark names. The workflow leaves it out of transformer and PEFT names, whose
  folders say it (training/transformers/minilm-full-s0, training/peft/minilm-lora-r8-s0);
  `kind` gives the family either way.
- encoder: a short name without hyphens (`minilm`, `minilm_dapt`, `bert`, `biobert`,
  `gemma3_270m`; `encoder_short_name`).
- setting: a regime (configs/regimes/, configs/decoders/) with, for PEFT, its rank or prompt
  length: `full`, `lora-r8`, `prompt-n50`, `decoder-lora-bidirectional` (none for `hf-minilm`,
  the plain Hugging Face fine-tune).
- head: `transition` or a file of configs/heads/ (`token`); left out where the config says it.
- tag: anything else that tells two runs apart (`ep3`, `lexical`).
- seed: always `-s<seed>` on the folder, the first seed too (one convention for the workflow
  and the benchmarks); the name without it groups a configuration's seeds.

Packages are `en_maize_<encoder short name>` (`package_name`). The offline encoders (short
name -> folder) are project.yml's `vars.encoders` (`offline_encoders`).
"""
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import srsly

from ..outputs import pipeline_name_from_path

CLASSIC_PIPELINES = ("crf", "hmm", "dictionary")
ENCODER_FAMILIES = ("trf", "peft", "hf")
FAMILIES = CLASSIC_PIPELINES + ENCODER_FAMILIES
# regimes (configs/regimes/, configs/decoders/) and the generative tagger (configs/generative.cfg),
# longest first so that `decoder-lora-causal` wins
SETTINGS = (
    "decoder-lora-bidirectional", "decoder-lora-causal", "decoder-full-bidirectional", "decoder-full-causal",
    "decoder-generative",
    "full", "none", "probe", "freeze", "lora", "prompt", "prefix",
)
PEFT_SETTINGS = ("lora", "prompt", "prefix")
HEADS = ("transition", "token")
SEED = re.compile(r"^s(\d+)$")
SIZE = re.compile(r"^[rn]\d+$")  # a LoRA rank (r8) or a prompt length (n50)


@dataclass(frozen=True)
class RunId:
    """One run: family, encoder short name, setting, head, tag and seed (see the module docstring)."""

    family: str = ""
    encoder: str = ""
    setting: str = ""
    head: str = ""
    tag: str = ""
    seed: Optional[int] = None

    def __post_init__(self) -> None:
        if self.family in CLASSIC_PIPELINES and (self.encoder or self.setting or self.head):
            raise ValueError(f"A {self.family} run has no encoder, setting or head: {self!r}.")
        if self.family not in CLASSIC_PIPELINES and not self.encoder:
            raise ValueError(f"A run of an encoder needs its encoder: {self!r}.")
        for part in (self.family, self.encoder, self.head):
            if "-" in part:
                raise ValueError(f"{part!r} has a hyphen: family, encoder and head are single words ({self!r}).")

    @property
    def name(self) -> str:
        """RETURNS (str): the run without its seed, e.g. 'trf-minilm_dapt-full-transition-ep3'."""
        return "-".join(part for part in (self.family, self.encoder, self.setting, self.head, self.tag) if part)

    @property
    def folder(self) -> str:
        """RETURNS (str): the run's folder, `<name>-s<seed>` (or the name for a run without a seed)."""
        return self.name if self.seed is None else f"{self.name}-s{self.seed}"

    @property
    def kind(self) -> str:
        """RETURNS (str): crf, hmm, dictionary, trf, peft or hf, written in the name or not."""
        if self.family:
            return self.family
        return "peft" if self.setting.split("-")[0] in PEFT_SETTINGS else "trf"

    @classmethod
    def parse(cls, text: Union[str, Path]) -> "RunId":
        """A name or folder (or a pipeline path: training/crf-s0/model-best) back into its parts.

        RAISES (ValueError): a name that is not one of a run (no encoder or no setting).
        """
        tokens = pipeline_name_from_path(text).split("-")
        seed = None
        if len(tokens) > 1 and SEED.match(tokens[-1]):
            seed = int(SEED.match(tokens.pop())[1])
        family = tokens.pop(0) if tokens[0] in FAMILIES else ""
        if family in CLASSIC_PIPELINES:
            return cls(family=family, tag="-".join(tokens), seed=seed)
        if not tokens or not tokens[0] or (not family and len(tokens) < 2):
            raise ValueError(f"{str(text)!r} is not the name of a run: expected [family-]encoder-setting[-head][-tag][-s<seed>].")
        encoder = tokens.pop(0)
        rest = "-".join(tokens)
        setting = next((s for s in SETTINGS if rest == s or rest.startswith(s + "-")), tokens[0] if tokens else "")
        tokens = tokens[len(setting.split("-")):] if setting else tokens
        if tokens and setting in PEFT_SETTINGS and SIZE.match(tokens[0]):
            setting += "-" + tokens.pop(0)
        head = tokens.pop(0) if tokens and tokens[0] in HEADS else ""
        return cls(family=family, encoder=encoder, setting=setting, head=head, tag="-".join(tokens), seed=seed)


def seed_group(name: str) -> Tuple[str, Optional[int]]:
    """'minilm-full-s2' -> ('minilm-full', 2); 'crf' -> ('crf', None): a name and its seed apart."""
    tokens = name.rsplit("-", 1)
    if len(tokens) == 2 and SEED.match(tokens[1]):
        return tokens[0], int(tokens[1][1:])
    return name, None


def seed_suffix(seed: int) -> str:
    """RETURNS (str): '-s<seed>', what every seeded run's folder and name end with."""
    return f"-s{int(seed)}"


def parse_seeds(spec: str) -> List[int]:
    """'0,1,2' -> [0, 1, 2]. RETURNS (List[int]): the seeds, in order, without repeats."""
    seeds: List[int] = []
    for item in (s.strip() for s in str(spec).split(",")):
        if not item:
            continue
        if not item.isdigit():
            raise ValueError(f"Seed {item!r} in {spec!r} is not a whole number >= 0. Give seeds as a comma-separated list, e.g. --vars.seeds 0,1,2.")
        if int(item) not in seeds:
            seeds.append(int(item))
    if not seeds:
        raise ValueError(f"No seeds in {spec!r}. Give at least one, e.g. --vars.seeds 0.")
    return seeds


def run_for_seeds(seeds: Sequence[int], command: Sequence[str]) -> None:
    """Run `command` once per seed, `{seed}` replaced by the seed and `{suffix}` by '-s<seed>'.

    Stops at the first failing run (its exit code is raised as CalledProcessError).
    """
    for seed in seeds:
        args = [a.replace("{seed}", str(seed)).replace("{suffix}", seed_suffix(seed)) for a in command]
        print(f"[seed {seed}] {shlex.join(args)}", flush=True)
        subprocess.run(args, check=True)


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


def package_name(encoder: Union[str, Path]) -> str:
    """RETURNS (str): the package name after `en_`, e.g. 'maize_biobert'."""
    return f"maize_{encoder_short_name(encoder)}"


def offline_encoders(root: Union[str, Path]) -> Dict[str, Path]:
    """The workflow's encoders (project.yml `vars.encoders`, under `root`) by short name.

    RETURNS (Dict[str, Path]): e.g. {'minilm': root/assets/encoders/minilm,
        'minilm_dapt': root/training/encoders/minilm-dapt}.
    """
    folders = srsly.read_yaml(Path(root) / "project.yml")["vars"]["encoders"].split(",")
    return {encoder_short_name(folder): Path(root) / folder for folder in folders if folder}


def resolve_encoder(encoder: str, root: Union[str, Path]) -> Path:
    """A short name ('minilm', 'minilm_dapt', also spelled 'minilm-dapt') or any encoder folder.

    RAISES (ValueError): a name that is neither an offline encoder nor an existing folder.
    """
    if Path(encoder).is_dir():
        return Path(encoder)
    known = offline_encoders(root)
    if encoder_short_name(encoder) in known:
        return known[encoder_short_name(encoder)]
    raise ValueError(f"Unknown encoder {encoder!r}: give one of {', '.join(sorted(known))} (project.yml vars.encoders) or an encoder folder.")
