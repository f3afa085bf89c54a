"""benchmarks/gpu/smoke.py, the GPU smoke test, run on the CPU (--gpu-id -1): every pipeline family
trains a few steps and `annotate` writes a record per input, so the script is known to work
before a lent GPU runs it."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu" / "smoke.py"
# Every family the script must cover; a family dropped from the script fails the test.
FAMILIES = ["transformer", "token-crf", "lora", "decoder-full", "decoder-lora", "generative", "crf", "dictionary"]


def run_smoke(*args, cwd, timeout=60):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def test_the_script_names_every_family():
    spec = importlib.util.spec_from_file_location("gpu_smoke", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the parent imports typer only
    assert list(module.FAMILIES) == FAMILIES


@pytest.mark.parametrize("args", [["--families", "transformer,nope"], ["--steps", "0"], ["--no-such-option"],
                                  ["--data", "no/such/folder"], ["--gpu-id", "-2"]])
def test_bad_arguments_exit_1_before_any_work(tmp_path, args):
    proc = run_smoke("--gpu-id", "-1", "--report", str(tmp_path / "smoke.json"), "--work", str(tmp_path / "work"), *args,
                     cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not (tmp_path / "smoke.json").exists() and not (tmp_path / "work").exists()


@pytest.mark.slow  # 17 fresh processes (a worker and `annotate` per family): about 2 minutes on one CPU core
def test_every_family_trains_and_annotates_on_the_cpu(tmp_path):
    pytest.importorskip("spacy_transformers")
    pytest.importorskip("peft")
    shared = ROOT.parent / "shared" / "data"
    data = str(shared) if (shared / "bc2gm" / "train.tsv").is_file() else "synthetic"
    report = tmp_path / "smoke.json"
    proc = run_smoke("--gpu-id", "-1", "--data", data, "--report", str(report), "--work", str(tmp_path / "work"),
                     "--train-sents", "60", "--dev-sents", "10", "--budget", "0", cwd=tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = json.loads(report.read_text())["rows"]
    assert [(r["family"], r["step"]) for r in rows] == \
        [("setup", "data"), ("setup", "device")] + [(f, step) for f in FAMILIES for step in ("train", "annotate")]
    failed = [f"{r['family']} {r['step']}: {r['status']} {r['note']}\n  " + "\n  ".join(r.get("error_tail", [])[-8:])
              for r in rows if r["status"] != "PASS"]
    assert not failed, "\n".join(failed)
    for row in rows:
        if row["step"] == "annotate":
            assert row["note"].startswith("5/5 records"), row
    # the table is printed at the end, a line per step
    assert all(f in proc.stdout.split("\n\n")[-1] for f in FAMILIES)
