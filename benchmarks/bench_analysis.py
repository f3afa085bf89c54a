"""Seeds, paired bootstrap CIs and the HTML report over the benchmark runs (BC2GM train -> devel).

The benchmark scripts name their runs with the family and head (`trf-minilm_dapt-full-transition-s1`,
`peft-minilm-lora-r8-transition-s0`); the workflow leaves both out (`minilm_dapt-full-s1`,
`minilm-lora-r8-s0`), and the analysis compares the workflow's names: `RunId`
(spacy_maize_ner/study/runs.py) parses one and writes the other. This script takes the runs of the shipped settings
(transition head, no `--tag`, full budget) from the rows files, links them under the workflow's
names in training/benchmarks/bc2gm/analysis-runs, scores each with the evaluate command's code
(per-document predictions; a run already scored after its model was written is not rescored),
runs the analysis (spacy_maize_ner.study.analysis: bootstrap, errors, t-SNE, topics, co-occurrence,
cost, learning curves), renders the HTML report and writes every compared pair as rows to
benchmarks/results/analysis.json.

    python benchmarks/bench_analysis.py [--resamples 1000] [--tsne-tokens 1500]
"""
import datetime
import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import merge_rows, render, resolve_repo_path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks" / "bc2gm"
# Runs of the shipped settings only: the transition head, no variant tag.
SHIPPED_SETTINGS = {"trf": ("full", "none", "probe", "freeze"), "peft": ("lora", "prompt", "prefix")}

app = typer.Typer(add_completion=False)


def workflow_name(row: Dict) -> str:
    """The workflow's name of a benchmark row's pipeline ('' when it is not a run of the shipped settings)."""
    from dataclasses import replace

    from spacy_maize_ner.study.runs import RunId

    try:
        run = RunId.parse(row["pipeline"])
    except ValueError:
        return ""
    if run.head != "transition" or run.tag or run.setting.split("-")[0] not in SHIPPED_SETTINGS.get(run.family, ()):
        return ""
    if run.family == "peft" and ((row.get("params") or {}).get("budget", "full") != "full" or "-" not in run.setting):
        return ""
    return replace(run, family="", head="", seed=None).name


def staged_runs(results: List[Path]) -> List[Tuple[str, Path]]:
    """(workflow name with seed suffix, model-best) of every finished run in the rows files."""
    from spacy_maize_ner.study.runs import seed_suffix

    seeds: Dict[Tuple[str, int], Path] = {}
    for path in results:
        for row in json.loads(path.read_text()) if path.exists() else []:
            name, model = workflow_name(row), (row.get("params") or {}).get("model")
            if name and model and (resolve_repo_path(model) / "meta.json").exists() and row["data"] == "bc2gm":
                seeds[(name, int(row["seed"]))] = resolve_repo_path(model)
    runs = []
    for (name, seed), model in sorted(seeds.items()):
        runs.append((name + seed_suffix(seed), model))
    return runs


def link(runs: List[Tuple[str, Path]], staging: Path) -> List[Tuple[str, Path]]:
    """Each run as staging/<name>/model-best (a link), so evaluate names it as the workflow does."""
    staging.mkdir(parents=True, exist_ok=True)
    out = []
    for name, model in runs:
        target = staging / name / "model-best"
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to(model.resolve(), target_is_directory=True)
        out.append((name, target))
    return out


def stale(name: str, model: Path, metrics_dir: Path) -> bool:
    metrics = metrics_dir / f"{name}.json"
    return not metrics.exists() or metrics.stat().st_mtime < (model / "meta.json").stat().st_mtime


@app.command()
def main(
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples of the dev documents"),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap, token sample, t-SNE and SVD"),
    tsne_tokens: int = typer.Option(1500, "--tsne-tokens"),
    rescore: bool = typer.Option(False, "--rescore", help="Score every run again"),
    output: Path = typer.Option(HERE / "results" / "analysis.json", "--results"),
) -> None:
    from spacy_maize_ner.study.analysis.html import write_report
    from spacy_maize_ner.study.analysis.run import run_analysis
    from spacy_maize_ner.study.evaluation.discovery import evaluate_all
    from spacy_maize_ner.study.evaluation.scoring import machine_description

    corpus, metrics_dir, staging = WORK / "corpus", WORK / "metrics", WORK / "analysis-runs"
    runs = staged_runs([HERE / "results" / "transformers.json", HERE / "results" / "peft.json"])
    from spacy_maize_ner.study.runs import CLASSIC_PIPELINES, RunId

    # the baselines' runs (benchmarks/bench_baselines.py --keep-models: crf-s0, hmm-s1, ...)
    runs += [(m.parent.name, m) for m in sorted(WORK.glob("*-s*/model-best"))
             if m.parent.name.split("-")[0] in CLASSIC_PIPELINES and RunId.parse(m.parent.name).folder == m.parent.name]
    runs = link(runs, staging)
    todo = [(n, m) for n, m in runs if rescore or stale(n, m, metrics_dir)]
    typer.echo(f"{len(runs)} runs staged in {staging}; scoring {len(todo)}", err=True)
    evaluate_all(todo, corpus, metrics_dir,
                 on_result=lambda n, m, p: typer.echo(f"  {n}: F {m['ents_f']:.4f} -> {p}", err=True))
    analysis_dir = WORK / "analysis"
    analysis = run_analysis(metrics_dir, corpus, analysis_dir, n_resamples=resamples, seed=seed, tsne_tokens=tsne_tokens,
                            learning_curves=[HERE / "results" / "learning_curve.json"])
    report = write_report(analysis_dir, WORK / "report" / "index.html", metrics_dir=metrics_dir)
    typer.echo(f"Report: {report}", err=True)
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    command = f"python benchmarks/bench_analysis.py --resamples {resamples} --seed {seed} --tsne-tokens {tsne_tokens}"
    rows = []
    for pair in analysis["comparisons"]:
        params = {"a": pair["a"], "b": pair["b"], "a_f": pair["a_f"], "b_f": pair["b_f"], "level": pair["level"],
                  "n_docs": pair["n_docs"], "n_resamples": pair["n_resamples"], "bootstrap_seed": pair["seed"],
                  "excludes_zero": pair["excludes_zero"]}
        common = {"pipeline": f"{pair['a']} - {pair['b']}", "encoder": None, "regime": pair["comparison"], "params": params,
                  "data": "bc2gm", "split": "dev (paired bootstrap)", "seed": 0, "machine": machine_description(),
                  "date": date, "command": command}
        rows += [dict(common, metric=k, value=pair[key]) for k, key in
                 (("ents_f_delta", "delta"), ("ents_f_delta_ci_low", "low"), ("ents_f_delta_ci_high", "high"))]
        typer.echo(f"{pair['comparison']}: {pair['a']} - {pair['b']} = {100 * pair['delta']:+.2f} F1, "
                   f"95% CI [{100 * pair['low']:+.2f}, {100 * pair['high']:+.2f}]"
                   f"{' (excludes 0)' if pair['excludes_zero'] else ''}; n = {pair['a_f']['n']} vs {pair['b_f']['n']} seeds")
    merge_rows(output, rows)
    render()


if __name__ == "__main__":
    app()
