"""The static, offline HTML report: `reports/index.html`.

Tables come from analysis.json (itself made from the metrics files it lists), figures are
the SVG files beside it, and the displaCy pages show gold vs predicted entities of a few
evaluation documents. No script, font or style is loaded from anywhere else.
"""
import html
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from spacy import displacy

from .errors import CATEGORIES, CATEGORY_HELP
from .learning_curve import mixed_builds

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.sig{background:#e7f6e7;font-weight:600}.note{color:#555;font-size:.9em}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.85em;color:#444}
.doc{border:1px solid #ddd;padding:.5em;margin:.5em 0}.doc h4{margin:.2em 0}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _pct(stat: Optional[Dict[str, Any]]) -> str:
    if not stat or stat.get("mean") is None:
        return "–"
    text = f"{100 * stat['mean']:.2f}"
    if stat.get("std") is not None:
        text += f" ± {100 * stat['std']:.2f}"
    return text


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, classes: Optional[Sequence[str]] = None, raw: bool = False) -> str:
    """An HTML table; cells are escaped unless `raw`."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f"<td>{c if raw else _esc(c)}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def displacy_pair(text: str, gold: Sequence[Sequence], pred: Sequence[Sequence], title: str) -> str:
    """displaCy markup of one document: gold entities, then predicted ones."""
    parts = []
    for kind, spans in (("gold", gold), ("predicted", pred)):
        data = {"text": text, "ents": [{"start": s[0], "end": s[1], "label": s[2]} for s in spans], "title": None}
        parts.append(f"<p><b>{kind}</b></p>" + displacy.render(data, style="ent", manual=True, page=False, jupyter=False))
    return f'<div class="doc"><h4>{_esc(title)}</h4>{"".join(parts)}</div>'


def _interval(g: Dict[str, Any]) -> str:
    return f"[{100 * g['low']:+.2f}, {100 * g['high']:+.2f}]" if g.get("low") is not None else (g.get("note") or "–")


def _train_time(entry: Dict[str, Any]) -> str:
    """A point's training cost for the table: '48 min', '3.2 s', '8 min (GPU)'; '–' when not measured."""
    seconds = entry.get("train_seconds")
    if not seconds:
        return "–"
    text = f"{seconds / 60:.0f} min" if seconds >= 600 else f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.2g} s"
    return text + (" (GPU)" if entry.get("train_on_gpu") else "")


def encoders_vs_llms_section(section: Optional[Dict[str, Any]]) -> List[str]:
    """The "Encoders vs LLMs" section (analysis/encoders_vs_llms.py): F1 against inference cost,
    F1 by entity length and the decoder taggers' gaps; a note for what is not measured yet."""
    out = ["<h2 id='encoders-vs-llms'>Encoders vs LLMs</h2>"]
    if section is None:
        return out + ["<p class='note'>Not in this analysis.json (made before the section existed): re-run the analysis command "
                      "(spacy project run analysis).</p>"]
    if section.get("note"):
        out.append(f"<p class='note'><b>{_esc(section['note'])}</b></p>")
    if not section.get("has_llms"):
        out.append("<p class='note'>No zero- or few-shot LLM rows (benchmarks/results/llm.json, training/metrics/llm-*.json).</p>")
    figure = section.get("figure")
    if figure:
        out.append(f"<figure><img src='{_esc(figure['file'])}' alt='{_esc(figure['title'])}'><figcaption><b>{_esc(figure['title'])}.</b> "
                   f"{_esc(figure['caption'])}</figcaption></figure>")
    points = section.get("points") or []
    if points:
        out.append(table(["#", "Pipeline", "Kind", "Training data", "Seeds", "F1", "words/s", "s / 1k words", "Training", "Rows"],
                         [[p["id"], p["label"], p["kind"], p["data_label"], len(p["seeds"]), _pct(p["f1"]), f"{p['words_per_second']:,.1f}",
                           f"{p['seconds_per_1k_words']:.3g}", _train_time(p), p["source"]] for p in points]))
        out.append("<p class='note'>Training: wall time of one run, mean over seeds, on the machine its rows name (a CPU "
                   "unless marked GPU; a learning-curve point trained on its subsample; – where not measured, as for zero-shot LLMs). "
                   "Inference: words per second of the row's own run.</p>")
    else:
        out.append("<p class='note'>No pipeline has both a strict F1 and an inference speed (words/s) yet.</p>")
    by_length = section.get("by_length") or {}
    if by_length.get("rows"):
        buckets = by_length["buckets"]
        out += ["<h3 id='encoders-vs-llms-by-length'>F1 by entity length (tokens)</h3>",
                table(["#", "Pipeline", "Kind", "Training data", "F1"] + [f"{b} token{'' if b == '1' else 's'}" for b in buckets],
                      [[r["id"], r["label"], r["kind"], r["data"], _pct(r["f1"])] + [_pct(r["by_length"].get(b)) for b in buckets]
                       for r in by_length["rows"]])]
    gaps = section.get("gaps") or []
    out.append("<h3 id='encoders-vs-llms-gaps'>Decoder taggers: gaps over seeds</h3>")
    if gaps:
        out += [table(["Comparison", "A − B", "sentences", "seeds A / B", "paired seeds", "ΔF1", "95% interval over seeds", "interval", "excludes 0"],
                      [[g["what"], f"{g['a']} − {g['b']}", g["size"], f"{g['n_a']} / {g['n_b']}", g["pairs"], f"{100 * g['diff']:+.2f}", _interval(g),
                        g["method"], {True: "yes", False: "no", None: "–"}[g["excludes_zero"]]] for g in gaps],
                      classes=["sig" if g["excludes_zero"] else "" for g in gaps]),
                "<p class='note'>Learning-curve points of the same size, paired by seed (a seed draws the same training subsample "
                "for every curve): t interval over the per-seed differences; Welch when the two share no seed. With one pair "
                "the single difference is shown, without an interval.</p>"]
    else:
        out.append(f"<p class='note'>No decoder curve and {_esc(section.get('reference', 'minilm-full'))} (or causal and bidirectional) "
                   "measured at the same training size yet.</p>")
    if section.get("provenance"):
        out.append(f"<p class='note'>{_esc(section['provenance'])}</p>")
    if section.get("files"):
        out.append("<p class='note'>Rows: " + ", ".join(f"<code>{_esc(f)}</code>" for f in section["files"]) + " and the pipelines above.</p>")
    return out


def render_report(analysis: Dict[str, Any], *, examples: Optional[Dict[str, List[Dict[str, Any]]]] = None, results_md: Optional[str] = None) -> str:
    """The whole report as one HTML string, one section function per heading.

    analysis: what `run_analysis` returned (analysis.json).
    examples: {pipeline: [{"doc", "text", "gold", "pred"}]} for the displaCy section.
    results_md: file name of the Markdown report beside it, linked when given.
    """
    a = analysis
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>spacy-maize-ner report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>spacy-maize-ner: results and analysis</h1>",
        f"<p>Data: <b>{_esc(a['data'])}</b>, evaluated on the <b>{_esc(a['split'])}</b> split (<code>{_esc(a['eval_data'])}</code>). "
        f"Rendered {_esc(a['date'])} from {len(a['metrics_files'])} metrics file(s). Scores are spaCy's strict entity scores in percent, "
        "mean ± sample std over seeds.</p>",
    ]
    if results_md:
        out.append(f"<p class='note'>Markdown tables: <a href='{_esc(results_md)}'>{_esc(results_md)}</a>.</p>")
    out += pipelines_section(a) + comparisons_section(a) + errors_section(a) + tables_section(a) + learning_curve_section(a)
    out += encoders_vs_llms_section(a.get("encoders_vs_llms"))
    out += figures_section(a, examples)
    out += ["<h2 id='sources'>Sources</h2><p class='note'>Every number above comes from these metrics files:</p><ul>"]
    out += [f"<li><code>{_esc(p)}</code></li>" for p in a["metrics_files"]]
    out += ["</ul></body></html>", ""]
    return "\n".join(out)


def pipelines_section(a: Dict[str, Any]) -> List[str]:
    """Every configuration's P/R/F1 and speed, and F1 by entity length."""
    out: List[str] = []
    rows = [[p["pipeline"], p["family"], p["regime"] or "–", ", ".join(str(s) for s in p["seeds"]), _pct(p["ents_p"]), _pct(p["ents_r"]), _pct(p["ents_f"]),
             f"{p['words_per_second']['mean']:,.0f}" if p["words_per_second"]["mean"] else "–"] for p in a["pipelines"]]
    out += ["<h2 id='pipelines'>Pipelines</h2>",
            table(["Pipeline", "Family", "Regime", "Seeds", "Precision", "Recall", "F1", "words/s"], rows)]
    buckets = sorted({b for p in a["pipelines"] for b in p["by_length"]})
    if buckets:
        out += ["<h3>F1 by entity length (tokens)</h3>",
                table(["Pipeline"] + buckets, [[p["pipeline"]] + [_pct(p["by_length"].get(b)) for b in buckets] for p in a["pipelines"]])]

    return out


def comparisons_section(a: Dict[str, Any]) -> List[str]:
    """The paired bootstrap of every compared pair."""
    out: List[str] = []
    boot = a.get("bootstrap", {})
    out.append("<h2 id='comparisons'>Comparisons: paired bootstrap</h2>")
    if a.get("comparisons"):
        crow, classes = [], []
        for c in a["comparisons"]:
            crow.append([c["comparison"], f"{c['a']} − {c['b']}", _pct(c["a_f"]) + f" (n={c['a_f']['n']})", _pct(c["b_f"]) + f" (n={c['b_f']['n']})",
                         f"{100 * c['delta']:+.2f}", f"[{100 * c['low']:+.2f}, {100 * c['high']:+.2f}]", "yes" if c["excludes_zero"] else "no"])
            classes.append("sig" if c["excludes_zero"] else "")
        out.append(table(["Comparison", "A − B", "F1 A", "F1 B", "ΔF1", "95% CI", "excludes 0"], crow, classes=classes))
        out.append(f"<p class='note'>Paired bootstrap over the {a['comparisons'][0]['n_docs']} evaluation documents: {boot.get('n_resamples')} resamples "
                   f"(seed {boot.get('seed')}), percentile interval; with several seeds each side's F1 is its mean over seeds on the same resample. "
                   "Highlighted rows: the interval excludes zero.</p>")
    else:
        out.append("<p class='note'>No compared pair is present among the pipelines found (needs e.g. minilm-full and minilm_dapt-full, or a transformer and the CRF).</p>")

    return out


def errors_section(a: Dict[str, Any]) -> List[str]:
    """Error categories per pipeline and the most frequent false positives and misses."""
    out: List[str] = []
    out.append("<h2 id='errors'>Error analysis</h2>")
    erows = [[name] + [e["counts"].get(c, 0) for c in CATEGORIES] for name, e in a.get("errors", {}).items()]
    out.append(table(["Pipeline"] + list(CATEGORIES), erows))
    out.append("<p class='note'>" + "; ".join(f"<b>{_esc(c)}</b>: {_esc(CATEGORY_HELP[c])}" for c in CATEGORIES)
               + ". First seed of each pipeline; character-offset matching.</p>")
    for name, e in a.get("errors", {}).items():
        n = max(len(e["false_positives"]), len(e["false_negatives"]))
        if not n:
            continue
        fp = e["false_positives"] + [["", ""]] * (n - len(e["false_positives"]))
        fn = e["false_negatives"] + [["", ""]] * (n - len(e["false_negatives"]))
        out += [f"<h3>{_esc(name)}: most frequent false positives and misses</h3>",
                table(["False positive (predicted, not exact)", "count", "Miss (gold, not exactly predicted)", "count"],
                      [[f[0], f[1], g[0], g[1]] for f, g in zip(fp, fn)])]

    return out


def tables_section(a: Dict[str, Any]) -> List[str]:
    """Parameters and cost, representations, SVD topics (where measured)."""
    out: List[str] = []
    if a.get("cost"):
        out += ["<h2 id='cost'>Parameters and inference cost</h2>",
                table(["Pipeline", "Family", "Trained parameters", "Total parameters", "F1", "s / 1k words"],
                      [[p["pipeline"], p["family"], f"{p['trainable']:,}", f"{p['total']:,}", _pct({"mean": p["f1"], "std": p["f1_std"]}),
                        f"{p['seconds_per_1k_words']:.3f}" if p["seconds_per_1k_words"] else "–"] for p in a["cost"]])]
    if a.get("representations"):
        out += ["<h2 id='representations'>Representations</h2>",
                table(["Pipeline", "Encoder", "Stage", "kNN purity (k=10)", "Silhouette", "Vector width"],
                      [[r["pipeline"], r["encoder"], r["stage"], f"{r['knn_purity']:.3f}", f"{r['silhouette']:.3f}" if r["silhouette"] is not None else "–", r["width"]]
                       for r in a["representations"]])]
    if a.get("topics"):
        out.append("<h2 id='topics'>SVD topics</h2>")
        for kind, t in a["topics"].items():
            groups = list(t["weights"])
            out += [f"<h3>Topics over {_esc(kind)} ({t['n_texts']} texts, {t['n_terms']} terms)</h3>",
                    table(["Topic", "Explained variance", "Top terms"] + [f"weight: {g}" for g in groups],
                          [[tp["topic"], f"{tp['explained_variance']:.3f}", " ".join(tp["terms"])] + [f"{t['weights'][g][tp['topic']]:.3f}" for g in groups]
                           for tp in t["topics"]])]
    return out


def learning_curve_section(a: Dict[str, Any]) -> List[str]:
    """Learning curves and the gaps between them (where measured)."""
    out: List[str] = []
    lc = (a.get("learning_curve") or {}).get("curves") or {}
    if lc:
        sizes = sorted({p["size"] for pts in lc.values() for p in pts}, key=lambda s: (s == "all", int(s) if s.isdigit() else 0))
        out += ["<h2 id='learning-curve'>Learning curve</h2>",
                table(["Curve"] + [f"{s} sentences" for s in sizes],
                      [[curve] + [next((_pct({"mean": p["mean"], "std": p["std"] if p["n"] > 1 else None}) + f" (n={p['n']})" for p in pts if p["size"] == s), "–") for s in sizes]
                       for curve, pts in sorted(lc.items())]),
                "<p class='note'>Rows: " + ", ".join(f"<code>{_esc(f)}</code>" for f in a["learning_curve"]["files"]) + "</p>"]
        mixed = mixed_builds(lc)
        if mixed:
            out.append("<p class='note'>Curves measured with several builds of one DAPT recipe (same source encoder, "
                       "texts and settings; the weights differ, e.g. with the thread count): "
                       + "; ".join(f"<b>{_esc(c)}</b> ({', '.join(f'<code>{_esc(d)}</code>' for d in ds)})" for c, ds in mixed.items())
                       + ".</p>")
        gaps = a["learning_curve"].get("gaps") or []
        if gaps:
            out += ["<h3 id='learning-curve-gaps'>Gaps between curves</h3>",
                    table(["Comparison", "A − B", "sentences", "seeds A / B", "ΔF1", "95% interval over seeds", "interval", "excludes 0"],
                          [[g["what"], f"{g['a']} − {g['b']}", g["size"], f"{g['n_a']} / {g['n_b']}", f"{100 * g['diff']:+.2f}",
                            f"[{100 * g['low']:+.2f}, {100 * g['high']:+.2f}]" if g["low"] is not None else "– (one seed)", g["method"],
                            {True: "yes", False: "no", None: "–"}[g["excludes_zero"]]] for g in gaps],
                          classes=["sig" if g["excludes_zero"] else "" for g in gaps]),
                    "<p class='note'>Difference of the two curves' mean F1 at each size, with a t interval over the seeds "
                    "(curve points keep no pipeline to bootstrap documents of): paired over the per-seed differences where both "
                    "curves have the same seeds (a seed draws the same subsample for every curve), Welch otherwise. "
                    "Highlighted rows: the interval excludes zero.</p>"]
    return out


def figures_section(a: Dict[str, Any], examples: Optional[Dict[str, List[Dict[str, Any]]]]) -> List[str]:
    """The figures, then displaCy examples of gold vs predicted entities."""
    out: List[str] = []
    if a.get("figures"):
        out.append("<h2 id='figures'>Figures</h2>")
        for f in a["figures"]:
            out.append(f"<figure><img src='{_esc(f['file'])}' alt='{_esc(f['title'])}'><figcaption><b>{_esc(f['title'])}.</b> {_esc(f['caption'])}</figcaption></figure>")
    if examples:
        out.append("<h2 id='examples'>Examples: gold vs predicted</h2>")
        for name, docs in examples.items():
            out.append(f"<h3>{_esc(name)}</h3>")
            out += [displacy_pair(d["text"], d["gold"], d["pred"], f"{a['split']} document {d['doc']}") for d in docs]
    return out


def example_docs(analysis: Dict[str, Any], confs: Sequence[Any], eval_texts: Sequence[str], *, n_docs: int = 3) -> Dict[str, List[Dict[str, Any]]]:
    """The first `n_docs` evaluation documents with a gold entity, for the best encoder
    pipeline, the CRF and the best LLM (each where present)."""
    by_name = {c.name: c for c in confs}

    def best(families):
        cands = [c for c in confs if c.family in families and c.stat("ents_f")["mean"] is not None]
        return max(cands, key=lambda c: c.stat("ents_f")["mean"]) if cands else None

    chosen = [best(("transformer", "peft")), by_name.get("crf"), best(("llm",))]
    out: Dict[str, List[Dict[str, Any]]] = {}
    for conf in [c for c in chosen if c is not None]:
        records = conf.predictions()[0]
        picked = [r for r in records if r["gold"]][:n_docs]
        for r in picked:
            if r["doc"] >= len(eval_texts):
                raise ValueError(f"{conf.name}: document {r['doc']} is not in the evaluation DocBin ({len(eval_texts)} docs); re-run evaluate.")
        out[conf.name] = [{"doc": r["doc"], "text": eval_texts[r["doc"]], "gold": r["gold"], "pred": r["pred"]} for r in picked]
    return out


def write_report(analysis_dir: Path, output: Path, *, metrics_dir: Path, n_docs: int = 3) -> Path:
    """Render `output` (reports/index.html) from `<analysis_dir>/analysis.json`, copying the figures beside it."""
    import shutil

    import srsly
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from .pipelines import MetricsError, load_configurations

    analysis_path = Path(analysis_dir) / "analysis.json"
    if not analysis_path.exists():
        raise MetricsError(f"{analysis_path} not found. Run the analysis command first (spacy project run analysis).")
    analysis = srsly.read_json(analysis_path)
    confs = load_configurations(metrics_dir)
    known = set(analysis["metrics_files"])
    now = {r["_path"] for c in confs for r in c.runs}
    if known != now:
        raise MetricsError(
            f"{analysis_path} was made from other metrics files than {metrics_dir} now holds "
            f"(new: {sorted(now - known)}, gone: {sorted(known - now)}). Re-run the analysis command."
        )
    texts = [d.text for d in DocBin().from_disk(analysis["eval_data"]).get_docs(Vocab())]
    examples = example_docs(analysis, confs, texts, n_docs=n_docs)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    src, dst = Path(analysis_dir) / "figures", output.parent / "figures"
    if src.exists() and src.resolve() != dst.resolve():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    results_md = output.with_name("results.md")
    output.write_text(render_report(analysis, examples=examples, results_md=results_md.name if results_md.exists() else None), encoding="utf8")
    return output
