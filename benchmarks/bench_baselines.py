"""Benchmark the classic baselines (CRF, HMM, and the all-"O" majority tagger).

For each corpus in ../shared/data (BC2GM: train -> devel; BC5CDR: train -> development),
converts the raw files, trains each pipeline with `spacy train` from its config, scores it
with spaCy's scorer on the dev DocBin and measures training time, tagging speed and peak
memory. Each (corpus, pipeline) job runs in its own process pinned to one core, so peak RSS
and speed belong to that job alone. Rows go to benchmarks/results/baselines.json in the
shared schema, and benchmarks/RESULTS.md is re-rendered.

    python benchmarks/bench_baselines.py                  # everything
    python benchmarks/bench_baselines.py --corpus bc2gm --pipeline crf
"""
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import List

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import dispatch, merge_rows, peak_rss_mb, render, run_job  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks"
CORPORA = {"bc2gm": "", "bc5cdr": "Chemical,Disease"}
PIPELINES = {"crf": "configs/crf.cfg", "hmm": "configs/hmm.cfg", "majority": None}

app = typer.Typer(add_completion=False)


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _prepare_corpus(corpus: str, shared: Path) -> Path:
    from spacy_maize_ner.corpus.build import build_corpus, parse_labels

    out = WORK / corpus / "corpus"
    if not (out / "dev.spacy").exists():
        build_corpus(corpus, shared / corpus, out, label_map=parse_labels(CORPORA[corpus]), seed=0)
    return out


def _tagger_speed(nlp, docs, repeats: int = 3) -> float:
    """Words/s of the pipeline's components (sentencizer + tagger) on pre-tokenised docs."""
    from spacy.tokens import Doc

    best = 0.0
    n_words = sum(len(d) for d in docs)
    for _ in range(repeats):
        fresh = [Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in docs]
        start = time.perf_counter()
        for _doc in nlp.pipe(fresh, batch_size=256):
            pass
        best = max(best, n_words / (time.perf_counter() - start))
    return best


@app.command("job")
def job(corpus: str, pipeline: str, shared: Path = typer.Option(ROOT.parent / "shared" / "data"), seed: int = 0) -> None:
    """Train and score one pipeline on one corpus; print its rows as JSON on the last line."""
    import spacy
    from spacy.cli.train import train
    from spacy.tokens import DocBin

    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline, machine_description
    from spacy_maize_ner.study.runs import seed_suffix

    _pin_to_one_core()
    corpus_dir = _prepare_corpus(corpus, shared)
    output = WORK / corpus / f"{pipeline}{seed_suffix(seed)}"  # crf-s0: the one seed convention (study/runs.py)
    start = time.perf_counter()
    if PIPELINES[pipeline]:
        train(
            ROOT / PIPELINES[pipeline],
            output,
            overrides={
                "paths.train": str(corpus_dir / "train.spacy"),
                "paths.dev": str(corpus_dir / "dev.spacy"),
                "system.seed": seed,
            },
            use_gpu=-1,
        )
        nlp = spacy.load(output / "model-best")
    else:  # majority tag: every token "O"
        nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "spacy_maize_ner.BioTokenizer.v1"}}})
        nlp.add_pipe("maize_majority_ner")
    train_seconds = time.perf_counter() - start
    metrics = evaluate_pipeline(nlp, corpus_dir / "dev.spacy", name=pipeline, model_path=str(output))
    gold_docs = list(DocBin().from_disk(corpus_dir / "dev.spacy").get_docs(nlp.vocab))
    values = {
        "ents_p": metrics["ents_p"],
        "ents_r": metrics["ents_r"],
        "ents_f": metrics["ents_f"],
        "words_per_second": metrics["words_per_second"],
        "tagger_words_per_second": _tagger_speed(nlp, gold_docs),
        "train_seconds": train_seconds,
        "peak_rss_mb": peak_rss_mb(),
    }
    for label, scores in metrics["ents_per_type"].items():
        values[f"ents_per_type.{label}.f"] = scores["f"]
    for bucket, scores in metrics["ents_by_length"].items():
        values[f"ents_by_length.{bucket}.f"] = scores["f"]
    common = {
        "pipeline": pipeline,
        "encoder": None,
        "regime": pipeline,
        "params": {"config": PIPELINES[pipeline], "train_docs": str(corpus_dir / "train.spacy")},
        "data": corpus,
        "split": "dev",
        "seed": seed,
        "machine": machine_description() + " (pinned to 1 core)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": f"python benchmarks/bench_baselines.py --corpus {corpus} --pipeline {pipeline}",
    }
    rows = [dict(common, metric=name, value=value) for name, value in values.items()]
    print(json.dumps(rows))


@app.command("run")
def run(
    corpus: List[str] = typer.Option(list(CORPORA), "--corpus", help="Corpora to run"),
    pipeline: List[str] = typer.Option(list(PIPELINES), "--pipeline", help="Pipelines to run"),
    shared: Path = typer.Option(ROOT.parent / "shared" / "data", help="Folder with bc2gm/ and bc5cdr/"),
    seed: int = typer.Option(0, help="Training seed"),
    results: Path = typer.Option(HERE / "results" / "baselines.json", help="Rows file (merged by key)"),
) -> None:
    for c in corpus:
        for p in pipeline:
            typer.echo(f"== {c} / {p}")
            merge_rows(results, run_job([__file__, "job", c, p, "--shared", str(shared), "--seed", str(seed)]))
    render()


if __name__ == "__main__":
    dispatch(app)
