"""Several seeds of one pipeline: where their runs live, and their mean +- std.

The first seed of `vars.seeds` keeps the usual folder (training/crf, training/transformers);
every further seed gets `-s<seed>` on that folder (training/crf-s1,
training/transformers-s1/<encoder>-<regime>) and on the pipeline's name in the metrics
(crf-s1, minilm-full-s1). `seed_group` undoes that, so rows of one configuration are
averaged over seeds.
"""
import re
import shlex
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

SEED_NAME = re.compile(r"^(?P<base>.+)-s(?P<seed>\d+)$")


def parse_seeds(spec: str) -> List[int]:
    """'0,1,2' -> [0, 1, 2]. RETURNS (List[int]): the seeds, in order, without repeats."""
    seeds: List[int] = []
    for item in (s.strip() for s in str(spec).split(",")):
        if not item:
            continue
        if not item.lstrip("-").isdigit():
            raise ValueError(f"Seed {item!r} in {spec!r} is not an integer. Give seeds as a comma-separated list, e.g. --vars.seeds 0,1,2.")
        if int(item) not in seeds:
            seeds.append(int(item))
    if not seeds:
        raise ValueError(f"No seeds in {spec!r}. Give at least one, e.g. --vars.seeds 0.")
    return seeds


def seed_suffix(seed: int, seeds: Sequence[int]) -> str:
    """'' for the first seed (the usual folders), '-s<seed>' for the others."""
    return "" if seed == seeds[0] else f"-s{seed}"


def seed_variant(path: Path, suffix: str) -> Path:
    """training/crf/model-best + '-s1' -> training/crf-s1/model-best; a folder gets the suffix itself."""
    path = Path(path)
    if not suffix:
        return path
    if path.name in ("model-best", "model-last"):
        return path.parent.with_name(path.parent.name + suffix) / path.name
    return path.with_name(path.name + suffix)


def seed_group(name: str) -> Tuple[str, Optional[int]]:
    """'minilm-full-s2' -> ('minilm-full', 2); 'crf' -> ('crf', None)."""
    match = SEED_NAME.match(name)
    if match:
        return match.group("base"), int(match.group("seed"))
    return name, None


def run_for_seeds(seeds: Sequence[int], command: Sequence[str]) -> None:
    """Run `command` once per seed, `{seed}` replaced by the seed and `{suffix}` by its suffix.

    Stops at the first failing run (its exit code is raised as CalledProcessError).
    """
    for seed in seeds:
        suffix = seed_suffix(seed, seeds)
        args = [a.replace("{seed}", str(seed)).replace("{suffix}", suffix) for a in command]
        print(f"[seed {seed}] {shlex.join(args)}", flush=True)
        subprocess.run(args, check=True)


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


def training_seed(nlp: Any) -> Optional[int]:
    """The `[training] seed` a loaded pipeline was trained with (None if it has none)."""
    try:
        seed = nlp.config.interpolate()["training"].get("seed")
    except Exception:  # a pipeline built in code may have no [training] section
        return None
    return int(seed) if isinstance(seed, int) else None
