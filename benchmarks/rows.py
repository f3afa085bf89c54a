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

import srsly
import typer

ROOT = Path(__file__).resolve().parents[1]


def offline_encoders() -> Dict[str, Path]:
    """The workflow's encoders (project.yml `vars.encoders`) by folder name, e.g. `minilm-dapt`.

    Benchmarks take these short names on their command lines; project.yml stays the one
    place that says where each encoder lives.
    """
    folders = srsly.read_yaml(ROOT / "project.yml")["vars"]["encoders"].split(",")
    return {Path(folder).name: ROOT / folder for folder in folders}


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
