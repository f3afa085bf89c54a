"""benchmarks/bench_paired.py: every kept seed of a pipeline against another, on the same dev docs."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.slow  # trains HMMs and a CRF, runs the benchmark twice in fresh processes
def test_paired_rows_average_the_seeds_and_train_the_missing_side(gene_corpus, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    from spacy_maize_ner.study.training.curves import train_pipeline

    work, rows_dir = tmp_path / "work", tmp_path / "rows"
    shutil.copytree(gene_corpus, work / "corpus")
    rows_dir.mkdir()
    rows = []
    small = tmp_path / "small.spacy"  # seed 1 learns from 3 sentences, so the seeds differ
    DocBin(docs=list(DocBin().from_disk(work / "corpus" / "train.spacy").get_docs(spacy.blank("en").vocab))[:3]).to_disk(small)
    for seed, train in ((0, work / "corpus" / "train.spacy"), (1, small)):  # two kept "seeds", as bench_transformers' rows record them
        model = train_pipeline(ROOT / "configs" / "hmm.cfg", tmp_path / f"a-s{seed}", train=train,
                               dev=work / "corpus" / "dev.spacy", seed=seed)
        rows.append({"pipeline": "hmm-kept", "data": "bc2gm", "seed": seed, "metric": "ents_f", "value": 0.0,
                     "params": {"model": str(model)}})
    rows.append({"pipeline": "hmm-kept", "data": "other", "seed": 5, "metric": "ents_f", "value": 0.0,
                 "params": {"model": str(model)}})  # another corpus: not a seed of this comparison
    (rows_dir / "x.json").write_text(json.dumps(rows))
    out = tmp_path / "paired.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_paired.py"), "hmm-kept", "crf", "--resamples", "200",
           "--results", str(out), "--rows-dir", str(rows_dir), "--work", str(work), "--no-render-results"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = {r["metric"]: r for r in json.loads(out.read_text())}
    boot, seeds = written["paired_f1_delta"], written["seed_f1_delta_mean"]
    assert boot["params"]["seeds_a"] == [0, 1] and boot["params"]["seeds_b"] == [0]
    assert boot["command"].endswith("hmm-kept crf --resamples 200")  # no --name given, none recorded
    assert (work / "crf-s0" / "model-best" / "meta.json").exists()  # b had no kept model: trained once
    f_a, f_b = boot["params"]["f1_a"], boot["params"]["f1_b"]
    assert f_a[0] != f_a[1]
    assert abs(boot["value"] - (sum(f_a) / 2 - f_b[0])) < 1e-9
    assert boot["params"]["low"] <= boot["value"] <= boot["params"]["high"]
    assert abs(seeds["value"] - boot["value"]) < 1e-9 and "low" in seeds["params"]
    # the predictions are cached beside each model and reused by a second run
    cached = sorted(p.name for p in tmp_path.glob("a-s*/*.docs.jsonl"))
    assert cached == ["model-best.docs.jsonl", "model-best.docs.jsonl"]
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode == 0 and "scoring" not in again.stderr


def test_a_side_without_kept_models_that_cannot_be_trained_is_a_clear_error(gene_corpus, tmp_path):
    (tmp_path / "rows").mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_paired.py"), "trf-nothing", "crf", "--rows-dir",
                           str(tmp_path / "rows"), "--work", str(tmp_path), "--results", str(tmp_path / "p.json")],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "keeps the model" in proc.stderr and not (tmp_path / "p.json").exists()


@pytest.mark.slow  # trains an HMM point through the benchmark in a fresh process
def test_a_learning_curve_point_can_keep_its_model_for_paired_comparisons(gene_corpus, tmp_path):
    """bench_learning_curve.py job --keep-model: the point's model-best survives the run and
    its rows name it (params.model), which is how bench_paired finds the seeds of a curve point."""
    import spacy

    work = tmp_path / "work"
    shutil.copytree(gene_corpus, work / "bc2gm" / "corpus")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_learning_curve.py"), "job", "bc2gm", "hmm", "20", "1",
                           "--work", str(work), "--keep-model"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    model = Path(rows[0]["params"]["model"])
    assert model == work / "bc2gm" / "lc-models" / "lc-hmm-n20-s1" and {r["params"]["model"] for r in rows} == {str(model)}  # outside the root: as given
    assert spacy.load(model).pipe_names and not [p for p in work.iterdir() if p.name.startswith("tmp")]


def test_a_comparison_is_not_replaced_by_one_over_fewer_seeds(tmp_path):
    """Seeds 0 and 1 were compared, then their folders went (training/ is not in git): a rerun that finds
    only seed 2 must not swap the 2-seed result for a 1-seed one under the same name. It refuses before
    scoring anything, names the way out, and --name writes the smaller comparison beside the old one."""
    rows_dir, model = tmp_path / "rows", tmp_path / "trf-s2" / "model-best"
    rows_dir.mkdir()
    model.mkdir(parents=True)
    (model / "meta.json").write_text("{}")
    (rows_dir / "x.json").write_text(json.dumps([{"pipeline": "trf", "data": "bc2gm", "seed": 2, "metric": "ents_f", "value": 0.8,
                                                   "params": {"model": str(model)}}]))
    out = tmp_path / "paired.json"
    old = [{"pipeline": "trf-vs-crf", "data": "bc2gm", "seed": -1, "metric": "paired_f1_delta", "value": 0.04, "date": "2026-12-04",
            "params": {"seeds_a": [0, 1], "seeds_b": [0]}}]
    out.write_text(json.dumps(old))
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_paired.py"), "trf", "crf", "--results", str(out), "--rows-dir", str(rows_dir),
           "--work", str(tmp_path / "work"), "--no-render-results"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode != 0 and "--name trf-vs-crf-s2" in proc.stderr and "--replace-fewer" in proc.stderr
    assert json.loads(out.read_text()) == old and not (tmp_path / "work").exists()  # refused before training the CRF

    from bench_paired import check_seeds_kept  # noqa: E402  the same check, in process: what passes

    check_seeds_kept(out, "trf-vs-crf", [0, 1, 2], [0])  # more seeds: replacing is fine
    check_seeds_kept(out, "trf-vs-crf-s2", [2], [0])  # another name
    check_seeds_kept(out, "trf-vs-crf", [2], [0], replace=True)
    check_seeds_kept(tmp_path / "none.json", "trf-vs-crf", [2], [0])
