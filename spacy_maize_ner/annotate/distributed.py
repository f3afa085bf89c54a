"""`annotate --ray`: annotate many shards (JSONL or PubTator files) on Ray Data.

Each input file is a shard. The shards become a Ray dataset (one block per shard),
mapped by an actor pool (`map_batches` with a callable class): every actor loads the
pipeline once and runs `annotate_files` (the same function as a single-process run)
on one shard at a time, writing `OUTPUT_DIR/<shard stem><suffix>` atomically with its
report beside it. The driver writes `OUTPUT_DIR/manifest.json` after every finished
shard: per shard its input (size, mtime), output, counts, seconds and worker; the
totals and the throughput per worker. A rerun skips the shards the manifest lists as
done with an unchanged input and an existing output, and continues a shard
interrupted half-way from its own checkpoint (`checkpoint`), so a job of 36 million
abstracts can be stopped and started again.

Without `address` a local Ray instance is started (and stopped at the end), its
workers at the driver's priority (Ray's default lowers it by 15); with
`address` ("auto", "ray://head:10001", ...) the job joins that cluster. GPU actors:
`worker_gpus=1` gives each actor a GPU, on which it runs the pipeline.

Ray is an optional dependency: `pip install spacy-maize-ner[ray]`.
"""
import os
import socket
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import srsly

from ..corpus.reader import check_inputs
from ..corpus.textio import atomic_write_lines
from ..extras import require
from ..outputs import check_outputs
from .checkpoint import partial_path, progress_path
from .run import default_report_path
from .formats import WRITERS, check_format
from .report import AnnotateReport

MANIFEST = "manifest.json"


def require_ray():
    """Import Ray with Ray Data, or fail with the install command. RETURNS: the `ray` module."""
    require("ray.data", feature="annotate --ray", extra="ray", package="ray[data]")
    import ray

    return ray


class ShardAnnotator:
    """A Ray actor: loads the pipeline once, then annotates one shard per call."""

    def __init__(self, pipeline: str, options: Dict[str, Any], use_gpu: bool = False) -> None:
        from .run import load_pipeline, pipeline_name

        self.nlp = load_pipeline(pipeline, gpu_id=0 if use_gpu else -1)
        self.options = dict(options)
        self.options.setdefault("origin", pipeline_name(pipeline, self.nlp))
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, List[Any]]:
        from .run import annotate_files

        out: Dict[str, List[Any]] = {"shard": [], "output": [], "report": [], "worker": []}
        for shard, output in zip(batch["shard"], batch["output"]):
            report = annotate_files(self.nlp, [str(shard)], str(output), overwrite=True, progress=False, **self.options)
            out["shard"].append(str(shard))
            out["output"].append(str(output))
            out["report"].append(srsly.json_dumps(report.to_dict()))
            out["worker"].append(self.worker)
        return out


def shard_outputs(shards: Sequence[Path], output_dir: Path, suffix: str) -> Dict[str, Path]:
    """Shard -> its output file; shards with the same stem would collide and are refused."""
    outputs: Dict[str, Path] = {}
    seen: Dict[str, Path] = {}
    for shard in shards:
        stem = shard.name[: -len(shard.suffix)] if shard.suffix else shard.name
        if stem in seen:
            raise ValueError(
                f"Shards {seen[stem]} and {shard} would both be written to {output_dir / (stem + suffix)}: "
                "give the shards distinct file names."
            )
        seen[stem] = shard
        outputs[str(shard)] = output_dir / f"{stem}{suffix}"
    return outputs


def _input_key(path: Path) -> List[Any]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def annotate_on_ray(
    pipeline: Union[str, Path],
    shards: Sequence[Union[str, Path]],
    output_dir: Union[str, Path],
    *,
    input_format: Optional[str] = None,
    output_format: str = "jsonl",
    workers: int = 2,
    address: Optional[str] = None,
    batch_size: int = 64,
    replace: bool = False,
    max_length: Optional[int] = None,
    worker_cpus: float = 1.0,
    worker_gpus: float = 0.0,
    overwrite: bool = False,
    progress: bool = True,
) -> Dict[str, Any]:
    """Annotate every shard on Ray Data and write one output per shard plus a manifest.

    pipeline (Union[str, Path]): a package name or pipeline folder, loadable on every node.
    shards (Sequence[Union[str, Path]]): input files, each a shard (readable on every node:
        a shared file system on a cluster).
    output_dir (Union[str, Path]): the folder for the outputs and `manifest.json`.
    workers (int): actors, each with one pipeline loaded.
    address (Optional[str]): a Ray cluster to join; None starts a local instance.
    overwrite (bool): redo shards the manifest lists as done.
    RETURNS (Dict[str, Any]): the manifest.
    """
    ray = require_ray()
    shards = [p.resolve() for p in check_inputs(shards)]  # actors may run in another folder
    if Path(str(pipeline)).exists():
        pipeline = Path(str(pipeline)).resolve()
    output_format = check_format(output_format, WRITERS, "output")
    output_dir = Path(output_dir).resolve()
    if output_dir.exists() and not output_dir.is_dir():
        raise NotADirectoryError(f"With --ray, OUTPUT is a folder for the shard outputs, but {output_dir} is a file.")
    outputs = shard_outputs(shards, output_dir, WRITERS[output_format].suffix)
    manifest_path = output_dir / MANIFEST
    # No shard may be a file the job writes (a shard inside OUTPUT named like its output).
    # The folder is the job's own: shard outputs are redone as the manifest says (overwrite=True here).
    written: Dict[str, Path] = {"manifest": manifest_path}
    for shard, out in outputs.items():
        written.update({f"output of {shard}": out, f"report of {shard}": default_report_path(out)})
    check_outputs(shards, {}, overwrite=True, command="annotate --ray", scratch={
        **written, **{f"partial output of {k}": partial_path(v) for k, v in outputs.items()},
        **{f"progress file of {k}": progress_path(v) for k, v in outputs.items()}})
    output_dir.mkdir(parents=True, exist_ok=True)
    options = {"input_format": input_format, "output_format": output_format, "batch_size": batch_size,
               "replace": replace, "max_length": max_length}
    manifest: Dict[str, Any] = {"pipeline": str(pipeline), "options": options, "shards": {}}
    if manifest_path.exists():
        old = dict(srsly.read_json(manifest_path))
        if old.get("pipeline") == str(pipeline) and old.get("options") == options and not overwrite:
            manifest["shards"] = {k: v for k, v in old.get("shards", {}).items() if k in outputs}
    todo = []
    for shard in shards:
        entry = manifest["shards"].get(str(shard))
        done = (entry is not None and entry.get("status") == "done" and entry.get("input") == _input_key(shard)
                and Path(entry["output"]).exists())
        if not done:
            manifest["shards"].pop(str(shard), None)
            todo.append({"shard": str(shard), "output": str(outputs[str(shard)])})
    started_here = False
    start = time.perf_counter()
    if todo:
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                # Ray lowers its workers' priority by 15; locally they keep the driver's
                # (`nice -n 10 ... annotate --ray` then runs like the single-process command).
                os.environ.setdefault("RAY_worker_niceness", "0")
                ray.init(num_cpus=max(1, int(round(workers * worker_cpus))) + 1, include_dashboard=False,
                         log_to_driver=False, object_store_memory=256 * 1024 * 1024)
            started_here = True
        try:
            ctx = ray.data.DataContext.get_current()
            ctx.enable_progress_bars = progress
            ds = ray.data.from_items(todo, override_num_blocks=len(todo))
            ds = ds.map_batches(
                ShardAnnotator,
                fn_constructor_kwargs={"pipeline": str(pipeline), "options": options, "use_gpu": worker_gpus > 0},
                batch_size=1,
                # A shard at a time per actor: a free actor takes the next shard.
                compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
                num_cpus=worker_cpus,
                num_gpus=worker_gpus or None,
            )
            for row in ds.iter_rows():
                report = srsly.json_loads(row["report"])
                manifest["shards"][row["shard"]] = {
                    "status": "done", "output": row["output"], "input": _input_key(Path(row["shard"])),
                    "worker": row["worker"], **{k: report[k] for k in ("records_annotated", "records_skipped", "words",
                                                                        "entities_predicted", "seconds")},
                }
                _write_manifest(manifest_path, manifest, workers, time.perf_counter() - start)
        finally:
            if started_here:
                ray.shutdown()
    manifest["shards_run"] = len(todo)  # shards annotated by this run; the others were done before
    manifest = _write_manifest(manifest_path, manifest, workers, time.perf_counter() - start, final=True)
    return manifest


def _write_manifest(path: Path, manifest: Dict[str, Any], workers: int, wall: float, final: bool = False) -> Dict[str, Any]:
    """Totals and throughput per worker, then the manifest written atomically."""
    shards = manifest["shards"]
    totals = AnnotateReport()
    for entry in shards.values():
        for key in ("records_annotated", "records_skipped", "words", "entities_predicted", "seconds"):
            setattr(totals, key, getattr(totals, key) + entry.get(key, 0))
    per_worker: Dict[str, Dict[str, float]] = {}
    for entry in shards.values():
        w = per_worker.setdefault(entry.get("worker", "?"), {"shards": 0, "words": 0, "seconds": 0.0})
        w["shards"] += 1
        w["words"] += entry.get("words", 0)
        w["seconds"] += entry.get("seconds", 0.0)
    for w in per_worker.values():
        w["words_per_second"] = w["words"] / w["seconds"] if w["seconds"] else 0.0
    manifest["totals"] = {k: getattr(totals, k) for k in ("records_annotated", "records_skipped", "words", "entities_predicted")}
    manifest["workers"] = workers
    manifest["per_worker"] = per_worker
    if final or "wall_seconds" not in manifest:
        manifest["wall_seconds"] = wall
    manifest["complete"] = final
    atomic_write_lines(path, [srsly.json_dumps(manifest, indent=2) + "\n"])
    return manifest
