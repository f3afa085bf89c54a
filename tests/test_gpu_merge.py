"""benchmarks/gpu/merge.py: what a sweep on a lent GPU brought back joins the rows, never
replacing a CPU row, and its dev predictions land where bench_paired looks for them."""
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu" / "merge.py"


def row(pipeline, metric, value, seed=0):
    return {"pipeline": pipeline, "data": "bc2gm", "seed": seed, "metric": metric, "value": value,
            "params": {"model": f"training/benchmarks/bc2gm/{pipeline}-s{seed}/model-best"}}


def pack(folder: Path, files: dict) -> None:
    """results.tar.gz as sweep.sh writes it: absolute /tmp/gpu-runs paths and repo-relative ones."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / "results.tar.gz", "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def merge(files: Path, results: Path, root: Path):
    return subprocess.run([sys.executable, str(SCRIPT), str(files), "--results", str(results), "--root", str(root),
                           "--no-render-results"], capture_output=True, text=True)


def test_finished_jobs_are_merged_and_their_predictions_kept_where_bench_paired_looks(tmp_path):
    cpu = [row("trf-minilm-full-transition-ep3", "ents_f", 0.7885)]
    results = tmp_path / "transformers.json"
    results.write_text(json.dumps(cpu))
    gpu = [row("trf-minilm-full-token-ep3-gpu", "ents_f", 0.7709), row("trf-minilm-full-token-ep3-gpu", "ents_p", 0.7464)]
    docs = '{"doc":0,"tp":1,"fp":0,"fn":0,"gold":[[0,3,"GENE","tb1"]],"pred":[[0,3,"GENE","tb1"]]}\n'
    pack(tmp_path / "files", {
        "tmp/gpu-runs/token-ep3-s0.rows.json": json.dumps(gpu),
        "tmp/gpu-runs/token-ep3-s0.log": "trained\n",
        "tmp/gpu-runs/ep3-s0.log": "VisibleDeprecationWarning: x\n",
        "tmp/gpu-runs/ep3-s0.stdout": "  2     1200   0.12   79.10\n",
        "training/benchmarks/bc2gm/trf-minilm-full-token-ep3-gpu-s0/model-best.docs.jsonl": docs,
        "training/encoders/minilm-dapt/dapt.json": '{"steps": 300}',
    })
    proc = merge(tmp_path / "files", results, tmp_path / "root")
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(results.read_text())
    assert cpu[0] in merged and all(r in merged for r in gpu) and len(merged) == 3
    kept = tmp_path / "root" / "training/benchmarks/bc2gm/trf-minilm-full-token-ep3-gpu-s0/model-best.docs.jsonl"
    assert kept.read_text() == docs
    assert json.loads((tmp_path / "root" / "training/encoders/minilm-dapt-gpu/dapt.json").read_text()) == {"steps": 300}
    # a stopped job is listed with how far it got, without the warnings
    assert "ep3-s0: no rows" in proc.stderr and "79.10" in proc.stderr and "Deprecation" not in proc.stderr
    # bench_paired finds the seed from its kept predictions although the model is gone
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_paired import doc_counts, kept_models

    rows_dir = tmp_path / "rows"
    rows_dir.mkdir()
    (rows_dir / "t.json").write_text(json.dumps([dict(r, params={"model": str(kept.parent / "model-best")}) for r in gpu]))
    models = kept_models("trf-minilm-full-token-ep3-gpu", rows_dir)
    assert models == {0: kept.parent / "model-best"} and not (kept.parent / "model-best").exists()
    records, f1 = doc_counts(models[0], tmp_path / "no-dev-needed.spacy")
    assert len(records) == 1 and f1 == 1.0


def test_rows_without_the_gpu_mark_are_refused_and_nothing_is_merged(tmp_path):
    results = tmp_path / "transformers.json"
    results.write_text(json.dumps([row("trf-minilm-full-transition-ep3", "ents_f", 0.7885)]))
    before = results.read_text()
    pack(tmp_path / "files", {
        "tmp/gpu-runs/a.rows.json": json.dumps([row("trf-minilm-full-token-ep3-gpu", "ents_f", 0.77)]),
        "tmp/gpu-runs/b.rows.json": json.dumps([row("trf-minilm-full-transition-ep3", "ents_f", 0.70)]),
    })
    proc = merge(tmp_path / "files", results, tmp_path / "root")
    assert proc.returncode != 0 and "-gpu" in proc.stderr and "nothing was merged" in proc.stderr
    assert results.read_text() == before


def test_a_folder_without_results_is_a_clear_error(tmp_path):
    proc = merge(tmp_path, tmp_path / "r.json", tmp_path / "root")
    assert proc.returncode != 0 and "No results.tar.gz" in proc.stderr and not (tmp_path / "r.json").exists()
