"""Tune the HMM on BC2GM: fit on train.tsv, strict entity P/R/F1 on devel.tsv, words/s.

    python benchmarks/tune_hmm.py --variant baselines --variant base --variant iob
    python benchmarks/tune_hmm.py --all          # every variant, one after another

Reads ../shared/data/bc2gm at run time with its own loader (token<TAB>tag lines, a blank
line between sentences). Scores compare exact (start, end, label) spans on the corpus's
own tokens, which is what spaCy's scorer computes when tokenisation matches (BioTokenizer
reproduces BC2GM's tokens). Tune on devel only: there is no test split here.

The variant `baselines` scores two taggers an HMM has to beat: the majority tag (all "O",
F1 0) and the most frequent tag of each word in train (unseen words "O", IOB repaired by
the lenient decoder).
"""
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

import typer

from spacy_maize_ner.components.hmm.model import HmmTagger
from spacy_maize_ner.corpus.iob import read_iob_lists
from spacy_maize_ner.tags import OUTSIDE, strict_prf

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bc2gm"

VARIANTS: Dict[str, dict] = {
    "base": dict(),  # the component's defaults
    # plain TnT: tag states only, case-sensitive lexicon, suffixes up to 5 from words seen <= 10 times
    "tnt": dict(lexical_states=0, state_shapes=False, lowercase=False, suffix_length=5, rare_threshold=10),
    "iob": dict(scheme="BIO"),
    "order1": dict(order=1),
    "no_shapes": dict(state_shapes=False),
    "no_shapes_lex0": dict(state_shapes=False, lexical_states=0),
    **{f"lex{n}": dict(lexical_states=n) for n in (0, 50, 100, 150, 300)},
    **{f"suffix{n}": dict(suffix_length=n) for n in (0, 2, 4, 5, 8)},
    **{f"rare{n}": dict(rare_threshold=n) for n in (1, 2, 10)},
    **{f"weight{n}": dict(word_weight=n) for n in (0.1, 0.3, 3.0)},
    "cased": dict(lowercase=False),
    **{f"prefix{n}": dict(prefix_length=n) for n in (1, 2, 3, 4)},
}


def most_frequent_tag(train_w, train_t, dev_w) -> List[List[str]]:
    """Each word's most frequent training tag (ties: alphabetical); unseen words "O"."""
    counts: Dict[str, Counter] = defaultdict(Counter)
    for ws, ts in zip(train_w, train_t):
        for w, t in zip(ws, ts):
            counts[w][t] += 1
    best = {w: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for w, c in counts.items()}
    return [[best.get(w, OUTSIDE) for w in ws] for ws in dev_w]


def main(
    variant: List[str] = typer.Option(["base"], "--variant", help="Variant names (see VARIANTS) or 'baselines'."),
    out: Path = typer.Option(ROOT / "training" / "hmm_tuning.jsonl", help="JSON lines file the rows are appended to."),
    data: Path = typer.Option(DATA, help="Folder with BC2GM train.tsv and devel.tsv."),
    all_variants: bool = typer.Option(False, "--all", help="Run the baselines and every variant."),
) -> None:
    """Fit each variant on train.tsv and print one JSON row of devel scores and speed per variant."""
    if all_variants:
        variant = ["baselines", *VARIANTS]
    unknown = [name for name in variant if name != "baselines" and name not in VARIANTS]
    if unknown:
        raise typer.BadParameter(f"Unknown variant(s) {unknown}; choose from: baselines, {', '.join(VARIANTS)}.")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    train_w, train_t = read_iob_lists(data / "train.tsv")
    dev_w, dev_t = read_iob_lists(data / "devel.tsv")
    n_words = sum(len(s) for s in dev_w)
    rows = []
    for name in variant:
        if name == "baselines":
            p, r, f = strict_prf(dev_t, [[OUTSIDE] * len(s) for s in dev_w])
            rows.append({"variant": "majority_O", "p": p, "r": r, "f": f})
            p, r, f = strict_prf(dev_t, most_frequent_tag(train_w, train_t, dev_w))
            rows.append({"variant": "most_frequent_tag", "p": p, "r": r, "f": f})
        else:
            model = HmmTagger(**VARIANTS[name])
            start = time.perf_counter()
            model.fit(train_w, train_t)
            train_s = time.perf_counter() - start
            data_bytes = model.to_bytes()
            fresh = HmmTagger().from_bytes(data_bytes)
            start = time.perf_counter()
            pred = fresh.predict(dev_w)  # cold emission cache: unknown-word model included
            wps = n_words / (time.perf_counter() - start)
            start = time.perf_counter()
            fresh.predict(dev_w)  # warm: every word's emission vector cached
            wps_warm = n_words / (time.perf_counter() - start)
            p, r, f = strict_prf(dev_t, pred)
            rows.append({"variant": name, "p": p, "r": r, "f": f, "train_seconds": train_s,
                         "words_per_second": wps, "words_per_second_warm": wps_warm,
                         "states": len(model.states), "model_kb": len(data_bytes) // 1024})
        for row in rows:
            print(json.dumps(row), flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("a") as file_:
                file_.write(json.dumps(row) + "\n")
        rows = []


if __name__ == "__main__":
    typer.run(main)
