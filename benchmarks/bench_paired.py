"""Paired comparison of two benchmark pipelines on BC2GM dev: seeds and a document bootstrap.

    python benchmarks/bench_paired.py trf-minilm-full-transition-ep3 crf [--resamples 1000]

Each side is a pipeline name of the rows files (benchmarks/results/*.json); every seed of it
whose model folder still exists (the rows' `params.model`) is scored on the same dev DocBin
with per-document predictions (cached beside the model as `<model>.docs.jsonl`; rescored when
the model is newer); a seed whose model is gone but whose cache was kept (runs on a lent GPU
bring back predictions, not weights) is compared from the cache. A side without kept models, such as `crf` (bench_baselines keeps none),
is trained once with its config into training/benchmarks/bc2gm/<name>-s<seed> and scored.
Written to benchmarks/results/paired.json:
- `paired_f1_delta`: F1(a) - F1(b), a multi-seed paired bootstrap over dev documents
  (analysis/bootstrap.py: each resample draws documents once and averages F1 over each
  side's seeds), with the interval, the number of seeds per side and resamples;
- `seed_f1_delta_mean`: the mean over a's seeds of F1(a, seed) - mean F1(b), with a t interval
  over seeds (curve_gaps.paired_interval) when a has 2 seeds or more.
"""
import datetime
import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import job_machine, merge_rows, render, resolve_repo_path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks" / "bc2gm"
# Pipelines the script may train when no model of them was kept: name -> config.
TRAINABLE = {"crf": "configs/crf.cfg", "hmm": "configs/hmm.cfg"}

app = typer.Typer(add_completion=False)


def kept_models(name: str, rows_dir: Path, data: str = "bc2gm") -> Dict[int, Path]:
    """seed -> model folder of every row of `name` in `rows_dir`/*.json whose model still exists,
    or whose per-document predictions (`<model>.docs.jsonl`) were kept without it: a run on a
    lent GPU brings back its predictions, not its weights."""
    models: Dict[int, Path] = {}
    for path in sorted(Path(rows_dir).glob("*.json")):
        for row in json.loads(path.read_text()):
            model = (row.get("params") or {}).get("model")
            if row.get("pipeline") != name or row.get("data") != data or not model:
                continue
            folder = resolve_repo_path(model)
            if (folder / "meta.json").exists() or predictions_cache(folder).exists():
                models[int(row["seed"])] = folder
    return models


def predictions_cache(model: Path) -> Path:
    """Where a model's per-document predictions on dev are cached: beside its folder."""
    return model.parent / f"{model.name}.docs.jsonl"


def train_missing(name: str, work: Path, seed: int) -> Path:
    from spacy_maize_ner.study.training.curves import train_pipeline

    if name not in TRAINABLE:
        raise typer.BadParameter(f"No kept model of '{name}' in benchmarks/results/*.json (params.model), and the script "
                                 f"trains only {', '.join(TRAINABLE)}: rerun its benchmark so that it keeps the model.")
    output = work / f"{name}-s{seed}"
    corpus = work / "corpus"
    if not (output / "model-best" / "meta.json").exists():
        train_pipeline(ROOT / TRAINABLE[name], output, train=corpus / "train.spacy", dev=corpus / "dev.spacy", seed=seed)
    return output / "model-best"


def doc_counts(model: Path, dev: Path) -> Tuple[list, float]:
    """Per-document records of `model` on `dev` (cached) and its strict F1."""
    import spacy

    from spacy_maize_ner.study.analysis.bootstrap import counts_matrix, f1_from_counts
    from spacy_maize_ner.study.evaluation.predictions import read_predictions
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    cache = predictions_cache(model)
    meta = model / "meta.json"
    if not cache.exists() or (meta.exists() and cache.stat().st_mtime < meta.stat().st_mtime):
        typer.echo(f"scoring {model} on {dev}", err=True)
        evaluate_pipeline(spacy.load(model), dev, name=model.parent.name, model_path=str(model), predictions_path=cache)
    records = read_predictions(cache)
    return records, float(f1_from_counts(counts_matrix(records).sum(axis=0)))


def check_seeds_kept(results: Path, pipeline: str, seeds_a: List[int], seeds_b: List[int], *, replace: bool = False) -> None:
    """Refuse to replace a comparison written over seeds that this run no longer has.

    Models and predictions live in training/ (not in git): when a seed's folder is gone, a
    rerun would silently swap a three-seed comparison for a one-seed one under the same name.
    """
    if replace or not Path(results).exists():
        return
    for row in json.loads(Path(results).read_text()):
        if row.get("pipeline") != pipeline or row.get("metric") != "paired_f1_delta":
            continue
        params = row.get("params") or {}
        lost_a = sorted(set(params.get("seeds_a") or []) - set(seeds_a))
        lost_b = sorted(set(params.get("seeds_b") or []) - set(seeds_b))
        if lost_a or lost_b:
            raise typer.BadParameter(
                f"{results} holds {pipeline} over seeds {params.get('seeds_a')} against {params.get('seeds_b')} "
                f"({row.get('date')}); this run has seeds {seeds_a} against {seeds_b} (the models and predictions of the others are "
                f"gone) and would replace it. Write it under another name (--name {pipeline}-s{''.join(map(str, seeds_a))}), "
                "or pass --replace-fewer to replace it."
            )


@app.command()
def main(
    a: str = typer.Argument(..., help="Pipeline name of the rows (e.g. trf-minilm-full-transition-ep3)"),
    b: str = typer.Argument(..., help="Pipeline name to compare with (e.g. crf)"),
    seeds_b: str = typer.Option("0", help="Seeds to train for b when it kept no model"),
    resamples: int = typer.Option(1000, help="Bootstrap resamples of the dev documents"),
    results: Path = typer.Option(HERE / "results" / "paired.json", help="Rows file (merged by key)"),
    rows_dir: Path = typer.Option(HERE / "results", help="Rows files to find the models of a and b in"),
    work: Path = typer.Option(WORK, help="Folder with corpus/{train,dev}.spacy and the models trained here"),
    render_results: bool = typer.Option(True, help="Re-render benchmarks/RESULTS.md"),
    name: str = typer.Option("", help="Pipeline name of the rows written (default A-vs-B); e.g. A-vs-B-s2 for a comparison "
                                      "of fewer seeds than the one already written"),
    replace_fewer: bool = typer.Option(False, help="Replace a comparison already written over seeds this run no longer has"),
) -> None:
    from spacy_maize_ner.study.analysis.bootstrap import counts_matrix, paired_bootstrap, same_documents
    from spacy_maize_ner.study.analysis.curve_gaps import paired_interval

    dev = work / "corpus" / "dev.spacy"
    pipeline = name or f"{a}-vs-{b}"
    kept = {side_name: kept_models(side_name, rows_dir) for side_name in (a, b)}
    to_train = [int(s) for s in seeds_b.split(",") if s.strip()]
    check_seeds_kept(results, pipeline, sorted(kept[a] or to_train), sorted(kept[b] or to_train), replace=replace_fewer)
    side: Dict[str, Dict[int, Tuple[list, float]]] = {}
    for side_name in (a, b):
        models = kept[side_name] or {seed: train_missing(side_name, work, seed) for seed in to_train}
        side[side_name] = {seed: doc_counts(model, dev) for seed, model in sorted(models.items())}
        typer.echo(f"{side_name}: seeds {sorted(side[side_name])}, F1 " + ", ".join(f"{f:.4f}" for _, f in side[side_name].values()), err=True)
    first = next(iter(side[a].values()))[0]
    for side_name in (a, b):
        for seed, (records, _) in side[side_name].items():
            if not same_documents(first, records):
                raise typer.BadParameter(f"{side_name} seed {seed} was scored on other documents than {a}: delete its .docs.jsonl and rerun.")
    boot = paired_bootstrap([counts_matrix(r) for r, _ in side[a].values()], [counts_matrix(r) for r, _ in side[b].values()],
                            n_resamples=resamples)
    f_b = sum(f for _, f in side[b].values()) / len(side[b])
    deltas: List[float] = [f - f_b for _, f in side[a].values()]
    seed_interval = paired_interval(deltas) if len(deltas) > 1 else None
    common = {"pipeline": pipeline, "encoder": None, "regime": None, "data": "bc2gm", "split": "dev", "seed": -1,
              "machine": job_machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": f"python benchmarks/bench_paired.py {a} {b} --resamples {resamples}" + (f" --name {name}" if name else "")}
    params = {"a": a, "b": b, "seeds_a": sorted(side[a]), "seeds_b": sorted(side[b]),
              "f1_a": [f for _, f in side[a].values()], "f1_b": [f for _, f in side[b].values()]}
    rows = [dict(common, metric="paired_f1_delta", value=boot.delta,
                 params={**params, **boot.to_dict(), "method": "paired bootstrap over dev documents, F1 averaged over each side's seeds"}),
            dict(common, metric="seed_f1_delta_mean", value=sum(deltas) / len(deltas),
                 params={**params, "deltas": deltas, "level": 0.95, "method": "t interval over a's seeds of F1(a, seed) - mean F1(b)",
                         **({"low": seed_interval[1], "high": seed_interval[2]} if seed_interval else {"interval": "n=1, none"})})]
    merge_rows(results, rows)
    if render_results:
        render()
    typer.echo(f"{a} - {b}: {100 * boot.delta:+.2f} F1, 95% bootstrap CI [{100 * boot.low:+.2f}, {100 * boot.high:+.2f}]"
               f" ({len(side[a])} vs {len(side[b])} seeds, {boot.n_docs} docs, {resamples} resamples)")


if __name__ == "__main__":
    app()
