"""The analyses on a tiny synthetic corpus, the CRF and the tiny random BERT."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import srsly

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from spacy_maize_ner.study.analysis.bootstrap import counts_matrix, f1_from_counts, paired_bootstrap  # noqa: E402
from spacy_maize_ner.study.analysis.errors import classify_doc, error_analysis  # noqa: E402
from spacy_maize_ner.study.analysis.pipelines import MetricsError, comparison_pairs, load_configurations  # noqa: E402
from spacy_maize_ner.study.runs import parse_seeds, seed_group, seed_suffix  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRF_OVERRIDES = [
    "--training.max_steps", "4", "--training.eval_frequency", "2", "--training.logger.progress_bar", "false",
    "--training.batcher.size", "300", "--training.optimizer.learn_rate.warmup_steps", "1",
    "--training.optimizer.learn_rate.initial_rate", "0.01", "--training.optimizer.learn_rate.final_rate", "0.01",
    "--components.transformer.model.get_spans.window", "24", "--components.transformer.model.get_spans.stride", "16",
]


def run(*args, cwd=ROOT):
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


# ---- unit tests ---------------------------------------------------------------------------


def test_seed_names_round_trip():
    seeds = parse_seeds("0, 1,2,1")
    assert seeds == [0, 1, 2]
    assert seed_suffix(0) == "-s0" and seed_suffix(2) == "-s2"  # the first seed too: one convention
    assert seed_group("minilm-full-s2") == ("minilm-full", 2) and seed_group("crf") == ("crf", None)
    with pytest.raises(ValueError, match="not a whole number"):
        parse_seeds("0,x")


def test_bootstrap_identical_systems_zero_width():
    rng = numpy.random.default_rng(1)
    counts = rng.integers(0, 4, size=(200, 3))
    result = paired_bootstrap(counts, counts.copy(), n_resamples=1000, seed=3)
    assert result.delta == 0.0 and result.low == 0.0 and result.high == 0.0
    assert not result.excludes_zero and result.n_resamples == 1000


def test_bootstrap_sign_for_a_clearly_better_system():
    rng = numpy.random.default_rng(0)
    gold = rng.integers(1, 4, size=200)
    good = numpy.stack([gold, numpy.zeros(200, int), numpy.zeros(200, int)], axis=1)  # everything right
    good[:10] = [[0, 1, 1]] * 10
    bad = numpy.stack([gold // 2, gold - gold // 2, gold - gold // 2], axis=1)
    better = paired_bootstrap(good, bad, n_resamples=1000, seed=0)
    assert better.delta > 0 and better.low > 0 and better.excludes_zero
    worse = paired_bootstrap(bad, good, n_resamples=1000, seed=0)
    assert worse.high < 0 and worse.excludes_zero
    assert paired_bootstrap(good, bad, n_resamples=1000, seed=0) == better  # seeded


def test_bootstrap_several_seeds_and_mismatched_docs():
    rng = numpy.random.default_rng(2)
    a = rng.integers(0, 3, size=(3, 50, 3))
    result = paired_bootstrap(a, a[0], n_resamples=200, seed=0)
    expected = f1_from_counts(a.sum(axis=1)).mean() - f1_from_counts(a[0].sum(axis=0))
    assert result.delta == pytest.approx(expected)
    with pytest.raises(ValueError, match="same evaluation set"):
        paired_bootstrap(a[0], a[0][:40])


def test_error_categories():
    gold = [[0, 5, "GENE", "ZmCCT"], [10, 15, "GENE", "tb1 x"], [20, 25, "GENE", "Vgt1"], [30, 35, "GENE", "ZCN8a"], [40, 45, "GENE", "d8"]]
    pred = [[0, 5, "GENE", "ZmCCT"], [9, 15, "GENE", " tb1 x"], [21, 24, "GENE", "gt1"], [32, 37, "GENE", "N8a b"], [50, 55, "GENE", "other"]]
    kinds = sorted(k for k, _ in classify_doc(gold, pred))
    assert kinds == ["exact", "missed", "shifted", "spurious", "too_long", "too_short"]
    typed = classify_doc([[0, 5, "GENE", "x"]], [[0, 5, "CHEM", "x"]])
    assert [k for k, _ in typed] == ["type"]
    report = error_analysis([{"doc": 0, "tp": 1, "fp": 4, "fn": 4, "gold": gold, "pred": pred}], top=3)
    assert report["counts"]["exact"] == 1 and report["gold"] == 5 and report["predicted"] == 5
    assert len(report["false_positives"]) == 3 and ["d8", 1] in error_analysis([{"doc": 0, "tp": 0, "fp": 0, "fn": 1, "gold": gold[-1:], "pred": []}])["false_negatives"]


def test_learning_curve_legend_says_when_points_have_different_seed_counts():
    from spacy_maize_ner.study.analysis.learning_curve import curve_label, curve_points

    rows = [{"metric": "ents_f", "value": 0.5, "seed": s, "params": {"curve": "minilm_dapt-full", "size": str(n), "train_sentences": n}}
            for n, seeds in ((100, (0, 1, 2)), (250, (0,))) for s in seeds]
    points = curve_points(rows)["minilm_dapt-full"]
    assert [p["n"] for p in points] == [3, 1]
    assert curve_label("minilm_dapt-full", points) == "minilm_dapt-full (n=1-3 seeds per point)"
    assert curve_label("crf", points[:1]) == "crf (n=3 seeds)"


def test_a_curve_continued_with_another_dapt_build_is_flagged_in_legend_and_report():
    from spacy_maize_ner.study.analysis.html import render_report
    from spacy_maize_ner.study.analysis.learning_curve import curve_label, curve_points, encoder_builds

    def row(curve, size, seed, digest):
        return {"metric": "ents_f", "value": 0.5, "seed": seed,
                "params": {"curve": curve, "size": str(size), "train_sentences": size, "encoder_sha256": digest}}

    rows = [row("dapt2-full", 100, s, "aaaa") for s in (0, 1)] + [row("dapt2-full", 100, 2, "bbbb")]
    rows += [row("minilm-full", 100, s, "cccc") for s in (0, 1, 2)]
    curves = curve_points(rows)
    assert encoder_builds(curves["dapt2-full"]) == ["aaaa", "bbbb"]
    assert curve_label("dapt2-full", curves["dapt2-full"]) == "dapt2-full (n=3 seeds, 2 encoder builds)"
    assert curve_label("minilm-full", curves["minilm-full"]) == "minilm-full (n=3 seeds)"
    base = {"data": "bc2gm", "split": "dev", "eval_data": "dev.spacy", "date": "2026-12-03", "metrics_files": [], "pipelines": []}
    page = render_report({**base, "learning_curve": {"curves": curves, "gaps": [], "files": []}})
    assert "several builds of one DAPT recipe" in page and "<code>bbbb</code>" in page
    assert "cccc" not in page
    single = render_report({**base, "learning_curve": {"curves": {"minilm-full": curves["minilm-full"]}, "gaps": [], "files": []}})
    assert "several builds" not in single


def test_curve_gaps_pair_the_workflows_curves_and_judge_them_by_their_seeds():
    from spacy_maize_ner.study.analysis.curve_gaps import curve_gaps, curve_pairs, gap_interval, welch_interval
    from spacy_maize_ner.study.analysis.learning_curve import curve_points

    names = ["crf", "hmm", "minilm-full", "minilm_dapt-full", "minilm-lora", "minilm-lora-r8", "minilm_dapt-lora"]
    pairs = curve_pairs(names)
    assert len(pairs) == len(set(pairs)) and set(pairs) == {
        ("domain vs general encoder (full)", "minilm_dapt-full", "minilm-full"),
        ("domain vs general encoder (lora)", "minilm_dapt-lora", "minilm-lora"),
        ("full vs lora (minilm)", "minilm-full", "minilm-lora"),
        ("full vs lora-r8 (minilm)", "minilm-full", "minilm-lora-r8"),
        ("full vs lora (minilm_dapt)", "minilm_dapt-full", "minilm_dapt-lora"),
        ("minilm full vs CRF", "minilm-full", "crf"),
        ("minilm_dapt full vs CRF", "minilm_dapt-full", "crf"),
    }
    later = set(curve_pairs(["crf", "minilm-full", "minilm_dapt-full", "minilm_dapt2-full", "minilm_dapter-full"]))
    assert ("domain vs general encoder (full)", "minilm_dapt2-full", "minilm-full") in later  # a later DAPT recipe's curve
    assert ("domain vs general encoder (full)", "minilm_dapt-full", "minilm-full") in later
    assert not any("minilm_dapter-full" in (a, b) and "domain" in what for what, a, b in later)
    diff, low, high = welch_interval([0.50, 0.60, 0.70], [0.50, 0.60, 0.70])
    assert diff == 0.0 and low < 0 < high  # identical seeds' values: no gap, an interval around zero
    assert welch_interval([0.4, 0.4, 0.4], [0.4, 0.4, 0.4]) == (0.0, 0.0, 0.0)  # no spread: a zero-width interval
    diff, low, high = welch_interval([0.70, 0.72, 0.71], [0.60, 0.61, 0.62])
    assert 0 < low < diff < high and abs(diff - 0.10) < 1e-9  # clearly better: positive, excludes zero
    assert welch_interval([0.7], [0.6, 0.61]) is None  # one seed has no spread
    same = {"values": [0.50, 0.60, 0.70], "seeds": [0, 1, 2]}
    assert gap_interval(same, dict(same)) == ("paired", (0.0, 0.0, 0.0))  # identical systems, same samples: zero width
    better = {"values": [0.715, 0.62, 0.70], "seeds": [2, 0, 1]}  # +0.02-0.03 on each seed's sample, in another order
    method, (diff, low, high) = gap_interval(better, {"values": [0.60, 0.67, 0.69], "seeds": [0, 1, 2]})
    assert method == "paired" and 0 < low < diff < high and abs(diff - 0.025) < 1e-9
    assert gap_interval(better, {"values": [0.6, 0.7], "seeds": [0, 1]})[0] == "Welch"  # different seeds: unpaired

    def rows(curve, values_by_size):
        return [{"metric": "ents_f", "value": v, "seed": s, "params": {"curve": curve, "size": str(n), "train_sentences": n}}
                for n, values in values_by_size.items() for s, v in enumerate(values)]

    curves = curve_points(rows("minilm-full", {100: [0.40, 0.37, 0.42], 250: [0.49, 0.48, 0.51]})
                          + rows("minilm_dapt-full", {100: [0.42, 0.36, 0.43], 250: [0.50]}))
    gaps = {g["size"]: g for g in curve_gaps(curves)}
    assert set(gaps) == {"100", "250"}
    assert gaps["100"]["method"] == "paired" and gaps["250"]["method"] == "Welch"
    assert gaps["100"]["low"] < 0 < gaps["100"]["high"] and gaps["100"]["excludes_zero"] is False  # a gap within the seeds' noise
    assert gaps["250"]["low"] is None and gaps["250"]["excludes_zero"] is None and gaps["250"]["n_a"] == 1


def test_representations_cover_every_encoder_before_and_after_and_each_peft_run():
    """The workflow's names (`minilm-lora-r8-s0` is MiniLM's, not an encoder called `minilm-lora`):
    none and full per encoder, and every PEFT run beside full fine-tuning, none dropped."""
    from spacy_maize_ner.components.defaults import META_KEY
    from spacy_maize_ner.study.analysis.pipelines import Configuration
    from spacy_maize_ner.study.analysis.run import representation_targets

    def conf(name, regime, f):
        return Configuration(name, [{"pipeline": f"{name}-s0", "seed": 0, "ents_f": f, "model": f"training/{name}-s0",
                                     META_KEY: {"regime": regime, "encoder": "x"}}])

    confs = [conf("minilm-none", "none", 0.01), conf("minilm-full", "full", 0.5), conf("minilm-lora-r8", "lora", 0.4),
             conf("minilm-prompt-n20", "prompt", 0.1), conf("minilm_dapt-none", "none", 0.02),
             conf("minilm_dapt-full", "full", 0.6), conf("crf", "", 0.7)]
    got = [(t["encoder"], t["stage"], t["pipeline"]) for t in representation_targets(confs)]
    assert got == [("minilm", "before fine-tuning", "minilm-none"), ("minilm", "after fine-tuning", "minilm-full"),
                   ("minilm", "after fine-tuning (lora-r8)", "minilm-lora-r8"),
                   ("minilm", "after fine-tuning (prompt-n20)", "minilm-prompt-n20"),
                   ("minilm_dapt", "before fine-tuning", "minilm_dapt-none"), ("minilm_dapt", "after fine-tuning", "minilm_dapt-full")]


def test_svd_topics_deterministic_under_seed(gene_corpus):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from spacy_maize_ner.study.analysis.topics import corpus_topics

    splits = {s: list(DocBin().from_disk(gene_corpus / f"{s}.spacy").get_docs(Vocab())) for s in ("train", "dev")}
    first = corpus_topics(splits, n_topics=4, seed=5)
    again = corpus_topics(splits, n_topics=4, seed=5)
    assert first == again
    assert set(first) == {"contexts", "documents"}
    assert set(first["contexts"]["weights"]) == {"train", "dev"}
    assert all(len(t["terms"]) > 0 for t in first["contexts"]["topics"])
    for weights in first["documents"]["weights"].values():
        assert sum(weights) == pytest.approx(1.0, abs=1e-3)


def test_cooccurrence_counts_documents():
    import spacy
    from spacy.tokens import Span

    from spacy_maize_ner.study.analysis.cooccurrence import cooccurrence, normalise_mention

    nlp = spacy.blank("en")
    docs = []
    for text, spans in (("tb1 and Vgt1 here", [(0, 1), (2, 3)]), ("TB1 again", [(0, 1)]), ("Vgt1 tb1", [(0, 1), (1, 2)])):
        doc = nlp(text)
        doc.ents = [Span(doc, s, e, label="GENE") for s, e in spans]
        docs.append(doc)
    result = cooccurrence(docs, top_n=5)
    assert result["names"] == ["tb1", "vgt1"]
    assert result["matrix"] == [[3, 2], [2, 2]] and result["docs_with_pairs"] == 2
    assert normalise_mention("IL - 2  Receptor") == "il-2 receptor"


def test_heatmaps_draw_their_names_and_bars(tmp_path, gene_corpus):
    """Both heatmaps go through figures.heatmap: names on the axes, a colour bar, a saved SVG."""
    pytest.importorskip("matplotlib")
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from spacy_maize_ner.study.analysis.cooccurrence import plot_cooccurrence
    from spacy_maize_ner.study.analysis.figures import heatmap, pyplot
    from spacy_maize_ner.study.analysis.topics import corpus_topics, plot_topic_weights

    plt = pyplot()
    fig, ax = plt.subplots()
    heatmap(fig, ax, numpy.eye(2), columns=["a", "b"], rows=["x", "y"], labels=("cols", "rows"), title="T",
            colour="share", cmap="viridis", rotation=90)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"] and ax.get_xticklabels()[0].get_rotation() == 90
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"] and ax.get_title() == "T"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cols", "rows") and fig.axes[-1].get_ylabel() == "share"
    plt.close(fig)
    written = plot_cooccurrence({"names": ["tb1", "vgt1"], "matrix": [[3, 2], [2, 2]]}, tmp_path / "co.svg", "c")
    assert "tb1 (3)" in Path(written).read_text()
    splits = {s: list(DocBin().from_disk(gene_corpus / f"{s}.spacy").get_docs(Vocab())) for s in ("train", "dev")}
    written = plot_topic_weights(corpus_topics(splits, n_topics=3, seed=0), tmp_path / "topics.svg", "t")
    assert "Topic weight over contexts" in Path(written).read_text()


# ---- trained pipelines --------------------------------------------------------------------
# The `project` fixture trains CRF, HMM and four tiny transformers through the scripts and
# evaluates them, each a fresh process; the tests that use it are `make test-slow`. The
# pieces they join have fast tests above (bootstrap, errors, seeds, SVD, co-occurrence,
# learning-curve points and legend, report rendering) and below (pairs by name).


@pytest.fixture(scope="module")
def project(tmp_path_factory, gene_corpus, tiny_bert):
    """training/{crf/crf-s{0,1},hmm/hmm-s0,transformers/{minilm,minilm_dapt}-{full,none}-s0} on the tiny corpus, evaluated."""
    base = tmp_path_factory.mktemp("analysis-project")
    corpus = base / "corpus"
    corpus.mkdir()
    for split in ("train", "dev"):
        (corpus / f"{split}.spacy").write_bytes((gene_corpus / f"{split}.spacy").read_bytes())
    srsly.write_json(corpus / "meta.json", {"corpus": "synthetic", "eval_split": "dev"})
    paths = ["--paths.train", corpus / "train.spacy", "--paths.dev", corpus / "dev.spacy"]
    run("scripts/for_seeds.py", "0,1", "--", sys.executable, "-m", "spacy", "train", ROOT / "configs/crf.cfg",
        "--output", f"{base}/training/crf/crf{{suffix}}", *paths, "--system.seed", "{seed}",
        "--components.crf_ner.max_iterations", "20")
    run("-m", "spacy", "train", ROOT / "configs/hmm.cfg", "--output", base / "training/hmm/hmm-s0", *paths)
    encoders = f"{tiny_bert},{tiny_bert}"
    # Two copies of the tiny BERT stand in for the general and the DAPT encoder.
    dapt = base / "encoders" / "minilm-dapt"
    import shutil

    shutil.copytree(tiny_bert, dapt)
    general = base / "encoders" / "minilm"
    shutil.copytree(tiny_bert, general)
    encoders = f"{general},{dapt}"
    run("scripts/train_transformers.py", encoders, "full,none", base / "training/transformers", *paths, *TRF_OVERRIDES)
    run("scripts/evaluate.py", "--models-dir", base / "training/crf", "--models-dir", base / "training/hmm",
        "--models-dir", base / "training/transformers", "--corpus-dir", corpus, "--output", base / "training/metrics")
    return base


@pytest.mark.slow
def test_evaluate_writes_predictions_that_sum_to_the_metrics(project):
    metrics_dir = project / "training/metrics"
    names = sorted(p.stem for p in metrics_dir.glob("*.json"))
    assert names == ["crf-s0", "crf-s1", "hmm-s0", "minilm-full-s0", "minilm-none-s0", "minilm_dapt-full-s0", "minilm_dapt-none-s0"]
    for name in names:
        metrics = srsly.read_json(metrics_dir / f"{name}.json")
        records = list(srsly.read_jsonl(metrics_dir / f"{name}.docs.jsonl"))
        assert len(records) == metrics["documents"]
        f1 = f1_from_counts(counts_matrix(records).sum(axis=0))
        assert f1 == pytest.approx(metrics["ents_f"] or 0.0, abs=1e-9), name
        assert metrics["parameters"]["total"] > 0, name
    assert srsly.read_json(metrics_dir / "crf-s1.json")["seed"] == 1
    full = srsly.read_json(metrics_dir / "minilm-full-s0.json")["parameters"]
    none = srsly.read_json(metrics_dir / "minilm-none-s0.json")["parameters"]
    assert full["trainable"] == full["total"] and none["trainable"] == 0


@pytest.mark.slow
def test_configurations_and_pairs(project):
    confs = load_configurations(project / "training/metrics")
    by_name = {c.name: c for c in confs}
    assert by_name["crf"].seeds == [0, 1]
    assert by_name["minilm-full"].family == "transformer" and by_name["crf"].family == "crf"
    pairs = {(what, a.name, b.name) for what, a, b in comparison_pairs(confs)}
    assert ("domain vs general encoder (full)", "minilm_dapt-full", "minilm-full") in pairs
    assert any(what == "best encoder vs CRF" and b == "crf" for what, _, b in pairs)


@pytest.mark.slow
def test_tsne_deterministic_and_scored(project):
    import spacy
    from spacy.tokens import DocBin

    from spacy_maize_ner.study.analysis.representations import representation_panel, sample_tokens

    nlp = spacy.load(project / "training/transformers/minilm-full-s0/model-best")
    docs = list(DocBin().from_disk(project / "corpus/dev.spacy").get_docs(nlp.vocab))
    positions = sample_tokens(docs, 90, seed=1)
    assert positions == sample_tokens(docs, 90, seed=1) and len(positions) == 90
    first = representation_panel(nlp, docs, positions, seed=1, progress=False)
    second = representation_panel(nlp, docs, positions, seed=1, progress=False)
    assert numpy.array_equal(first["embedding"], second["embedding"])
    assert first["embedding"].shape == (90, 2) and first["width"] == 32
    assert set(first["labels"]) == {"B", "I", "O"}
    assert 0.0 <= first["knn_purity"] <= 1.0 and -1.0 <= first["silhouette"] <= 1.0


@pytest.fixture(scope="module")
def report(project):
    lc = project / "lc.json"
    rows = [{"pipeline": f"lc-crf-n{n}", "encoder": None, "regime": "crf", "data": "synthetic", "split": "dev", "seed": s,
             "metric": "ents_f", "value": 0.5 + 0.1 * i + 0.01 * s, "params": {"curve": "crf", "size": str(n), "train_sentences": n},
             "machine": "test", "date": "2026-01-01", "command": "test"} for i, n in enumerate((10, 20, 40)) for s in (0, 1, 2)]
    rows += [{**row, "pipeline": row["pipeline"].replace("crf", "minilm-full"), "encoder": "minilm", "regime": "full",
              "value": row["value"] + 0.2, "params": {**row["params"], "curve": "minilm-full"}} for row in rows]
    lc.write_text(json.dumps(rows))
    run("scripts/analysis.py", project / "training/metrics", project / "corpus", project / "reports/analysis",
        "--resamples", "1000", "--tsne-tokens", "90", "--learning-curve", lc, "--learning-curve", project / "missing.json")
    run("scripts/report_html.py", project / "reports/analysis", project / "reports/index.html", "--metrics-dir", project / "training/metrics")
    return project / "reports/index.html"


@pytest.mark.slow
def test_analysis_writes_every_figure_and_number(report, project):
    analysis = srsly.read_json(project / "reports/analysis/analysis.json")
    files = {f["file"] for f in analysis["figures"]}
    assert files == {f"figures/{n}.svg" for n in ("cost_bubbles", "svd_topics", "cooccurrence", "tsne", "learning_curve")}
    for f in analysis["figures"]:
        assert (report.parent / f["file"]).stat().st_size > 1000
        assert "Data: synthetic" in f["caption"] and "seeds" in f["caption"]
    assert {r["stage"] for r in analysis["representations"]} >= {"before fine-tuning", "after fine-tuning"}
    crf_curve = analysis["learning_curve"]["curves"]["crf"]
    assert [p["n"] for p in crf_curve] == [3, 3, 3] and crf_curve[0]["std"] > 0
    gaps = analysis["learning_curve"]["gaps"]
    assert [(g["a"], g["b"], g["size"]) for g in gaps] == [("minilm-full", "crf", s) for s in ("10", "20", "40")]
    assert all(g["excludes_zero"] and abs(g["diff"] - 0.2) < 1e-9 for g in gaps)
    comparison = next(c for c in analysis["comparisons"] if c["comparison"].startswith("domain"))
    assert comparison["n_resamples"] == 1000 and comparison["low"] <= comparison["delta"] <= comparison["high"]
    html = report.read_text()
    assert "<script src" not in html and "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "95% CI" in html and 'class="entity"' in html  # displaCy markup of the examples
    assert "Gaps between curves" in html and "minilm-full − crf" in html and "+20.00" in html
    assert "<h3>crf</h3>" in html and ("<h3>minilm-full</h3>" in html or "<h3>minilm_dapt-full</h3>" in html)


@pytest.mark.slow
def test_report_fails_naming_a_malformed_or_missing_metrics_file(project, tmp_path):
    import shutil

    metrics = tmp_path / "metrics"
    shutil.copytree(project / "training/metrics", metrics)
    (metrics / "broken.json").write_text("{not json")
    proc = subprocess.run([sys.executable, "scripts/analysis.py", metrics, project / "corpus", tmp_path / "out"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "broken.json" in proc.stdout and "Malformed" in proc.stdout
    (metrics / "broken.json").unlink()
    (metrics / "hmm-s0.docs.jsonl").unlink()
    proc = subprocess.run([sys.executable, "scripts/analysis.py", metrics, project / "corpus", tmp_path / "out"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "hmm-s0.docs.jsonl" in proc.stdout and "evaluate" in proc.stdout
    with pytest.raises(MetricsError, match="not found"):
        load_configurations(tmp_path / "nowhere")


def test_one_evaluation_set_however_its_path_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    row = {"ents_f": 0.5, "ents_p": 0.5, "ents_r": 0.5}
    (metrics / "a.json").write_text(json.dumps({**row, "data": "corpus/dev.spacy"}))
    (metrics / "b.json").write_text(json.dumps({**row, "data": str(tmp_path / "corpus" / "dev.spacy")}))
    assert [c.name for c in load_configurations(metrics)] == ["a", "b"]
    (metrics / "c.json").write_text(json.dumps({**row, "data": "other/dev.spacy"}))
    with pytest.raises(MetricsError, match="different data"):
        load_configurations(metrics)


# ---- the report in a browser --------------------------------------------------------------

CHECK_SCRIPT = """<pre id="maize-check"></pre><script>
window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var tables = Array.from(document.querySelectorAll("table")).map(function (t) { return t.tBodies[0] ? t.tBodies[0].rows.length : 0; });
  document.getElementById("maize-check").textContent = JSON.stringify({
    images: imgs.length,
    loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    tables: tables
  });
});
</script>"""


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium, installed with apt-get where missing; skipped only if that fails."""
    import os
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if not shutil.which("apt-get") or (hasattr(os, "geteuid") and os.geteuid() != 0):
        pytest.skip("chromium is not installed and cannot be installed here (needs apt-get as root): apt-get install -y chromium")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)
        if proc.returncode != 0:
            pytest.skip(f"chromium could not be installed ({' '.join(cmd)} failed: {proc.stderr.strip()[-300:]})")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get install -y chromium succeeded but no chromium executable is on PATH")
    return found


def browser_check(chromium, page: Path) -> dict:
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         "--virtual-time-budget=15000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180,
    )
    import re

    match = re.search(r'<pre id="maize-check">(.*?)</pre>', proc.stdout, re.S)
    assert match and match.group(1), proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(match.group(1))


@pytest.mark.slow
def test_report_opens_in_headless_chromium_with_every_figure(report, chromium):
    html = report.read_text()
    page = report.with_name("index.check.html")
    page.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"))
    result = browser_check(chromium, page)
    analysis = srsly.read_json(report.parent / "analysis" / "analysis.json")
    # the five analysis figures, and the Encoders vs LLMs section's own figure
    section_figure = bool(analysis["encoders_vs_llms"].get("figure"))
    assert len(analysis["figures"]) == 5 and section_figure
    assert result["images"] == len(analysis["figures"]) + section_figure
    assert result["loaded"] == result["images"]
    assert result["tables"] and all(n > 0 for n in result["tables"]), result["tables"]
    # The check can fail: a figure that is not there is seen as not loaded.
    broken = report.with_name("index.broken.html")
    broken.write_text(html.replace("figures/tsne.svg", "figures/missing.svg").replace("</body>", CHECK_SCRIPT + "</body>"))
    assert browser_check(chromium, broken)["loaded"] == result["images"] - 1


# ---- learning curve -------------------------------------------------------------------------


def test_subsample_is_seeded_and_counts_sentences(gene_corpus):
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from spacy_maize_ner.study.training.curves import parse_sizes, subsample

    docs = list(DocBin().from_disk(gene_corpus / "train.spacy").get_docs(Vocab()))
    assert parse_sizes("100, 250,all") == [100, 250, None]
    with pytest.raises(ValueError, match="positive integer"):
        parse_sizes("0")
    a, b, c = subsample(docs, 10, 0), subsample(docs, 10, 0), subsample(docs, 10, 1)
    assert [d.text for d in a] == [d.text for d in b] and [d.text for d in a] != [d.text for d in c]
    assert len(a) == 10 and len(subsample(docs, None, 0)) == len(docs) == len(subsample(docs, 10_000, 0))


@pytest.mark.slow  # three runs of the script (9 points); one cheap run: test_learning_curve_small_sample_...
def test_learning_curve_hmm_and_tiny_bert_full_three_seeds(gene_corpus, tiny_bert, tmp_path):
    from spacy_maize_ner.study.analysis.learning_curve import curve_points, read_rows

    rows = tmp_path / "rows.json"
    common = [gene_corpus, rows, "--seeds", "0,1,2", "--workdir", tmp_path / "runs"]
    hmm = ["scripts/learning_curve.py", *common, "--pipelines", "hmm", "--sizes", "20,all"]
    assert "Measured 6 point(s)" in run(*hmm).stdout
    trf = ["scripts/learning_curve.py", *common, "--pipelines", "", "--encoders", tiny_bert, "--sizes", "all", *TRF_OVERRIDES]
    assert "Measured 3 point(s)" in run(*trf).stdout
    curves = curve_points(read_rows([rows]))
    name = f"{Path(tiny_bert).name.replace('-', '_')}-full"
    assert set(curves) == {"hmm", name}
    assert [p["size"] for p in curves["hmm"]] == ["20", "all"] and [p["sentences"] for p in curves["hmm"]] == [20, 60]
    assert [(p["size"], p["n"]) for p in curves[name]] == [("all", 3)]
    assert all(p["n"] == 3 for p in curves["hmm"])
    assert "Measured 0 point(s)" in run(*hmm).stdout  # resumable: nothing measured twice


def test_transformer_points_get_the_updates_of_one_whole_epoch(gene_corpus, tmp_path):
    from spacy_maize_ner.study.training.curves import equal_updates_overrides, write_subsample
    from spacy_maize_ner.study.training.epochs import batcher_from_config, steps_per_epoch

    config, train = ROOT / "configs" / "transformer.cfg", gene_corpus / "train.spacy"
    small = {"training.batcher.size": 300}
    whole = steps_per_epoch(train, batcher_from_config(config, small))
    assert whole > steps_per_epoch(train, batcher_from_config(config))  # the override reaches the batcher
    write_subsample(train, tmp_path / "sample.spacy", 10, 0)
    assert steps_per_epoch(tmp_path / "sample.spacy", batcher_from_config(config, small)) < whole
    budget = equal_updates_overrides(config, train, small)
    assert budget["training.max_steps"] == whole and budget["training.max_epochs"] == 0
    assert budget["training.patience"] == 2 * budget["training.eval_frequency"]
    assert equal_updates_overrides(config, train, {"training.max_steps": 4}) == {}  # an explicit budget wins


def test_learning_curve_small_sample_trains_for_the_whole_epochs_updates(gene_corpus, tiny_bert, tmp_path):
    import re

    from spacy_maize_ner.study.training.epochs import batcher_from_config, steps_per_epoch

    no_budget = [a for i, a in enumerate(TRF_OVERRIDES) if a not in ("--training.max_steps", "--training.eval_frequency")
                 and TRF_OVERRIDES[i - 1] not in ("--training.max_steps", "--training.eval_frequency")]
    rows = tmp_path / "rows.json"
    proc = run("scripts/learning_curve.py", gene_corpus, rows, "--seeds", "0", "--workdir", tmp_path / "runs", "--pipelines", "",
               "--encoders", tiny_bert, "--regimes", "full,lora", "--sizes", "10", *no_budget, "--training.patience", "0")
    whole = steps_per_epoch(gene_corpus / "train.spacy", batcher_from_config(ROOT / "configs" / "transformer.cfg", {"training.batcher.size": 300}))
    steps = [(int(e), int(s)) for e, s in re.findall(r"^\s*(\d+)\s+(\d+)\s+\d", proc.stdout + proc.stderr, flags=re.M)]
    assert max(s for _, s in steps) == whole and max(e for e, _ in steps) >= 1  # several epochs of the 10-sentence sample
    f_rows = {r["regime"]: r for r in srsly.read_json(rows) if r["metric"] == "ents_f"}
    assert set(f_rows) == {"full", "lora"}  # one curve per regime of --regimes
    for regime, row in f_rows.items():
        assert row["params"]["max_steps"] == whole and row["params"]["train_sentences"] == 10
        assert row["pipeline"] == f"lc-{Path(tiny_bert).name.replace('-', '_')}-{regime}-n10"
    seconds = {(r["regime"], r["metric"]): r["value"] for r in srsly.read_json(rows) if r["metric"].startswith("train_")}
    for regime in ("full", "lora"):  # CPU seconds beside wall seconds tell a starved point from a slow regime
        wall, cpu = seconds[regime, "train_seconds"], seconds[regime, "train_cpu_seconds"]
        assert 0 < cpu <= wall * os.cpu_count() + 1


def test_learning_curve_rows_record_the_lora_rank_they_trained_with():
    """A curve's rows name its PEFT settings (regime file, then overrides), so points measured
    at another rank are never averaged into it."""
    from spacy_maize_ner.study.training.curves import CurveSpec, point_rows

    point = {"size": "100", "seed": 0, "train_sentences": 100, "train_docs": 100, "available_sentences": 500,
             "ents_p": 0.5, "ents_r": 0.5, "ents_f": 0.5, "train_seconds": 1.0}
    regimes = ROOT / "configs" / "regimes"

    def params(regime, overrides):
        spec = CurveSpec("minilm-x", ROOT / "configs" / "transformer.cfg", regimes / regime, overrides)
        return point_rows(point, spec, data="bc2gm", command="c", machine="m")[0]["params"]

    lora = params("lora.cfg", {"components.transformer.model.peft.r": 4})
    from spacy_maize_ner.study.training.regimes import read_regime

    in_file = read_regime(regimes / "lora.cfg").overrides["components.transformer.model"]["peft"]
    assert lora["r"] == 4 and lora["alpha"] == in_file["alpha"]  # the override wins, the rest is the file's
    assert params("prompt.cfg", {})["num_virtual_tokens"] == 50
    assert not {"r", "alpha", "num_virtual_tokens"} & set(params("full.cfg", {}))


def test_a_curve_refuses_points_from_other_encoder_weights(gene_corpus, tiny_bert, tmp_path):
    """Curves are measured over sessions; a DAPT rerun rewrites training/encoders/minilm-dapt with
    other weights. Points record the weights' digest, and a point from other weights (or from
    rows that recorded none) is refused before any training, naming the curve and the rows file."""
    from spacy_maize_ner.study.training.curves import CurveSpec, check_same_encoder, curve_encoder_fingerprint, point_rows

    name = f"{Path(tiny_bert).name.replace('-', '_')}-full"
    spec = CurveSpec(name, ROOT / "configs" / "transformer.cfg", None, {"paths.encoder": str(tiny_bert)})
    digest = curve_encoder_fingerprint(spec)
    point = {"size": "10", "seed": 0, "train_sentences": 10, "train_docs": 10, "available_sentences": 60,
             "ents_p": 0.5, "ents_r": 0.5, "ents_f": 0.5, "train_seconds": 1.0}
    ours = point_rows(point, spec, data="d", command="c", machine="m", encoder_sha256=digest)
    assert {r["params"]["encoder_sha256"] for r in ours} == {digest}
    check_same_encoder(ours, spec, digest, Path("rows.json"))  # same weights: accepted
    check_same_encoder(ours, spec._replace(name="other-full"), "0" * 16, Path("rows.json"))  # another curve
    check_same_encoder(ours, spec, None, Path("rows.json"))  # a hub id cannot be checked
    unrecorded = point_rows(point, spec, data="d", command="c", machine="m")
    with pytest.raises(ValueError, match="not recorded"):
        check_same_encoder(unrecorded, spec, digest, Path("rows.json"))
    check_same_encoder(unrecorded + ours, spec, digest, Path("rows.json"), allow_unrecorded=True)  # MiniLM: pinned package
    with pytest.raises(ValueError, match=digest):  # other recorded weights are refused all the same
        check_same_encoder(unrecorded + ours, spec, "f" * 16, Path("rows.json"), allow_unrecorded=True)
    # A DAPT rerun of the same recipe (other float rounding) continues the curve; another recipe does not.
    dapt = point_rows(point, spec, data="d", command="c", machine="m", encoder_sha256=digest, encoder_recipe="a" * 16)
    assert {r["params"]["encoder_recipe_sha256"] for r in dapt} == {"a" * 16}
    check_same_encoder(dapt, spec, "f" * 16, Path("rows.json"), recipe="a" * 16)
    with pytest.raises(ValueError, match="recipe"):
        check_same_encoder(dapt, spec, "f" * 16, Path("rows.json"), recipe="b" * 16)
    with pytest.raises(ValueError, match=digest):  # points without a recipe need the same weights
        check_same_encoder(ours + dapt, spec, "f" * 16, Path("rows.json"), recipe="a" * 16)

    rows = tmp_path / "rows.json"
    srsly.write_json(rows, [dict(r, params=dict(r["params"], encoder_sha256="0" * 16)) for r in ours])
    proc = subprocess.run([sys.executable, "scripts/learning_curve.py", gene_corpus, rows, "--seeds", "1", "--workdir", tmp_path / "runs",
                           "--pipelines", "", "--encoders", tiny_bert, "--sizes", "10", *TRF_OVERRIDES],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and not (tmp_path / "runs").exists()
    message = " ".join((proc.stdout + proc.stderr).split())
    assert f"'{name}'" in message and str(rows) in message and "0" * 16 in message and digest in message


def test_full_vs_lora_pairs_form_for_the_workflows_peft_names():
    """training/peft/ names its pipelines `<encoder>-lora-r8`: each pairs with `<encoder>-full`
    (the pair was missing from the workflow's report while names were split at the last dash)."""
    from spacy_maize_ner.study.analysis.pipelines import Configuration

    def conf(name, regime):
        return Configuration(name, [{"pipeline": name, "ents_f": 0.5, "maize_ner": {"regime": regime, "encoder": "e"}}])

    confs = [conf(n, r) for n, r in [("minilm-full", "full"), ("minilm_dapt-full", "full"), ("minilm-lora-r8", "lora"),
                                      ("minilm_dapt-lora-r16", "lora"), ("minilm-prompt-n50", "prompt"), ("minilm-lora", "lora")]]
    pairs = {(what, a.name, b.name) for what, a, b in comparison_pairs(confs)}
    assert ("full vs lora-r8 (minilm)", "minilm-full", "minilm-lora-r8") in pairs
    assert ("full vs lora-r16 (minilm_dapt)", "minilm_dapt-full", "minilm_dapt-lora-r16") in pairs
    assert ("full vs prompt-n50 (minilm)", "minilm-full", "minilm-prompt-n50") in pairs
    assert ("full vs lora (minilm)", "minilm-full", "minilm-lora") in pairs
