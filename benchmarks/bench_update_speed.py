"""Seconds per training update and dev words per second of transformer regimes, side by side.

    python benchmarks/bench_update_speed.py --regime full --regime lora --updates 10 --rounds 2

Answers "is this regime slower per update, or was the machine slower?" without training a
whole point: each job builds the regime's pipeline exactly as `train_regime` trains it
(configs/transformer.cfg + configs/regimes/<regime>.cfg, same batcher and optimizer),
makes one warm-up update, times `--updates` updates on the first batches of the training
DocBin (repeated when it is shorter), then times prediction over the first `--dev-docs` dev documents. Jobs run one at a
time, each pinned to one core with one torch thread, regimes alternating within each round
so that a drift of the machine hits every regime alike. The summary gives each regime's
median and its ratio to the first regime. Rows go to benchmarks/results/update_speed.json
(split "speed", seed = round).
"""
import datetime
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import dispatch, merge_rows, pinned_env, render  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "update_speed.json"
WORK = ROOT / "training" / "benchmarks"
app = typer.Typer(add_completion=False)


@app.command("job")
def job(
    regime: str,
    round_index: int,
    corpus_dir: Path,
    encoder: str = typer.Option(...),
    updates: int = typer.Option(10),
    dev_docs: int = typer.Option(300),
    data: str = typer.Option("bc2gm", help="The corpus name recorded in the rows"),
    command: str = typer.Option(""),
) -> None:
    """Time `updates` updates and prediction of `dev_docs` dev documents; print rows as JSON."""
    import itertools
    import os

    import torch
    from spacy.training import Corpus
    from spacy.training.initialize import init_nlp
    from spacy.util import fix_random_seed, registry

    from spacy_maize_ner.study.training.fingerprint import encoder_fingerprint
    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import regime_config
    from spacy_maize_ner.study.evaluation.scoring import machine_description
    from spacy_maize_ner.study.runs import encoder_short_name

    overrides = {"paths.train": str(corpus_dir / "train.spacy"), "paths.dev": str(corpus_dir / "dev.spacy"), "paths.encoder": encoder}
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        _, _, config = regime_config(ROOT / "configs/transformer.cfg", read_regime(ROOT / f"configs/regimes/{regime}.cfg"),
                                     Path(tmp), overrides)
        config = config.interpolate()
    fix_random_seed(0)
    nlp = init_nlp(config)
    training = registry.resolve(config["training"])
    examples = itertools.cycle(Corpus(corpus_dir / "train.spacy")(nlp))  # a small corpus repeats
    batches = list(itertools.islice(training["batcher"](examples), updates + 1))
    losses: Dict[str, float] = {}
    nlp.update(batches[0], sgd=training["optimizer"], losses=losses)  # warm-up: allocations, lazy init
    start = time.perf_counter()
    for batch in batches[1:]:
        nlp.update(batch, sgd=training["optimizer"], losses=losses)
    per_update = (time.perf_counter() - start) / updates
    texts = [eg.reference.text for eg in itertools.islice(Corpus(corpus_dir / "dev.spacy")(nlp), dev_docs)]
    words = sum(len(text.split()) for text in texts)
    start = time.perf_counter()
    for _ in nlp.pipe(texts):
        pass
    words_per_second = words / (time.perf_counter() - start)
    cores = len(os.sched_getaffinity(0))
    params = {"updates": updates, "batch_docs": [len(b) for b in batches[1:]], "dev_docs": len(texts), "dev_words": words,
              "torch_threads": torch.get_num_threads(), "encoder_sha256": encoder_fingerprint(encoder)}
    base = {"pipeline": f"update-speed-{regime}", "encoder": encoder_short_name(encoder), "regime": regime, "params": params,
            "data": data, "split": "speed", "seed": round_index,
            "machine": machine_description() + f" (this job allowed {cores} core(s))",
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "command": command}
    print(json.dumps([{**base, "metric": "seconds_per_update", "value": per_update},
                      {**base, "metric": "words_per_second", "value": words_per_second}]))


def summary(rows: List[Dict], regimes: List[str]) -> List[str]:
    """Median per regime and metric, and each regime's ratio to the first regime's median."""
    lines = [f"{'regime':<8} {'s/update':>9} {'x ' + regimes[0]:>9} {'dev words/s':>12} {'x ' + regimes[0]:>9}  rounds"]
    medians = {(r, m): statistics.median([row["value"] for row in rows if row["regime"] == r and row["metric"] == m])
               for r in regimes for m in ("seconds_per_update", "words_per_second")}
    for regime in regimes:
        upd, wps = medians[regime, "seconds_per_update"], medians[regime, "words_per_second"]
        n = sum(1 for row in rows if row["regime"] == regime and row["metric"] == "seconds_per_update")
        lines.append(f"{regime:<8} {upd:>9.3f} {upd / medians[regimes[0], 'seconds_per_update']:>9.2f} "
                     f"{wps:>12,.0f} {wps / medians[regimes[0], 'words_per_second']:>9.2f}  {n}")
    return lines


@app.command("run")
def run(
    regime: List[str] = typer.Option(["full", "lora"], help="Regimes (configs/regimes/<name>.cfg); ratios are to the first"),
    encoder: str = typer.Option("assets/encoders/minilm", help="Encoder folder (spacy project run encoder-minilm)"),
    corpus: str = typer.Option("bc2gm", help="Corpus under --shared"),
    shared: Path = typer.Option(ROOT.parent / "shared" / "data", help="Folder with bc2gm/"),
    updates: int = typer.Option(10, min=1, help="Timed updates per job (after one warm-up update)"),
    dev_docs: int = typer.Option(300, min=1, help="Dev documents predicted per job"),
    rounds: int = typer.Option(2, min=1, help="Rounds; every regime runs once per round, in turn"),
    core: int = typer.Option(0, help="The core every job is pinned to"),
    corpus_dir: Path = typer.Option(None, help="A prepared corpus folder (train.spacy, dev.spacy); default: built from --shared"),
    results: Path = typer.Option(RESULTS, help="Rows file (merged by key); RESULTS.md is re-rendered for the default one"),
) -> None:
    """Time the regimes in alternation, one pinned job at a time; print medians and ratios."""
    import shutil
    import subprocess

    from spacy_maize_ner.corpus.build import build_corpus

    encoder_path = Path(encoder) if Path(encoder).is_absolute() else ROOT / encoder
    if not (encoder_path / "config.json").exists():
        raise typer.BadParameter(f"{encoder_path}: no encoder there (config.json missing); run `spacy project run encoder-minilm` first.")
    for name in regime:
        if not (ROOT / "configs" / "regimes" / f"{name}.cfg").exists():
            raise typer.BadParameter(f"--regime {name}: configs/regimes/{name}.cfg does not exist.")
    if corpus_dir is None:
        corpus_dir = WORK / corpus / "corpus"
    elif not (corpus_dir / "train.spacy").exists() or not (corpus_dir / "dev.spacy").exists():
        raise typer.BadParameter(f"--corpus-dir {corpus_dir}: needs train.spacy and dev.spacy.")
    if not (corpus_dir / "dev.spacy").exists():
        build_corpus(corpus, shared / corpus, corpus_dir, label_map=None, seed=0)
    taskset = shutil.which("taskset")
    pin = [taskset, "-c", str(core)] if taskset else []
    recorded = (f"python benchmarks/bench_update_speed.py {' '.join('--regime ' + r for r in regime)} --encoder {encoder} "
                f"--updates {updates} --dev-docs {dev_docs} --rounds {rounds}")
    measured: List[Dict] = []
    for round_index in range(rounds):
        for name in regime:
            typer.echo(f"[round {round_index + 1}/{rounds}] {name}", err=True)
            args = [*pin, sys.executable, __file__, "job", name, str(round_index), str(corpus_dir), "--encoder", str(encoder_path),
                    "--updates", str(updates), "--dev-docs", str(dev_docs), "--data", corpus, "--command", recorded]
            proc = subprocess.run(args, stdout=subprocess.PIPE, text=True, env=pinned_env())
            if proc.returncode != 0:
                typer.echo(proc.stdout[-2000:], err=True)
                raise typer.Exit(proc.returncode)
            rows = json.loads(proc.stdout.strip().splitlines()[-1])
            merge_rows(results, rows)
            measured.extend(rows)
    typer.echo(f"{corpus} train/dev, {encoder}, {updates} updates and {dev_docs} dev docs per job, one core, "
               f"{datetime.date.today()}:")
    for line in summary(measured, regime):
        typer.echo(line)
    if results == RESULTS:
        render()


if __name__ == "__main__":
    dispatch(app)
