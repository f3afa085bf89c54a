"""Benchmark the dictionary baseline (`maize_dictionary_ner`) on BC2GM.

The lexicon is every gold GENE mention of BC2GM's training file (read at run time from
../shared/data/bc2gm/train.tsv, converted as the workflow converts it), with the
lexicon's case rule (exact case for terms of <= 3 characters and common English words,
case-insensitive otherwise). The pipeline is scored on the devel split with
`evaluate_pipeline`, the scorer of every other row. Rows (the schema of
benchmarks/results/baselines.json) go to benchmarks/results/dictionary.json.

    python benchmarks/bench_dictionary.py [--short-max 3] [--min-length 2]
"""
import datetime
import json
import resource
import time
from pathlib import Path

import typer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "training" / "benchmarks"


def main(
    shared: Path = typer.Option(ROOT.parent / "shared" / "data", help="Folder with bc2gm/"),
    short_max: int = typer.Option(3, help="Exact-case match for terms up to this many characters"),
    min_length: int = typer.Option(2, help="Skip shorter terms"),
    results: Path = typer.Option(HERE / "results" / "dictionary.json", help="Rows file (merged by key)"),
) -> None:
    from spacy.tokens import DocBin

    from spacy_maize_ner.corpus.nlp import make_blank_nlp
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline, machine_description
    from spacy_maize_ner.corpus.build import build_corpus

    corpus_dir = WORK / "bc2gm" / "corpus"
    if not (corpus_dir / "dev.spacy").exists():
        build_corpus("bc2gm", shared / "bc2gm", corpus_dir, seed=0)
    start = time.perf_counter()
    nlp = make_blank_nlp()
    ner = nlp.add_pipe("maize_dictionary_ner", config={"short_max": short_max, "min_length": min_length})
    mentions = [e.text for d in DocBin().from_disk(corpus_dir / "train.spacy").get_docs(nlp.vocab) for e in d.ents]
    skipped = ner.add_texts(mentions, label="GENE")
    build_seconds = time.perf_counter() - start
    metrics = evaluate_pipeline(nlp, corpus_dir / "dev.spacy", name="dictionary")
    values = {
        "ents_p": metrics["ents_p"], "ents_r": metrics["ents_r"], "ents_f": metrics["ents_f"],
        "words_per_second": metrics["words_per_second"], "train_seconds": build_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lexicon_terms": len(ner.terms), "lexicon_exact_case": sum(t.case_sensitive for t in ner.terms),
        "lexicon_skipped": len(skipped), "train_mentions": len(mentions),
    }
    for bucket, scores in metrics["ents_by_length"].items():
        values[f"ents_by_length.{bucket}.f"] = scores["f"]
    common = {
        "pipeline": "dictionary" if short_max == 3 else f"dictionary (short_max {short_max})",
        "encoder": None, "regime": "dictionary",
        "params": {"lexicon": "BC2GM train gold mentions", "short_max": short_max, "min_length": min_length},
        "data": "bc2gm", "split": "dev", "seed": 0, "machine": machine_description(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": f"python benchmarks/bench_dictionary.py --short-max {short_max} --min-length {min_length}",
    }
    new = [dict(common, metric=k, value=v) for k, v in values.items()]
    rows = json.loads(results.read_text()) if results.exists() else []
    keys = {(r["pipeline"], r["data"], r["metric"], r["seed"], json.dumps(r["params"], sort_keys=True)) for r in new}
    rows = [r for r in rows if (r["pipeline"], r["data"], r["metric"], r["seed"], json.dumps(r["params"], sort_keys=True)) not in keys] + new
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(rows, indent=1) + "\n")
    for r in new:
        typer.echo(f"{r['metric']:<28} {r['value']:.4f}" if isinstance(r["value"], float) else f"{r['metric']:<28} {r['value']}")


if __name__ == "__main__":
    typer.run(main)
