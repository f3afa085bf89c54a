"""Tune the CRF on BC2GM: fit on train.tsv, strict entity P/R/F1 on devel.tsv, words/s.

    python benchmarks/tune_crf.py --variant base --variant ngrams

Reads ../shared/data/bc2gm at run time. Scores compare exact (start, end, label) spans on
the corpus's own tokens, which is what spaCy's scorer computes when tokenisation matches
(BioTokenizer reproduces BC2GM's tokens). Tune on devel only: there is no test split here.
"""
import json
import os
import time
from pathlib import Path
from typing import List

import typer

from spacy_maize_ner.components.crf.features import create_crf_features
from spacy_maize_ner.components.crf.model import CrfTagger
from spacy_maize_ner.corpus.iob import _read_sentences
from spacy_maize_ner.tags import tags_to_spans

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bc2gm"

VARIANTS = {
    "base": dict(features={}, c1=0.05, c2=0.01, max_iterations=200),
    "ngrams": dict(features={"ngram_lengths": [2, 3, 4]}, c1=0.05, c2=0.01, max_iterations=200),
    "ngrams_c1": dict(features={"ngram_lengths": [2, 3, 4]}, c1=0.1, c2=0.01, max_iterations=200),
    "window3": dict(features={"window": 3, "ngram_lengths": [3]}, c1=0.05, c2=0.01, max_iterations=200),
    "iob": dict(features={}, c1=0.05, c2=0.01, max_iterations=200, encoding="iob"),
    "suffix5": dict(features={"prefix_lengths": [1, 2, 3, 4, 5], "suffix_lengths": [1, 2, 3, 4, 5]}, c1=0.05, c2=0.01, max_iterations=200),
}


def load(path: Path):
    words, tags = [], []
    for _, w, t in _read_sentences(str(path)):
        words.append(w)
        tags.append(t)
    return words, tags


def prf(gold: List[List[str]], pred: List[List[str]]):
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, pred):
        gs, ps = set(tags_to_spans(g)), set(tags_to_spans(p))
        tp += len(gs & ps)
        n_gold += len(gs)
        n_pred += len(ps)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(variant: List[str] = typer.Option(["base"], "--variant"), out: Path = typer.Option(Path("training/crf_tuning.jsonl"))) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    train_w, train_t = load(DATA / "train.tsv")
    dev_w, dev_t = load(DATA / "devel.tsv")
    n_words = sum(len(s) for s in dev_w)
    for name in variant:
        cfg = dict(VARIANTS[name])
        features = create_crf_features(**cfg.pop("features"))
        model = CrfTagger(features, **cfg)
        start = time.perf_counter()
        model.fit(train_w, train_t)
        train_s = time.perf_counter() - start
        fresh = CrfTagger(create_crf_features(**VARIANTS[name]["features"]), **{k: v for k, v in VARIANTS[name].items() if k != "features"}).from_bytes(model.to_bytes())
        start = time.perf_counter()
        pred = fresh.predict(dev_w)  # cold feature cache: extraction included
        wps = n_words / (time.perf_counter() - start)
        p, r, f = prf(dev_t, pred)
        row = {"variant": name, "p": p, "r": r, "f": f, "train_seconds": train_s, "words_per_second": wps,
               "model_kb": len(model.model_bytes) // 1024}
        print(json.dumps(row), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as file_:
            file_.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    typer.run(main)
