"""Shared plumbing of the benchmark scripts: run one job process, merge its rows into a file.

Rows follow one schema (pipeline, encoder, regime, params, data, split, metric, value,
seed, machine, date, command); a job prints its rows as JSON on its last stdout line.
"""
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence

import typer

ROOT = Path(__file__).resolve().parents[1]


def repo_path(path) -> str:
    """`path` as rows record it: relative to the repository root when it lies inside, so that a
    row's command and model folder read the same from any clone or worktree; as given otherwise."""
    absolute = Path(path).absolute()
    try:
        return str(absolute.relative_to(ROOT))
    except ValueError:
        return str(path)


def resolve_repo_path(recorded: str) -> Path:
    """The folder a row's recorded path names: relative paths are under the repository root."""
    path = Path(recorded)
    return path if path.is_absolute() else ROOT / path


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


MALLOC_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX")


def allocator_description() -> str:
    """The glibc malloc settings of this process, which decide how much freed memory RSS keeps.

    With the defaults, RSS high-water marks of training grow with the allocator's free
    lists (benchmarks/notes/peft.md), so rows that report memory say which allocator ran.
    """
    import os

    settings = [f"{k}={os.environ[k]}" for k in MALLOC_SETTINGS if k in os.environ]
    return " ".join(settings) or "glibc defaults"


def run_job(args: Sequence[str]) -> List[Dict]:
    """Run `python <args>` and RETURN the rows it printed; exit with its code if it failed."""
    proc = subprocess.run([sys.executable, *args], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        typer.echo(proc.stdout[-3000:], err=True)
        raise typer.Exit(proc.returncode)
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    for r in rows:
        typer.echo(f"   {r['metric']:<28} {r['value']:.4f}" if isinstance(r["value"], float) else f"   {r['metric']} {r['value']}", err=True)
    return rows


def job_machine() -> str:
    """machine_description() plus the cores and torch threads this job was allowed (lanes pin each
    job to one core with one thread), so that rows say what a run really had."""
    import os

    from spacy_maize_ner.study.evaluation.scoring import machine_description

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return machine_description() + f" (this job allowed {cores} core(s), {os.environ.get('OMP_NUM_THREADS', 'default')} torch thread(s))"


def gpu_name(gpu_id: int) -> str:
    """The CUDA device's name for benchmark rows (torch's), e.g. 'NVIDIA H200'."""
    import torch

    return torch.cuda.get_device_name(gpu_id)


def pinned_env() -> Dict[str, str]:
    """The environment of a job pinned to one core: one torch/BLAS thread, so that jobs side
    by side do not fight over each other's core."""
    import os

    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def run_lanes(jobs: Sequence[Sequence[str]], results: Path, lanes: int) -> int:
    """Run the jobs (argument lists of `python`) `lanes` at a time, each pinned to a core of
    its own with one thread, merging each job's rows into `results` as soon as it ends.

    A failed job is reported and the other jobs go on; RETURNS (int): the failed jobs.
    With one lane the jobs run in turn, unpinned, as `run_job` runs them.
    """
    import os
    import queue
    import shutil
    import threading

    if lanes <= 1:
        for index, args in enumerate(jobs):
            typer.echo(f"[{index + 1}/{len(jobs)}] {' '.join(map(str, args[1:]))}", err=True)
            merge_rows(results, run_job(args))
        return 0
    taskset = shutil.which("taskset")  # not preexec_fn: it may deadlock a child forked beside threads
    if taskset is None:
        raise typer.BadParameter("--lanes needs `taskset` (util-linux: apt-get install util-linux) to pin each job to a core.")
    cores = sorted(os.sched_getaffinity(0))
    if lanes > len(cores):
        raise typer.BadParameter(f"--lanes {lanes}: this process may use {len(cores)} core(s) ({cores}); give at most that many lanes.")
    todo: "queue.Queue" = queue.Queue()
    for index, args in enumerate(jobs):
        todo.put((index, args))
    failed: List[str] = []

    def lane(core: int) -> None:
        while True:
            try:
                index, args = todo.get_nowait()
            except queue.Empty:
                return
            tag = f"[{index + 1}/{len(jobs)}, core {core}]"
            typer.echo(f"{tag} {' '.join(map(str, args[1:]))}", err=True)
            proc = subprocess.run([taskset, "-c", str(core), sys.executable, *map(str, args)], stdout=subprocess.PIPE, text=True,
                                  env=pinned_env())
            if proc.returncode != 0:
                failed.append(" ".join(map(str, args)))
                typer.echo(f"{tag} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}", err=True)
                continue
            rows = json.loads(proc.stdout.strip().splitlines()[-1])
            merge_rows(results, rows)
            scores = ", ".join(f"{r['metric']} {r['value']:.4f}" for r in rows if r["metric"].endswith("_f"))
            typer.echo(f"{tag} done: {scores or 'rows'} -> {results}", err=True)

    threads = [threading.Thread(target=lane, args=(core,)) for core in cores[:lanes]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for args in failed:
        typer.echo(f"failed: python {args}", err=True)
    return len(failed)


def render() -> None:
    """Re-render benchmarks/RESULTS.md from every rows file."""
    subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "render_results.py")], check=True)


def dispatch(app: typer.Typer) -> None:
    """`script.py job ...` runs one job; anything else is the `run` command."""
    if len(sys.argv) <= 1 or sys.argv[1] != "job":
        sys.argv.insert(1, "run")
    app()


def merge_rows(results: Path, new: List[Dict]) -> None:
    """Replace rows with the same (pipeline, data, metric, seed) and append the rest.

    Holds a lock on `<results>.lock` while it reads and writes, so that benchmark lanes
    finishing at the same moment do not drop each other's rows.
    """
    import fcntl

    results.parent.mkdir(parents=True, exist_ok=True)
    with open(results.with_name(results.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows: List[Dict] = json.loads(results.read_text()) if results.exists() else []
        key = lambda r: (r["pipeline"], r["data"], r["metric"], r["seed"])  # noqa: E731
        keys = {key(r) for r in new}
        rows = [r for r in rows if key(r) not in keys] + new
        tmp = results.with_name(results.name + ".tmp")
        tmp.write_text(json.dumps(rows, indent=1) + "\n")
        tmp.replace(results)
