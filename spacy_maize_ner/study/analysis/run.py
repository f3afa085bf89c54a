"""Run every analysis over all trained pipelines found and write figures + analysis.json.

    run_analysis(Path("training/metrics"), Path("corpus"), Path("reports/analysis"))

writes `<output>/analysis.json` (every number the HTML report shows, with the metrics
files it came from) and `<output>/figures/*.svg`.
"""
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from wasabi import msg

from .bootstrap import counts_matrix, paired_bootstrap, same_documents
from .cooccurrence import cooccurrence, plot_cooccurrence
from .cost import cost_points, plot_cost
from .curve_gaps import curve_gaps
from .encoders_vs_llms import (
    decoder_provenance, encoders_vs_llms, metrics_entries, plot_f1_vs_cost, read_result_rows, row_entries,
)
from .errors import error_analysis
from .figures import caption
from ...corpus.stats import count_sentences
from .learning_curve import curve_points, plot_curves, read_rows
from .pipelines import Configuration, MetricsError, comparison_pairs, load_configurations, peft_encoder_and_setting, run_id
from .topics import corpus_topics, plot_topic_weights

DEFAULT_TRAINED_REGIMES = ("full", "lora", "freeze", "probe")


def read_docs(path: Path) -> List[Any]:
    if not Path(path).exists():
        raise FileNotFoundError(f"DocBin not found: {path}. Run `spacy project run convert` first.")
    return list(DocBin().from_disk(path).get_docs(Vocab()))


def pipeline_table(confs: Sequence[Configuration]) -> List[Dict[str, Any]]:
    """Mean +- std over seeds of P, R, F1 and speed per configuration, with its files."""
    table = []
    for conf in confs:
        table.append({
            "pipeline": conf.name,
            "family": conf.family,
            "encoder": conf.info.get("encoder"),
            "regime": conf.info.get("regime"),
            "seeds": conf.seeds,
            "ents_p": conf.stat("ents_p"),
            "ents_r": conf.stat("ents_r"),
            "ents_f": conf.stat("ents_f"),
            "words_per_second": conf.stat("words_per_second"),
            "by_length": {b: conf.stat_nested("ents_by_length", b, "f") for b in (conf.runs[0].get("ents_by_length") or {})},
            "files": [r["_path"] for r in conf.runs],
        })
    return table


def comparisons(confs: Sequence[Configuration], *, n_resamples: int, seed: int) -> List[Dict[str, Any]]:
    """Paired bootstrap of every compared pair (pipelines.comparison_pairs)."""
    out = []
    for what, a, b in comparison_pairs(list(confs)):
        preds_a, preds_b = a.predictions(), b.predictions()
        if not same_documents(preds_a[0], preds_b[0]):
            raise MetricsError(f"{a.name} and {b.name} were not scored on the same documents; re-run the evaluate command for both.")
        result = paired_bootstrap(
            [counts_matrix(p) for p in preds_a], [counts_matrix(p) for p in preds_b], n_resamples=n_resamples, seed=seed
        )
        out.append({
            "comparison": what, "a": a.name, "b": b.name,
            "a_f": a.stat("ents_f"), "b_f": b.stat("ents_f"),
            **result.to_dict(),
        })
    return out


def representation_targets(confs: Sequence[Configuration]) -> List[Dict[str, Any]]:
    """Per encoder: the pipeline before fine-tuning (regime none), after fine-tuning (full, else the
    best trained regime) and after each PEFT configuration (`minilm-lora-r8`: stage "after
    fine-tuning (lora-r8)"), so LoRA's representations sit beside full fine-tuning's."""
    by_encoder: Dict[str, List[Configuration]] = {}
    for conf in confs:
        if conf.family not in ("transformer", "peft") or not conf.info.get("regime"):
            continue
        run = run_id(conf)
        encoder = run.encoder if run is not None and run.encoder else conf.name
        by_encoder.setdefault(encoder, []).append(conf)
    targets = []
    for encoder, group in sorted(by_encoder.items()):
        regimes = {c.info["regime"]: c for c in group if c.family == "transformer"}
        before = regimes.get("none")
        after = regimes.get("full") or max(
            (regimes[r] for r in DEFAULT_TRAINED_REGIMES if r in regimes), key=lambda c: c.stat("ents_f")["mean"] or 0, default=None
        )
        stages = [("before fine-tuning", before), ("after fine-tuning", after)]
        stages += [(f"after fine-tuning ({peft_encoder_and_setting(c)[1]})", c) for c in group if c.family == "peft"]
        for stage, conf in stages:
            if conf is not None:
                targets.append({"encoder": encoder, "stage": stage, "pipeline": conf.name, "model": conf.runs[0].get("model")})
    return targets


def run_representations(targets, docs, *, n_tokens: int, seed: int, progress: bool) -> List[Dict[str, Any]]:
    import spacy

    from .representations import representation_panel, sample_tokens

    positions = sample_tokens(docs, n_tokens, seed)
    panels = []
    for target in targets:
        if not target.get("model") or not Path(target["model"]).exists():
            msg.warn(f"t-SNE: pipeline folder of {target['pipeline']} not found ({target.get('model')}); left out")
            continue
        msg.info(f"t-SNE: {target['pipeline']} ({target['stage']}), {len(positions)} tokens")
        nlp = spacy.load(target["model"])
        panel = representation_panel(nlp, docs, positions, seed=seed, progress=progress)
        panels.append({**target, **panel})
    return panels


@dataclass
class Figures:
    """Where the figures go and what the report lists of them; one caption convention."""

    folder: Path
    data: str
    split: str
    date: str
    listed: List[Dict[str, str]] = field(default_factory=list)

    def add(self, name: str, title: str, text: str, draw: Callable[[Path, str], Any]) -> None:
        path = self.folder / f"{name}.svg"
        draw(path, text)
        self.listed.append({"file": f"figures/{name}.svg", "title": title, "caption": text})
        msg.good(f"Figure: {path}")


def run_analysis(
    metrics_dir: Path,
    corpus_dir: Path,
    output: Path,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    tsne_tokens: int = 1500,
    top_n: int = 20,
    n_topics: int = 8,
    learning_curves: Sequence[Path] = (),
    result_rows: Sequence[Path] = (),
    decoders_dir: Path = Path("assets/decoders"),
    progress: bool = True,
) -> Dict[str, Any]:
    """Every analysis, figures to `<output>/figures`, numbers to `<output>/analysis.json`.

    learning_curves: learning-curve rows files (shared schema); missing ones are skipped.
    result_rows: more benchmark rows files (benchmarks/results/*.json) for the Encoders vs
        LLMs section, beside the learning-curve rows and training/metrics.
    decoders_dir: folder of the provided decoders (their provenance.json, for the caption).

    RETURNS (Dict[str, Any]): what analysis.json holds.
    """
    metrics_dir, corpus_dir, output = Path(metrics_dir), Path(corpus_dir), Path(output)
    (output / "figures").mkdir(parents=True, exist_ok=True)
    confs = load_configurations(metrics_dir)
    meta_path = corpus_dir / "meta.json"
    meta = srsly.read_json(meta_path) if meta_path.exists() else {}
    first = confs[0].runs[0]
    figures = Figures(output / "figures", data=meta.get("corpus") or Path(first["data"]).parent.name,
                      split=first.get("split") or meta.get("eval_split") or Path(first["data"]).stem,
                      date=datetime.date.today().isoformat())
    result: Dict[str, Any] = {
        "date": figures.date,
        "data": figures.data,
        "split": figures.split,
        "eval_data": first["data"],
        "metrics_files": sorted(r["_path"] for c in confs for r in c.runs),
        "pipelines": pipeline_table(confs),
    }
    msg.info(f"{len(confs)} configuration(s), {len(result['metrics_files'])} metrics file(s) in {metrics_dir}")
    result["comparisons"] = comparisons(confs, n_resamples=n_resamples, seed=seed)
    result["bootstrap"] = {"n_resamples": n_resamples, "seed": seed, "level": 0.95}
    result["errors"] = pipeline_errors(confs)
    result["cost"] = cost_section(confs, figures)
    splits = {s: read_docs(corpus_dir / f"{s}.spacy") for s in ("train", "dev", "test") if (corpus_dir / f"{s}.spacy").exists()}
    if splits:
        result.update(corpus_sections(splits, figures, n_topics=n_topics, top_n=top_n, seed=seed))
    result["representations"] = representations_section(confs, figures, tsne_tokens=tsne_tokens, seed=seed, progress=progress)
    result["learning_curve"] = learning_curve_section(learning_curves, figures)
    train_sentences = sum(count_sentences(d) for d in splits["train"]) if "train" in splits else None
    result["encoders_vs_llms"] = encoders_vs_llms_section(confs, figures, result["learning_curve"]["curves"], learning_curves,
                                                          result_rows, decoders_dir, train_sentences)
    result["figures"] = figures.listed
    srsly.write_json(output / "analysis.json", result)
    msg.good(f"Wrote {output / 'analysis.json'} ({len(figures.listed)} figure(s))")
    return result


def pipeline_errors(confs: Sequence[Configuration]) -> Dict[str, Any]:
    """Error analysis of each configuration's first run (a missing predictions file names itself)."""
    errors = {}
    for conf in confs:
        try:
            preds = conf.predictions()[0]
        except FileNotFoundError as err:
            raise MetricsError(str(err)) from None
        errors[conf.name] = error_analysis(preds)
    return errors


def cost_section(confs: Sequence[Configuration], figures: Figures) -> List[Dict[str, Any]]:
    points = cost_points(confs)
    seeds = sorted({s for c in confs for s in c.seeds if s is not None})
    figures.add("cost_bubbles", "Parameters vs F1 vs inference cost",
                caption("Trained parameters vs strict F1 (mean over seeds, bars ±1 std); bubble area = seconds per 1,000 words in the evaluation run on this machine",
                        data=figures.data, split=figures.split, seeds=seeds, date=figures.date),
                lambda p, t: plot_cost(points, p, t))
    return points


def corpus_sections(splits: Dict[str, list], figures: Figures, *, n_topics: int, top_n: int, seed: int) -> Dict[str, Any]:
    """SVD topics and gene co-occurrence of the corpus's gold annotations."""
    out: Dict[str, Any] = {}
    topics = corpus_topics({f"{figures.data}/{s}": d for s, d in splits.items()}, n_topics=n_topics, seed=seed)
    out["topics"] = topics
    figures.add("svd_topics", "SVD topics of mention contexts and documents",
                caption(f"TF-IDF + truncated SVD ({n_topics} topics, seed {seed}) over ±5-token contexts of gold mentions and over documents; weight = mean share of |topic coordinate|",
                        data=figures.data, split="+".join(splits), seeds=[seed], date=figures.date),
                lambda p, t: plot_topic_weights(topics, p, t))
    cooc = cooccurrence([d for docs in splits.values() for d in docs], top_n=top_n)
    out["cooccurrence"] = cooc
    if len(cooc["names"]) >= 2:
        figures.add("cooccurrence", "Gene mention co-occurrence",
                    caption(f"Documents co-mentioning the {len(cooc['names'])} most frequent gold gene mentions (normalised surface form or identifier); {cooc['docs_with_pairs']} of {cooc['documents']} documents mention two or more",
                            data=figures.data, split="+".join(splits), seeds=None, date=figures.date),
                    lambda p, t: plot_cooccurrence(cooc, p, t))
    return out


def representations_section(confs: Sequence[Configuration], figures: Figures, *, tsne_tokens: int, seed: int,
                            progress: bool) -> List[Dict[str, Any]]:
    """t-SNE panels of each encoder before and after fine-tuning (the panels' numbers, not their points)."""
    targets = representation_targets(confs)
    if not targets:
        return []
    eval_docs = read_docs(Path(confs[0].runs[0]["data"]))
    panels = run_representations(targets, eval_docs, n_tokens=tsne_tokens, seed=seed, progress=progress)
    if panels:
        from .representations import plot_panels

        figures.add("tsne", "t-SNE of contextual token vectors",
                    caption(f"t-SNE (PCA init, seed {seed}) of {len(panels[0]['labels'])} sampled {figures.split} tokens, transformer output mean-pooled per token as the NER head sees it, coloured by gold tag; kNN purity (k=10) and silhouette computed in the full space",
                            data=figures.data, split=figures.split, seeds=[seed], date=figures.date),
                    lambda p, t: plot_panels([(f"{q['pipeline']} ({q['stage']})", q) for q in panels], p, t))
    return [{k: v for k, v in p.items() if k not in ("embedding", "labels")} for p in panels]


def learning_curve_section(learning_curves: Sequence[Path], figures: Figures) -> Dict[str, Any]:
    """Curves measured on this corpus only (benchmark rows of another corpus would mislead), and their gaps."""
    rows = [r for r in read_rows(learning_curves) if r.get("data") == figures.data]
    curves = curve_points(rows)
    if curves:
        figures.add("learning_curve", "Learning curves",
                    caption("Strict F1 on dev vs training sentences (seeded subsamples of the training split), mean over seeds with ±1 std band",
                            data=", ".join(sorted({r["data"] for r in rows})), split="dev", seeds=sorted({r["seed"] for r in rows}),
                            date=figures.date),
                    lambda p, t: plot_curves(curves, p, t))
    return {"curves": curves, "gaps": curve_gaps(curves), "files": [str(p) for p in learning_curves if Path(p).exists()]}


def encoders_vs_llms_section(confs: Sequence[Configuration], figures: Figures, curves: Dict[str, Any],
                             learning_curves: Sequence[Path], result_rows: Sequence[Path], decoders_dir: Path,
                             train_sentences: Optional[int]) -> Dict[str, Any]:
    """Encoders vs LLMs (issue 26): every pipeline with F1 and inference cost, F1 by entity
    length, decoder taggers vs MiniLM full and bidirectional vs causal at each size."""
    bench = read_result_rows(list(result_rows) + list(learning_curves))
    entries = row_entries(bench, data=figures.data) + metrics_entries(confs, train_sentences=train_sentences)
    used = {e.get("encoder") for e in entries if e["kind"] == "decoder"}
    section = encoders_vs_llms(entries, curves, decoders=decoder_provenance(used, decoders_dir))
    section["files"] = [str(p) for p in list(result_rows) + list(learning_curves) if Path(p).exists()]
    if section["points"]:
        seeds = sorted({s for p in section["points"] for s in p["seeds"] if s is not None})
        text = caption("Strict F1 (mean over seeds, bars ±1 std) against inference cost in seconds per 1,000 words (log scale), "
                       "each from its own row's run; label: point number (see the table) · training sentences when not the whole "
                       "training split, or shots for LLMs (hollow: zero-shot). " + section["provenance"].rstrip("."),
                       data=figures.data, split="dev", seeds=seeds, date=figures.date)
        figures.add("encoders_vs_llms", "Encoders vs LLMs: F1 against inference cost", text,
                    lambda p, t: plot_f1_vs_cost(section["points"], p, t))
        section["figure"] = figures.listed.pop()  # shown in its own section, not in the figure list
    return section
