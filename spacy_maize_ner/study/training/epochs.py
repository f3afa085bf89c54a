"""How many updates one epoch is: the batches the config's batcher makes of a DocBin.

A step budget (training.max_steps) and a schedule's total_steps are counted in updates,
while people think in epochs; both benchmarks and the learning curve count them here, so
"one epoch" means the same number everywhere.
"""
from pathlib import Path
from typing import Any, Dict, Optional

from spacy.tokens import DocBin
from spacy.vocab import Vocab


def batcher_from_config(config_path: Path, overrides: Optional[Dict[str, Any]] = None):
    """The `[training.batcher]` of a training config (after `overrides`), resolved."""
    from spacy.util import load_config, registry

    config = load_config(Path(config_path), overrides={k: v for k, v in (overrides or {}).items() if k.startswith("training.batcher.")})
    return registry.resolve({"batcher": config["training"]["batcher"]})["batcher"]


def steps_per_epoch(docbin_path: Path, batcher: Any, limit: int = 0) -> int:
    """Batches `batcher` makes of the docs of `docbin_path` (its first `limit` docs; 0: all).

    The training loop shuffles before batching and batch_by_padded sorts within its buffer,
    so a real epoch can differ by a batch or so; counted in file order here.
    """
    path = Path(docbin_path)
    if not path.exists():
        raise FileNotFoundError(f"Training DocBin not found: {path}. Run `spacy project run convert` first.")
    docs = list(DocBin().from_disk(path).get_docs(Vocab()))
    if limit:
        docs = docs[:limit]
    return sum(1 for _ in batcher(docs))


def schedule_steps_per_epoch(config_path: Path, batch_size: Optional[int] = None) -> int:
    """The learning-rate schedule's length per epoch in a training config: its
    `[training.optimizer.learn_rate] total_steps` over `[training] max_epochs`, scaled from
    the config's `[training.batcher] size` to `batch_size` (padded words per batch).

    The shipped config sizes its schedule for 4 epochs of 490 steps (1,960); a run of another
    epoch budget scales the same per-epoch length, so its schedule ends where the shipped
    one would have (benchmarks/bench_transformers.py). The updates an epoch really makes
    are `steps_per_epoch` (436 on BC2GM at 1,000-word batches): the schedule was measured
    as it is and a direct A/B of the two lengths was within noise (configs/transformer.cfg).
    """
    from spacy.util import load_config

    training = load_config(Path(config_path), interpolate=False)["training"]
    per_epoch = training["optimizer"]["learn_rate"]["total_steps"] / max(1, int(training["max_epochs"]))
    return round(per_epoch * training["batcher"]["size"] / (batch_size or training["batcher"]["size"]))
