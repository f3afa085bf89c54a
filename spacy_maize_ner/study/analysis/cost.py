"""Parameter-performance bubbles: trained parameters (log x) vs F1, bubble area = cost.

One bubble per configuration found in the metrics (mean F1 over its seeds, std as an
error bar); the bubble's area is the inference cost in seconds per 1,000 words from the
evaluation run. Pipelines that train nothing (regime `none`, zero-shot LLMs) are drawn
hollow at their total parameter count.
"""
from pathlib import Path
from typing import Any, Dict, List, Sequence

from .figures import pyplot, save
from .pipelines import Configuration

FAMILY_COLOURS = {
    "crf": "#1f77b4", "hmm": "#ff7f0e", "dictionary": "#2ca02c", "majority": "#7f7f7f",
    "transformer": "#d62728", "peft": "#9467bd", "llm": "#8c564b", "other": "#17becf",
}


def cost_points(confs: Sequence[Configuration]) -> List[Dict[str, Any]]:
    """RETURNS (List[Dict]): per configuration its family, parameters, F1 and seconds per 1k words."""
    points = []
    for conf in confs:
        params = [r.get("parameters") or {} for r in conf.runs]
        trainable = max((p.get("trainable") or 0) for p in params)
        total = max((p.get("total") or 0) for p in params)
        wps = conf.stat("words_per_second")["mean"]
        f1 = conf.stat("ents_f")
        points.append({
            "pipeline": conf.name,
            "family": conf.family,
            "trainable": trainable,
            "total": total,
            "f1": f1["mean"],
            "f1_std": f1["std"],
            "seeds": f1["n"],
            "seconds_per_1k_words": 1000.0 / wps if wps else None,
        })
    return points


def plot_cost(points: Sequence[Dict[str, Any]], path: Path, caption_text: str) -> Path:
    """Bubble plot of `cost_points` to `path` (SVG)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.2))
    drawn = [p for p in points if p["f1"] is not None and (p["trainable"] or p["total"])]
    costs = [p["seconds_per_1k_words"] for p in drawn if p["seconds_per_1k_words"]]
    scale = 1500.0 / max(costs) if costs else 1.0
    seen = set()
    for p in drawn:
        x = p["trainable"] or p["total"]
        area = max((p["seconds_per_1k_words"] or 0) * scale, 12)
        colour = FAMILY_COLOURS.get(p["family"], FAMILY_COLOURS["other"])
        hollow = not p["trainable"]
        ax.scatter([x], [100 * p["f1"]], s=area, alpha=0.55, edgecolors=colour, linewidths=1.5,
                   facecolors="none" if hollow else colour)
        seen.add(p["family"])
        if p["f1_std"]:
            ax.errorbar([x], [100 * p["f1"]], yerr=[100 * p["f1_std"]], color=colour, capsize=2, lw=0.8)
        ax.annotate(p["pipeline"], (x, 100 * p["f1"]), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("trained parameters (count, log scale; hollow: nothing trained, total shown)")
    ax.set_ylabel("strict entity F1 (%)")
    ax.set_title("Parameters vs F1; bubble area = inference cost (s per 1,000 words)")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=FAMILY_COLOURS.get(f, FAMILY_COLOURS["other"]), label=f) for f in sorted(seen)]
    families = ax.legend(handles=handles, fontsize=7, loc="lower left", title="family", title_fontsize=7)
    ax.add_artist(families)
    if costs:
        sizes = [ax.scatter([], [], s=max(v * scale, 12), color="#bbb", alpha=0.6, label=f"{v:.3g} s / 1k words") for v in sorted({min(costs), max(costs)})]
        ax.legend(handles=sizes, fontsize=7, loc="lower right", labelspacing=2.0, borderpad=1.2, title="inference cost", title_fontsize=7)
    ax.grid(True, alpha=0.3)
    return save(fig, path, caption_text)
