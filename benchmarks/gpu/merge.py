"""Merge what benchmarks/gpu/sweep.sh brought back from a lent GPU into the benchmark rows.

    python benchmarks/gpu/merge.py /work/.device/<call>/files   # the run's files_at folder

Unpacks results.tar.gz there: each finished job's rows (`/tmp/gpu-runs/<job>.rows.json` on
the GPU machine) are merged into benchmarks/results/transformers.json (key: pipeline, data,
metric, seed; the GPU jobs' pipeline names carry `-gpu`, so no CPU row is replaced), and each
job's per-document dev predictions are put where the rows' `params.model` says the model was
(`training/benchmarks/bc2gm/<run>/model-best.docs.jsonl`), for benchmarks/bench_paired.py.
The DAPT report of the GPU machine goes to training/encoders/minilm-dapt-gpu/dapt.json.
Jobs that failed or did not finish are listed with the tail of their logs.
"""
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import typer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from rows import merge_rows, render  # noqa: E402

ROOT = HERE.parent.parent


def main(files: Path = typer.Argument(..., help="Folder holding results.tar.gz (the device call's files_at)"),
         results: Path = typer.Option(HERE.parent / "results" / "transformers.json"),
         root: Path = typer.Option(ROOT, help="The project root the predictions and the DAPT report are put under"),
         render_results: bool = typer.Option(True, help="Re-render benchmarks/RESULTS.md")) -> None:
    archive = files / "results.tar.gz"
    if not archive.exists():
        raise typer.BadParameter(f"No results.tar.gz in {files}: the sweep brought nothing back (see its sweep.log).")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        tmp = Path(tmp)
        runs = tmp / "tmp" / "gpu-runs"
        merged = 0
        found = {path: json.loads(path.read_text()) for path in sorted(runs.glob("*.rows.json"))}
        for path, rows in found.items():  # all checked before any is merged
            if not all(row["pipeline"].endswith("-gpu") or "-gpu-" in row["pipeline"] for row in rows):
                raise typer.BadParameter(f"{path.name}: a GPU job's pipeline name must carry -gpu (its --tag, e.g. ep3-gpu), "
                                         "or its rows would replace CPU rows of the same name; nothing was merged.")
        for path, rows in found.items():
            merge_rows(results, rows)
            merged += 1
            f1 = next(r["value"] for r in rows if r["metric"] == "ents_f")
            typer.echo(f"{path.name[:-len('.rows.json')]}: {rows[0]['pipeline']} seed {rows[0]['seed']} F1 {100 * f1:.2f}")
        for path in sorted(runs.glob("*.log")):
            job = path.stem
            if job not in ("dapt", "smoke", "done", "annotate") and not (runs / f"{job}.rows.json").exists():
                # spaCy's training table (stdout) says how far a stopped job got; warnings are left out
                lines = [line for stream in (path, runs / f"{job}.stdout") if stream.exists()
                         for line in stream.read_text(errors="replace").splitlines()
                         if line.strip() and "Warning" not in line and "dlpack" not in line]
                typer.echo(f"{job}: no rows (failed or stopped)\n    " + "\n    ".join(lines[-4:]), err=True)
        for path in (tmp / "training" / "benchmarks").glob("bc2gm/*/*.docs.jsonl"):
            target = root / path.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        dapt = tmp / "training" / "encoders" / "minilm-dapt" / "dapt.json"
        if dapt.exists():
            target = root / "training" / "encoders" / "minilm-dapt-gpu" / "dapt.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dapt, target)
    typer.echo(f"merged the rows of {merged} job(s) into {results}")
    if render_results and merged:
        render()


if __name__ == "__main__":
    typer.run(main)
