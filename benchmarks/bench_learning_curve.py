"""Learning curves: strict F1 on dev vs training sentences, several seeds per point.

For each pipeline and size (100, 250, 500, 1,000, 2,500 and all sentences of BC2GM train)
and each seed, trains on a seeded subsample (`spacy_maize_ner.study.analysis.learning_curve`),
scores on the full dev DocBin and appends the rows to benchmarks/results/learning_curve.json
(shared schema) as soon as the run ends, so an interrupted benchmark keeps what it measured.
Each job runs in its own process; `--lanes 2` runs two side by side, each pinned to a core
of its own with one torch thread (what the measured curves used; about 20 minutes of one
core per transformer point on BC2GM).

    nice -n 10 python benchmarks/bench_learning_curve.py --pipeline crf --pipeline hmm --seeds 0,1,2
    python benchmarks/bench_learning_curve.py --pipeline full --encoder assets/encoders/minilm
    python benchmarks/bench_learning_curve.py --pipeline lora --encoder assets/encoders/minilm --curve minilm-lora-r16 --lanes 2
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import dispatch, job_machine, repo_path, run_lanes  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks"
# pipeline -> (config, regime file or None, head). Decoder taggers (issue 26) take a decoder
# folder as --encoder (assets/decoders/gemma3-270m) and the token head, like scripts/train_decoders.py.
PIPELINES = {
    "crf": ("configs/crf.cfg", None, "transition"),
    "hmm": ("configs/hmm.cfg", None, "transition"),
    "full": ("configs/transformer.cfg", "configs/regimes/full.cfg", "transition"),
    "lora": ("configs/transformer.cfg", "configs/regimes/lora.cfg", "transition"),
    "decoder-lora-causal": ("configs/transformer.cfg", "configs/decoders/decoder-lora-causal.cfg", "token"),
    "decoder-lora-bidirectional": ("configs/transformer.cfg", "configs/decoders/decoder-lora-bidirectional.cfg", "token"),
    # The generative tagger (issue 26, item 3): its own config, no regime; the same step budget.
    "decoder-generative": ("configs/generative.cfg", None, "transition"),
}
# Pipelines without a regime file that still train an encoder or decoder (--encoder) on a step budget.
STANDALONE_ENCODER = {"decoder-generative"}


def takes_encoder(pipeline: str) -> bool:
    return bool(PIPELINES[pipeline][1]) or pipeline in STANDALONE_ENCODER

app = typer.Typer(add_completion=False)


def _prepare_corpus(corpus: str, shared: Path, work: Path = WORK) -> Path:
    from spacy_maize_ner.corpus.build import build_corpus

    out = work / corpus / "corpus"
    if not (out / "dev.spacy").exists():
        build_corpus(corpus, shared / corpus, out, label_map=None, seed=0)
    return out


@app.command("job")
def job(
    corpus: str,
    pipeline: str,
    size: str,
    seed: int,
    shared: Path = typer.Option(ROOT.parent / "shared" / "data"),
    encoder: str = typer.Option("", help="paths.encoder for transformer pipelines"),
    curve: str = typer.Option("", help="Curve name (default: the pipeline)"),
    command: str = typer.Option("", help="The command line recorded in the rows"),
    select_sentences: int = typer.Option(0, help="Early stopping and model-best on this many dev sentences (0: all)"),
    keep_model: bool = typer.Option(False, help="Keep model-best in training/benchmarks/<corpus>/lc-models/ (rows: params.model)"),
    work: Path = typer.Option(WORK, help="Folder of <corpus>/corpus and the runs"),
) -> None:
    """Train and score one point; print its rows as JSON on the last line.

    Transformer points get the updates of one epoch of the whole split
    (`equal_updates_overrides`), whatever their sample's size.
    """
    from spacy_maize_ner.study.training.curves import CurveSpec, curve_encoder_fingerprint, curve_encoder_recipe, equal_updates_overrides, parse_sizes, point_rows, run_point

    corpus_dir = _prepare_corpus(corpus, shared, work)
    config, regime, head = PIPELINES[pipeline]
    overrides = {"paths.encoder": encoder} if encoder else {}
    if takes_encoder(pipeline):
        overrides.update(equal_updates_overrides(ROOT / config, corpus_dir / "train.spacy", overrides))
    if not regime and overrides.get("training.max_steps"):  # a plain config: fit its schedule to the budget
        steps = int(overrides["training.max_steps"])
        overrides.update({"training.optimizer.learn_rate.total_steps": steps,
                          "training.optimizer.learn_rate.warmup_steps": max(1, steps // 10)})
    (n,) = parse_sizes(size)
    spec = CurveSpec(curve or pipeline, Path(config), ROOT / regime if regime else None, overrides)
    fingerprint = curve_encoder_fingerprint(spec)
    kept = corpus_dir.parent / "lc-models" / f"lc-{spec.name}-n{size}-s{seed}" if keep_model else None
    if kept is not None and kept.exists():  # checked before hours of training, never replaced unasked
        raise typer.BadParameter(f"{kept} exists (a kept model of this point): move or delete it, or run without --keep-model.")
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        workdir = Path(tmp) / f"{pipeline}-n{size}-s{seed}"
        point = run_point(
            ROOT / config, workdir, train=corpus_dir / "train.spacy",
            dev=corpus_dir / "dev.spacy", size=n, seed=seed, regime=ROOT / regime if regime else None, overrides=overrides,
            head=head, select_sentences=select_sentences or None, keep_model=keep_model,
        )
        if kept is not None:
            best = next(p for p in (workdir / "model" / "model-best", workdir / "model" / "model-last") if (p / "meta.json").exists())
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(best), str(kept))
    machine = job_machine()
    rows = point_rows(point, spec, data=corpus, command=command or f"python benchmarks/bench_learning_curve.py --pipeline {pipeline}",
                      machine=machine, encoder_sha256=fingerprint, encoder_recipe=curve_encoder_recipe(spec))
    for row in rows if kept else ():
        row["params"]["model"] = repo_path(kept)
    print(json.dumps(rows))


@app.command("run")
def run(
    pipeline: List[str] = typer.Option(["crf", "hmm"], "--pipeline", help=f"Pipelines: {', '.join(PIPELINES)}"),
    corpus: str = typer.Option("bc2gm", help="Corpus under --shared"),
    sizes: str = typer.Option("100,250,500,1000,2500,all", help="Training sentences per point ('all' = whole split)"),
    seeds: str = typer.Option("0,1,2", help="Seeds per point (subsample and training seed)"),
    encoder: str = typer.Option("", help="Encoder folder for `full` and `lora` (e.g. assets/encoders/minilm or training/encoders/minilm-dapt)"),
    curve: str = typer.Option("", help="Curve name for transformer runs (default: the workflow's, e.g. minilm_dapt-full)"),
    shared: Path = typer.Option(ROOT.parent / "shared" / "data", help="Folder with bc2gm/"),
    results: Path = typer.Option(HERE / "results" / "learning_curve.json", help="Rows file (merged by key)"),
    skip_done: bool = typer.Option(True, help="Skip points already in the rows file"),
    allow_unrecorded_encoder: bool = typer.Option(False, help="Add points to a curve whose rows recorded no encoder digest (rows before 2026-12-02), for an encoder known to be unchanged, such as MiniLM from its pinned package"),
    lanes: int = typer.Option(1, help="Points run side by side, each pinned to a core of its own with one torch thread (2 on this 2-core machine)"),
    select_sentences: int = typer.Option(0, help="Early stopping and model-best on a fixed sample of this many dev sentences; "
                                         "the score stays on all of dev (decoders: a dev pass costs minutes on a CPU). 0: all"),
    keep_models: bool = typer.Option(False, help="Keep each point's model-best in training/benchmarks/<corpus>/lc-models/ "
                                     "(for benchmarks/bench_paired.py and bench_throughput.py)"),
) -> None:
    from spacy_maize_ner.study.training.curves import CurveSpec, EncoderChangedError, check_same_encoder, curve_encoder_fingerprint, curve_encoder_recipe, parse_sizes, size_name
    from spacy_maize_ner.study.runs import RunId, encoder_short_name

    measured = json.loads(results.read_text()) if results.exists() else []
    done = {(r["pipeline"], r["seed"]) for r in measured if r["metric"] == "ents_f"} if skip_done else set()
    seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    jobs = []
    for p in pipeline:
        if p not in PIPELINES:
            raise typer.BadParameter(f"--pipeline {p}: choose from {', '.join(PIPELINES)}")
        if takes_encoder(p) and not encoder:
            raise typer.BadParameter(f"--pipeline {p} trains a transformer: give --encoder (e.g. assets/encoders/minilm)")
        name = curve or (RunId(encoder=encoder_short_name(encoder), setting=p).name if takes_encoder(p) else p)
        if takes_encoder(p):
            try:
                spec = CurveSpec(name, Path(PIPELINES[p][0]), overrides={"paths.encoder": encoder})
                check_same_encoder(measured, spec, curve_encoder_fingerprint(spec), results, allow_unrecorded=allow_unrecorded_encoder,
                                   recipe=curve_encoder_recipe(spec))
            except EncoderChangedError as error:
                raise typer.BadParameter(str(error)) from None
        for size in map(size_name, parse_sizes(sizes)):
            for seed in seed_list:
                if (f"lc-{name}-n{size}", seed) in done:
                    typer.echo(f"== {name} n={size} seed={seed}: already measured, skipped")
                    continue
                cmd = f"python benchmarks/bench_learning_curve.py --pipeline {p} --sizes {sizes} --seeds {seeds}" + (f" --encoder {repo_path(encoder)}" if encoder else "") + (f" --curve {curve}" if curve else "") + (f" --select-sentences {select_sentences}" if select_sentences else "")
                args = [__file__, "job", corpus, p, size, str(seed), "--shared", str(shared), "--curve", name, "--command", cmd,
                        "--select-sentences", str(select_sentences), "--keep-model" if keep_models else "--no-keep-model"]
                if encoder:
                    args += ["--encoder", encoder]
                jobs.append(args)
    if jobs:
        _prepare_corpus(corpus, shared)  # once, before lanes could each start building it
    failed = run_lanes(jobs, results, lanes)
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    dispatch(app)
