"""Encoders vs LLMs: strict F1 beside inference cost for every pipeline measured, F1 by
entity length, and the decoder taggers' gaps to MiniLM `full` and between attention modes.

The numbers come from rows in the shared benchmark schema (benchmarks/results/*.json and the
learning-curve rows: pipeline, encoder, regime, params, data, split, seed, metric, value,
machine, date, command) and from the analysis' own pipelines (training/metrics). An *entry*
is one pipeline measured on one training set: a benchmark run name, a learning-curve point
(`params.curve` at `params.size`) or a configuration of training/metrics, with its mean over
seeds of every metric.

    entries = row_entries(read_result_rows(paths), data="bc2gm") + metrics_entries(confs)
    section = encoders_vs_llms(entries, curve_points(lc_rows), decoders=decoder_provenance(...))

Inference cost is words per second of the row's own run (nlp.pipe for spaCy pipelines, the
llama.cpp server for the local LLMs), shown as seconds per 1,000 words. LLM rows are often
scored on a seeded sample of dev sentences (`split` dev-sample20, `llm.sample`): they say so.
"""
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ...components.defaults import META_KEY
from .curve_gaps import gap_interval
from .seeds import mean_std

# Kinds of pipeline, in the order of the tables, and their colours and markers in the figure.
KINDS = ("dictionary", "majority", "hmm", "crf", "encoder", "encoder-peft", "decoder", "llm")
KIND_HELP = {
    "dictionary": "dictionary", "majority": "majority", "hmm": "HMM", "crf": "CRF", "encoder": "MiniLM encoder (full, frozen, probe)",
    "encoder-peft": "MiniLM encoder (LoRA, prompt, prefix)", "decoder": "decoder LLM as BIO tagger", "llm": "generative LLM (zero/few-shot)",
}
KIND_COLOURS = {
    "dictionary": "#2ca02c", "majority": "#7f7f7f", "hmm": "#ff7f0e", "crf": "#1f77b4", "encoder": "#d62728",
    "encoder-peft": "#9467bd", "decoder": "#e377c2", "llm": "#8c564b",
}
KIND_MARKERS = {"encoder": "o", "encoder-peft": "s", "decoder": "D", "llm": "^"}
PEFT_REGIMES = ("lora", "prompt", "prefix", "peft")
LENGTH_BUCKETS = ("1", "2", ">=3")
# The curve the decoder taggers are compared with at each training size.
REFERENCE_CURVE = "minilm-full"
NO_DECODER_NOTE = (
    "No decoder rows yet: run `spacy project run decoders` or "
    "`python benchmarks/bench_learning_curve.py --pipeline decoder-lora-bidirectional --encoder assets/decoders/gemma3-270m "
    "--sizes 2500 --select-sentences 500`."
)
COST_METRICS = ("words_per_second", "seconds_per_1k_words", "peak_rss_mb", "parameters_total", "parameters_trainable", "train_seconds")


def read_result_rows(paths: Iterable[Union[str, Path]]) -> List[Dict[str, Any]]:
    """Every row of every existing rows file, each with `_source` (its file); missing files
    are skipped, a file given twice is read once.

    RETURNS (List[Dict[str, Any]]): the rows.
    """
    rows: List[Dict[str, Any]] = []
    seen = set()
    for path in map(Path, paths):
        if not path.exists() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            data = json.loads(path.read_text(encoding="utf8"))
        except ValueError as err:
            raise ValueError(f"Malformed rows file {path}: {err}. Restore it from git (git checkout -- {path}) or re-run its benchmark.") from None
        if not isinstance(data, list):
            raise ValueError(f"Malformed rows file {path}: expected a JSON list of rows (shared schema), found {type(data).__name__}.")
        rows += [{**row, "_source": str(path)} for row in data if isinstance(row, dict)]
    return rows


def data_name(data: Any) -> str:
    """'bc2gm (train limit 4000, dev limit 0)' -> 'bc2gm': the corpus a row was measured on."""
    return str(data or "").split(" (", 1)[0].strip()


def train_limit(data: Any) -> Optional[int]:
    """The training sentences a row's data string limits it to ('train limit 4000'), else None."""
    match = re.search(r"train limit (\d+)", str(data or ""))
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def sample_size(split: Any, pipeline: str = "", params: Optional[Dict[str, Any]] = None) -> Optional[int]:
    """Dev sentences a row was scored on when a sample (split 'dev-sample20', params.sample,
    or '-sample20' in its name), else None (all of the split)."""
    if (params or {}).get("sample"):
        return int(params["sample"])
    for text in (str(split or ""), pipeline):
        match = re.search(r"sample(\d+)", text)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None


def shots_of(pipeline: str, regime: Any = None, params: Optional[Dict[str, Any]] = None) -> Optional[int]:
    """Few-shot examples of an LLM row (params.shots, '5-shot ...' or '-5shot'), else None."""
    if (params or {}).get("shots") is not None:
        return int(params["shots"])
    for text in (str(regime or ""), pipeline):
        match = re.search(r"(\d+)-?shot", text)
        if match:
            return int(match.group(1))
    return None


def kind_of(name: str, regime: Any = None, family: Optional[str] = None) -> str:
    """dictionary, majority, hmm, crf, encoder, encoder-peft, decoder or llm."""
    text, regime = name.lower(), str(regime or "").lower()
    if family == "llm" or text.startswith("llm"):
        return "llm"
    if "decoder" in text or regime.startswith("decoder"):
        return "decoder"
    for known in ("dictionary", "majority", "hmm", "crf"):
        if family == known or regime == known or text == known or text.startswith(f"{known} ") or text.startswith(f"lc-{known}-"):
            return known
    if regime in PEFT_REGIMES or family == "peft":
        return "encoder-peft"
    return "encoder"


def _per_seed(rows: Sequence[Dict[str, Any]]) -> Dict[str, Dict[Any, float]]:
    """metric -> {seed: value}; a later row of the same metric and seed replaces an earlier one."""
    out: Dict[str, Dict[Any, float]] = {}
    for row in rows:
        if isinstance(row.get("value"), (int, float)) and not isinstance(row.get("value"), bool):
            out.setdefault(str(row.get("metric")), {})[row.get("seed")] = float(row["value"])
    return out


def _entry(*, pipeline: str, label: str, kind: str, source: str, train_sentences: Optional[int], size: Optional[str],
           shots: Optional[int], sample: Optional[int], encoder: Optional[str], curve: Optional[str],
           f1: Dict[str, Any], seeds: List[Any], cost: Dict[str, Dict[str, Any]], by_length: Dict[str, Dict[str, Any]],
           train_on_gpu: bool = False) -> Dict[str, Any]:
    wps = cost.get("words_per_second") or {}
    s1k = cost.get("seconds_per_1k_words") or {}
    words_per_second = wps.get("mean") or (1000.0 / s1k["mean"] if s1k.get("mean") else None)
    return {
        "id": None, "pipeline": pipeline, "label": label, "kind": kind, "source": source, "encoder": encoder, "curve": curve,
        "train_sentences": train_sentences, "size": size, "shots": shots, "sample": sample,
        "seeds": seeds, "f1": f1, "words_per_second": words_per_second,
        "seconds_per_1k_words": 1000.0 / words_per_second if words_per_second else None,
        "peak_rss_mb": (cost.get("peak_rss_mb") or {}).get("mean"),
        "parameters_total": (cost.get("parameters_total") or {}).get("mean"),
        "parameters_trainable": (cost.get("parameters_trainable") or {}).get("mean"),
        # what training cost, mean wall seconds of one run on the row's own machine (None for zero-shot LLMs)
        "train_seconds": (cost.get("train_seconds") or {}).get("mean"), "train_on_gpu": train_on_gpu,
        "by_length": {b: v for b, v in by_length.items() if v.get("mean") is not None},
    }


def row_entries(rows: Sequence[Dict[str, Any]], *, data: Optional[str] = None) -> List[Dict[str, Any]]:
    """One entry per (rows file, pipeline, data, split) with an `ents_f` metric.

    data (Optional[str]): keep only rows measured on this corpus (`data_name` of their data).
    Learning-curve rows (params.train_sentences) are one entry per curve and size; a row
    whose data says 'train limit N' trained on N sentences; other rows on the whole split.
    RETURNS (List[Dict[str, Any]]): the entries, unnumbered (see `number_entries`).
    """
    groups: Dict[Tuple[str, str, str, str], List[Dict[str, Any]]] = {}
    for row in rows:
        if data is not None and data_name(row.get("data")) != data:
            continue
        key = (str(row.get("_source") or ""), str(row.get("pipeline")), str(row.get("data")), str(row.get("split")))
        groups.setdefault(key, []).append(row)
    entries = []
    for (source, pipeline, data_text, split), group in groups.items():
        metrics = _per_seed(group)
        if "ents_f" not in metrics:
            continue
        first = next((r for r in group if r.get("metric") == "ents_f"), group[0])
        params = first.get("params") or {}
        curve = params.get("curve") if params.get("train_sentences") is not None else None
        kind = kind_of(str(curve or pipeline), first.get("regime"))
        train_sentences = int(params["train_sentences"]) if curve else train_limit(data_text)
        shots = shots_of(pipeline, first.get("regime"), params) if kind == "llm" else None
        seeds = sorted(metrics["ents_f"], key=lambda s: (s is None, s if s is not None else 0))
        entries.append(_entry(
            pipeline=pipeline, label=f"{curve} ({train_sentences:,} sentences)" if curve else pipeline, kind=kind, source=source,
            train_sentences=0 if kind == "llm" else train_sentences, size=str(params.get("size")) if curve else None,
            shots=shots, sample=sample_size(split, pipeline, params), encoder=first.get("encoder"), curve=curve,
            f1=mean_std(list(metrics["ents_f"].values())), seeds=seeds,
            cost={m: mean_std(list(metrics[m].values())) for m in COST_METRICS if m in metrics},
            by_length={b: mean_std(list(metrics[f"ents_by_length.{b}.f"].values())) for b in LENGTH_BUCKETS if f"ents_by_length.{b}.f" in metrics},
            train_on_gpu=any(" GPU " in f"{r.get('machine')} " for r in group if r.get("metric") == "train_seconds"),
        ))
    return entries


def metrics_entries(confs: Sequence[Any], *, train_sentences: Optional[int] = None) -> List[Dict[str, Any]]:
    """One entry per configuration of training/metrics (analysis.pipelines.Configuration).

    train_sentences (Optional[int]): sentences of the training split they were trained on.
    RETURNS (List[Dict[str, Any]]): the entries, unnumbered.
    """
    entries = []
    for conf in confs:
        first = conf.runs[0]
        llm = first.get("llm") if isinstance(first.get("llm"), dict) else {}
        kind = kind_of(conf.name, conf.info.get("regime"), conf.family)
        buckets = [b for b in LENGTH_BUCKETS if b in (first.get("ents_by_length") or {})]
        entries.append(_entry(
            pipeline=conf.name, label=conf.name, kind=kind, source=str(Path(first.get("_path", "training/metrics/x")).parent),
            train_sentences=0 if kind == "llm" else train_sentences, size=None,
            shots=(llm.get("shots") if llm.get("shots") is not None else shots_of(conf.name)) if kind == "llm" else None,
            sample=sample_size(first.get("split"), conf.name, llm), encoder=conf.info.get("encoder"), curve=None,
            f1=conf.stat("ents_f"), seeds=conf.seeds,
            cost={"words_per_second": conf.stat("words_per_second"), "parameters_total": conf.stat_nested("parameters", "total"),
                  "parameters_trainable": conf.stat_nested("parameters", "trainable"),
                  "train_seconds": conf.stat_nested(META_KEY, "train_seconds")},  # the regime meta train.py writes
            by_length={b: conf.stat_nested("ents_by_length", b, "f") for b in buckets},
        ))
    return [e for e in entries if e["f1"]["mean"] is not None]


def number_entries(entries: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Entries sorted by kind (KINDS), then label, numbered from 1 (the figure's labels)."""
    order = {k: i for i, k in enumerate(KINDS)}
    ranked = sorted(entries, key=lambda e: (order.get(e["kind"], len(KINDS)), e["label"], e["source"]))
    return [{**e, "id": i} for i, e in enumerate(ranked, 1)]


def data_label(entry: Dict[str, Any]) -> str:
    """What a point was trained on: '2,500 sentences', 'full split', '5-shot, sample of 20'."""
    if entry["kind"] == "llm":
        text = f"{entry['shots']}-shot" if entry.get("shots") is not None else "k-shot (not recorded)"
        text = {"0-shot": "zero-shot"}.get(text, text + (" (few-shot)" if entry.get("shots") else ""))
    elif entry.get("train_sentences"):
        text = f"{entry['train_sentences']:,} sentences"
    else:
        text = "full split"
    if entry.get("sample"):
        text += f"; scored on a sample of {entry['sample']} sentences"
    return text


def short_label(entry: Dict[str, Any]) -> str:
    """The figure's label of a point: its number and, unless it trained on the whole training
    split, its training sentences or shots ('7', '12 · 2.5k', '31 · 5-shot, sample 20')."""
    if entry["kind"] == "llm":
        text = f"{entry['shots']}-shot" if entry.get("shots") is not None else "?-shot"
    elif entry.get("train_sentences"):
        n = entry["train_sentences"]
        text = f"{n / 1000:.3g}k" if n >= 1000 else str(n)
    else:
        text = ""
    if entry.get("sample"):
        text += f", sample {entry['sample']}"
    return f"{entry['id']} · {text}" if text else str(entry["id"])


def cost_points(entries: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The entries with both a strict F1 and an inference cost: the figure's points."""
    return [e for e in entries if e["f1"].get("mean") is not None and e.get("seconds_per_1k_words")]


def by_length_table(entries: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """F1 of entities of 1, 2 and >=3 tokens for every entry that measured them.

    RETURNS (Dict[str, Any]): `buckets` (column keys) and `rows` ({id, label, kind, data, f1, by_length}).
    """
    rows = [e for e in entries if e.get("by_length")]
    buckets = [b for b in LENGTH_BUCKETS if any(b in e["by_length"] for e in rows)]
    return {"buckets": buckets, "rows": [{"id": e["id"], "label": e["label"], "kind": e["kind"], "data": data_label(e), "f1": e["f1"],
                                          "by_length": e["by_length"]} for e in rows]}


def decoder_pairs(curves: Iterable[str], reference: str = REFERENCE_CURVE) -> List[Tuple[str, str, str]]:
    """(what, a, b) for each decoder curve vs `reference`, and bidirectional vs causal of one decoder."""
    present = set(curves)
    pairs = []
    for name in sorted(present):
        if "decoder" not in name:
            continue
        if reference in present:
            pairs.append((f"decoder vs {reference}", name, reference))
        if "bidirectional" in name:
            causal = "causal".join(name.rsplit("bidirectional", 1))
            if causal in present:
                pairs.append(("bidirectional vs causal", name, causal))
    return pairs


def seed_gap(pa: Dict[str, Any], pb: Dict[str, Any], level: float = 0.95) -> Dict[str, Any]:
    """The gap between two learning-curve points (curve_points' output), paired by seed.

    A seed draws the same subsample for every curve, so the seeds both points measured are
    paired (curve_gaps.gap_interval over those); with no seed in common the means are
    compared (Welch). With fewer than two pairs (or values) there is no interval: `note`
    says so ('n=1, no interval') and `diff` is the single difference.
    """
    a = dict(zip(pa.get("seeds") or [], pa["values"]))
    b = dict(zip(pb.get("seeds") or [], pb["values"]))
    common = sorted(s for s in a if s is not None and s in b)
    if common:
        pa, pb = ({"seeds": common, "values": [d[s] for s in common]} for d in (a, b))
        n = len(common)
    else:
        n = min(len(pa["values"]), len(pb["values"]))
    method, interval = gap_interval(pa, pb, level)
    diff = interval[0] if interval else sum(pa["values"]) / len(pa["values"]) - sum(pb["values"]) / len(pb["values"])
    low, high = (interval[1], interval[2]) if interval else (None, None)
    return {"method": method, "pairs": len(common), "diff": diff, "low": low, "high": high,
            "excludes_zero": None if interval is None else (low > 0 or high < 0),
            "note": None if interval else f"n={n}, no interval"}


def decoder_gaps(curves: Dict[str, List[Dict[str, Any]]], reference: str = REFERENCE_CURVE, level: float = 0.95) -> List[Dict[str, Any]]:
    """One row per decoder pair (decoder_pairs) and training size both curves measured.

    RETURNS rows with `what`, `a`, `b`, `size`, `sentences`, `n_a`, `n_b` and seed_gap's keys.
    """
    rows = []
    for what, a, b in decoder_pairs(curves, reference):
        points_b = {p["size"]: p for p in curves[b]}
        for pa in curves[a]:
            pb = points_b.get(pa["size"])
            if pb is not None:
                rows.append({"what": what, "a": a, "b": b, "size": pa["size"], "sentences": pa["sentences"],
                             "n_a": pa["n"], "n_b": pb["n"], **seed_gap(pa, pb, level)})
    return rows


def _normal(name: Any) -> str:
    return re.sub(r"[-_.]+", "_", Path(str(name)).name).lower()


def decoder_provenance(names: Iterable[Any], folder: Union[str, Path] = "assets/decoders") -> List[Dict[str, Any]]:
    """Where the decoders behind `names` (encoder folders or short names) came from:
    `<folder>/<name>/provenance.json` when provided, else decoders.provide.SOURCES.
    With no name that is a known decoder (no decoder rows yet), the decoders provided in
    `folder`, else every decoder of SOURCES.

    RETURNS (List[Dict[str, Any]]): name, hub_id, quantization, packages, sha256, note, source.
    """
    from ..workflow.decoders import NOTE, SOURCES

    wanted = {_normal(n) for n in names if n}
    known = ([name for name in SOURCES if _normal(name) in wanted]
             or [name for name in SOURCES if (Path(folder) / name / "provenance.json").exists()] or list(SOURCES))
    out = []
    for name in known:
        src = SOURCES[name]
        path = Path(folder) / name / "provenance.json"
        entry = {"name": name, "hub_id": src.hub_id, "quantization": None, "packages": list(src.packages), "sha256": src.sha256,
                 "note": NOTE.format(hub_id=src.hub_id), "source": "spacy_maize_ner/study/workflow/decoders.py SOURCES"}
        if path.exists():
            try:
                prov = json.loads(path.read_text(encoding="utf8"))
            except ValueError as err:
                raise ValueError(f"Malformed {path}: {err}. Provide the decoder again: python scripts/provide_decoder.py {name}") from None
            gguf = prov.get("gguf") or {}
            entry.update({"quantization": gguf.get("quantization"), "sha256": gguf.get("sha256") or entry["sha256"],
                          "packages": [p.get("requirement") for p in prov.get("packages") or []] or entry["packages"],
                          "note": prov.get("note") or entry["note"], "source": str(path)})
        else:
            match = re.search(r"q\d_k_[msl]|q\d_\d", src.file_name.lower())
            entry["quantization"] = match.group(0).upper() if match else None
        out.append(entry)
    return out


def provenance_text(decoders: Sequence[Dict[str, Any]], *, has_llms: bool = True) -> str:
    """The caption's sentence on what the decoder weights are, and that LLM rows may be on samples."""
    names = "; ".join(
        f"{d['name']} ({d['quantization'] or 'quantized'} GGUF of {d['hub_id']}, packages {d['packages'][0]}"
        + (f" … {d['packages'][-1]}" if len(d["packages"]) > 1 else "") + ")"
        for d in decoders
    )
    text = ("Decoders are quantized community GGUF redistributions from the package index, dequantized to float32 torch weights: "
            f"stand-ins for the hub checkpoints, not them ({names})." if decoders else "")
    if has_llms:
        text += " LLM rows may be scored on a seeded sample of dev sentences rather than all of dev (marked 'sample N'); their F1 is noisier."
    return text.strip()


def encoders_vs_llms(
    entries: Sequence[Dict[str, Any]], curves: Dict[str, List[Dict[str, Any]]], *, decoders: Sequence[Dict[str, Any]] = (),
    reference: str = REFERENCE_CURVE,
) -> Dict[str, Any]:
    """The section's numbers: numbered points, the by-length table and the decoder gaps.

    entries: row_entries + metrics_entries. curves: learning_curve.curve_points' output.
    decoders: decoder_provenance's output.
    RETURNS (Dict[str, Any]): `points` (entries with F1 and cost, with `data_label` and
        `short_label`), `by_length`, `gaps`, `has_decoders`, `has_llms`, `decoders`,
        `provenance` (caption text) and `note` (NO_DECODER_NOTE when no decoder row exists).
    """
    kept = number_entries([e for e in entries if e.get("seconds_per_1k_words") or e.get("by_length")])
    kept = [{**e, "data_label": data_label(e), "short_label": short_label(e)} for e in kept]
    has_decoders = any(e["kind"] == "decoder" for e in entries) or any("decoder" in c for c in curves)
    has_llms = any(e["kind"] == "llm" for e in entries)
    return {
        "points": cost_points(kept),
        "by_length": by_length_table(kept),
        "gaps": decoder_gaps(curves, reference),
        "reference": reference,
        "has_decoders": has_decoders,
        "has_llms": has_llms,
        "decoders": list(decoders),
        "provenance": provenance_text(decoders, has_llms=has_llms),
        "note": None if has_decoders else NO_DECODER_NOTE,
        "sources": sorted({e["source"] for e in kept}),
    }


def plot_f1_vs_cost(points: Sequence[Dict[str, Any]], path: Path, caption_text: str) -> Path:
    """Strict F1 (mean over seeds, ±1 std) against seconds per 1,000 words (log scale), one
    marker per point, coloured by kind; LLMs hollow when zero-shot, filled when few-shot."""
    from matplotlib.lines import Line2D

    from .figures import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 6.4))
    for p in points:
        colour = KIND_COLOURS.get(p["kind"], "#17becf")
        marker = KIND_MARKERS.get(p["kind"], "o")
        hollow = p["kind"] == "llm" and not p.get("shots")
        x, y = p["seconds_per_1k_words"], 100 * p["f1"]["mean"]
        ax.scatter([x], [y], s=36, marker=marker, edgecolors=colour, linewidths=1.3, facecolors="none" if hollow else colour,
                   alpha=0.85)
        if p["f1"].get("std"):
            ax.errorbar([x], [y], yerr=[100 * p["f1"]["std"]], color=colour, capsize=2, lw=0.7)
        ax.annotate(p["short_label"], (x, y), fontsize=5.5, xytext=(3, 3), textcoords="offset points", color="#333")
    ax.set_xscale("log")
    ax.set_xlabel("inference cost: seconds per 1,000 words (log scale; each row's own run, see its machine)")
    ax.set_ylabel("strict entity F1 (%)")
    ax.set_title("Encoders vs LLMs: F1 against inference cost (label: point · training sentences or shots; none: whole split)")
    seen = [k for k in KINDS if any(p["kind"] == k for p in points)]
    handles = [Line2D([], [], marker=KIND_MARKERS.get(k, "o"), ls="", color=KIND_COLOURS[k], label=KIND_HELP[k]) for k in seen]
    if any(p["kind"] == "llm" and not p.get("shots") for p in points):
        handles.append(Line2D([], [], marker="^", ls="", markerfacecolor="none", color=KIND_COLOURS["llm"], label="LLM, zero-shot (hollow)"))
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="best")
    ax.grid(True, alpha=0.3)
    fig.subplots_adjust(bottom=0.22)
    return save(fig, path, caption_text)
