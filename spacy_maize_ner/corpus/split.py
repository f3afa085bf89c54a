"""Seeded document-level splits for sources that come without train/dev/test."""
import random
from typing import Dict, List, Sequence, TypeVar

T = TypeVar("T")
SPLITS = ("train", "dev", "test")


def split_docs(docs: Sequence[T], ratios: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Dict[str, List[T]]:
    """Shuffle documents with `random.Random(seed)` and cut them into train/dev/test.

    The same seed gives the same split on any machine. Sizes are rounded down for dev and
    test; train takes the rest.
    docs (Sequence[T]): documents, in source order.
    ratios (Sequence[float]): train, dev and test fractions, summing to 1.
    seed (int): the shuffle's seed.
    RETURNS (Dict[str, List[T]]): {"train": [...], "dev": [...], "test": [...]}.
    """
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError(
            f"Invalid split ratios {tuple(ratios)}: give three non-negative fractions for "
            "train, dev and test that sum to 1, e.g. 0.8,0.1,0.1."
        )
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_dev = int(len(docs) * ratios[1])
    n_test = int(len(docs) * ratios[2])
    n_train = len(docs) - n_dev - n_test
    cuts = {"train": order[:n_train], "dev": order[n_train : n_train + n_dev], "test": order[n_train + n_dev :]}
    return {name: [docs[i] for i in sorted(idx)] for name, idx in cuts.items()}
