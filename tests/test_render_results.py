"""benchmarks/render_results.py: what RESULTS.md shows for each kind of row."""
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def row(pipeline, metric, value, seed=0):
    return {"pipeline": pipeline, "encoder": "minilm", "regime": "full", "params": {}, "data": "bc2gm", "split": "dev",
            "seed": seed, "machine": "test", "date": "2026-12-04T00:00:00+00:00", "command": "python x.py", "metric": metric,
            "value": value}


def test_a_paired_comparison_is_listed_with_its_difference_not_as_an_empty_pipeline_row(tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCH))
    import render_results

    (tmp_path / "results").mkdir()
    (tmp_path / "notes").mkdir()
    rows = [row("trf-a", "ents_f", 0.79), row("trf-a", "ents_p", 0.78), row("trf-a", "ents_r", 0.80),
            row("trf-a-vs-crf", "paired_f1_delta", 0.0395)]
    (tmp_path / "results" / "transformers.json").write_text(json.dumps(rows))
    render_results.main(tmp_path)
    text = (tmp_path / "RESULTS.md").read_text()
    main_table, other = text.split("Other metrics", 1)
    assert "| trf-a | minilm | full | 78.00 | 80.00 | 79.00 |" in main_table
    assert "trf-a-vs-crf" not in main_table
    line = next(l for l in other.splitlines() if l.startswith("| trf-a-vs-crf |"))
    assert "+3.95" in line
    assert not any(l.startswith("| trf-a |") for l in other.splitlines())
