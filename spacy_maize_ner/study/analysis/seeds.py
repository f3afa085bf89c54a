"""Several seeds of one pipeline: rows grouped by configuration, and their mean +- std.

Where each seed's run lives and how its name carries the seed is `runs.py`'s (`-s<seed>`
on every run's folder and name; `seed_group` undoes it).
"""
import statistics
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ..runs import seed_group


def group_rows(rows: Iterable[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    """Metrics rows grouped by configuration (pipeline name without its seed suffix)."""
    groups: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[seed_group(row["pipeline"])[0]].append(row)
    return dict(groups)


def mean_std(values: Sequence[Optional[float]]) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): mean, sample std (None for one value) and n of the non-None values."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return {"mean": None, "std": None, "n": 0}
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "n": len(values),
    }
