"""Train (or, for the `none` regime, only initialise) a transformer pipeline in one regime."""
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

from spacy.cli.train import train as spacy_train
from spacy.training.initialize import init_nlp
from spacy.util import fix_random_seed, load_config
from thinc.api import Config, require_gpu, set_gpu_allocator

from ...encoders.lexical import apply_features, feature_names, feature_paths
from .regimes import (DEFAULT_HEAD, Regime, apply_blocks, compose_config, head_file, regime_features, regime_overrides,
                      split_blocks, write_regime_meta)


def train_regime(
    base_config: Path,
    regime: Regime,
    output: Path,
    overrides: Optional[Dict[str, Any]] = None,
    gpu_id: int = -1,
    head: str = DEFAULT_HEAD,
    heads_dir: Optional[Path] = None,
    features: Optional[Sequence[str]] = None,
) -> Path:
    """Train into `output` (model-best, model-last, as `spacy train`) and RETURN model-best.

    The `none` regime writes the initialised pipeline as both model-best and model-last.
    head (str): "transition" (the base config's own head) or a file name in `heads_dir`
        (default: configs/heads/ beside the base config), e.g. "token"; the composed
        config is written to output/config.cfg and trained from.
    features (Optional[Sequence[str]]): files of configs/features/ applied after the head, e.g.
        ["lexical"] (encoders/lexical.py); () or ["none"] for none; None (the default): the
        regime's own ([regime] features; the `full` regime's is lexical).
    """
    output = Path(output)
    features = regime_features(regime, features)
    base_config, merged, config = regime_config(base_config, regime, output, overrides, head=head, heads_dir=heads_dir,
                                                 features=features)
    encoder = str(config["paths"]["encoder"])
    budget = {
        "max_steps": int(config["training"].get("max_steps") or 0),
        "max_epochs": int(config["training"].get("max_epochs") or 0),
        "train_limit": int(config["corpora"]["train"].get("limit") or 0),
    }
    start = time.perf_counter()
    if regime.train:
        # spacy_train loads the config itself; the same overrides keep the regime visible
        # in the saved config.cfg.
        spacy_train(Path(base_config), output, use_gpu=gpu_id, overrides=merged)
    else:
        if gpu_id >= 0:
            require_gpu(gpu_id)
        interpolated = config.interpolate()
        set_gpu_allocator(interpolated["training"]["gpu_allocator"])
        fix_random_seed(interpolated["training"]["seed"])
        nlp = init_nlp(interpolated, use_gpu=gpu_id)
        output.mkdir(parents=True, exist_ok=True)
        for name in ("model-best", "model-last"):
            nlp.to_disk(output / name)
    seconds = time.perf_counter() - start
    extra = {"train_seconds": round(seconds, 2), "head": head, "budget": budget, "features": feature_names(features),
             "artifact_bytes": sum(p.stat().st_size for p in (output / "model-best").rglob("*") if p.is_file())}
    if config["components"]["transformer"]["model"].get("@architectures") == "spacy_maize_ner.PeftEncoder.v1":
        from ...peft.export import peft_meta  # PEFT regimes: trainable parameters and artifact size

        extra["peft"] = peft_meta(output / "model-best")
    for name in ("model-best", "model-last"):
        write_regime_meta(output / name, regime, encoder, extra)
    return output / "model-best"


LEARN_RATE = "training.optimizer.learn_rate"


def regime_config(
    base_config: Path,
    regime: Regime,
    output: Path,
    overrides: Optional[Dict[str, Any]] = None,
    head: str = DEFAULT_HEAD,
    heads_dir: Optional[Path] = None,
    features: Optional[Sequence[str]] = None,
) -> Tuple[Path, Dict[str, Any], Config]:
    """The config a regime trains from, as (config file, dotted overrides, loaded config).

    Whole blocks of the regime (a PEFT encoder's @architectures, a new parameter group) and
    a head file go into a composed `output/config.cfg`; the rest stays dotted overrides, as
    on a command line (a typo still fails). With a step budget the schedule is fitted to it.
    """
    merged = regime_overrides(regime, overrides)
    head_path = head_file(Path(heads_dir or Path(base_config).parent / "heads"), head)
    config_tree = compose_config(base_config, head_path)
    feature_files = feature_paths(Path(base_config).parent / "features", list(regime_features(regime, features)))
    apply_features(config_tree, feature_files)
    blocks, _ = split_blocks(config_tree, regime.overrides)
    blocks = {key: merged[key] for key in blocks}
    merged = {k: v for k, v in merged.items() if k not in blocks}
    if head_path is not None or blocks or feature_files:
        Path(output).mkdir(parents=True, exist_ok=True)
        composed = Path(output) / "config.cfg"
        apply_blocks(config_tree, blocks).to_disk(composed)
        base_config = composed
    config = load_config(Path(base_config), overrides=merged, interpolate=False)
    fitted = fit_schedule_to_budget(config, merged)
    if fitted:
        merged = {**merged, **fitted}
        config = load_config(Path(base_config), overrides=merged, interpolate=False)
    return Path(base_config), merged, config


def fit_schedule_to_budget(config: Any, explicit: Dict[str, Any]) -> Dict[str, Any]:
    """With a step budget (training.max_steps > 0), end the schedule at the budget.

    The config's schedule is sized for its epoch budget; a run cut to `max_steps` would
    otherwise stop early in the warm-up or before the decay. Returns overrides that set
    total_steps to max_steps and the warm-up to at most a tenth of it, except for values
    given explicitly in `explicit`. The head's group follows through interpolation.
    """
    max_steps = int(config["training"].get("max_steps") or 0)
    schedule = config["training"]["optimizer"].get("learn_rate")
    if max_steps <= 0 or not isinstance(schedule, dict):
        return {}
    out: Dict[str, Any] = {}
    if "total_steps" in schedule and f"{LEARN_RATE}.total_steps" not in explicit:
        out[f"{LEARN_RATE}.total_steps"] = max_steps
    warmup = schedule.get("warmup_steps")
    if isinstance(warmup, int) and f"{LEARN_RATE}.warmup_steps" not in explicit:
        out[f"{LEARN_RATE}.warmup_steps"] = min(warmup, max(1, max_steps // 10))
    return out


def budget_overrides(
    budget: Optional[Path] = None, max_steps: int = 0, eval_frequency: int = 0, cli: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """The overrides of a training command: a budget file's, then --max-steps and
    --eval-frequency when above 0, then the command line's `--section.key value` options.
    """
    from .regimes import read_budget

    overrides: Dict[str, Any] = dict(read_budget(budget)) if budget else {}
    if max_steps > 0:
        overrides["training.max_steps"] = max_steps
    if eval_frequency > 0:
        overrides["training.eval_frequency"] = eval_frequency
    overrides.update(cli or {})
    return overrides
