"""benchmarks/bench_update_speed.py: regimes timed in alternation, rows for each, ratios to the first."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.slow  # times full and LoRA updates in a fresh process; the summary in process below
def test_update_speed_times_each_regime_in_turn_and_writes_its_rows(tiny_bert, gene_corpus, tmp_path):
    pytest.importorskip("peft")
    results = tmp_path / "speed.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_update_speed.py"), "--regime", "full", "--regime", "lora",
         "--encoder", str(tiny_bert), "--corpus-dir", str(gene_corpus), "--updates", "1", "--dev-docs", "5",
         "--rounds", "2", "--results", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(results.read_text())
    by_key = {(r["regime"], r["seed"], r["metric"]): r for r in rows}
    assert set(by_key) == {(regime, round_index, metric) for regime in ("full", "lora") for round_index in (0, 1)
                           for metric in ("seconds_per_update", "words_per_second")}
    assert all(r["value"] > 0 for r in rows)
    row = by_key["lora", 1, "seconds_per_update"]
    assert row["params"]["updates"] == 1 and len(row["params"]["batch_docs"]) == 1 and row["params"]["dev_docs"] == 5
    assert row["params"]["torch_threads"] == 1 and len(row["params"]["encoder_sha256"]) == 16
    assert "x full" in proc.stdout and "lora" in proc.stdout  # the summary names the reference regime


def test_update_speed_summary_gives_medians_and_ratios_to_the_first_regime():
    from bench_update_speed import summary

    def rows(regime, updates, speeds):
        return [{"regime": regime, "metric": "seconds_per_update", "value": u} for u in updates] + \
               [{"regime": regime, "metric": "words_per_second", "value": w} for w in speeds]

    lines = summary(rows("full", [2.0, 2.2, 9.0], [100, 110, 90]) + rows("lora", [1.0, 1.1, 1.2], [50, 55, 60]), ["full", "lora"])
    full, lora = lines[1].split(), lines[2].split()
    assert full[1:3] == ["2.200", "1.00"] and lora[1:3] == ["1.100", "0.50"]  # medians, not means (9.0 is an outlier)
    assert lora[3:5] == ["55", "0.55"] and lora[5] == "3"


def test_update_speed_names_a_missing_regime_file(tiny_bert, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_update_speed.py"), "--regime", "nosuch", "--encoder", str(tiny_bert),
         "--results", str(tmp_path / "r.json")], cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0 and "configs/regimes/nosuch.cfg" in proc.stderr
