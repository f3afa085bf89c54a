"""`python -m spacy_maize_ner annotate PIPELINE INPUT... OUTPUT` (registered in `spacy_maize_ner.cli`)."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from ..cli_errors import MaizeNerError, verbose_requested
from .formats import READERS, WRITERS


def annotate_cli(
    pipeline: str = typer.Argument(..., metavar="PIPELINE", help="Installed pipeline package, or a pipeline folder (e.g. training/crf/crf-s0/model-best)"),
    inputs: List[Path] = typer.Argument(..., metavar="INPUT...", help="Input files, read in order (with --ray: JSONL or PubTator shards)"),
    output: Path = typer.Argument(..., metavar="OUTPUT", help="Output file (with --ray: a folder for one output per shard and manifest.json)"),
    input_format: Optional[str] = typer.Option(
        None, "--input-format", "-f", help=f"One of {', '.join(READERS)}; default: guessed per file (.jsonl, .xml, .json, PubTator, else text)",
    ),
    output_format: Optional[str] = typer.Option(
        None, "--output-format", "-t", help=f"One of {', '.join(WRITERS)}; default: from OUTPUT's suffix (.jsonl, .xml, .json, else pubtator)",
    ),
    batch_size: int = typer.Option(64, "--batch-size", "-b", min=1, help="Documents (passages) per nlp.pipe batch"),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1, help="Processes for nlp.pipe (CPU pipelines)"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU to run on (spacy.require_gpu); -1 for the CPU"),
    replace: bool = typer.Option(False, "--replace", help="Drop the input's own annotations and relations; default: keep them and add the predictions"),
    max_length: Optional[int] = typer.Option(
        None, "--max-length", min=1, help="Longest piece of text sent to the pipeline (default nlp.max_length); longer passages are cut at paragraph or sentence ends",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUTPUT and report (never an input: no input may be a file the run writes)"),
    restart: bool = typer.Option(False, "--restart", help="Discard an unfinished earlier run of OUTPUT instead of continuing it"),
    report_path: Optional[Path] = typer.Option(None, "--report", "-r", help="JSON report (counts, skipped records with file and line); default OUTPUT.report.json"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar with documents and words per second"),
    use_ray: bool = typer.Option(False, "--ray", help="Annotate the shards on Ray Data, one actor (one model load) per worker"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join this Ray cluster (e.g. auto, or ray://host:10001); default: start a local instance"),
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Ray actors (each loads the pipeline once)"),
    worker_cpus: float = typer.Option(1.0, "--worker-cpus", help="CPUs per Ray actor"),
    worker_gpus: float = typer.Option(0.0, "--worker-gpus", help="GPUs per Ray actor (e.g. 1 on a GPU cluster; the actor then uses gpu 0 of its own)"),
    int8: bool = typer.Option(False, "--int8", help="Transformer pipelines on the CPU: quantize the encoder's linear layers to int8 after loading (faster; F1 change in benchmarks/RESULTS.md)"),
) -> None:
    """Annotate PubTator, BioC (XML/JSON), JSONL or plain text with a trained pipeline.

    Keeps the input's annotations (unless --replace), skips malformed records with their
    file and line in the report, and continues an interrupted run when run again.
    """
    from ..corpus.pubtator import PubTatorFormatError
    from .checkpoint import ResumeMismatchError
    from .run import PipelineFailedError, annotate_files

    try:
        if use_ray and int8:  # the actors load the pipeline themselves
            raise ValueError("--int8 is not available with --ray: annotate without --ray, or give --ray a pipeline written by "
                             "spacy_maize_ner.encoders.quantize.write_cpu_pipeline (it quantizes itself when loaded).")
        if use_ray:
            from .distributed import annotate_on_ray

            manifest = annotate_on_ray(
                pipeline, inputs, output, input_format=input_format, output_format=output_format or "jsonl",
                workers=workers, address=ray_address, batch_size=batch_size, replace=replace, max_length=max_length,
                worker_cpus=worker_cpus, worker_gpus=worker_gpus, overwrite=overwrite, progress=progress,
            )
            totals = manifest["totals"]
            if not manifest["shards_run"]:
                msg.good(f"All {len(manifest['shards'])} shards were done before (manifest {output}/manifest.json); nothing to do")
                return
            msg.good(
                f"{manifest['shards_run']} of {len(manifest['shards'])} shards annotated; in all {totals['records_annotated']:,} documents, {totals['words']:,} words "
                f"in {manifest['wall_seconds']:.1f} s ({totals['words'] / max(manifest['wall_seconds'], 1e-9):,.0f} words/s "
                f"with {workers} workers) -> {output}/manifest.json"
            )
            return
        loaded, origin = pipeline, None
        if int8:  # spacy_maize_ner/encoders/quantize.py
            from .run import load_int8, pipeline_name

            loaded, origin = load_int8(pipeline, gpu_id=gpu_id), pipeline_name(pipeline, None)
        report = annotate_files(
            loaded, inputs, output, input_format=input_format, output_format=output_format, batch_size=batch_size,
            n_process=n_process, gpu_id=gpu_id, replace=replace, max_length=max_length, overwrite=overwrite,
            restart=restart, report_path=report_path, progress=progress, origin=origin,
        )
    except KeyboardInterrupt:
        msg.warn("Interrupted: run the same command again to continue where it stopped.")
        raise typer.Exit(130)
    except (OSError, ValueError, ResumeMismatchError, PubTatorFormatError, ImportError, PipelineFailedError) as err:
        msg.fail("Cannot annotate", str(err), exits=1)
    except MaizeNerError as err:  # e.g. an LLM endpoint refusing the key: the records done so far are kept
        if verbose_requested():
            raise  # run_script prints the traceback, then the message
        msg.fail("Cannot annotate", f"{err} The records annotated before it are kept: run the same command again "
                 "once this is fixed, and it goes on from there.", exits=1)
    (msg.warn if report.records_skipped else msg.good)(report.summary_line())
    for bad in report.skipped[:10]:
        where = f"{bad['source']}:{bad['line']}" if bad["line"] else f"{bad['source']} (document {bad['document']})"
        msg.text(f"  skipped {where}: {bad['problem']}")
    if len(report.skipped) > 10:
        msg.text(f"  ... and {len(report.skipped) - 10} more in the report")
    msg.good(f"Wrote {output}; report: {report_path or str(output) + '.report.json'}")
