"""The benchmark runner's lanes: jobs side by side, each pinned to its own core."""
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from rows import ROOT, repo_path, resolve_repo_path, run_lanes  # noqa: E402

JOB = """
import json, os, sys, time
start = time.time()
if sys.argv[1] == "fail":
    print("this job fails on purpose")
    sys.exit(3)
time.sleep(1.0)
print(json.dumps([{"pipeline": sys.argv[1], "data": "d", "metric": "m", "seed": 0, "value": 1.0,
                   "cores": sorted(os.sched_getaffinity(0)), "threads": os.environ.get("OMP_NUM_THREADS"),
                   "start": start, "end": time.time()}]))
"""


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"),
                    reason="needs 2 cores and taskset")
def test_lanes_run_jobs_side_by_side_each_on_a_core_of_its_own(tmp_path):
    job = tmp_path / "job.py"
    job.write_text(JOB)
    results = tmp_path / "rows.json"
    failed = run_lanes([[job, name] for name in ("a", "b", "fail", "c", "d")], results, lanes=2)
    rows = {r["pipeline"]: r for r in json.loads(results.read_text())}
    assert failed == 1 and set(rows) == {"a", "b", "c", "d"}  # the failure lost no other job's rows
    assert all(len(r["cores"]) == 1 and r["threads"] == "1" for r in rows.values())
    assert rows["a"]["cores"] != rows["b"]["cores"]  # the first two started together, on two cores
    assert rows["a"]["start"] < rows["b"]["end"] and rows["b"]["start"] < rows["a"]["end"]
    with pytest.raises(Exception, match="at most"):
        run_lanes([[job, "a"]], results, lanes=len(os.sched_getaffinity(0)) + 1)


def test_rows_record_paths_inside_the_repository_relative_to_it(tmp_path, monkeypatch):
    """A kept model or encoder under the root (also of a worktree) is recorded relative to it, so
    the row reads the same from every clone; bench_paired and bench_analysis resolve it back."""
    kept = ROOT / "training" / "benchmarks" / "bc2gm" / "lc-models" / "lc-x-n2500-s1"
    assert repo_path(kept) == "training/benchmarks/bc2gm/lc-models/lc-x-n2500-s1"
    assert resolve_repo_path(repo_path(kept)) == kept
    monkeypatch.chdir(tmp_path)  # the recorded path does not depend on the working folder
    assert repo_path(kept) == "training/benchmarks/bc2gm/lc-models/lc-x-n2500-s1"
    assert resolve_repo_path(repo_path(kept)) == kept
    outside = tmp_path / "elsewhere"
    assert repo_path(outside) == str(outside) and resolve_repo_path(str(outside)) == outside
