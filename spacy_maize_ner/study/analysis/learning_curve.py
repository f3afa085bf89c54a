"""Learning curves: strict F1 against the number of training sentences, read back and drawn.

Points are trained and scored by `study/training/curves.py` into rows files; this module
groups their rows into mean and spread per size (`curve_points`), labels and plots the
curves. It trains nothing.
"""
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple, Union


def curve_points(rows: Sequence[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    """Group learning-curve rows (shared schema, metric ents_f) into mean/std per size.

    A row's params hold `curve` (e.g. "crf"), `size` ("100" ... "all") and
    `train_sentences` (what the sample held).
    RETURNS (Dict[str, List[Dict]]): per curve, points sorted by training sentences with
        `size`, `sentences` (mean over seeds), `mean`, `std` (sample std), `n`, `values` and
        `seeds` (the seed of each value; a seed draws the same subsample for every curve) and
        `encoder_sha256` (the encoder weight digests its rows recorded, sorted).
    """
    import statistics
    from collections import defaultdict

    groups: Dict[Tuple[str, str], List[Tuple[float, float, Any]]] = defaultdict(list)
    digests: Dict[Tuple[str, str], set] = defaultdict(set)
    for row in rows:
        if row.get("metric") != "ents_f":
            continue
        params = row.get("params") or {}
        if "train_sentences" not in params:
            continue
        curve = str(params.get("curve") or row.get("pipeline"))
        groups[(curve, str(params.get("size")))].append((float(params["train_sentences"]), float(row["value"]), row.get("seed")))
        if params.get("encoder_sha256"):
            digests[(curve, str(params.get("size")))].add(str(params["encoder_sha256"]))
    out: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for (curve, size), points in groups.items():
        values = [v for _, v, _ in points]
        out[curve].append({
            "size": size,
            "sentences": statistics.fmean(s for s, _, _ in points),
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "n": len(values),
            "values": values,
            "seeds": [seed for _, _, seed in points],
            "encoder_sha256": sorted(digests[(curve, size)]),
        })
    return {curve: sorted(points, key=lambda p: p["sentences"]) for curve, points in out.items()}


def encoder_builds(points: Sequence[Dict[str, Any]]) -> List[str]:
    """The encoder weight digests behind a curve's points. More than one means the curve was
    continued with another build of the same DAPT recipe (check_same_encoder allows only that):
    DAPT weights differ with the thread count, so readers should know the curve mixes builds."""
    return sorted({digest for point in points for digest in point.get("encoder_sha256") or ()})


def mixed_builds(curves: Dict[str, List[Dict[str, Any]]]) -> Dict[str, List[str]]:
    """Per curve spanning several encoder builds (curve_points' output), its digests; for the report's note."""
    return {curve: encoder_builds(points) for curve, points in sorted(curves.items()) if len(encoder_builds(points)) > 1}


def curve_label(curve: str, points: Sequence[Dict[str, Any]]) -> str:
    """A legend entry that says how many seeds each point has, also when they differ (a curve
    still being measured), and how many encoder builds it spans when more than one."""
    counts = sorted({p["n"] for p in points})
    seeds = f"n={counts[0]} seeds" if len(counts) == 1 else f"n={counts[0]}-{counts[-1]} seeds per point"
    builds = len(encoder_builds(points))
    return f"{curve} ({seeds}" + (f", {builds} encoder builds)" if builds > 1 else ")")


def plot_curves(curves: Dict[str, List[Dict[str, Any]]], path: Path, caption_text: str) -> Path:
    """Mean strict F1 per size with a +-1 std band (over seeds), one line per curve."""
    from .figures import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for curve, points in sorted(curves.items()):
        xs = [p["sentences"] for p in points]
        mean = [100 * p["mean"] for p in points]
        std = [100 * p["std"] for p in points]
        (line,) = ax.plot(xs, mean, marker="o", label=curve_label(curve, points))
        ax.fill_between(xs, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)], color=line.get_color(), alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("training sentences (count, log scale)")
    ax.set_ylabel("strict entity F1 on dev (%)")
    ax.set_title("Learning curves: mean over seeds, band = ±1 std")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path, caption_text)


def read_rows(paths: Sequence[Union[str, Path]]) -> List[Dict[str, Any]]:
    """Rows of every existing learning-curve rows file (shared schema); missing files are skipped."""
    import json

    rows: List[Dict[str, Any]] = []
    for path in map(Path, paths):
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf8"))
        except ValueError as err:
            raise ValueError(f"Malformed learning-curve rows file {path}: {err}. Delete it and re-run the learning-curve command.") from None
        rows += [r for r in data if (r.get("params") or {}).get("train_sentences") is not None]
    return rows
