"""Throughput of the pipelines through `annotate`, long documents, spaCy vs HF vs bare encoder, Ray.

    python benchmarks/bench_throughput.py \\
        --crf training/crf/crf-s0/model-best --hmm training/hmm/hmm-s0/model-best \\
        --dictionary training/dictionary/model-best --transformer training/trf-minilm-none/model-best \\
        --encoder assets/encoders/minilm --dev ../shared/data/bc2gm/devel.tsv

Every job runs in its own process pinned to one core (`taskset -c 0`, or the core in
MAIZE_BENCH_CORE; one torch
thread), on the same texts: the BC2GM development sentences, ten to a document
(about 250 words, an abstract's length), written as JSONL. Sections:

- annotate: words/s of each pipeline family through `annotate_files` (reading the
  JSONL and writing JSONL included; model loading excluded), and of any --pipeline (e.g. the
  shipped config trained with --features lexical), each with its ratio to --transformer.
- long: per-token time of sentence setting and of the CRF pipeline on 5k- and
  50k-token documents (the texts concatenated), and a 100k-word document through CRF.
- trf: one process, side by side on the same texts: the spaCy transformer pipeline
  (`nlp.pipe`) as shipped (strided windows), with int8 (encoders/quantize.py), with
  sentence spans (encoders/spans.py: one span per sentence, or `packed`: whole sentences
  packed up to the window, less padding), each also with int8, and read in length-sorted
  chunks (encoders/batching.py, `-chunked`: 16 rows, `-chunked8`: 8, the default since 2026-12-04); the Hugging Face
  token-classification pipeline with the same encoder; and the bare encoder's forward
  pass, pre-tokenized and batched by length. Each is timed after a warm-up, best of
  --trf-repeats passes. The transformer pipeline may be untrained (regime `none`): speed
  does not depend on the weights, and the HF head is freshly initialised for the same reason.
- f1: strict entity F1 (the project's scorer) of every spaCy setting on the dev
  DocBin, its documents joined --f1-per-doc to a document (10: abstract-like texts, where
  sentence spans differ from windows; 1: the official one-sentence dev documents). Give a
  trained pipeline (e.g. training/transformers/minilm-full-s0/model-best) for this section.
- int8: strict entity F1 of the packed-spans pipeline in float and in int8 with one weight
  scale per output channel (the shipped `--int8`) and per matrix, on the same documents as f1.
- ray: `annotate --ray` with the CRF pipeline on a local Ray instance, 1 worker then
  2 workers, over the same shards; wall time of the Ray job (actor start and model
  load included) and the words/s inside the actors.

Rows go to benchmarks/results/throughput.json (data "bc2gm", split "throughput", or "dev"
for the f1 section's).

CPU inference at the encoder's limit (issue 25), trained MiniLM pipeline, one core:

    python benchmarks/bench_throughput.py --sections trf,f1 \
        --transformer training/transformers/minilm-full-s0/model-best \
        --encoder assets/encoders/minilm --dev ../shared/data/bc2gm/devel.tsv --dev-docbin corpus/dev.spacy
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import dispatch, merge_rows, render  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "throughput.json"
app = typer.Typer(add_completion=False)


# The whole command line of `run`, set for its jobs: rows record it rather than the section's
# short form, so that a row says which pipelines and options produced it.
COMMAND_ENV = "MAIZE_BENCH_THROUGHPUT_COMMAND"


def row(pipeline: str, metric: str, value, command: str, **params) -> Dict:
    import datetime

    from spacy_maize_ner.study.evaluation.scoring import machine_description

    command = os.environ.get(COMMAND_ENV) or command

    return {
        "pipeline": pipeline, "encoder": params.pop("encoder", None), "regime": params.pop("regime", None),
        "params": {**params, "load_average_1min": os.getloadavg()[0]}, "data": "bc2gm", "split": params.pop("split", "throughput"),
        "seed": 0, "machine": machine_description(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command, "metric": metric, "value": value,
    }


def run_label(model: Path) -> str:
    """.../peft-minilm-lora-r8-transition-s0/model-best -> peft-minilm-lora-r8-transition; export-merged adds -merged."""
    from spacy_maize_ner.study.runs import pipeline_name_from_path, seed_group

    model = Path(model)
    export = model.name[len("export-"):] if model.name.startswith("export-") else ""
    base = model.parent.name if export else pipeline_name_from_path(model)
    return seed_group(base)[0] + (f"-{export}" if export else "")


def write_texts(dev: Path, out: Path, per_doc: int = 10, limit: Optional[int] = None, repeat: int = 1) -> int:
    """BC2GM sentences, `per_doc` to a document, as JSONL; RETURNS the number of documents."""
    from spacy_maize_ner.corpus.iob import read_iob_sentences

    sents = [" ".join(s.words) for s in read_iob_sentences(dev)]
    if limit:
        sents = sents[:limit]
    docs = [" ".join(sents[i:i + per_doc]) for i in range(0, len(sents), per_doc)] * repeat
    with out.open("w", encoding="utf8") as f:
        for i, text in enumerate(docs):
            f.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
    return len(docs)


def bench_core() -> str:
    """The core every job is pinned to: 0, or MAIZE_BENCH_CORE (two benchmarks side by side)."""
    return os.environ.get("MAIZE_BENCH_CORE", "0")


def pinned(args: List[str]) -> List[str]:
    return (["taskset", "-c", bench_core()] if shutil.which("taskset") else []) + [sys.executable, str(Path(__file__).resolve()), *args]


def run_pinned(args: List[str], env: Optional[Dict[str, str]] = None) -> List[Dict]:
    proc = subprocess.run(pinned(args), stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        typer.echo(proc.stdout[-3000:], err=True)
        raise typer.Exit(proc.returncode)
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    for r in rows:
        typer.echo(f"   {r['pipeline']:<28} {r['metric']:<32} {r['value']:,.4g}", err=True)
    return rows


ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


@app.command("run")
def run(
    crf: Path = typer.Option(Path("training/crf/crf-s0/model-best"), help="CRF pipeline"),
    hmm: Optional[Path] = typer.Option(Path("training/hmm/hmm-s0/model-best"), help="HMM pipeline"),
    dictionary: Optional[Path] = typer.Option(Path("training/dictionary/model-best"), help="Dictionary pipeline"),
    transformer: Optional[Path] = typer.Option(None, help="spaCy transformer pipeline (e.g. MiniLM, regime none)"),
    peft: List[Path] = typer.Option([], help="PEFT pipelines (adapter-only or merged), annotated like the transformer"),
    decoder: List[Path] = typer.Option([], help="Decoder tagger pipelines (issue 26; e.g. training/benchmarks/bc2gm/lc-models/"
                                           "lc-gemma3_270m-decoder-lora-bidirectional-n2500-s0), annotated like the transformer"),
    pipelines: List[Path] = typer.Option([], "--pipeline", help="Other transformer pipelines annotated like --transformer, with their words/s ratio to it "
                                                 "(e.g. one trained with --features lexical)"),
    encoder: Optional[Path] = typer.Option(None, help="The transformer pipeline's encoder folder (for HF and the bare forward pass)"),
    dev: Path = typer.Option(Path("../shared/data/bc2gm/devel.tsv"), help="BC2GM development sentences (IOB)"),
    trf_sentences: int = typer.Option(400, help="Sentences for the transformer sections (they are slow on CPU)"),
    sections: str = typer.Option("annotate,long,trf,ray", help="Comma-separated sections to run (annotate, long, trf, f1, int8, ray)"),
    trf_repeats: int = typer.Option(2, help="Timed passes per setting in the trf section (the best counts)"),
    dev_docbin: Path = typer.Option(Path("corpus/dev.spacy"), help="Dev DocBin for the f1 section (the project's conversion of BC2GM devel)"),
    f1_per_doc: int = typer.Option(10, help="f1 section: dev documents joined to one (10: abstract-like; 1: the official dev documents)"),
    ray_repeat: int = typer.Option(32, help="Copies of the dev texts in the Ray shards (32: 2.3M words, enough to amortise actor start-up)"),
) -> None:
    """Run every section, merge the rows into benchmarks/results/throughput.json, re-render RESULTS.md."""
    import shlex

    args = sys.argv[2:] if sys.argv[1:2] == ["run"] else sys.argv[1:]  # rows.dispatch inserted "run"
    os.environ[COMMAND_ENV] = " ".join(["python benchmarks/bench_throughput.py", *map(shlex.quote, args)])
    wanted = set(sections.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    texts = tmp / "texts.jsonl"
    n_docs = write_texts(dev, texts)
    typer.echo(f"{n_docs} documents of BC2GM dev sentences in {texts}", err=True)
    rows: List[Dict] = []
    if "annotate" in wanted:
        for name, model in (("crf", crf), ("hmm", hmm), ("dictionary", dictionary)):
            if model is not None and Path(model).exists():
                rows += run_pinned(["job", "annotate", name, str(model), str(texts), str(tmp / f"{name}.jsonl")], ONE_THREAD)
        small = tmp / "trf-texts.jsonl"  # the transformer and PEFT pipelines share the shorter texts
        if transformer is not None or peft or decoder or pipelines:
            write_texts(dev, small, limit=trf_sentences)
        if transformer is not None:
            rows += run_pinned(["job", "annotate", "trf-minilm", str(transformer), str(small), str(tmp / "trf.jsonl")], ONE_THREAD)
        for model in [*peft, *decoder, *pipelines]:
            name = run_label(model)
            rows += run_pinned(["job", "annotate", name, str(model), str(small), str(tmp / f"{name}.jsonl")], ONE_THREAD)
        rows += ratio_rows(rows, "annotate-trf-minilm")
    if "long" in wanted:
        rows += run_pinned(["job", "long", str(crf), str(dev)], ONE_THREAD)
    if "trf" in wanted and transformer is not None and encoder is not None:
        rows += run_pinned(["job", "trf", str(transformer), str(encoder), str(dev), str(trf_sentences), str(trf_repeats)], ONE_THREAD)
    if "f1" in wanted and transformer is not None:
        rows += run_pinned(["job", "f1", str(transformer), str(dev_docbin), str(f1_per_doc)], ONE_THREAD)
    if "int8" in wanted and transformer is not None:
        rows += run_pinned(["job", "int8", str(transformer), str(dev_docbin), str(f1_per_doc)], ONE_THREAD)
    if "ray" in wanted:
        shards = []
        for i in range(4):  # four shards, each the dev texts ray_repeat // 4 times
            shard = tmp / f"shard{i}.jsonl"
            write_texts(dev, shard, repeat=max(1, ray_repeat // 4))
            shards.append(str(shard))
        rows += json.loads(subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "job", "ray", str(crf), str(tmp / "ray"), *shards],
            stdout=subprocess.PIPE, text=True, check=True, env={**os.environ, **ONE_THREAD},
        ).stdout.strip().splitlines()[-1])
    merge_rows(RESULTS, rows)
    render()
    shutil.rmtree(tmp, ignore_errors=True)


COMMAND = "python benchmarks/bench_throughput.py"


def ratio_rows(rows: List[Dict], reference: str) -> List[Dict]:
    """Each annotate row's words/s over the reference pipeline's, measured in this run on the
    same texts (`words_per_second_ratio_vs_<reference>`): the cost ratios of issue 26."""
    ref = next((r for r in rows if r["pipeline"] == reference and r["metric"] == "words_per_second"), None)
    if ref is None or not ref["value"]:
        return []
    out = []
    for r in rows:
        if r["metric"] == "words_per_second" and r["pipeline"].startswith("annotate-") and r is not ref and r["value"]:
            ratio = dict(r, metric=f"words_per_second_ratio_vs_{reference[len('annotate-'):]}", value=r["value"] / ref["value"])
            out.append(dict(ratio, params={**r["params"], "reference_words_per_second": ref["value"]}))
    return out


@app.command("job")
def job(
    section: str = typer.Argument(...),
    args: List[str] = typer.Argument(None),
) -> None:
    """One section in this process; prints its rows as JSON on the last line."""
    rows = {"annotate": job_annotate, "long": job_long, "trf": job_trf, "f1": job_f1, "int8": job_int8, "ray": job_ray}[section](*args)
    print(json.dumps(rows))


def job_annotate(name: str, model: str, texts: str, out: str) -> List[Dict]:
    import spacy

    from spacy_maize_ner.annotate import annotate_files

    nlp = spacy.load(model)
    annotate_files(nlp, [texts], out + ".warm", progress=False, overwrite=True)  # warm-up: caches, lazy init
    report = annotate_files(nlp, [texts], out, progress=False, overwrite=True)
    params = {"documents": report.records_annotated, "words": report.words, "seconds": report.seconds,
              "model": model, "core": f"1 (taskset -c {bench_core()})", "io": "JSONL in, JSONL out, included"}
    regime = {"crf": "crf", "hmm": "hmm", "dictionary": "dictionary"}.get(name, "none")
    return [row(f"annotate-{name}", "words_per_second", report.words_per_second, COMMAND, regime=regime, **params)]


def job_long(crf: str, dev: str) -> List[Dict]:
    import spacy

    from spacy_maize_ner.components.sentences import set_sentence_starts
    from spacy_maize_ner.corpus.iob import read_iob_sentences

    nlp = spacy.load(crf)
    words = [w for s in read_iob_sentences(dev) for w in s.words]
    while len(words) < 100_000:
        words = words + words
    out = []

    def text(n: int) -> str:
        return " ".join(words[:n])

    def best(fn, repeats=3) -> float:
        # CPU time of this process: on a shared machine wall time mostly measures the other
        # processes (a 2 ms run fits in one time slice, a 0.5 s run does not).
        times = []
        for _ in range(repeats):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return min(times)

    per_token = {}
    for n in (5_000, 50_000):
        doc = nlp.make_doc(text(n))
        sent = best(lambda: set_sentence_starts(doc)) / len(doc)
        crf_t = best(lambda: nlp(text(n)), repeats=2 if n > 5000 else 3) / len(doc)
        per_token[n] = (sent, crf_t)
        out.append(row("long-sentence-setting", f"us_per_token_{n // 1000}k", sent * 1e6, COMMAND, tokens=len(doc)))
        out.append(row("long-crf", f"us_per_token_{n // 1000}k", crf_t * 1e6, COMMAND, tokens=len(doc), model=crf))
    out.append(row("long-sentence-setting", "ratio_50k_vs_5k_per_token", per_token[50_000][0] / per_token[5_000][0], COMMAND))
    out.append(row("long-crf", "ratio_50k_vs_5k_per_token", per_token[50_000][1] / per_token[5_000][1], COMMAND))
    t100 = text(100_000)
    start = time.process_time()
    doc = nlp(t100)
    seconds = time.process_time() - start  # CPU seconds (see best)
    out.append(row("long-crf", "seconds_100k_words", seconds, COMMAND, tokens=len(doc), characters=len(t100), entities=len(doc.ents)))
    return out


SETTINGS = {  # name -> (spans, int8, chunk rows); the first is the pipeline as shipped until 2026-12-04
    # (its config's strided windows, one tensor padded to the batch's longest span)
    "trf-spacy-pipeline": ("strided", False, 0),
    "trf-spacy-int8": ("strided", True, 0),
    "trf-spacy-sentences": ("sentences", False, 0),
    "trf-spacy-sentences-int8": ("sentences", True, 0),
    "trf-spacy-packed": ("packed", False, 0),
    "trf-spacy-packed-int8": ("packed", True, 0),
    # inference in length-sorted chunks of 16 or 8 rows (encoders/batching.py; 8 is Encoder.v1's default since 2026-12-04)
    "trf-spacy-chunked": ("strided", False, 16),
    "trf-spacy-sentences-chunked": ("sentences", False, 16),
    "trf-spacy-packed-chunked": ("packed", False, 16),
    "trf-spacy-sentences-chunked-int8": ("sentences", True, 16),
    "trf-spacy-sentences-chunked8": ("sentences", False, 8),
    "trf-spacy-packed-chunked8": ("packed", False, 8),
}


def setting_regime(spans: str, int8: bool, chunks: int) -> str:
    """A setting as rows record it: 'strided-float', 'sentences-int8-chunks16'."""
    return f"{spans}-{'int8' if int8 else 'float'}" + (f"-chunks{chunks}" if chunks else "")


def load_setting(transformer: str, spans: str, int8: bool, chunks: int = 0):
    """The pipeline at `transformer` with its spans (strided: as saved; sentences: one span per
    sentence; packed: whole sentences packed up to the window), its encoder in int8 or not, and
    inference in length-sorted chunks of `chunks` rows (0: one padded tensor per batch)."""
    import spacy

    from spacy_maize_ner.encoders.batching import use_sorted_chunks
    from spacy_maize_ner.encoders.quantize import quantize_pipeline
    from spacy_maize_ner.encoders.spans import use_sentence_spans

    nlp = spacy.load(transformer)
    use_sorted_chunks(nlp.get_pipe("transformer").model, chunks)
    if spans != "strided":
        use_sentence_spans(nlp, pack=spans == "packed")
    if int8:
        quantize_pipeline(nlp)
    return nlp


def best_seconds(fn, repeats: int) -> float:
    """Wall seconds of the fastest of `repeats` calls (after the caller's warm-up)."""
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def job_trf(transformer: str, encoder: str, dev: str, n_sents: str, repeats: str = "2") -> List[Dict]:
    import torch
    from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer, pipeline

    from spacy_maize_ner.corpus.iob import read_iob_sentences
    from spacy_maize_ner.study.runs import encoder_short_name

    torch.set_num_threads(1)
    repeats = int(repeats)
    sents = [" ".join(s.words) for s in read_iob_sentences(dev)][: int(n_sents)]
    texts = [" ".join(sents[i:i + 10]) for i in range(0, len(sents), 10)]
    n_words: Optional[int] = None  # the pipeline's own tokens, the same in every setting
    seconds: Dict[str, float] = {}
    for name, (spans, int8, chunks) in SETTINGS.items():
        nlp = load_setting(transformer, spans, int8, chunks)
        n_words = n_words or sum(len(nlp.make_doc(t)) for t in texts)
        list(nlp.pipe(texts[:2]))  # warm-up (and, with int8, the first quantized calls)
        seconds[name] = best_seconds(lambda: [None for _ in nlp.pipe(texts, batch_size=32)], repeats)
        del nlp

    tok = AutoTokenizer.from_pretrained(encoder)
    head = AutoModelForTokenClassification.from_pretrained(encoder, num_labels=3)  # B/I/O, fresh head
    hf = pipeline("token-classification", model=head, tokenizer=tok, aggregation_strategy="simple", device=-1)
    hf(texts[:2])
    hf_s = best_seconds(lambda: hf(texts, batch_size=32), repeats)

    bare = AutoModel.from_pretrained(encoder).eval()
    limit = min(512, int(getattr(tok, "model_max_length", 512) or 512))
    encoded = [tok(t, truncation=True, max_length=limit)["input_ids"] for t in texts]  # pre-tokenized, outside the timing
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    batches = [order[i:i + 32] for i in range(0, len(order), 32)]
    padded = []
    for b in batches:
        width = max(len(encoded[i]) for i in b)
        ids = torch.tensor([encoded[i] + [tok.pad_token_id] * (width - len(encoded[i])) for i in b])
        mask = torch.tensor([[1] * len(encoded[i]) + [0] * (width - len(encoded[i])) for i in b])
        padded.append((ids, mask))

    def forward():
        for ids, mask in padded:
            bare(input_ids=ids, attention_mask=mask)

    with torch.no_grad():
        bare(input_ids=padded[0][0][:2], attention_mask=padded[0][1][:2])
        bare_s = best_seconds(forward, repeats)
    params = {"texts": len(texts), "words": n_words, "batch_size": 32, "torch_threads": 1, "encoder": encoder_short_name(encoder),
              "model": transformer, "repeats": repeats, "timing": "best of repeats, after a warm-up"}
    wps = {name: n_words / s for name, s in seconds.items()}
    wps_hf, wps_bare = n_words / hf_s, n_words / bare_s
    shipped = wps["trf-spacy-pipeline"]
    cmd = COMMAND + " --sections trf"
    regimes = {name: setting_regime(*setting) for name, setting in SETTINGS.items()}
    out = []
    for name, value in wps.items():
        out.append(row(name, "words_per_second", value, cmd, regime=regimes[name], **params, seconds=seconds[name]))
        out.append(row(name, "share_of_bare_forward", value / wps_bare, cmd, regime=regimes[name], **params))
        out.append(row(name, "speed_ratio_vs_hf", value / wps_hf, cmd, regime=regimes[name], **params))
        if name != "trf-spacy-pipeline":
            out.append(row(name, "speedup_vs_shipped", value / shipped, cmd, regime=regimes[name], **params))
    out += [
        row("trf-hf-pipeline", "words_per_second", wps_hf, cmd, regime="hf-fresh-head", **params, seconds=hf_s),
        row("trf-bare-forward", "words_per_second", wps_bare, cmd, regime="forward-only", **params, seconds=bare_s),
        row("trf-hf-pipeline", "share_of_bare_forward", wps_hf / wps_bare, cmd, regime="hf-fresh-head", **params),
    ]
    return out


def grouped_docbin(docbin: str, per_doc: int, out: Path) -> Path:
    """The DocBin's documents joined `per_doc` to a document (gold entities kept), at `out`."""
    import spacy
    from spacy.tokens import Doc, DocBin

    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(docbin).get_docs(nlp.vocab))
    joined = DocBin(store_user_data=False)
    for i in range(0, len(docs), per_doc):
        joined.add(Doc.from_docs(docs[i:i + per_doc], ensure_whitespace=True) if per_doc > 1 else docs[i])
    joined.to_disk(out)
    return out


def job_f1(transformer: str, docbin: str, per_doc: str = "10") -> List[Dict]:
    """Strict entity F1 of each setting of SETTINGS on the dev DocBin (joined per_doc to a document)."""
    import torch

    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    torch.set_num_threads(1)
    per_doc = int(per_doc)
    with tempfile.TemporaryDirectory(prefix="bench-f1-") as tmp:
        data = grouped_docbin(docbin, per_doc, Path(tmp) / "dev-grouped.spacy")
        scores = {}
        for name, (spans, int8, chunks) in SETTINGS.items():
            nlp = load_setting(transformer, spans, int8, chunks)
            scores[name] = evaluate_pipeline(nlp, data, name=name, model_path=transformer)
            del nlp
    cmd = COMMAND + " --sections f1"
    float_f = {(spans, chunks): scores[name]["ents_f"] for name, (spans, int8, chunks) in SETTINGS.items() if not int8}
    shipped = scores["trf-spacy-pipeline"]["ents_f"]
    out = []
    for name, (spans, int8, chunks) in SETTINGS.items():
        m = scores[name]
        params = {"split": "dev", "model": transformer, "docbin": docbin, "per_doc": per_doc, "documents": m["documents"],
                  "words": m["words"], "ents_p": m["ents_p"], "ents_r": m["ents_r"], "eval_words_per_second": m["words_per_second"],
                  "torch_threads": 1}
        tag = f"dev_per_doc{per_doc}"
        regime = setting_regime(spans, int8, chunks)
        out.append(row(name, f"ents_f_{tag}", m["ents_f"], cmd, regime=regime, **params))
        if name != "trf-spacy-pipeline":  # F1 points
            out.append(row(name, f"ents_f_delta_vs_shipped_{tag}", 100 * (m["ents_f"] - shipped), cmd, regime=regime, **params))
        if int8:
            out.append(row(name, f"ents_f_delta_int8_vs_float_{tag}", 100 * (m["ents_f"] - float_f[spans, chunks]), cmd, regime=regime, **params))
    return out


def job_int8(transformer: str, docbin: str, per_doc: str = "10") -> List[Dict]:
    """Strict entity F1 of the packed-spans pipeline in float and in int8 with per-channel and
    per-matrix weight scales (`quantize_pipeline(scales=...)`), on the dev DocBin joined per_doc."""
    import torch

    from spacy_maize_ner.encoders.quantize import quantize_pipeline
    from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline

    torch.set_num_threads(1)
    per_doc = int(per_doc)
    scores = {}
    with tempfile.TemporaryDirectory(prefix="bench-int8-") as tmp:
        data = grouped_docbin(docbin, per_doc, Path(tmp) / "dev-grouped.spacy")
        for scales in ("float", "per_channel", "per_tensor"):
            nlp = load_setting(transformer, "packed", False, 0)
            if scales != "float":
                quantize_pipeline(nlp, scales=scales)
            scores[scales] = evaluate_pipeline(nlp, data, name=f"trf-spacy-packed-int8-{scales}", model_path=transformer)
            del nlp
    cmd, tag, out = COMMAND + " --sections int8", f"dev_per_doc{per_doc}", []
    for scales, m in scores.items():
        name = "trf-spacy-packed" if scales == "float" else f"trf-spacy-packed-int8-{scales}"
        params = {"split": "dev", "model": transformer, "docbin": docbin, "per_doc": per_doc, "documents": m["documents"],
                  "words": m["words"], "ents_p": m["ents_p"], "ents_r": m["ents_r"], "torch_threads": 1, "scales": scales}
        regime = "packed-float" if scales == "float" else f"packed-int8-{scales}"
        out.append(row(name, f"ents_f_{tag}", m["ents_f"], cmd, regime=regime, **params))
        if scales != "float":
            out.append(row(name, f"ents_f_delta_int8_vs_float_{tag}", 100 * (m["ents_f"] - scores["float"]["ents_f"]), cmd,
                           regime=regime, **params))
    return out


def job_ray(crf: str, out_dir: str, *shards: str) -> List[Dict]:
    from spacy_maize_ner.annotate.distributed import annotate_on_ray

    import ray

    os.environ.setdefault("RAY_worker_niceness", "0")
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, object_store_memory=256 * 1024 * 1024)
    out = []
    results = {}
    try:
        for workers in (1, 2):
            folder = Path(out_dir) / f"w{workers}"
            start = time.perf_counter()
            manifest = annotate_on_ray(crf, list(shards), folder, workers=workers, progress=False, overwrite=True)
            wall = time.perf_counter() - start
            words = manifest["totals"]["words"]
            inside = sum(w["words"] for w in manifest["per_worker"].values()) / max(
                max(w["seconds"] for w in manifest["per_worker"].values()), 1e-9)
            results[workers] = words / wall
            params = {"shards": len(shards), "words": words, "wall_seconds": wall,
                      "per_worker": manifest["per_worker"], "model": crf}
            out.append(row(f"ray-crf-{workers}w", "words_per_second", words / wall, COMMAND + " --sections ray", regime="crf", **params))
            out.append(row(f"ray-crf-{workers}w", "actor_words_per_second", inside, COMMAND + " --sections ray", regime="crf", **params))
    finally:
        ray.shutdown()
    out.append(row("ray-crf-2w", "speedup_vs_1_worker", results[2] / results[1], COMMAND + " --sections ray", regime="crf"))
    return out


if __name__ == "__main__":
    dispatch(app)
