"""Training regimes and heads: a base transformer config plus small files that change it.

A regime file (configs/regimes/<name>.cfg) has a [regime] section (name, train,
description, and optionally features: the feature sets of configs/features/ the regime
trains with unless the caller names others, e.g. "lexical"; none by default) and a
[config] section whose values replace those of the base config.
`train = false` (the `none` regime) initialises the pipeline and saves it untouched.

A head file (configs/heads/<name>.cfg) has a [head] section (name, description) and a
whole [components.ner] block that replaces the base config's: the two heads take
different settings, so a merge of dotted keys would leave the other head's keys behind.
The head `transition` is the base config's own (configs/transformer.cfg), with no file.
"""
from pathlib import Path
from typing import Any, Dict, NamedTuple, Optional, Sequence, Tuple, Union

import srsly
from confection import Config

from ...components.defaults import HEAD_COMPONENT, META_KEY

DEFAULT_HEAD = "transition"


class Regime(NamedTuple):
    name: str
    train: bool
    description: str
    overrides: Dict[str, Any]
    features: Tuple[str, ...] = ()  # feature sets of configs/features/ trained with by default


# The value of --features that means "the regime's own feature sets" (its [regime] features).
REGIME_FEATURES = "regime"


def regime_features(regime: "Regime", value: Optional[Union[str, Sequence[str]]] = REGIME_FEATURES) -> Tuple[str, ...]:
    """The feature sets a run trains with: the regime's own for None or "regime", else `value`
    ("none", "lexical", "a,b" or a list; see encoders/lexical.feature_names)."""
    from ...encoders.lexical import feature_names

    if value is None or value == REGIME_FEATURES:
        return tuple(regime.features)
    return tuple(feature_names(value))


def flatten(section: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """{"training": {"patience": 1}} -> {"training.patience": 1}."""
    out: Dict[str, Any] = {}
    for key, value in section.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value and not any(k.startswith("@") for k in value):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def read_regime(path: Union[str, Path]) -> Regime:
    """path: a regime file. RETURNS (Regime): its name, whether it trains, and its overrides."""
    path = Path(path)
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.cfg")) if path.parent.exists() else []
        raise FileNotFoundError(f"Regime file {path} not found. Known regimes in {path.parent}: {known}")
    config = Config().from_disk(path, interpolate=False)
    if "regime" not in config or "name" not in config["regime"]:
        raise ValueError(f"{path}: a regime file needs a [regime] section with name, train and description.")
    section = config["regime"]
    from ...encoders.lexical import feature_names

    value = section.get("features", "none")
    features = feature_names(value) if isinstance(value, (str, list)) else [REGIME_FEATURES]
    if REGIME_FEATURES in features:
        raise ValueError(f"{path}: [regime] features must name files of configs/features/ (\"lexical\", \"none\"), "
                         f"not {value!r}.")
    return Regime(
        name=str(section["name"]),
        train=bool(section.get("train", True)),
        description=str(section.get("description", "")),
        overrides=flatten(dict(config.get("config", {}))),
        features=tuple(features),
    )


def group_rate(regime: Regime, group: str) -> Optional[float]:
    """The peak rate a regime file gives a parameter group (`head`, `adapters`), or None.

    Benchmarks default to it, so a row and the workflow train with the same rate.
    """
    prefix = f"training.optimizer.groups.{group}.learn_rate"
    value = regime.overrides.get(f"{prefix}.initial_rate", regime.overrides.get(prefix))
    if isinstance(value, dict):
        value = value.get("initial_rate")
    return None if value is None else float(value)


def read_budget(path: Union[str, Path]) -> Dict[str, Any]:
    """path: a budget file (configs/budgets/), a [budget] name and [config] overrides.
    RETURNS (Dict[str, Any]): its overrides as dotted keys.
    """
    path = Path(path)
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.cfg")) if path.parent.exists() else []
        raise FileNotFoundError(f"Budget file {path} not found. Known budgets in {path.parent}: {known}")
    config = Config().from_disk(path, interpolate=False)
    if "config" not in config:
        raise ValueError(f"{path}: a budget file needs a [config] section of overrides.")
    return flatten(dict(config["config"]))


def regime_overrides(regime: Regime, overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The regime's values, then `overrides` (CLI), as one dict of dotted keys."""
    return {**regime.overrides, **(overrides or {})}


def encoder_origin(encoder: str) -> Dict[str, Optional[str]]:
    """Provenance of the encoder a pipeline was trained from: its name as configured, and the
    digest of its weight files (training/fingerprint.py; None for a hub id). For the record
    only: a saved pipeline carries its weights and never needs the encoder to load."""
    from .fingerprint import encoder_fingerprint

    try:
        digest = encoder_fingerprint(encoder)
    except FileNotFoundError:
        digest = None
    return {"name": encoder, "sha256": digest}


def write_regime_meta(model_dir: Path, regime: Regime, encoder: str, extra: Optional[Dict[str, Any]] = None) -> None:
    """Record regime and encoder in the saved pipeline's meta.json (read by the report and `package`)."""
    meta_path = Path(model_dir) / "meta.json"
    meta = srsly.read_json(meta_path)
    meta[META_KEY] = {"regime": regime.name, "regime_description": regime.description, "encoder": encoder,
                             "encoder_origin": encoder_origin(encoder), **(extra or {})}
    srsly.write_json(meta_path, meta)


def head_file(heads_dir: Union[str, Path], name: str) -> Optional[Path]:
    """The file of head `name` in `heads_dir`, or None for the base config's own head."""
    if name == DEFAULT_HEAD:
        return None
    path = Path(heads_dir) / f"{name}.cfg"
    if not path.exists():
        known = [DEFAULT_HEAD] + sorted(p.stem for p in Path(heads_dir).glob("*.cfg"))
        raise FileNotFoundError(f"Head file {path} not found. Known heads: {known}")
    return path


def compose_config(base_config: Union[str, Path], head: Optional[Union[str, Path]] = None) -> Config:
    """The base config with the [components.ner] block of the head file `head` (if given)."""
    config = Config().from_disk(base_config, interpolate=False)
    if head is None:
        return config
    head_config = Config().from_disk(head, interpolate=False)
    if "head" not in head_config or HEAD_COMPONENT not in head_config.get("components", {}):
        raise ValueError(
            f"{head}: a head file needs a [head] section (name, description) and a "
            f"[components.{HEAD_COMPONENT}] block that replaces the base config's."
        )
    config["components"][HEAD_COMPONENT] = head_config["components"][HEAD_COMPONENT]
    return config


# -- whole blocks in regime files (PEFT regimes) -------------------------------------------
# A dotted override cannot swap an @architectures block for another (the old block's keys
# would stay) nor add a section the base config lacks (confection refuses it). A regime
# value that is a whole block (a dict with an "@" key), or that lies in a section the base
# config does not have, is therefore set into the config tree itself, like a head file's
# block, before training; the rest stay dotted overrides.


def is_block(value: Any) -> bool:
    """Whether `value` is a whole registered block ({"@architectures": ..., ...})."""
    return isinstance(value, dict) and any(str(key).startswith("@") for key in value)


def _has_section(config: Dict[str, Any], dotted: str) -> bool:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict)


def split_blocks(config: Dict[str, Any], values: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """RETURNS (blocks, rest): the values of `values` to set into `config`'s tree, and the dotted overrides."""
    blocks: Dict[str, Any] = {}
    rest: Dict[str, Any] = {}
    for key, value in values.items():
        section = key.rsplit(".", 1)[0] if "." in key else ""
        if is_block(value) or (section and not _has_section(config, section)):
            blocks[key] = value
        else:
            rest[key] = value
    return blocks, rest


def apply_blocks(config: Config, blocks: Dict[str, Any]) -> Config:
    """Set each dotted key of `blocks` into `config` (creating sections; a block replaces the old one)."""
    for key, value in blocks.items():
        *path, option = key.split(".")
        node = config
        for part in path:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[option] = value
    return config
