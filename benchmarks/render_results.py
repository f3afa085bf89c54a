"""Render benchmarks/RESULTS.md from every benchmarks/results/*.json rows file.

Rows share one schema (pipeline, encoder, regime, params, data, split, metric, value,
seed, machine, date, command). Several seeds of one configuration are shown as the mean
with a 95% confidence interval (Student t). Notes in benchmarks/notes/*.md are appended.
"""
import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIN_METRICS = [
    ("ents_p", "P", 100, ".2f"),
    ("ents_r", "R", 100, ".2f"),
    ("ents_f", "F1", 100, ".2f"),
    ("train_seconds", "train s", 1, ",.0f"),
    ("seconds_per_epoch", "s/epoch", 1, ",.0f"),
    ("seconds_per_update", "s/update", 1, ".3f"),
    ("words_per_second", "words/s (pipeline)", 1, ",.0f"),
    ("tagger_words_per_second", "words/s (tagger)", 1, ",.0f"),
    ("speed_ratio_vs_hf", "speed vs HF", 1, ".2f"),
    ("train_peak_rss_mb", "train peak RSS MB", 1, ",.0f"),
    ("peak_rss_mb", "peak RSS MB", 1, ",.0f"),
    # PEFT (bench_peft.py)
    ("trainable_params", "trainable params", 1, ",.0f"),
    ("trainable_percent", "% of encoder", 1, ".3f"),
    ("artifact_mb", "artifact MB", 1, ",.1f"),
]
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}


def other_format(metric: str):
    """(scale, format) of a metric outside MAIN_METRICS: F1 and its differences in points,
    ratios with two decimals, counts as they are."""
    if metric.startswith("ents_") and "delta" in metric:  # already in F1 points
        return 1, "+.2f"
    if metric.startswith("ents_"):
        return 100, ".2f"
    if "f1_delta" in metric:  # paired differences of F1 as fractions
        return 100, "+.2f"
    if any(word in metric for word in ("ratio", "speedup", "share")):
        return 1, ".2f"
    return 1, ",.0f"


def summarise(values, scale, fmt):
    values = [v * scale for v in values if v is not None]
    if not values:
        return "–"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return format(mean, fmt)
    half = T95.get(len(values) - 1, 1.96) * statistics.stdev(values) / math.sqrt(len(values))
    return f"{format(mean, fmt)} ± {format(half, fmt)} (n={len(values)})"


def main(root: Path = HERE) -> None:
    """Render root/RESULTS.md from root/results/*.json and root/notes/*.md."""
    rows = []
    for path in sorted((root / "results").glob("*.json")):
        rows.extend(dict(r, _file=path.name) for r in json.loads(path.read_text()))
    # Learning-curve rows (params.curve) get their own table below, not a row per point.
    curve_rows = [r for r in rows if (r.get("params") or {}).get("curve")]
    rows = [r for r in rows if not (r.get("params") or {}).get("curve")]
    groups = defaultdict(lambda: defaultdict(list))
    meta = {}
    for r in rows:
        key = (r["data"], r.get("split", "dev"), r["pipeline"], r.get("encoder") or "–", r.get("regime") or "–")
        groups[key][r["metric"]].append(r["value"])
        meta.setdefault(key, set()).add((r.get("machine", "?"), r.get("date", "?")[:10], r.get("command", "?"), r["_file"]))
    out = [
        "# Benchmark results",
        "",
        "Rendered by `python benchmarks/render_results.py` from `benchmarks/results/*.json`; do not edit by hand.",
        "Scores are spaCy's strict entity scores on the dev split (test splits are withheld here).",
        "Speeds and memory come from one process per job (baselines pinned to one core; transformer jobs use both cores); compare speeds only within a table.",
        "A cell of several seeds reads mean ± the half-width of its 95% t interval (n = seeds); README.md and the notes quote mean ± the sample standard deviation.",
        "",
    ]
    present = [m for m in MAIN_METRICS if any(m[0] in g for g in groups.values())]
    for data, split in sorted({k[:2] for k in groups}):
        out += [f"## {data} ({split})", ""]
        out.append("| pipeline | encoder | regime | " + " | ".join(m[1] for m in present) + " |")
        out.append("|---|---|---|" + "---:|" * len(present))
        for key in sorted(k for k in groups if k[:2] == (data, split)):
            if not any(m[0] in groups[key] for m in present):
                continue  # only other metrics (a paired comparison's differences): in the table below
            cells = [summarise(groups[key].get(m[0], []), m[2], m[3]) for m in present]
            out.append(f"| {key[2]} | {key[3]} | {key[4]} | " + " | ".join(cells) + " |")
        extra = sorted({m for k in groups if k[:2] == (data, split) for m in groups[k]} - {m[0] for m in MAIN_METRICS})
        if extra:
            out += ["", "Other metrics (F1, by label and entity length, and F1 differences in points; ratios; counts as they are):", ""]
            out.append("| pipeline | " + " | ".join(extra) + " |")
            out.append("|---|" + "---:|" * len(extra))
            for key in sorted(k for k in groups if k[:2] == (data, split)):
                if not any(m in groups[key] for m in extra):
                    continue
                out.append(f"| {key[2]} | " + " | ".join(
                    summarise(groups[key].get(m, []), *other_format(m)) for m in extra
                ) + " |")
        out += ["", "Produced by:", ""]
        for line in sorted({f"- `{c}` on {m}, {d} ({f})" for k in groups if k[:2] == (data, split) for m, d, c, f in meta[k]}):
            out.append(line)
        out.append("")
    out += learning_curve_lines(curve_rows)
    for note in sorted((root / "notes").glob("*.md")):
        out += [note.read_text().rstrip(), ""]
    (root / "RESULTS.md").write_text("\n".join(out))
    print(f"Wrote {root / 'RESULTS.md'} from {len(rows)} rows")


def learning_curve_lines(rows) -> list:
    """Mean ± 95% CI of strict F1 per curve and training-set size (learning_curve.json)."""
    if not rows:
        return []
    groups = defaultdict(list)
    sizes = {}
    meta = set()
    for r in rows:
        if r["metric"] != "ents_f":
            continue
        p = r["params"]
        groups[(r["data"], p["curve"], p["size"])].append(r["value"])
        sizes.setdefault((r["data"], p["size"]), p["train_sentences"])
        meta.add((r.get("command", "?"), r.get("machine", "?"), r.get("date", "?")[:10], r["_file"]))
    out = []
    for data in sorted({k[0] for k in groups}):
        cols = sorted({s for d, s in sizes if d == data}, key=lambda s: sizes[(data, s)])
        out += [f"## Learning curves: {data} (dev), strict F1", "",
                "Mean over seeds ± the half-width of its 95% t interval (n = seeds; benchmarks/notes/learning_curve.md gives ± the sample std).", "",
                "| curve | " + " | ".join(f"{s} ({sizes[(data, s)]:,} sents)" if s == "all" else s for s in cols) + " |",
                "|---|" + "---:|" * len(cols)]
        for curve in sorted({k[1] for k in groups if k[0] == data}):
            out.append(f"| {curve} | " + " | ".join(summarise(groups.get((data, curve, s), []), 100, ".2f") for s in cols) + " |")
        out += mixed_build_lines([r for r in rows if r["data"] == data])
        out += curve_gap_lines([r for r in rows if r["data"] == data])
        out += ["", "Produced by:", ""] + sorted({f"- `{c}` on {m}, {d} ({f})" for c, m, d, f in meta}) + [""]
    return out


def mixed_build_lines(rows) -> list:
    """A line naming curves whose points span several encoder builds of one DAPT recipe."""
    sys.path.insert(0, str(HERE.parent))
    from spacy_maize_ner.study.analysis.learning_curve import curve_points, mixed_builds

    mixed = mixed_builds(curve_points(rows))
    if not mixed:
        return []
    return ["", "Curves measured with several builds of one DAPT recipe (weights differ, e.g. with the thread count): "
            + "; ".join(f"{c} ({', '.join(f'`{d}`' for d in ds)})" for c, ds in mixed.items()) + "."]


def curve_gap_lines(rows) -> list:
    """The report's gaps between compared curves (spacy_maize_ner.study.analysis.curve_gaps) as a table."""
    sys.path.insert(0, str(HERE.parent))
    from spacy_maize_ner.study.analysis.curve_gaps import curve_gaps
    from spacy_maize_ner.study.analysis.learning_curve import curve_points

    gaps = curve_gaps(curve_points(rows))
    if not gaps:
        return []
    out = ["", "Gaps between compared curves (A − B, strict F1 points; 95% t interval over seeds, paired where both "
           "curves have the same seeds, since a seed draws the same subsample for every curve, else Welch; "
           "**bold** where it excludes zero):", "",
           "| comparison | A − B | sentences | seeds A / B | ΔF1 | 95% interval | interval |", "|---|---|---:|---:|---:|---:|---|"]
    for g in gaps:
        interval = f"[{100 * g['low']:+.2f}, {100 * g['high']:+.2f}]" if g["low"] is not None else "– (one seed)"
        out.append(f"| {g['what']} | {g['a']} − {g['b']} | {g['size']} | {g['n_a']} / {g['n_b']} | {100 * g['diff']:+.2f} | "
                   + (f"**{interval}**" if g["excludes_zero"] else interval) + f" | {g['method']} |")
    return out


if __name__ == "__main__":
    main()
