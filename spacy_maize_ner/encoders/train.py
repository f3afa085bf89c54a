"""Train (or, for the `none` regime, only initialise) a transformer pipeline in one regime."""
import time
from pathlib import Path
from typing import Any, Dict, Optional

from spacy.cli.train import train as spacy_train
from spacy.training.initialize import init_nlp
from spacy.util import fix_random_seed, load_config
from thinc.api import set_gpu_allocator
from thinc.api import require_gpu

from .regimes import DEFAULT_HEAD, Regime, compose_config, head_file, regime_overrides, write_regime_meta


def train_regime(
    base_config: Path,
    regime: Regime,
    output: Path,
    overrides: Optional[Dict[str, Any]] = None,
    gpu_id: int = -1,
    head: str = DEFAULT_HEAD,
    heads_dir: Optional[Path] = None,
) -> Path:
    """Train into `output` (model-best, model-last, as `spacy train`) and RETURN model-best.

    The `none` regime writes the initialised pipeline as both model-best and model-last.
    head (str): "token" (the base config's own head) or a file name in `heads_dir`
        (default: configs/heads/ beside the base config), e.g. "transition"; the composed
        config is written to output/config.cfg and trained from.
    """
    output = Path(output)
    merged = regime_overrides(regime, overrides)
    head_path = head_file(Path(heads_dir or Path(base_config).parent / "heads"), head)
    if head_path is not None:
        output.mkdir(parents=True, exist_ok=True)
        composed = output / "config.cfg"
        compose_config(base_config, head_path).to_disk(composed)
        base_config = composed
    config = load_config(Path(base_config), overrides=merged, interpolate=False)
    encoder = str(config["paths"]["encoder"])
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
    for name in ("model-best", "model-last"):
        write_regime_meta(output / name, regime, encoder, {"train_seconds": round(seconds, 2), "head": head})
    return output / "model-best"
