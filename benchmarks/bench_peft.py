"""Benchmark parameter-efficient fine-tuning on BC2GM (train -> devel): full vs LoRA, prompt, prefix.

For each (encoder, method setting, head, seed) one job process trains the pipeline with
train_regime (configs/transformer.cfg + configs/regimes/{full,lora,prompt,prefix}.cfg),
scores model-best with spaCy's scorer on the dev DocBin, and records strict P/R/F,
trainable parameters (count and % of the encoder), seconds per epoch, peak RSS, the
artifact size (the adapter-only pipeline folder for PEFT rows) and words/s. LoRA rows
also export the merged pipeline and record its words/s and F1 (measured in the same job,
side by side with the adapter pipeline). Rows go to benchmarks/results/peft.json in the
shared schema (regime lora with params {"r": 8, ...}, prompt {"num_virtual_tokens": 50},
prefix {"num_virtual_tokens": 20}; the head in params); RESULTS.md is re-rendered.

    python benchmarks/bench_peft.py --encoder minilm --method full --method lora --rank 8
    python benchmarks/bench_peft.py --encoder minilm --encoder minilm-dapt --method lora \\
        --rank 4 --rank 8 --rank 16 --rank 32 --rank 64 --epochs 1
    python benchmarks/bench_peft.py --encoder minilm --method prompt --length 10 --length 20 \\
        --length 30 --length 40 --length 50 --length 60
    python benchmarks/bench_peft.py --encoder minilm --method lora --rank 8 --head transition
    # a reduced budget for the sweeps (the same for all their rows; it is recorded):
    python benchmarks/bench_peft.py --method lora --rank 8 --train-limit 2000 --max-steps 300

Same epoch (or step) budget for every row of one invocation. On a 2-core CPU one epoch of
MiniLM takes about 20 minutes; LoRA and prompt rows are not much faster per step (the
frozen encoder still runs forward and backward through every layer).
"""
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spacy_maize_ner.study.training.sweep import PEFT_KEY  # noqa: E402  (light: no torch)
from rows import allocator_description, dispatch, merge_rows, peak_rss_mb, render, repo_path, run_job  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks"
METHODS = ("full", "lora", "prompt", "prefix")

app = typer.Typer(add_completion=False)


def method_params(method: str, size: int) -> Tuple[Dict[str, object], Dict[str, object], str]:
    """RETURNS (row params, config overrides, name suffix) of one method setting."""
    if method == "lora":
        return ({"r": size, "alpha": 2 * size, "target_modules": ["query", "key", "value", "dense"]},
                {f"{PEFT_KEY}.r": size, f"{PEFT_KEY}.alpha": 2 * size}, f"-r{size}")
    if method in ("prompt", "prefix"):
        return {"num_virtual_tokens": size}, {f"{PEFT_KEY}.num_virtual_tokens": size}, f"-n{size}"
    return {}, {}, ""


def steps_per_epoch(train_path: Path, limit: int, batch_words: int) -> int:
    """The batches of one epoch, counted with the config's batcher at `batch_words`."""
    from spacy_maize_ner.study.training.epochs import batcher_from_config, steps_per_epoch as count

    batcher = batcher_from_config(ROOT / "configs" / "transformer.cfg", {"training.batcher.size": batch_words})
    return count(train_path, batcher, limit)


def dev_subset(dev_path: Path, limit: int) -> Path:
    """The first `limit` dev documents as their own DocBin (the whole file for 0)."""
    if not limit:
        return dev_path
    import spacy
    from spacy.tokens import DocBin

    out = dev_path.with_name(f"dev-first{limit}.spacy")
    if not out.exists():
        docs = list(DocBin().from_disk(dev_path).get_docs(spacy.blank("en").vocab))[:limit]
        DocBin(docs=docs).to_disk(out)
    return out


def overrides_for(corpus_dir: Path, dev_path: Path, encoder: Path, seed: int, epochs: int, lr: float, batch_words: int, head_lr: float,
                  train_limit: int, max_steps: int, total: int) -> Dict[str, object]:
    return {
        "paths.train": str(corpus_dir / "train.spacy"),
        "paths.dev": str(dev_path),
        "paths.encoder": str(encoder),
        "system.seed": seed,
        "corpora.train.limit": train_limit,
        "training.max_epochs": epochs,
        "training.max_steps": max_steps,
        "training.eval_frequency": max(1, total // 4),
        "training.batcher.size": batch_words,
        "training.patience": 10 * total,
        "training.logger.progress_bar": False,
        "training.optimizer.learn_rate.warmup_steps": max(1, total // 10),
        "training.optimizer.learn_rate.total_steps": total,
        "training.optimizer.learn_rate.initial_rate": lr,
        "training.optimizer.learn_rate.final_rate": lr / 2,
        "training.optimizer.groups.head.learn_rate.initial_rate": head_lr,
    }


@app.command("job")
def job(encoder: str, method: str, size: int = 0, seed: int = 0, epochs: int = 1, lr: float = 2e-4, adapter_lr: float = 0.0,
        head_lr: float = 1e-3, batch_words: int = 1000, head: str = "transition", train_limit: int = 0, max_steps: int = 0,
        dev_limit: int = 0, tag: str = "", lora_dropout: float = -1.0, shared: Path = typer.Option(ROOT.parent / "shared" / "data")) -> None:
    """Train and score one setting; print its rows as JSON on the last line."""
    import spacy
    import srsly

    from spacy_maize_ner.study.training.regimes import group_rate, read_regime
    from spacy_maize_ner.study.training.train import train_regime
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline, machine_description
    from spacy_maize_ner.study.runs import RunId, encoder_short_name, resolve_encoder
    from spacy_maize_ner.peft.export import export_adapter, export_merged, folder_size, trainable_parameters
    from spacy_maize_ner.corpus.build import build_corpus, parse_labels

    corpus_dir = WORK / "bc2gm" / "corpus"
    if not (corpus_dir / "dev.spacy").exists():
        build_corpus("bc2gm", shared / "bc2gm", corpus_dir, label_map=parse_labels(""), seed=0)
    params, peft_overrides, suffix = method_params(method, size)
    if method == "lora" and lora_dropout >= 0:  # else the regime file's
        params["dropout"] = lora_dropout
        peft_overrides[f"{PEFT_KEY}.dropout"] = lora_dropout
    encoder_path = resolve_encoder(encoder, ROOT)  # a short name, or any encoder folder
    run = RunId(family="peft", encoder=encoder_short_name(encoder_path), setting=f"{method}{suffix}", head=head, tag=tag, seed=seed)
    base, name = run.name, run.folder
    output = WORK / "bc2gm" / name
    spec = read_regime(ROOT / "configs" / "regimes" / f"{method}.cfg")
    per_epoch = steps_per_epoch(corpus_dir / "train.spacy", train_limit, batch_words)
    total = max_steps if max_steps else per_epoch * epochs
    dev_path = dev_subset(corpus_dir / "dev.spacy", dev_limit)
    overrides = overrides_for(corpus_dir, dev_path, encoder_path, seed, epochs, lr, batch_words, head_lr, train_limit, max_steps, total)
    overrides.update(peft_overrides)
    rate = adapter_lr or group_rate(spec, "adapters") or 0.0  # the regime file's
    if method != "full":
        overrides["training.optimizer.groups.adapters.learn_rate.initial_rate"] = rate
    start = time.perf_counter()
    # every method on the encoder's output alone: the full regime's case/shape features stay off
    best = train_regime(ROOT / "configs" / "transformer.cfg", spec, output, overrides=overrides, head=head, features=())
    train_seconds = time.perf_counter() - start
    # the high-water mark of training (and loading); evaluation and exports come after it
    train_peak_rss_mb = peak_rss_mb()
    meta = srsly.read_json(best / "meta.json")
    nlp = spacy.load(best)
    metrics = evaluate_pipeline(nlp, dev_path, name=name, model_path=str(best))
    done_steps = total
    values = {
        "ents_p": metrics["ents_p"],
        "ents_r": metrics["ents_r"],
        "ents_f": metrics["ents_f"],
        "words_per_second": metrics["words_per_second"],
        "train_seconds": train_seconds,
        # extrapolated from the steps run when the budget is a step budget (evaluations included)
        "seconds_per_epoch": train_seconds * per_epoch / done_steps,
        "train_peak_rss_mb": train_peak_rss_mb,
        "peak_rss_mb": peak_rss_mb(),
    }
    if method == "full":
        trf = nlp.get_pipe("transformer").model.transformer
        n = sum(p.numel() for p in trf.parameters())
        values.update({"trainable_params": n, "encoder_params": n, "trainable_percent": 100.0, "artifact_mb": folder_size(best) / 2**20})
    else:
        counts = trainable_parameters(nlp)
        adapter = export_adapter(nlp, output / "export-adapter")
        values.update({"trainable_params": counts["trainable"], "encoder_params": counts["encoder"],
                       "trainable_percent": counts["percent"], "artifact_mb": folder_size(adapter) / 2**20})
        if method == "lora":
            merged = export_merged(adapter, output / "export-merged")
            merged_metrics = evaluate_pipeline(spacy.load(merged), dev_path, name=name + "-merged", model_path=str(merged))
            # adapter and merged pipelines timed side by side in this process
            values.update({"merged_ents_f": merged_metrics["ents_f"], "merged_words_per_second": merged_metrics["words_per_second"],
                           "merged_artifact_mb": folder_size(merged) / 2**20})
    for bucket, scores in metrics["ents_by_length"].items():
        values[f"ents_by_length.{bucket}.f"] = scores["f"]
    budget = "reduced" if (train_limit or max_steps or dev_limit) else "full"
    allocator = allocator_description()
    common = {
        "pipeline": base,
        "encoder": run.encoder,
        "regime": method,
        "params": {**params, "head": head, "epochs": epochs, "train_limit": train_limit, "max_steps": max_steps,
                   "dev_limit": dev_limit, "budget": budget, "steps": done_steps, "steps_per_epoch": per_epoch, "learn_rate": lr,
                   "adapter_learn_rate": rate if method != "full" else None, "head_learn_rate": head_lr,
                   "batch": f"batch_by_padded {batch_words} words", "model": repo_path(best),
                   "best_step_score": meta.get("performance", {}).get("ents_f"), "allocator": allocator},
        "data": "bc2gm" + (f" (train limit {train_limit}, dev limit {dev_limit})" if (train_limit or dev_limit) else ""),
        "split": "dev",
        "seed": seed,
        "machine": machine_description(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": ("" if allocator == "glibc defaults" else allocator + " ")
        + f"python benchmarks/bench_peft.py --encoder {encoder} --method {method}"
        + (f" --{'rank' if method == 'lora' else 'length'} {size}" if method != "full" else "")
        + f" --seed {seed} --epochs {epochs} --head {head} --lr {lr} --head-lr {head_lr} --batch-words {batch_words}"
        + (f" --adapter-lr {rate}" if method != "full" else "")
        + (f" --train-limit {train_limit}" if train_limit else "") + (f" --max-steps {max_steps}" if max_steps else "")
        + (f" --dev-limit {dev_limit}" if dev_limit else "")
        + (f" --tag {tag}" if tag else "") + (f" --lora-dropout {lora_dropout}" if method == "lora" and lora_dropout >= 0 else ""),
    }
    print(json.dumps([dict(common, metric=k, value=v) for k, v in values.items()]))


@app.command("run")
def run(
    encoder: List[str] = typer.Option(["minilm"], "--encoder", help="minilm, minilm-dapt, or an encoder folder"),
    method: List[str] = typer.Option(["full", "lora"], "--method", help="full, lora, prompt, prefix"),
    rank: List[int] = typer.Option([8], "--rank", help="LoRA ranks (alpha = 2 r)"),
    length: List[int] = typer.Option([50], "--length", help="Prompt lengths (virtual tokens)"),
    prefix_length: List[int] = typer.Option([20], "--prefix-length", help="Prefix lengths (virtual tokens per layer)"),
    seed: List[int] = typer.Option([0], "--seed"),
    epochs: int = typer.Option(1, "--epochs"),
    lr: float = typer.Option(2e-4, "--lr", help="Peak rate of the encoder (full) / of parameters outside every group (the shipped config's)"),
    adapter_lr: float = typer.Option(0.0, "--adapter-lr", help="Peak rate of the adapters' group (0: the regime file's, configs/regimes/<method>.cfg)"),
    head_lr: float = typer.Option(1e-3, "--head-lr", help="Peak rate of the head's parameter group (the PEFT regime files' 1e-3; `full` rows use it too, so a sweep's rows share it)"),
    batch_words: int = typer.Option(1000, "--batch-words", help="batch_by_padded size (padded words per batch; the shipped config's)"),
    head: List[str] = typer.Option(["transition"], "--head", help="transition (the config's own), token (configs/heads/token.cfg)"),
    train_limit: int = typer.Option(0, "--train-limit", help="Train on the first N sentences only (0: all)"),
    max_steps: int = typer.Option(0, "--max-steps", help="Stop after N steps (0: the epoch budget)"),
    dev_limit: int = typer.Option(0, "--dev-limit", help="Evaluate on the first N dev sentences only (0: all; smoke runs)"),
    tag: str = typer.Option("", "--tag", help="Suffix of the pipeline name for a variant's rows (e.g. mmap for a run under MALLOC_MMAP_THRESHOLD_)"),
    lora_dropout: float = typer.Option(-1.0, "--lora-dropout", help="LoRA dropout (below 0: the regime file's, 0.1)"),
    results: Path = typer.Option(HERE / "results" / "peft.json"),
) -> None:
    sizes = {"full": [0], "lora": rank, "prompt": length, "prefix": prefix_length}
    for m in method:
        if m not in METHODS:
            raise typer.BadParameter(f"--method {m}: choose from {', '.join(METHODS)}")
    for e in encoder:
        for m in method:
            for size in sizes[m]:
                for h in head:
                    for s in seed:
                        typer.echo(f"== {e} / {m} {size or ''} / {h} head / seed {s}", err=True)
                        args = [__file__, "job", e, m, "--size", str(size), "--seed", str(s), "--epochs", str(epochs),
                                "--lr", str(lr), "--adapter-lr", str(adapter_lr), "--head-lr", str(head_lr),
                                "--batch-words", str(batch_words), "--head", h, "--train-limit", str(train_limit),
                                "--max-steps", str(max_steps), "--dev-limit", str(dev_limit), "--tag", tag,
                                "--lora-dropout", str(lora_dropout)]
                        merge_rows(results, run_job(args))
    render()


if __name__ == "__main__":
    dispatch(app)
