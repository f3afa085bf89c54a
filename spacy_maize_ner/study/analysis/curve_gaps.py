"""Gaps between learning curves: at each training size, how far apart two compared curves
are and whether their seeds say the gap is more than noise.

The report's pipeline comparisons bootstrap the documents of saved pipelines; curve points
keep no pipeline (each trains in a scratch folder), so the uncertainty here is the one
between seeds. A seed draws the same subsample for every curve, so where both curves have
the same seeds the interval is a paired t interval over the per-seed differences (the
luck of the sample cancels); otherwise a Welch interval for the difference of the means.
"""
import math
import re
import statistics
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .pipelines import DOMAIN_PAIRS

PEFT_REGIMES = ("lora", "prompt", "prefix")


def curve_pairs(names: Sequence[str]) -> List[Tuple[str, str, str]]:
    """(what, a, b) for each pair of curves the report compares; the gap is F1(a) - F1(b).

    Curves are named `<encoder>-<regime>[-setting]` (encoder short names have no dash) or
    `crf` / `hmm`; a DAPT encoder is `<encoder>_dapt`, or `<encoder>_dapt2`, ... for the curves
    of a later DAPT recipe (an earlier curve's encoder can be gone, and one curve holds one
    encoder). The pairs follow the report's pipeline pairs (pipelines.comparison_pairs):
    domain vs general encoder per regime, full vs each PEFT curve per encoder, and each
    encoder's `full` curve vs the CRF.
    """
    present = set(names)
    encoders = {name.partition("-")[0] for name in present}
    pairs: List[Tuple[str, str, str]] = []
    for name in sorted(present):
        encoder, _, regime = name.partition("-")
        if not regime:
            continue
        # <encoder>_dapt, or a later DAPT recipe's curve named <encoder>_dapt2, _dapt3, ...
        dapt = sorted(e for e in encoders if re.fullmatch(rf"{re.escape(encoder)}_dapt\d*", e))
        for domain in dapt + [d for g, d in DOMAIN_PAIRS if g == encoder]:
            if f"{domain}-{regime}" in present:
                pairs.append((f"domain vs general encoder ({regime})", f"{domain}-{regime}", name))
        if regime.partition("-")[0] in PEFT_REGIMES and f"{encoder}-full" in present:
            pairs.append((f"full vs {regime} ({encoder})", f"{encoder}-full", name))
        if regime == "full" and "crf" in present:
            pairs.append((f"{encoder} full vs CRF", name, "crf"))
    return pairs


def welch_interval(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Optional[Tuple[float, float, float]]:
    """RETURNS (mean(a) - mean(b), low, high) of a Welch t interval, or None with fewer than
    two values on a side (one seed has no spread to judge a gap by)."""
    from scipy.stats import t

    if len(a) < 2 or len(b) < 2:
        return None
    diff = statistics.fmean(a) - statistics.fmean(b)
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if va + vb == 0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(t.ppf(0.5 + level / 2, df)) * math.sqrt(va + vb)
    return diff, diff - half, diff + half


def paired_interval(differences: Sequence[float], level: float = 0.95) -> Optional[Tuple[float, float, float]]:
    """RETURNS (mean difference, low, high) of a t interval over paired differences, or None
    with fewer than two pairs."""
    from scipy.stats import t

    if len(differences) < 2:
        return None
    diff = statistics.fmean(differences)
    spread = statistics.stdev(differences) / math.sqrt(len(differences))
    half = float(t.ppf(0.5 + level / 2, len(differences) - 1)) * spread
    return diff, diff - half, diff + half


def gap_interval(pa: Dict[str, Any], pb: Dict[str, Any], level: float = 0.95) -> Tuple[str, Optional[Tuple[float, float, float]]]:
    """RETURNS ("paired" or "Welch", interval) for two curve points (curve_points' output)."""
    seeds_a, seeds_b = pa.get("seeds") or [], pb.get("seeds") or []
    if seeds_a and None not in seeds_a and len(set(seeds_a)) == len(seeds_a) and sorted(seeds_a) == sorted(seeds_b):
        by_seed = dict(zip(seeds_b, pb["values"]))
        return "paired", paired_interval([v - by_seed[s] for s, v in zip(seeds_a, pa["values"])], level)
    return "Welch", welch_interval(pa["values"], pb["values"], level)


def curve_gaps(curves: Dict[str, List[Dict[str, Any]]], level: float = 0.95) -> List[Dict[str, Any]]:
    """One row per compared pair and training size both curves measured (curve_points' output).

    RETURNS rows with `what`, `a`, `b`, `size`, `n_a`, `n_b`, `diff`, `method` ("paired" or
    "Welch", see gap_interval) and, where both sides have two or more seeds, `low`, `high`
    and `excludes_zero` (else those are None).
    """
    rows: List[Dict[str, Any]] = []
    for what, a, b in curve_pairs(list(curves)):
        points_b = {p["size"]: p for p in curves[b]}
        for pa in curves[a]:
            pb = points_b.get(pa["size"])
            if pb is None:
                continue
            method, interval = gap_interval(pa, pb, level)
            low, high = (interval[1], interval[2]) if interval else (None, None)
            rows.append({
                "what": what, "a": a, "b": b, "size": pa["size"], "n_a": pa["n"], "n_b": pb["n"],
                "diff": pa["mean"] - pb["mean"], "method": method, "low": low, "high": high,
                "excludes_zero": None if interval is None else (low > 0 or high < 0),
            })
    return rows
