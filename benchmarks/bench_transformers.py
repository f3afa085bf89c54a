"""Benchmark the transformer regimes on BC2GM (train -> devel).

For each (encoder, regime, seed) one job process trains the pipeline with
scripts/train_transformer.py's code path (configs/transformer.cfg + configs/regimes/*.cfg),
scores model-best with spaCy's scorer on the dev DocBin, and records strict P/R/F,
seconds per epoch, peak RSS and inference words/s. Rows go to
benchmarks/results/transformers.json in the shared schema; RESULTS.md is re-rendered.

    python benchmarks/bench_transformers.py --encoder minilm --regime full --seed 0
    python benchmarks/bench_transformers.py --encoder minilm --encoder minilm-dapt --regime full \
        --seed 0 --seed 1 --seed 2
    python benchmarks/bench_transformers.py --encoder minilm --regime full --head token --head-lr 1e-3
    python benchmarks/bench_transformers.py --encoder minilm --regime full --seed 0 --total-steps 436 --tag sched436
    python benchmarks/bench_transformers.py --encoder minilm --regime full --seed 0 --seed 1 --seed 2 --features lexical

The flags' defaults are the shipped config's (configs/transformer.cfg: encoder 2e-4, head
2e-4, 1,000-word batches, four epochs; rows measured before 2026-12-03 ran one, those of
2026-12-03 three, and say so in params.epochs). Runs are named by spacy_maize_ner.study.runs
(`trf-minilm_dapt-full-transition`, folder `...-s<seed>`); --tag marks a variant, and
--features (configs/features/, e.g. lexical) adds its names to the tag (`...-transition-lexical`); it defaults
to none here, also for the full regime whose workflow default is lexical (configs/regimes/full.cfg), so that a
row's name says which features it trained with. The epoch
budget is the same for every regime (--epochs): on a 2-core CPU one epoch of MiniLM takes
about 20 minutes with two torch threads, 25 with one. `--lanes 2` runs two side by side, each
pinned to its own core with one torch thread, and writes each run's rows as soon as it ends.
`--head token --crf` trains the token head with its CRF layer (tag `crf`). `--gpu-id 0` trains
and scores on a GPU (benchmarks/gpu/sweep.sh runs a whole sweep on a lent one); each job keeps
its per-document dev predictions beside the model (`model-best.docs.jsonl`, bench_paired's
input) and `--max-steps N` cuts a job short for a smoke test.
"""
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Dict, List

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_paired import predictions_cache  # noqa: E402
from rows import dispatch, gpu_name, job_machine, peak_rss_mb, render, repo_path, run_lanes  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks"
CONFIG = ROOT / "configs" / "transformer.cfg"
REGIMES = ("full", "probe", "none", "freeze")

app = typer.Typer(add_completion=False)


def overrides_for(corpus_dir: Path, encoder: Path, seed: int, epochs: int, lr: float, batch_words: int = 2000,
                  head_lr: float = 1e-3, total_steps: int = 0) -> Dict[str, object]:
    """The flags as config overrides. `total_steps` (0: the epoch budget's) ends the rate's
    schedule elsewhere than the budget, for A/B runs of the schedule alone."""
    from spacy_maize_ner.study.training.epochs import schedule_steps_per_epoch

    total = schedule_steps_per_epoch(CONFIG, batch_words) * epochs  # the shipped schedule's length per epoch
    schedule = total_steps or total
    return {
        "paths.train": str(corpus_dir / "train.spacy"),
        "paths.dev": str(corpus_dir / "dev.spacy"),
        "paths.encoder": str(encoder),
        "system.seed": seed,
        "training.max_epochs": epochs,
        "training.eval_frequency": max(1, total // (4 * epochs)) if epochs > 1 else max(1, total // 4),
        "training.batcher.size": batch_words,
        "training.patience": 10 * total,
        "training.logger.progress_bar": False,
        "training.optimizer.learn_rate.warmup_steps": max(1, schedule // 10),
        "training.optimizer.learn_rate.total_steps": schedule,
        "training.optimizer.learn_rate.initial_rate": lr,
        "training.optimizer.learn_rate.final_rate": lr / 2,
        "training.before_update.until_step": total // 3,
        "training.optimizer.groups.head.learn_rate.initial_rate": head_lr,
    }


def _build_corpus(shared: Path) -> Path:
    """The BC2GM DocBins every run trains and scores on, built once. RETURNS their folder."""
    from spacy_maize_ner.corpus.build import build_corpus, parse_labels

    corpus_dir = WORK / "bc2gm" / "corpus"
    if not (corpus_dir / "dev.spacy").exists():
        build_corpus("bc2gm", shared / "bc2gm", corpus_dir, label_map=parse_labels(""), seed=0)
    return corpus_dir


@app.command("job")
def job(encoder: str, regime: str, seed: int = 0, epochs: int = 4, lr: float = 2e-4, batch_words: int = 1000, tag: str = "",
        head: str = "transition", head_lr: float = 2e-4, total_steps: int = 0, features: str = "none",
        shared: Path = typer.Option(ROOT.parent / "shared" / "data"),
        gpu_id: int = typer.Option(-1, "--gpu-id", help="CUDA device to train and score on; -1 for the CPU"),
        max_steps: int = typer.Option(0, "--max-steps", help="Stop after N updates (a smoke test of a new machine; 0: the epoch budget)"),
        crf: bool = typer.Option(False, "--crf", help="The token head with its CRF layer (components.ner.model.crf = true)")) -> None:
    """Train and score one (encoder, regime, seed); print its rows as JSON on the last line."""
    import spacy
    import srsly

    from spacy_maize_ner.encoders.lexical import feature_names
    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import train_regime
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline
    from spacy_maize_ner.study.runs import RunId, encoder_short_name, resolve_encoder
    from spacy_maize_ner.study.training.epochs import batcher_from_config, steps_per_epoch

    if crf and head != "token":
        raise typer.BadParameter(f"--crf is the token head's CRF layer: give --head token, not --head {head}.")
    corpus_dir = _build_corpus(shared)
    feature_sets = feature_names(features)
    run = RunId(family="trf", encoder=encoder_short_name(encoder), setting=regime, head=head,
                tag="-".join([*filter(None, [tag]), *feature_sets, *(["crf"] if crf else [])]), seed=seed)
    base, name = run.name, run.folder
    output = WORK / "bc2gm" / name
    spec = read_regime(ROOT / "configs" / "regimes" / f"{regime}.cfg")
    overrides = overrides_for(corpus_dir, resolve_encoder(encoder, ROOT), seed, epochs, lr, batch_words, head_lr, total_steps)
    if crf:
        overrides["components.ner.model.crf"] = True
    if max_steps:
        overrides.update({"training.max_steps": max_steps, "training.eval_frequency": max_steps})
    for key in list(overrides):  # a regime's own rates (probe's head rate) win over the flags
        if key.endswith(("initial_rate", "final_rate")) and key in spec.overrides:
            overrides.pop(key)
    start = time.perf_counter()
    best = train_regime(ROOT / "configs" / "transformer.cfg", spec, output, overrides=overrides, head=head, features=feature_sets,
                        gpu_id=gpu_id)
    train_seconds = time.perf_counter() - start
    # the high-water mark of training (and loading); evaluation and exports come after it
    train_peak_rss_mb = peak_rss_mb()
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    nlp = spacy.load(best)
    # per-document predictions beside the model (bench_paired's cache), kept when the model is not
    predictions = predictions_cache(best)
    metrics = evaluate_pipeline(nlp, corpus_dir / "dev.spacy", name=name, model_path=str(best), predictions_path=predictions)
    meta = srsly.read_json(best / "meta.json")
    values = {
        "ents_p": metrics["ents_p"],
        "ents_r": metrics["ents_r"],
        "ents_f": metrics["ents_f"],
        "words_per_second": metrics["words_per_second"],
        "train_seconds": train_seconds,
        "seconds_per_epoch": train_seconds / epochs if spec.train else 0.0,
        "train_peak_rss_mb": train_peak_rss_mb,
        "peak_rss_mb": peak_rss_mb(),
    }
    for bucket, scores in metrics["ents_by_length"].items():
        values[f"ents_by_length.{bucket}.f"] = scores["f"]
    common = {
        "pipeline": base,
        "encoder": run.encoder,
        "regime": regime,
        "params": {"epochs": epochs, "head": head, **({"crf": True} if crf else {}), **({"features": feature_sets} if feature_sets else {}),
                   "learn_rate": overrides.get("training.optimizer.learn_rate.initial_rate", spec.overrides.get("training.optimizer.learn_rate.initial_rate")),
                   "head_learn_rate": overrides.get("training.optimizer.groups.head.learn_rate.initial_rate", spec.overrides.get("training.optimizer.groups.head.learn_rate.initial_rate")),
                   "steps_per_epoch": steps_per_epoch(corpus_dir / "train.spacy", batcher_from_config(CONFIG, overrides)),
                   "total_steps": overrides["training.optimizer.learn_rate.total_steps"],
                   "batch": f"batch_by_padded {batch_words} words", "model": repo_path(best),
                   "best_step_score": meta.get("performance", {}).get("ents_f"), "predictions": repo_path(predictions)},
        "data": "bc2gm",
        "split": "dev",
        "seed": seed,
        "machine": job_machine() + (f", GPU {gpu_name(gpu_id)}" if gpu_id >= 0 else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": f"python benchmarks/bench_transformers.py --encoder {encoder} --regime {regime} --seed {seed} --epochs {epochs}"
        f" --head {head} --lr {lr} --head-lr {head_lr} --batch-words {batch_words}" + (f" --tag {tag}" if tag else "")
        + (f" --total-steps {total_steps}" if total_steps else "") + (f" --features {','.join(feature_sets)}" if feature_sets else "") + (f" --gpu-id {gpu_id}" if gpu_id >= 0 else "") + (f" --max-steps {max_steps}" if max_steps else "") + (" --crf" if crf else ""),
    }
    print(json.dumps([dict(common, metric=k, value=v) for k, v in values.items()]))


@app.command("run")
def run(
    encoder: List[str] = typer.Option(["minilm"], "--encoder", help="minilm, minilm-dapt"),
    regime: List[str] = typer.Option(list(REGIMES), "--regime", help="full, probe, none, freeze"),
    seed: List[int] = typer.Option([0], "--seed"),
    epochs: int = typer.Option(4, "--epochs", help="Passes over the training split (4: the shipped config's)"),
    lr: float = typer.Option(2e-4, "--lr", help="Peak rate of the encoder (the shipped config's)"),
    batch_words: int = typer.Option(1000, "--batch-words", help="batch_by_padded size (padded words per batch; the shipped config's)"),
    tag: str = typer.Option("", "--tag", help="Suffix of the pipeline name for a variant's rows"),
    head: List[str] = typer.Option(["transition"], "--head", help="transition (the config's own), token (configs/heads/token.cfg)"),
    head_lr: float = typer.Option(2e-4, "--head-lr", help="Peak learning rate of the head's parameter group (the shipped config's)"),
    total_steps: int = typer.Option(0, "--total-steps", help="End the rate's warm-up/decay schedule after N steps (0: the epoch budget's; evaluations unchanged)"),
    features: str = typer.Option("none", "--features", help="Feature sets of configs/features/ (lexical: case and shape beside the encoder), comma-separated; none for none"),
    results: Path = typer.Option(HERE / "results" / "transformers.json"),
    lanes: int = typer.Option(1, help="Runs side by side, each pinned to a core of its own with one torch thread (2 on a 2-core machine)"),
    shared: Path = typer.Option(ROOT.parent / "shared" / "data"),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="CUDA device to train and score on; -1 for the CPU (lanes then share the GPU)"),
    crf: bool = typer.Option(False, "--crf", help="The token head with its CRF layer (with --head token)"),
) -> None:
    if lanes > 1:
        _build_corpus(shared)  # once, before lanes could each start building it
    jobs = [[__file__, "job", e, r, "--seed", str(s), "--epochs", str(epochs), "--lr", str(lr), "--batch-words", str(batch_words),
             "--tag", tag, "--head", h, "--head-lr", str(head_lr), "--total-steps", str(total_steps), "--features", features,
             "--shared", str(shared), "--gpu-id", str(gpu_id), *(["--crf"] if crf else [])]
            for e in encoder for r in regime for h in head for s in seed]
    failed = run_lanes(jobs, results, lanes)
    render()
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    dispatch(app)
