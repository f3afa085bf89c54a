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
