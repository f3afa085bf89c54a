"""GPU smoke test: every pipeline family trains a few steps on the GPU, then `annotate --gpu-id N`.

    PYTHONPATH=$PWD:$SITE python3 benchmarks/gpu/smoke.py --gpu-id 0 [--data ../shared/data] [--encoder PATH]
    .venv/bin/python benchmarks/gpu/smoke.py --gpu-id -1      # the same on the CPU (tests/test_gpu_smoke.py)

The families (FAMILIES below) are the project's pipelines as the tests build them quickly: the
transformer with the transition `ner` head (configs/transformer.cfg, regime full), the token
head with its CRF layer (configs/heads/token.cfg, crf = true), LoRA (configs/regimes/lora.cfg),
decoder LLMs as taggers, fully fine-tuned with bidirectional attention and LoRA with causal
attention (configs/decoders/), the generative tagger (configs/generative.cfg), and the CPU
baselines: the CRF (configs/crf.cfg) and the gene dictionary (maize_dictionary_ner). The
encoders are tests/tiny_bert.py's random BERT (or --encoder, a real encoder folder) and
tests/tiny_decoder.py's random Qwen2; nothing is downloaded (HF_HUB_OFFLINE=1).

Each family runs in processes of its own, each with a timeout: a worker trains it (`--steps`
updates with `--gpu-id`, through the project's own training functions), loads the result on
the device and checks where its weights are; then `python -m spacy_maize_ner annotate MODEL
texts.jsonl out.jsonl --gpu-id N` annotates five texts and the output must hold a record for
each. A failure never stops the others. Every step is a row (family, step, PASS/FAIL/SKIP,
seconds, note with the tail of the error); the table is printed as the rows come and at the
end, and written as JSON to --report (rewritten after every row, so a run stopped from outside
leaves what it did). Families not started once --budget seconds have passed are SKIPped.
Exit status 0 whatever the families did (read the report); 1 for bad arguments.

Training data: the first --train-sents sentences of BC2GM train and --dev-sents of devel
(--data, the folder holding bc2gm/train.tsv; by default ../shared/data, then /tmp/gpu-data
where benchmarks/gpu/sweep.sh unpacks it), or synthetic maize sentences (tests/synthetic.py)
when none is found or with --data synthetic. Everything is written under --work (default: a
new temporary folder), never into the repository.
"""
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
CONFIGS = ROOT / "configs"

# name -> what it covers; run in this order
FAMILIES: Dict[str, str] = {
    "transformer": "configs/transformer.cfg (Encoder.v1 + transition ner), regime full",
    "token-crf": "configs/heads/token.cfg with crf = true (maize_token_ner + CRF layer), regime full",
    "lora": "configs/regimes/lora.cfg (PeftEncoder.v1, LoRA r = 4 on the tiny BERT), adapter-only save",
    "decoder-full": "configs/decoders/decoder-full-bidirectional.cfg (Decoder.v1, 4D mask), token head",
    "decoder-lora": "configs/decoders/decoder-lora-causal.cfg (PeftDecoder.v1), token head, adapter-only save",
    "generative": "configs/generative.cfg (maize_generative_ner, LoRA on a causal LM)",
    "crf": "configs/crf.cfg (python-crfsuite, CPU)",
    "dictionary": "maize_dictionary_ner from the training mentions (CPU)",
}
# importable modules each family needs; a family whose modules are missing is SKIPped, naming them
TRANSFORMERS = ("torch", "transformers", "spacy_transformers")
REQUIRES: Dict[str, tuple] = {
    "transformer": TRANSFORMERS,
    "token-crf": TRANSFORMERS,
    "lora": TRANSFORMERS + ("peft",),
    "decoder-full": TRANSFORMERS + ("tokenizers",),
    "decoder-lora": TRANSFORMERS + ("tokenizers", "peft"),
    "generative": ("torch", "transformers", "tokenizers", "peft"),
    "crf": ("pycrfsuite",),
    "dictionary": (),
}
DECODER_FAMILIES = ("decoder-full", "decoder-lora")
CPU_FAMILIES = ("crf", "dictionary")
TAG_TEXTS = {"O": "O", "B-GENE": "B", "I-GENE": "I"}  # one piece each in the tiny decoder's vocabulary
TEXTS = [
    "Expression of ZmCCT9 was higher in the mutant lines .",
    "We cloned Vgt1 and tb1 from the B73 inbred line .",
    "The p53 tumor suppressor binds to the promoter of the human BRCA1 gene.",
    "Mutations in the insulin receptor substrate 1 (IRS-1) gene were found in 12 patients.",
    "Drought stress induced ZmNAC111 in maize leaves. Knockout of Dwarf8 reduced plant height. "
    "No difference was observed between the two hybrids, and ZmPIF3 was not expressed.",
]
DEFAULT_DATA = "../shared/data"
FALLBACK_DATA = "/tmp/gpu-data"  # where benchmarks/gpu/sweep.sh unpacks BC2GM
TAIL_LINES = 30
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- the parent: runs the steps in subprocesses, keeps the table ------------------------------------

class Stopped(Exception):
    """SIGTERM (e.g. sweep.sh's budget): the steps left are skipped, the report is written."""


def _on_sigterm(signum, frame):  # noqa: ARG001
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough: the report is being written
    raise Stopped()


def child_env() -> Dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT), str(TESTS)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8",
                "ANSI_COLORS_DISABLED": "1"})  # wasabi's messages without colour codes in the logs
    return env


def tail(path: Path, n: int = TAIL_LINES) -> List[str]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    lines = [ANSI.sub("", line).rstrip() for line in lines]
    return [line for line in lines if line.strip()][-n:]


def error_note(lines: List[str]) -> str:
    """The log's last line (a traceback's is the error; `annotate` prints its message last), with the
    one before when it is short; shortened."""
    if not lines:
        return "no output"
    text = " | ".join(line.strip() for line in lines[-2:]) if len(lines[-1]) < 40 else lines[-1].strip()
    return text[-300:]


def timed_out_note(limit: float, timeout: float) -> str:
    return f"timed out after {limit:.0f} s" + (" (what was left of --budget)" if limit < timeout else " (--timeout)")


def run_step(cmd: List[str], log: Path, timeout: float, cwd: Path) -> Dict[str, Any]:
    """Run `cmd` in a new session with stdout+stderr to `log`; kill its process group on timeout.
    RETURNS {"rc", "seconds", "timed_out"}."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=str(cwd), env=child_env(),
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=max(1.0, timeout))
            timed_out = False
        except BaseException as err:  # a timeout, or SIGTERM/Ctrl-C of the parent: the step's processes go too
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            if not isinstance(err, subprocess.TimeoutExpired):
                raise
            rc, timed_out = -9, True
    return {"rc": rc, "seconds": time.perf_counter() - start, "timed_out": timed_out}


class Smoke:
    def __init__(self, report: Path, settings: Dict[str, Any]):
        self.report = report
        self.settings = settings
        self.rows: List[Dict[str, Any]] = []
        self.env: Dict[str, Any] = {}
        self.started = time.perf_counter()
        self.printed_header = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def add(self, family: str, step: str, status: str, seconds: float, note: str, **extra: Any) -> Dict[str, Any]:
        row = {"family": family, "step": step, "status": status, "seconds": round(seconds, 1), "note": note, **extra}
        self.rows.append(row)
        if not self.printed_header:
            print(f"[smoke] {'family':<13} {'step':<9} {'status':<6} {'seconds':>7}  note", flush=True)
            self.printed_header = True
        print(f"[smoke] {family:<13} {step:<9} {status:<6} {seconds:7.1f}  {note[:160]}", flush=True)
        self.write()
        return row

    def summary(self) -> Dict[str, int]:
        out = {"PASS": 0, "FAIL": 0, "SKIP": 0}
        for row in self.rows:
            out[row["status"]] = out.get(row["status"], 0) + 1
        return out

    def write(self) -> None:
        data = {"gpu_id": self.settings["gpu_id"], "seconds": round(self.elapsed(), 1), "settings": self.settings,
                "env": self.env, "summary": self.summary(), "rows": self.rows}
        self.report.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.report.with_name(self.report.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.report)

    def table(self) -> str:
        header = ("family", "step", "status", "seconds", "note")
        body = [(r["family"], r["step"], r["status"], f"{r['seconds']:.1f}", r["note"][:110]) for r in self.rows]
        widths = [max(len(header[i]), *(len(b[i]) for b in body)) if body else len(header[i]) for i in range(4)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header[:4], widths)) + "  " + header[4]]
        lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
        for b in body:
            cells = [b[i].rjust(widths[i]) if i == 3 else b[i].ljust(widths[i]) for i in range(4)]
            lines.append("  ".join(cells) + "  " + b[4])
        s = self.summary()
        lines.append(f"{s['PASS']} passed, {s['FAIL']} failed, {s['SKIP']} skipped in {self.elapsed():.0f} s "
                     f"(gpu-id {self.settings['gpu_id']}); report: {self.report}")
        return "\n".join(lines)


def missing_modules(family: str) -> List[str]:
    """The modules `family` needs that cannot be imported here (found, not imported)."""
    import importlib.util

    missing = []
    for name in REQUIRES[family]:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def worker_cmd(name: str, config: Path) -> List[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--worker-config", str(config)]


def check_annotations(output: Path, n_inputs: int) -> str:
    """A note on the annotated JSONL; RAISES (ValueError) unless it holds a record per input."""
    if not output.is_file():
        raise ValueError(f"no output file {output.name}")
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(records) != n_inputs:
        raise ValueError(f"{len(records)} records written for {n_inputs} inputs")
    if not all(isinstance(r.get("entities"), list) for r in records):
        raise ValueError("a record without an entities list")
    n_ents = sum(len(r["entities"]) for r in records)
    labels = sorted({e.get("label") for r in records for e in r["entities"]})
    return f"{len(records)}/{n_inputs} records, {n_ents} entities" + (f" ({', '.join(map(str, labels))})" if labels else "")


def run_smoke(smoke: Smoke, work: Path, families: List[str], gpu_id: int, timeout: float, budget: float) -> None:
    config = work / "config.json"
    logs = work / "logs"
    missing = {family: missing_modules(family) for family in families}
    settings = json.loads(config.read_text())
    settings["runnable"] = [f for f in families if not missing[f]]  # the setup writes the models of these
    config.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")

    def left(step_timeout: float) -> Optional[float]:
        if budget <= 0:
            return step_timeout
        remaining = budget - smoke.elapsed()
        return min(step_timeout, remaining) if remaining > 5 else None

    # setup: data, tiny models, the device
    limit = left(max(timeout, 60.0))
    (work / "setup.json").unlink(missing_ok=True)  # nothing of an earlier run in the same --work counts
    result = run_step(worker_cmd("setup", config), logs / "setup.log", limit or 1.0, work)
    setup_file = work / "setup.json"
    info = json.loads(setup_file.read_text()) if setup_file.is_file() else {}
    smoke.env = info.get("env", {})
    setup_ok = result["rc"] == 0 and info.get("ok", False)
    if setup_ok:
        smoke.add("setup", "data", "PASS", result["seconds"], info.get("note", ""), log=str(logs / "setup.log"))
    else:
        lines = tail(logs / "setup.log")
        why = timed_out_note(limit, timeout) if result["timed_out"] else error_note(lines)
        smoke.add("setup", "data", "FAIL", result["seconds"], why, log=str(logs / "setup.log"), error_tail=lines)
    env_ok = bool(smoke.env.get("device_ok"))
    smoke.add("setup", "device", "PASS" if env_ok else "FAIL", 0.0, smoke.env.get("device_note", "no device check ran"))

    for family in families:
        if missing.get(family):
            for step in ("train", "annotate"):
                smoke.add(family, step, "SKIP", 0.0, f"not installed here: {', '.join(missing[family])}")
            continue
        if not setup_ok:
            for step in ("train", "annotate"):
                smoke.add(family, step, "SKIP", 0.0, "setup failed: no data or models")
            continue
        limit = left(timeout)
        if limit is None:
            for step in ("train", "annotate"):
                smoke.add(family, step, "SKIP", 0.0, f"total budget of {budget:.0f} s spent")
            continue
        folder = work / family
        log = logs / f"{family}.train.log"
        result_file = folder / "result.json"
        result_file.unlink(missing_ok=True)
        result = run_step(worker_cmd(family, config), log, limit, work)
        out = json.loads(result_file.read_text()) if result["rc"] == 0 and result_file.is_file() else {}
        if not out:
            lines = tail(log)
            why = timed_out_note(limit, timeout) if result["timed_out"] else error_note(lines)
            smoke.add(family, "train", "FAIL", result["seconds"], why, log=str(log), error_tail=lines)
            smoke.add(family, "annotate", "SKIP", 0.0, "training failed")
            continue
        if out.get("device_problem"):  # trained, but loaded with weights on the CPU: annotate anyway
            smoke.add(family, "train", "FAIL", result["seconds"], out["device_problem"], log=str(log), model=out["model"],
                      devices=out.get("devices"))
        else:
            smoke.add(family, "train", "PASS", result["seconds"], out.get("note", ""), log=str(log), model=out["model"],
                      devices=out.get("devices"))
        limit = left(timeout)
        if limit is None:
            smoke.add(family, "annotate", "SKIP", 0.0, f"total budget of {budget:.0f} s spent")
            continue
        log = logs / f"{family}.annotate.log"
        output = folder / "annotated.jsonl"
        cmd = [sys.executable, "-m", "spacy_maize_ner", "annotate", out["model"], str(work / "texts.jsonl"), str(output),
               "--gpu-id", str(gpu_id), "--no-progress", "--overwrite"]
        result = run_step(cmd, log, limit, work)
        lines = tail(log)
        if result["timed_out"]:
            smoke.add(family, "annotate", "FAIL", result["seconds"], timed_out_note(limit, timeout), log=str(log),
                      error_tail=lines)
            continue
        if result["rc"] != 0:
            smoke.add(family, "annotate", "FAIL", result["seconds"], f"exit {result['rc']}: {error_note(lines)}",
                      log=str(log), error_tail=lines)
            continue
        try:
            note = check_annotations(output, len(TEXTS))
        except (ValueError, OSError) as err:
            smoke.add(family, "annotate", "FAIL", result["seconds"], str(err), log=str(log), error_tail=lines)
            continue
        smoke.add(family, "annotate", "PASS", result["seconds"], note, log=str(log), output=str(output))


def bad(message: str) -> None:
    raise typer.BadParameter(message)


def main(
    gpu_id: int = typer.Option(0, "--gpu-id", "-g", help="GPU to train and annotate on; -1 for the CPU"),
    data: Optional[str] = typer.Option(None, "--data", help=f"Folder with bc2gm/train.tsv and bc2gm/devel.tsv, or 'synthetic' "
                                       f"(default: {DEFAULT_DATA}, then {FALLBACK_DATA}, then synthetic sentences)"),
    encoder: Optional[Path] = typer.Option(None, "--encoder", help="A real encoder folder for transformer, token-crf and lora "
                                           "(default: tests/tiny_bert.py's random BERT)"),
    report: Path = typer.Option(Path("smoke.json"), "--report", "-r", help="The JSON report (rewritten after every step)"),
    work: Optional[Path] = typer.Option(None, "--work",
                                        help="Working folder (default: a new temporary folder, kept for its logs)"),
    families: str = typer.Option(",".join(FAMILIES), "--families", "-f", help="Comma-separated families to run, in this order"),
    steps: int = typer.Option(4, "--steps", min=1, help="Training updates per family"),
    train_sents: int = typer.Option(200, "--train-sents", min=10, help="Training sentences"),
    dev_sents: int = typer.Option(40, "--dev-sents", min=2, help="Dev sentences (evaluated once during training)"),
    timeout: float = typer.Option(120.0, "--timeout", min=1, help="Seconds per step (one process) at most"),
    budget: float = typer.Option(220.0, "--budget", min=0, help="Seconds for the whole run; steps not started by then are "
                                 "skipped (0: no limit)"),
    worker: Optional[str] = typer.Option(None, "--worker", hidden=True),
    worker_config: Optional[Path] = typer.Option(None, "--worker-config", hidden=True),
) -> None:
    """Train each pipeline family a few steps on the GPU, then annotate with --gpu-id; PASS/FAIL per family."""
    if worker:
        sys.exit(worker_main(worker, worker_config))
    chosen = [f.strip() for f in families.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FAMILIES]
    if unknown or not chosen:
        bad(f"unknown families {unknown} (known: {', '.join(FAMILIES)})" if unknown else "no family given")
    if len(set(chosen)) != len(chosen):
        bad(f"a family is given twice: {chosen}")
    if gpu_id < -1:
        bad(f"--gpu-id must be -1 (CPU) or a GPU number, not {gpu_id}")
    if encoder is not None and not (encoder / "config.json").is_file():
        bad(f"--encoder {encoder}: not an encoder folder (no config.json)")
    data_note = ""
    if data == "synthetic":
        data_dir = None
        data_note = "synthetic sentences (--data synthetic)"
    elif data is not None:
        data_dir = Path(data)
        if not (data_dir / "bc2gm" / "train.tsv").is_file() or not (data_dir / "bc2gm" / "devel.tsv").is_file():
            bad(f"--data {data}: no bc2gm/train.tsv and bc2gm/devel.tsv there")
    else:
        found = [Path(p) for p in (DEFAULT_DATA, FALLBACK_DATA) if (Path(p) / "bc2gm" / "train.tsv").is_file()
                 and (Path(p) / "bc2gm" / "devel.tsv").is_file()]
        data_dir = found[0] if found else None
        if data_dir is None:
            data_note = f"synthetic sentences (no bc2gm/ in {DEFAULT_DATA} or {FALLBACK_DATA})"
    work = Path(work) if work is not None else Path(tempfile.mkdtemp(prefix="maize-smoke-"))
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    report = report.resolve()
    settings = {
        "gpu_id": gpu_id, "families": chosen, "steps": steps, "train_sents": train_sents, "dev_sents": dev_sents,
        "data": str(data_dir.resolve()) if data_dir else None, "data_note": data_note,
        "encoder": str(encoder.resolve()) if encoder else None, "work": str(work), "timeout": timeout, "budget": budget,
        "python": sys.executable, "host": platform.node(),
    }
    (work / "config.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    smoke = Smoke(report, settings)
    print(f"[smoke] gpu-id {gpu_id}; families {', '.join(chosen)}; data {settings['data'] or data_note}; work {work}", flush=True)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        run_smoke(smoke, work, chosen, gpu_id, timeout, budget)
    except (Stopped, KeyboardInterrupt):
        smoke.add("smoke", "stopped", "SKIP", 0.0, "stopped from outside (SIGTERM or Ctrl-C); the steps after this were not run")
        for family in chosen:
            done = {r["step"] for r in smoke.rows if r["family"] == family}
            for step in ("train", "annotate"):
                if step not in done:
                    smoke.add(family, step, "SKIP", 0.0, "stopped from outside before this step ended")
    except Exception as err:  # a bug of this script: the rows so far still count
        smoke.add("smoke", "internal", "FAIL", 0.0, f"{type(err).__name__}: {err}",
                  error_tail=traceback.format_exc().splitlines()[-TAIL_LINES:])
    finally:
        signal.signal(signal.SIGTERM, previous)
    smoke.write()
    print("\n" + smoke.table(), flush=True)


# --- the workers: one per process ---------------------------------------------------------------------

def worker_main(name: str, config_path: Optional[Path]) -> int:
    if config_path is None:
        print("--worker needs --worker-config", file=sys.stderr)
        return 2
    settings = json.loads(Path(config_path).read_text())
    work = Path(settings["work"])
    for path in (str(TESTS), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    if name == "setup":
        return worker_setup(settings, work)
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = TRAINERS[name](settings, work, folder)
    result["train_seconds"] = round(time.perf_counter() - start, 1)  # in process, without imports and start-up
    result.update(check_on_device(Path(result["model"]), settings["gpu_id"]))
    result["note"] = f"{result['note']}; trained in {result['train_seconds']} s; {result['device_note']}"
    (folder / "result.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def worker_setup(settings: Dict[str, Any], work: Path) -> int:
    """Corpus (train.spacy, dev.spacy), the texts to annotate and the tiny models; the device check."""
    info: Dict[str, Any] = {"ok": False, "env": device_env(settings["gpu_id"])}
    (work / "setup.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    from spacy.tokens import Doc, DocBin, Span

    from spacy_maize_ner.corpus.nlp import make_blank_nlp
    from spacy_maize_ner.tags import tags_to_spans

    nlp = make_blank_nlp()
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    if settings["data"]:
        from spacy_maize_ner.corpus.iob import read_iob_sentences

        def sentences(split: str, n: int):
            out = []
            for sent in read_iob_sentences(Path(settings["data"]) / "bc2gm" / f"{split}.tsv"):
                out.append((sent.words, sent.tags))
                if len(out) >= n:
                    break
            return out

        sets = {"train": sentences("train", settings["train_sents"]), "dev": sentences("devel", settings["dev_sents"])}
        source = f"BC2GM ({settings['data']})"
    else:
        from synthetic import maize_sentences

        sets = {"train": maize_sentences(settings["train_sents"], seed=0), "dev": maize_sentences(settings["dev_sents"], seed=1)}
        source = settings["data_note"] or "synthetic sentences"
    counts = {}
    for split, sents in sets.items():
        db = DocBin()
        n_ents = 0
        for words, tags in sents:
            doc = Doc(nlp.vocab, words=words)
            doc.ents = [Span(doc, s, e, label=label) for s, e, label in tags_to_spans(tags)]
            n_ents += len(doc.ents)
            db.add(doc)
        db.to_disk(corpus / f"{split}.spacy")
        counts[split] = (len(sents), n_ents)
    with (work / "texts.jsonl").open("w", encoding="utf-8") as out:
        for i, text in enumerate(TEXTS):
            out.write(json.dumps({"id": f"smoke-{i}", "text": text}) + "\n")
    families = settings.get("runnable", settings["families"])
    models = work / "models"
    written = []
    if not settings["encoder"] and any(f in families for f in ("transformer", "token-crf", "lora")):
        import tiny_bert

        # BC2GM words are not in the tiny vocabulary and split into characters: room for them
        tiny_bert.MAX_POSITIONS = 512
        tiny_bert.write_tiny_bert(models / "tiny-bert")
        written.append("tiny BERT")
    if any(f in families for f in DECODER_FAMILIES):
        from tiny_decoder import write_tiny_decoder

        write_tiny_decoder(models / "tiny-decoder", "qwen2")
        written.append("tiny Qwen2 decoder")
    if "generative" in families:
        from tiny_decoder import write_tiny_causal_lm

        write_tiny_causal_lm(models / "tiny-lm", "qwen2")
        written.append("tiny Qwen2 causal LM")
    note = (f"{source}: train {counts['train'][0]} sentences ({counts['train'][1]} mentions), "
            f"dev {counts['dev'][0]}; {', '.join(written) or 'no tiny model'}"
            + (f"; encoder {settings['encoder']}" if settings["encoder"] else ""))
    info.update({"ok": True, "note": note})
    (work / "setup.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(note)
    return 0


def device_env(gpu_id: int) -> Dict[str, Any]:
    """Versions, and whether the device asked for works (torch, CuPy, spacy.require_gpu)."""
    env: Dict[str, Any] = {"python": platform.python_version(), "machine": platform.node()}
    problems = []
    try:
        import spacy
        import thinc
        import torch
        import transformers

        env.update({"spacy": spacy.__version__, "thinc": thinc.__version__, "torch": torch.__version__,
                    "transformers": transformers.__version__, "cuda_available": torch.cuda.is_available()})
        from importlib.metadata import PackageNotFoundError, version

        for dist in ("spacy-transformers", "peft", "cupy-cuda12x", "cupy-cuda11x", "cupy"):
            try:
                env[dist] = version(dist)
            except PackageNotFoundError:
                pass
        if gpu_id >= 0:
            if torch.cuda.is_available():
                env["gpu"] = torch.cuda.get_device_name(gpu_id)
            else:
                problems.append("torch sees no CUDA device")
            try:
                import cupy

                env["cupy"] = cupy.__version__
                spacy.require_gpu(gpu_id)
                env["thinc_ops"] = type(thinc.api.get_current_ops()).__name__
            except Exception as err:  # noqa: BLE001
                problems.append(f"spacy.require_gpu({gpu_id}): {type(err).__name__}: {err}")
    except Exception as err:  # noqa: BLE001
        problems.append(f"{type(err).__name__}: {err}")
    env["device_ok"] = not problems
    if problems:
        env["device_note"] = "; ".join(problems)
    elif gpu_id >= 0:
        env["device_note"] = (f"{env.get('gpu')}, torch {env.get('torch')}, cupy {env.get('cupy')}, spaCy {env.get('spacy')}, "
                              f"thinc ops {env.get('thinc_ops')}")
    else:
        env["device_note"] = f"CPU (--gpu-id -1), torch {env.get('torch')}, spaCy {env.get('spacy')}, Python {env['python']}"
    return env


def check_on_device(model_dir: Path, gpu_id: int) -> Dict[str, Any]:
    """Load the trained pipeline as `annotate` does (spacy.require_gpu first) and say where its weights are;
    on the GPU, a torch or thinc weight left on the CPU is a "device_problem" (the step fails)."""
    import spacy
    from thinc.api import Model

    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    nlp = spacy.load(model_dir)
    torch_devices, thinc_arrays, where = set(), set(), []
    for name, pipe in nlp.components:
        modules = []
        model = getattr(pipe, "model", None)
        if isinstance(model, Model):
            for node in model.walk():
                for param in node.param_names:
                    if node.has_param(param):
                        kind = type(node.get_param(param)).__module__.split(".")[0]
                        thinc_arrays.add(kind)
                        if gpu_id >= 0 and kind == "numpy":
                            where.append(f"{name}: thinc {node.name}.{param} is a numpy array")
                for shim in node.shims:
                    torch_model = getattr(shim, "_model", None)
                    if hasattr(torch_model, "parameters"):
                        modules.append(torch_model)
        lm = getattr(pipe, "lm", None)  # the generative tagger keeps its decoder outside thinc
        if hasattr(lm, "parameters"):
            modules.append(lm)
        for module in modules:
            for pname, p in module.named_parameters():
                torch_devices.add(str(p.device))
                if gpu_id >= 0 and p.device.type != "cuda":
                    where.append(f"{name}: torch {pname} on {p.device}")
            for bname, b in module.named_buffers():
                if gpu_id >= 0 and b.device.type != "cuda":
                    where.append(f"{name}: torch buffer {bname} on {b.device}")
    parts = []
    if torch_devices:
        parts.append("torch on " + ",".join(sorted(torch_devices)))
    if thinc_arrays:
        parts.append("thinc arrays " + ",".join(sorted(thinc_arrays)))
    note = "loaded: " + ("; ".join(parts) if parts else "no torch or thinc weights (CPU component)")
    out: Dict[str, Any] = {"devices": sorted(torch_devices | thinc_arrays), "device_note": note}
    if where:
        out["device_problem"] = (f"after spacy.require_gpu({gpu_id}) and spacy.load, {len(where)} weights are on the CPU: "
                                 + "; ".join(where[:5]))
    return out


def _trf_overrides(settings: Dict[str, Any], work: Path, encoder: str, tiny: bool, **extra: Any) -> Dict[str, Any]:
    """tests/tiny_training.py's overrides: `steps` updates on batches of 300 padded words, one evaluation."""
    steps = settings["steps"]
    out: Dict[str, Any] = {
        "paths.train": str(work / "corpus" / "train.spacy"),
        "paths.dev": str(work / "corpus" / "dev.spacy"),
        "paths.encoder": encoder,
        "training.max_steps": steps,
        "training.max_epochs": 0,
        "training.eval_frequency": steps,
        "training.logger.progress_bar": False,
        "training.batcher.size": 300,
    }
    if tiny:  # constant high rates, short windows (as the tests: the tiny models learn nothing either way)
        out.update({
            "training.optimizer.learn_rate.warmup_steps": 1,
            "training.optimizer.learn_rate.initial_rate": 0.01,
            "training.optimizer.learn_rate.final_rate": 0.01,
            "components.transformer.model.get_spans.window": 24,
            "components.transformer.model.get_spans.stride": 16,
        })
    out.update(extra)
    return out


def _train_regime(settings: Dict[str, Any], work: Path, folder: Path, regime_file: Path, *, head: str = "transition",
                  decoder: bool = False, **extra: Any) -> Dict[str, Any]:
    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import train_regime

    if decoder:
        encoder, tiny = str(work / "models" / "tiny-decoder"), True
    elif settings["encoder"]:
        encoder, tiny = settings["encoder"], False
    else:
        encoder, tiny = str(work / "models" / "tiny-bert"), True
    spec = read_regime(regime_file)
    overrides = _trf_overrides(settings, work, encoder, tiny, **extra)
    train_regime(CONFIGS / "transformer.cfg", spec, folder / "out", overrides, gpu_id=settings["gpu_id"], head=head)
    return {"model": str(folder / "out" / "model-last"),
            "note": (f"{settings['steps']} steps, regime {spec.name}, head {head}, "
                     f"{'tiny ' if tiny else ''}encoder {Path(encoder).name}")}


def train_transformer(settings, work, folder):
    return _train_regime(settings, work, folder, CONFIGS / "regimes" / "full.cfg")


def train_token_crf(settings, work, folder):
    result = _train_regime(settings, work, folder, CONFIGS / "regimes" / "full.cfg", head="token",
                           **{"components.ner.model.crf": True,
                              "training.optimizer.groups.head.learn_rate.initial_rate": 0.01,
                              "training.optimizer.groups.head.learn_rate.warmup_steps": 1})
    result["note"] += " (crf = true)"
    return result


def train_lora(settings, work, folder):
    extra = {} if settings["encoder"] else {"components.transformer.model.peft.r": 4}
    return _train_regime(settings, work, folder, CONFIGS / "regimes" / "lora.cfg", **extra)


def train_decoder_full(settings, work, folder):
    return _train_regime(settings, work, folder, CONFIGS / "decoders" / "decoder-full-bidirectional.cfg", head="token",
                         decoder=True)


def train_decoder_lora(settings, work, folder):
    return _train_regime(settings, work, folder, CONFIGS / "decoders" / "decoder-lora-causal.cfg", head="token",
                         decoder=True, **{"components.transformer.model.peft.r": 4})


def _spacy_train(config: Path, output: Path, gpu_id: int, overrides: Dict[str, Any]) -> None:
    from spacy.cli.train import train

    train(config, output, use_gpu=gpu_id, overrides=overrides)


def train_generative(settings, work, folder):
    steps = settings["steps"]
    overrides = {
        "paths.train": str(work / "corpus" / "train.spacy"), "paths.dev": str(work / "corpus" / "dev.spacy"),
        "paths.encoder": str(work / "models" / "tiny-lm" / "lm"),  # write_tiny_causal_lm's folder
        "training.max_steps": steps, "training.max_epochs": 0, "training.eval_frequency": steps,
        "training.optimizer.learn_rate.total_steps": steps, "training.optimizer.learn_rate.warmup_steps": 1,
        "training.logger.progress_bar": False, "training.batcher.size": 300,
        "corpora.dev.limit": 10,  # decoding costs a decoder step per word
        "components.ner.tag_texts": TAG_TEXTS, "components.ner.peft.r": 2,
    }
    _spacy_train(CONFIGS / "generative.cfg", folder / "out", settings["gpu_id"], overrides)
    return {"model": str(folder / "out" / "model-last"), "note": f"{steps} steps, LoRA r = 2 on the tiny causal LM"}


def train_crf(settings, work, folder):
    overrides = {"paths.train": str(work / "corpus" / "train.spacy"), "paths.dev": str(work / "corpus" / "dev.spacy"),
                 "components.crf_ner.max_iterations": 20, "training.logger.progress_bar": False}
    _spacy_train(CONFIGS / "crf.cfg", folder / "out", settings["gpu_id"], overrides)
    return {"model": str(folder / "out" / "model-last"), "note": "20 L-BFGS iterations (spacy train --gpu-id)"}


def train_dictionary(settings, work, folder):
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Example

    from spacy_maize_ner.corpus.nlp import make_blank_nlp

    if settings["gpu_id"] >= 0:
        spacy.require_gpu(settings["gpu_id"])
    nlp = make_blank_nlp()
    ner = nlp.add_pipe("maize_dictionary_ner")
    docs = list(DocBin().from_disk(work / "corpus" / "train.spacy").get_docs(nlp.vocab))
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in docs])
    out = folder / "out" / "model-last"
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return {"model": str(out), "note": f"{len(ner.terms)} terms from the training mentions"}


TRAINERS = {
    "transformer": train_transformer,
    "token-crf": train_token_crf,
    "lora": train_lora,
    "decoder-full": train_decoder_full,
    "decoder-lora": train_decoder_lora,
    "generative": train_generative,
    "crf": train_crf,
    "dictionary": train_dictionary,
}
assert list(TRAINERS) == list(FAMILIES) == list(REQUIRES)


def cli() -> None:
    """Run `main`; bad arguments exit 1 (click's usage errors would exit 2), everything else 0."""
    # click's exception classes, wherever this typer takes click from (typer >= 0.20 vendors it)
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    abort = getattr(typer, "Abort", usage_error)
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(main)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=sys.argv[1:], prog_name="smoke.py", standalone_mode=False)
    except usage_error as err:
        err.show()
        sys.exit(1)
    except abort:
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    cli()
