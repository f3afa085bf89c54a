"""Seeded document-level splits for sources that come without train/dev/test."""
import math
import random
from typing import Dict, List, Sequence, TypeVar

T = TypeVar("T")
SPLITS = ("train", "dev", "test")


def split_docs(docs: Sequence[T], ratios: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Dict[str, List[T]]:
    """Shuffle documents with `random.Random(seed)` and cut them into train/dev/test.

    The same seed gives the same split on any machine (the global RNG is not touched).
    dev and test get `floor(n * ratio)` documents each, train the rest; within a split
    the documents keep their source order.
    docs (Sequence[T]): documents (Docs or anything else), in source order.
    ratios (Sequence[float]): train, dev and test fractions, non-negative, summing to 1.
    seed (int): the shuffle's seed.
    RETURNS (Dict[str, List[T]]): {"train": [...], "dev": [...], "test": [...]}.
    """
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) != 3 or any(not math.isfinite(r) or r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError(
            f"Invalid split ratios {ratios}: give three non-negative fractions for train, dev "
            "and test that sum to 1, e.g. 0.8,0.1,0.1."
        )
    docs = list(docs)
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    # The epsilon keeps 0.29 * 100 = 28.999999999999996 from becoming 28.
    n_dev = int(len(docs) * ratios[1] + 1e-9)
    n_test = int(len(docs) * ratios[2] + 1e-9)
    n_train = len(docs) - n_dev - n_test
    cuts = {
        "train": order[:n_train],
        "dev": order[n_train : n_train + n_dev],
        "test": order[n_train + n_dev :],
    }
    return {name: [docs[i] for i in sorted(indices)] for name, indices in cuts.items()}


def parse_ratios(text: str) -> List[float]:
    """'0.8,0.1,0.1' -> [0.8, 0.1, 0.1], checked like `split_docs` checks them.

    text (str): three comma-separated fractions.
    RETURNS (List[float]): the fractions.
    """
    try:
        ratios = [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"Invalid split {text!r}: give three fractions like 0.8,0.1,0.1.") from None
    split_docs([], ratios)  # raises with the explanation when they are invalid
    return ratios
