"""Tune the CRF on BC2GM: fit on train.tsv, strict entity P/R/F1 on devel.tsv, words/s.

    python benchmarks/tune_crf.py --variant default --variant iob
    python benchmarks/tune_crf.py --set '{"c1": 0.1, "features": {"window": 3}}' --name w3

Reads ../shared/data/bc2gm at run time with its own loader (token<TAB>tag, blank line
between sentences). Scores compare exact (start, end, label) spans on the corpus's own
tokens, which is what spaCy's scorer computes when tokenisation matches (BioTokenizer
reproduces BC2GM's tokens). Words/s: `predict` over every devel sentence from raw token
lists, pinned to one core, with a cold feature cache, so feature extraction is included;
reported per wall-clock second and per CPU second (the latter is fair on a busy machine).
Tune on devel only: there is no test split here.
"""
import json
import os
import time
from pathlib import Path
from typing import Dict, List, Tuple

import typer

from spacy_maize_ner.components.crf.component import DEFAULT_CONFIG
from spacy_maize_ner.components.crf.features import create_crf_features
from spacy_maize_ner.components.crf.model import CrfTagger
from spacy_maize_ner.corpus.iob import read_iob_lists
from spacy_maize_ner.tags import strict_prf

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bc2gm"

# Overrides of the component defaults (DEFAULT_CONFIG in component.py); "features"
# overrides keys of the feature block.
VARIANTS: Dict[str, dict] = {
    "default": {},
    "iob": {"scheme": "BIO"},
    "no_ngrams": {"features": {"ngram_lengths": []}},
    "no_bigrams": {"features": {"bigrams": False}},
    "window1": {"features": {"window": 1}},
    "window3": {"features": {"window": 3}},
    "affix5": {"features": {"prefix_lengths": [1, 2, 3, 4, 5], "suffix_lengths": [1, 2, 3, 4, 5]}},
    "window_affixes": {"features": {"window_affixes": [2, 3]}},
    "c1_0.1": {"c1": 0.1},
    "c1_0.2": {"c1": 0.2},
    "c1_0.02": {"c1": 0.02},
    "c2_0.001": {"c2": 0.001},
    "c2_0.05": {"c2": 0.05},
}


def settings(overrides: dict) -> Tuple[dict, dict]:
    """Component settings and feature settings: the defaults with `overrides` applied."""
    cfg = {k: v for k, v in DEFAULT_CONFIG.items() if k not in ("features", "scorer")}
    feats = {k: v for k, v in DEFAULT_CONFIG["features"].items() if not k.startswith("@")}
    cfg.update({k: v for k, v in overrides.items() if k != "features"})
    feats.update(overrides.get("features", {}))
    return cfg, feats


def main(
    variant: List[str] = typer.Option([], "--variant", help=f"Named variants: {', '.join(VARIANTS)}"),
    set_: List[str] = typer.Option([], "--set", help="JSON overrides for an extra variant (repeatable)"),
    name: List[str] = typer.Option([], "--name", help="Name of each --set variant, in order"),
    out: Path = typer.Option(Path("training/crf_tuning.jsonl"), help="JSON lines to append to"),
    save_models: bool = typer.Option(False, "--save-models", help="Also write each model to crf_models/"),
    dump: bool = typer.Option(False, "--dump", help="Write devel predictions to crf_dev_<variant>.tsv"),
) -> None:
    """Fit each variant on train, score on devel, and append one JSON line per variant."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    runs = [(v, VARIANTS[v]) for v in variant]
    for i, overrides in enumerate(set_):
        runs.append((name[i] if i < len(name) else f"custom{i}", json.loads(overrides)))
    train_w, train_t = read_iob_lists(DATA / "train.tsv")
    dev_w, dev_t = read_iob_lists(DATA / "devel.tsv")
    n_words = sum(len(s) for s in dev_w)
    for run_name, overrides in runs:
        cfg, feats = settings(overrides)
        model = CrfTagger(create_crf_features(**feats), **cfg)
        start = time.perf_counter()
        model.fit(train_w, train_t)
        train_s = time.perf_counter() - start
        fresh = CrfTagger(create_crf_features(**feats), **cfg).from_bytes(model.to_bytes())
        start, cpu_start = time.perf_counter(), time.process_time()
        pred = fresh.predict(dev_w)
        wps = n_words / (time.perf_counter() - start)
        cpu_wps = n_words / (time.process_time() - cpu_start)
        p, r, f = strict_prf(dev_t, pred)
        row = {
            "variant": run_name, "overrides": overrides, "p": round(p, 4), "r": round(r, 4),
            "f": round(f, 4), "train_seconds": round(train_s, 1), "words_per_second": round(wps),
            "words_per_cpu_second": round(cpu_wps),
            "model_kb": len(model.model_bytes or b"") // 1024,
        }
        print(json.dumps(row), flush=True)
        if dump:
            with (out.parent / f"crf_dev_{run_name}.tsv").open("w", encoding="utf8") as file_:
                for sent in zip(dev_w, dev_t, pred):
                    file_.write("".join(f"{w}\t{g}\t{p}\n" for w, g, p in zip(*sent)) + "\n")
        if save_models:
            models = out.parent / "crf_models"
            models.mkdir(parents=True, exist_ok=True)
            (models / f"{run_name}.bin").write_bytes(model.to_bytes())
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf8") as file_:
            file_.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    typer.run(main)
