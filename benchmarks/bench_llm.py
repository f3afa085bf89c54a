"""Benchmark the local LLM pipelines (Gemma 3 270M on llama-cpp-python) on BC2GM devel.

One job process, so that every timing below is measured side by side on the same machine
load: it builds the BC2GM DocBins, draws a fixed sample of devel sentences (seeded),
times a MiniLM transformer pipeline on them (the untrained `none` regime: inference cost
does not depend on training), runs the LLM pipeline of configs/llm_local.cfg through
/v1/completions and /v1/chat/completions, zero-shot and few-shot, against one local
server with an empty response cache, times MiniLM again, and records strict P/R/F (spaCy's
scorer), the share of answers parsed, tokens, seconds per 1,000 words and the ratio of
the LLM's seconds per 1,000 words to MiniLM's. Rows go to benchmarks/results/llm.json;
RESULTS.md is re-rendered.

    nice -n 10 pip install -c constraints.txt -e '.[llm-local]'   # compiles llama.cpp (~6 min)
    python benchmarks/bench_llm.py --sample 200 --shots 0 --shots 5 --threads 1
"""
import datetime
import json
import statistics
import sys
import time
from pathlib import Path
from typing import List

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import dispatch, merge_rows, render, run_job  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks"

app = typer.Typer(add_completion=False)


def time_minilm(nlp, data: Path) -> dict:
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    metrics = evaluate_pipeline(nlp, data, name="trf-minilm-none", batch_size=64)
    return {"seconds": metrics["seconds"], "words": metrics["words"], "words_per_second": metrics["words_per_second"]}


@app.command("job")
def job(sample: int = 300, seed: int = 0, shots: List[int] = typer.Option([0, 5]),
        api: List[str] = typer.Option(["completions", "chat"]), threads: int = 1,
        max_tokens: int = 64, shared: Path = typer.Option(ROOT.parent / "shared" / "data")) -> None:
    """Run every LLM variant and the MiniLM timing; print the rows as JSON on the last line."""
    import spacy

    from spacy_maize_ner.study.workflow.encoders import provide_minilm
    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import train_regime
    from spacy_maize_ner.study.evaluation.scoring import machine_description
    from spacy_maize_ner.study.evaluation.llm import sample_docbin
    from spacy_maize_ner.study.evaluation.llm_local import run_local
    from spacy_maize_ner.corpus.build import build_corpus, parse_labels

    corpus = WORK / "bc2gm" / "corpus"
    if not (corpus / "dev.spacy").exists():
        build_corpus("bc2gm", shared / "bc2gm", corpus, label_map=parse_labels(""), seed=0)
    data = sample_docbin(corpus / "dev.spacy", WORK / "llm" / f"dev-sample{sample}-s{seed}.spacy", n=sample, seed=seed)
    encoder = ROOT / "assets" / "encoders" / "minilm"
    if not (encoder / "config.json").exists():
        provide_minilm(encoder)
    minilm_dir = WORK / "bc2gm" / "trf-minilm-none-s0"
    if not (minilm_dir / "model-best").exists():
        train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "none.cfg"),
                     minilm_dir, overrides={"paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy"),
                                            "paths.encoder": str(encoder), "system.seed": 0})
    minilm = spacy.load(minilm_dir / "model-best")
    time_minilm(minilm, data)  # warm-up (first batches load and allocate)
    before = time_minilm(minilm, data)
    start = time.perf_counter()
    results = run_local(ROOT / "configs" / "llm_local.cfg", data, corpus / "train.spacy", WORK / "llm" / "metrics",
                        sample=0, seed=seed, apis=api, shots=shots, model_dir=ROOT / "assets" / "llm",
                        work_dir=WORK / "llm", fresh_cache=True, n_threads=threads,
                        overrides={"components.llm.model.max_tokens": max_tokens})
    llm_seconds = time.perf_counter() - start
    after = time_minilm(minilm, data)
    print(f"LLM runs took {llm_seconds:.0f} s", file=sys.stderr)
    command = (f"python benchmarks/bench_llm.py --sample {sample} --seed {seed} "
               + " ".join(f"--shots {k}" for k in shots) + " " + " ".join(f"--api {a}" for a in api)
               + f" --threads {threads} --max-tokens {max_tokens}")
    print(json.dumps(build_rows(results, before, after, sample=sample, seed=seed, threads=threads, max_tokens=max_tokens,
                                minilm_model=str(minilm_dir / "model-best"), command=command)))


def build_rows(results, before, after, *, sample, seed, threads, max_tokens, minilm_model, command) -> List[dict]:
    """Rows in the shared schema for the LLM runs and the MiniLM timing around them."""
    from spacy_maize_ner.study.evaluation.scoring import machine_description

    minilm_s_per_1k = statistics.fmean([before["seconds"], after["seconds"]]) * 1000 / before["words"]
    common = {
        "data": "bc2gm", "split": f"dev-sample{sample}", "seed": seed, "machine": machine_description(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "command": command,
    }
    rows = []
    minilm_common = dict(common, pipeline="trf-minilm-none (timing)", encoder="minilm", regime="none",
                         params={"model": minilm_model, "batch_size": 64,
                                 "seconds_before": before["seconds"], "seconds_after": after["seconds"]})
    rows.append(dict(minilm_common, metric="words_per_second", value=before["words"] / statistics.fmean([before["seconds"], after["seconds"]])))
    rows.append(dict(minilm_common, metric="seconds_per_1k_words", value=minilm_s_per_1k))
    for m in results:
        info, cost, answers = m["llm"], m["llm"]["cost"], m["llm"]["answers"]
        base = dict(common, pipeline=m["pipeline"], encoder="gemma-3-270m (Q4_K_M)",
                    regime=f"{info['shots']}-shot {info['api']}",
                    params={"api": info["api"], "shots": info["shots"], "server_threads": threads, "max_tokens": max_tokens, "endpoint": info["endpoint"], "params": info["params"],
                            "answer_format": info["task"]["answer_format"], "server": "llama-cpp-python",
                            "answers": answers, "usage": {k: cost[k] for k in ("requests", "retries", "cache_hits", "failed",
                                                                                "prompt_tokens", "completion_tokens")}})
        values = {
            "ents_p": m["ents_p"], "ents_r": m["ents_r"], "ents_f": m["ents_f"],
            "parsed_pct": 100 * (answers.get("share_parsed") or 0.0),
            "tokens_per_1k_words": cost["tokens_per_1k_words"],
            "seconds_per_1k_words": cost["seconds_per_1k_words"],
            "words_per_second": m["words"] / cost["wall_seconds"],
            "cost_ratio_vs_minilm": cost["seconds_per_1k_words"] / minilm_s_per_1k,
            "mentions_hallucinated": answers.get("mentions_hallucinated", 0),
            "answers_malformed": answers.get("malformed", 0),
            "answers_empty": answers.get("empty", 0),
        }
        rows += [dict(base, metric=k, value=v) for k, v in values.items()]
    return rows


@app.command("time-minilm")
def time_minilm_command(data: Path, output: Path) -> None:
    """Time the MiniLM pipeline on `data` (warm-up, then once); write {seconds, words} to `output`.

    For runs split over processes (see `collect`): start it while the LLM runs are going, so
    that both are timed under the same machine load.
    """
    import spacy

    minilm = spacy.load(WORK / "bc2gm" / "trf-minilm-none-s0" / "model-best")
    time_minilm(minilm, data)
    output.write_text(json.dumps(time_minilm(minilm, data)))


@app.command("collect")
def collect(metrics: List[Path] = typer.Option(..., "--metrics", help="Folders of per-run LLM metrics (run_local)"),
            minilm: List[Path] = typer.Option(..., "--minilm", help="time-minilm outputs (one or two)"),
            sample: int = typer.Option(..., "--sample"), seed: int = 0, threads: int = 1, max_tokens: int = 64,
            command: str = typer.Option(..., "--command", help="The commands that produced the runs")) -> None:
    """Rows from LLM runs made in separate processes, merged into benchmarks/results/llm.json."""
    import srsly

    results = [srsly.read_json(p) for folder in metrics for p in sorted(folder.glob("llm-*.json"))]
    timings = [json.loads(p.read_text()) for p in minilm]
    rows = build_rows(results, timings[0], timings[-1], sample=sample, seed=seed, threads=threads, max_tokens=max_tokens,
                      minilm_model=str(WORK / "bc2gm" / "trf-minilm-none-s0" / "model-best"), command=command)
    merge_rows(HERE / "results" / "llm.json", rows)
    render()


@app.command("run")
def run(sample: int = typer.Option(300, "--sample", help="BC2GM devel sentences (seeded sample)"),
        seed: int = typer.Option(0, "--seed"),
        shots: List[int] = typer.Option([0, 5], "--shots", help="Few-shot examples (0: zero-shot)"),
        api: List[str] = typer.Option(["completions", "chat"], "--api", help="completions, chat"),
        threads: int = typer.Option(1, "--threads", help="llama.cpp server threads (1: best on the loaded 2-core machine)"),
        max_tokens: int = typer.Option(64, "--max-tokens", help="Answer tokens at most (the config's is 64)")) -> None:
    """Run the job in its own process and merge its rows into benchmarks/results/llm.json."""
    args = [str(Path(__file__)), "job", "--sample", str(sample), "--seed", str(seed)]
    args += [a for k in shots for a in ("--shots", str(k))] + [a for x in api for a in ("--api", x)]
    args += ["--threads", str(threads), "--max-tokens", str(max_tokens)]
    rows = run_job(args)
    merge_rows(HERE / "results" / "llm.json", rows)
    render()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("collect", "time-minilm"):
        app()
    else:
        dispatch(app)
