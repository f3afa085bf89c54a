"""`annotate_files`: run a pipeline over files in the formats text miners exchange.

The CLI (`python -m spacy_maize_ner annotate`) and the Ray driver (`annotate.distributed`)
both call it. Records are streamed: read one by one (`formats.READERS`), each passage
cut into pieces no longer than the tokenizer's limit (`long_docs`), the pieces sent
through `nlp.pipe` (batch size, `n_process`), the entities moved back to document
offsets and merged with the record's own annotations, and the record written
(`formats.WRITERS`) as soon as all its pieces are done, in input order.

- Existing annotations are kept; a predicted entity overlapping an input annotation of
  the same label (ignoring case) is left out (the input's wins). `replace=True` drops the input's
  annotations and relations and keeps only the predictions.
- A malformed record is listed in the report with its file and line and skipped; every
  reader's records pass the same validation (`records.check_record`), and a record the
  output format cannot hold is skipped and listed the same way (never retried by a rerun).
- The outputs are checked before the pipeline is loaded (`outputs.check_outputs`, the
  policy of every command): no input may be OUTPUT, OUTPUT.partial, the progress file or
  the report; an existing OUTPUT or report is replaced only with `overwrite=True`; a
  missing folder is created. The text goes to OUTPUT.partial, renamed at the end. An
  interrupted run is continued by running it again (`checkpoint`).
- A run of more than `long_docs.PUNCT_RUN` punctuation characters (which spaCy's
  tokenizer splits in quadratic time) is broken with spaces in the text the pipeline
  sees; offsets and the written text are unchanged (`long_docs.break_punct_runs`).
"""
import bisect
import time
from collections import deque
from pathlib import Path
from typing import Any, Deque, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import srsly
from spacy.language import Language
from wasabi import msg

from ..cli_errors import MaizeNerError
from ..corpus.reader import check_inputs
from ..outputs import pipeline_name_from_path
from ..corpus.textio import atomic_write_lines
from ..outputs import OutputExistsError, OutputOverlapError  # noqa: F401  (re-exported)
from ..outputs import check_outputs as check_written_files
from . import checkpoint
from .formats import READERS, WRITERS, check_format, collection_info, guess_input_format, guess_output_format
from .long_docs import PUNCT_RUN, break_punct_runs, chunk_spans
from .records import Annotation, Malformed, Record, check_record
from .report import AnnotateReport

PipelineArg = Union[str, Path, Language]


class PipelineFailedError(RuntimeError):
    """The pipeline (or anything else) raised an error mid-run; the work so far is kept for the rerun."""


def short_error(err: BaseException) -> str:
    """`Type: message`; for an error from a worker process (`n_process` > 1), whose message holds
    the worker's traceback, only the traceback's last line (the worker's own `Type: message`)."""
    text = str(err)
    if "Traceback (most recent call last)" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else type(err).__name__
    return f"{type(err).__name__}: {text}"


def load_pipeline(pipeline: PipelineArg, *, gpu_id: int = -1) -> Language:
    """A pipeline from a name, an installed package or a folder (`spacy.load`), on the GPU when asked.

    gpu_id (int): -1 for the CPU; otherwise the GPU to use (`spacy.require_gpu`).
    """
    import spacy

    if isinstance(pipeline, Language) and gpu_id >= 0 and not _on_gpu(pipeline):
        # require_gpu now would put new arrays on the GPU beside weights left on the CPU
        raise ValueError(
            "This pipeline was loaded on the CPU, and a loaded pipeline stays where it was loaded: "
            f"pass its name or folder with gpu_id={gpu_id}, or call spacy.require_gpu({gpu_id}) before spacy.load."
        )
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
        # what `spacy train` does with [training] gpu_allocator, which spacy.load leaves out: a transformer
        # pipeline names "pytorch", so that CuPy and torch draw on one memory pool instead of two
        allocator = pipeline_gpu_allocator(pipeline)
        if allocator:
            from thinc.api import set_gpu_allocator

            set_gpu_allocator(allocator)
    if isinstance(pipeline, Language):
        return pipeline
    try:
        return spacy.load(pipeline)
    except OSError as err:
        raise OSError(
            f"Cannot load the pipeline {pipeline!r}: give an installed package name (pip install it first), "
            f"or the folder of a trained pipeline such as training/crf/crf-s0/model-best. ({err})"
        ) from None


def pipeline_gpu_allocator(pipeline: PipelineArg) -> Optional[str]:
    """RETURNS (Optional[str]): the `[training] gpu_allocator` of a pipeline ("pytorch" for the
    transformer pipelines), read from its config.cfg before loading; None when it names none or when
    the config cannot be found (a name spacy.load will reject with its own error)."""
    import spacy.util

    if isinstance(pipeline, Language):
        config = pipeline.config.interpolate()
    else:
        path = Path(pipeline)
        if not path.is_dir() and spacy.util.is_package(str(pipeline)):
            package = spacy.util.get_package_path(str(pipeline))
            found = sorted(package.glob("*/config.cfg"))
            path = found[0].parent if found else package
        if not (path / "config.cfg").is_file():
            return None
        config = spacy.util.load_config(path / "config.cfg", interpolate=True)
    return config.get("training", {}).get("gpu_allocator") or None


def _on_gpu(nlp: Language) -> bool:
    """Whether every trainable component of `nlp` holds its weights on the GPU (thinc's CupyOps)."""
    models = [proc.model for _, proc in nlp.pipeline if hasattr(proc, "model") and hasattr(proc.model, "ops")]
    return all(type(model.ops).__name__ == "CupyOps" for model in models)


def load_int8(pipeline: PipelineArg, *, gpu_id: int = -1) -> Language:
    """`annotate --int8`: the pipeline loaded (`load_pipeline`) and its encoder quantized (encoders/quantize.py)."""
    from ..encoders.quantize import quantize_pipeline

    if gpu_id >= 0:
        raise ValueError("--int8 runs on the CPU (dynamic int8 quantization has no GPU kernels): drop --gpu-id or --int8.")
    nlp = load_pipeline(pipeline, gpu_id=-1)
    quantize_pipeline(nlp)
    return nlp


def pipeline_name(pipeline: PipelineArg, nlp: Language) -> str:
    """The name predicted entities are credited to: the folder (model-best's parent) or package name."""
    if isinstance(pipeline, Language):
        return str(nlp.meta.get("name") or "pipeline")
    return pipeline_name_from_path(pipeline)


def iter_items(inputs: Sequence[Path], input_format: Optional[str]) -> Iterator[Union[Record, Malformed]]:
    """Every record of every input, in order (the format guessed per file when not given)."""
    for path in inputs:
        fmt = input_format or guess_input_format(path)
        for item in READERS[fmt](path):
            if isinstance(item, Record):
                problem = check_record(item)
                if problem:
                    item = Malformed(item.source, item.line, problem, item.index, item.id)
            yield item


def check_outputs(inputs: Sequence[Path], output: Path, report_path: Optional[Path], *, overwrite: bool = False) -> None:
    """Before any work: no input is a file the run writes, OUTPUT and the report exist only
    with `overwrite`, every file can be written (its folder is created)."""
    check_written_files(
        inputs, {"OUTPUT": output, "--report": report_path}, overwrite=overwrite, command="annotate",
        scratch={"OUTPUT.partial": checkpoint.partial_path(output), "progress file": checkpoint.progress_path(output)},
        make_dirs=True,
    )


def default_report_path(output: Union[str, Path]) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".report.json")


def annotate_files(
    pipeline: PipelineArg,
    inputs: Sequence[Union[str, Path]],
    output: Union[str, Path],
    *,
    input_format: Optional[str] = None,
    output_format: Optional[str] = None,
    batch_size: int = 64,
    n_process: int = 1,
    gpu_id: int = -1,
    replace: bool = False,
    max_length: Optional[int] = None,
    overwrite: bool = False,
    restart: bool = False,
    report_path: Optional[Union[str, Path]] = None,
    progress: bool = True,
    checkpoint_every: int = 1000,
    checkpoint_seconds: float = 10.0,
    origin: Optional[str] = None,
) -> AnnotateReport:
    """Annotate every record of `inputs` with the pipeline and write them to `output`.

    pipeline (Union[str, Path, Language]): a package name, a pipeline folder, or a loaded pipeline.
    inputs (Sequence[Union[str, Path]]): input files, read in order, each given once.
    output (Union[str, Path]): the output file.
    input_format (Optional[str]): a key of `formats.READERS`; None guesses per file.
    output_format (Optional[str]): a key of `formats.WRITERS`; None guesses from `output`.
    batch_size (int): pieces per `nlp.pipe` batch.
    n_process (int): processes for `nlp.pipe` (CPU pipelines).
    gpu_id (int): the GPU to run on, -1 for the CPU.
    replace (bool): drop the input's annotations and relations instead of keeping them.
    max_length (Optional[int]): longest piece in characters; default `nlp.max_length`.
    overwrite (bool): replace an existing finished `output`.
    restart (bool): discard an unfinished run of `output` instead of continuing it.
    report_path (Optional[Union[str, Path]]): the JSON report; default `OUTPUT.report.json`.
    progress (bool): show a progress bar with documents and words per second (stderr).
    checkpoint_every (int), checkpoint_seconds (float): how often progress is saved.
    origin (Optional[str]): the name predicted entities are credited to; default the
        pipeline's folder or package name.
    RETURNS (AnnotateReport): the counts of the whole job (earlier interrupted runs included).
    """
    inputs = check_inputs(inputs)
    output = Path(output)
    report_path = Path(report_path) if report_path else default_report_path(output)
    if input_format is not None:
        check_format(input_format, READERS, "input")
    output_format = check_format(output_format or guess_output_format(output), WRITERS, "output")
    if n_process > 1 and gpu_id >= 0:
        raise ValueError("n_process > 1 runs several CPU processes; on a GPU use n_process 1 and a larger batch size.")
    check_outputs(inputs, output, report_path, overwrite=overwrite)
    nlp = load_pipeline(pipeline, gpu_id=gpu_id)
    name = origin or pipeline_name(pipeline, nlp)
    limit = max_length or nlp.max_length
    expected = checkpoint.fingerprint(
        inputs, input_format=input_format, output_format=output_format, pipeline=name,
        replace=replace, max_length=limit,
    )
    if restart:
        checkpoint.discard(output)
    writer = WRITERS[output_format](collection=collection_info(inputs[0], input_format or guess_input_format(inputs[0])))
    run = _OutputRun(output, output_format, writer, expected, inputs, progress=progress,
                     checkpoint_every=checkpoint_every, checkpoint_seconds=checkpoint_seconds)
    items = iter_items(inputs, input_format)
    for _ in range(run.done_before):  # the records of the earlier run(s), read again but not processed
        next(items, None)
    try:
        for record, _ in annotate_records(nlp, items, name=name, replace=replace, max_length=limit,
                                          batch_size=batch_size, n_process=n_process, report=run.report,
                                          careful=run.careful):
            run.add(record)
        run.complete()
    except MaizeNerError:
        # Not a record's fault (an endpoint refusing the key, an unknown model): no record is
        # marked as failed; the progress is saved (below) and the rerun, once fixed, goes on.
        raise
    except Exception as err:
        # Saved with the progress (below): the rerun annotates the records in flight one at a time.
        run.state["failed"] = {"records_done": run.state["records_done"], "pieces": 4 * batch_size * n_process,
                               "error": short_error(err)}
        raise PipelineFailedError(
            f"The run stopped at record {run.state['records_done'] + 1:,} of the inputs: {short_error(err)}. "
            f"The {run.state['records_done']:,} records before it are kept in {run.partial}. Run the same command again: "
            "the records that were in progress are then annotated one at a time, and a record the pipeline fails "
            "on again is skipped and listed in the report (use --restart to start over instead)."
        ) from err
    finally:
        run.close()
    run.publish(report_path)
    return run.report


class _OutputRun:
    """The output side of one `annotate_files` run: OUTPUT.partial, the progress state, the
    report and the progress bar, started afresh or continued from an interrupted run's
    checkpoint (`checkpoint`), saved every `checkpoint_every` records or `checkpoint_seconds`.
    """

    def __init__(self, output: Path, output_format: str, writer: Any, expected: Dict[str, Any], inputs: Sequence[Path], *,
                 progress: bool, checkpoint_every: int, checkpoint_seconds: float) -> None:
        self.output, self.output_format, self.writer = output, output_format, writer
        self.partial = checkpoint.partial_path(output)
        self.checkpoint_every, self.checkpoint_seconds = checkpoint_every, checkpoint_seconds
        state = checkpoint.load_progress(output, expected)
        if state is None:
            self.report = AnnotateReport()
            self.report.inputs = [str(p) for p in inputs]
            state = {"fingerprint": expected, "records_done": 0, "written": 0, "bytes": 0}
            self.file = self.partial.open("wb")
            self.file.write(writer.header().encode("utf-8"))
        else:
            self.report = AnnotateReport.from_dict(state["report"])
            self.file = self.partial.open("r+b")
            self.file.truncate(state["bytes"])
            self.file.seek(state["bytes"])
            if progress:
                msg.info(f"Continuing {output}: {state['records_done']:,} records done in an earlier run")
        self.state = state
        self.done_before = state["records_done"]
        failed = state.pop("failed", None)
        # Records that were in flight when an earlier run failed are annotated one at a time.
        self.careful = failed["pieces"] if failed and failed.get("records_done") == state["records_done"] else 0
        self.bar = _progress_bar(progress, self.done_before)
        self.started = time.perf_counter()
        self.last_save = (self.started, self.done_before)
        self.seconds_before, self.words_before = self.report.seconds, self.report.words
        self.counts = self.report.counts()
        self.finished = False

    def add(self, record: Optional[Record]) -> None:
        """Write one finished record (None: skipped and already reported) and count it done."""
        if record is not None:
            try:
                chunk: Optional[bytes] = self.writer.record(record, self.state["written"] == 0).encode("utf-8")
            except (ValueError, TypeError) as err:  # UnicodeEncodeError is a ValueError
                # The counts made for this record since the last one are taken back: it is skipped.
                self.report.restore(self.counts)
                self.report.skip(Malformed(record.source, record.line, f"cannot be written as {self.output_format}: {err}",
                                           record.index, record.id))
                chunk = None
            if chunk is not None:
                self.file.write(chunk)
                self.state["written"] += 1
        self.counts = self.report.counts()
        self.state["records_done"] += 1
        self._show_progress()
        if (self.state["records_done"] - self.last_save[1] >= self.checkpoint_every
                or time.perf_counter() - self.last_save[0] >= self.checkpoint_seconds):
            self.save()

    def _show_progress(self) -> None:
        if self.bar is None:
            return
        self.bar.update(1)
        elapsed = time.perf_counter() - self.started
        if elapsed > 0 and self.state["records_done"] % 16 == 0:
            self.bar.set_postfix_str(f"{(self.report.words - self.words_before) / elapsed:,.0f} words/s", refresh=False)

    def save(self) -> None:
        """Checkpoint: the report and state beside the flushed partial output."""
        self.report.seconds = self.seconds_before + (time.perf_counter() - self.started)
        self.state["report"] = self.report.to_dict()
        checkpoint.save_progress(self.output, self.file, self.state)
        self.last_save = (time.perf_counter(), self.state["records_done"])

    def complete(self) -> None:
        """Every record is written: the footer goes in, the run is finished."""
        self.file.write(self.writer.footer().encode("utf-8"))
        self.report.seconds = self.seconds_before + (time.perf_counter() - self.started)
        self.file.flush()
        self.finished = True

    def close(self) -> None:
        """Close the partial output; an unfinished run (interrupt, error) saves its progress first."""
        if not self.finished and not self.file.closed:
            self.save()  # what is written so far is kept for the rerun
        self.file.close()
        if self.bar is not None:
            self.bar.close()

    def publish(self, report_path: Path) -> None:
        """Rename OUTPUT.partial to OUTPUT, drop the progress file and write the report."""
        self.partial.replace(self.output)
        checkpoint.progress_path(self.output).unlink(missing_ok=True)
        atomic_write_lines(report_path, [srsly.json_dumps(self.report.to_dict(), indent=2) + "\n"])


def _progress_bar(enabled: bool, initial: int):
    if not enabled:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(initial=initial, unit=" docs", file=sys.stderr, mininterval=0.5, dynamic_ncols=True, desc="annotate")


def annotate_records(
    nlp: Language,
    items: Iterable[Union[Record, Malformed]],
    *,
    name: str,
    replace: bool = False,
    max_length: Optional[int] = None,
    batch_size: int = 64,
    n_process: int = 1,
    report: Optional[AnnotateReport] = None,
    careful: int = 0,
) -> Iterator[Tuple[Optional[Record], int]]:
    """Stream (annotated record, words), or (None, 0) for a malformed item, in input order.

    nlp (Language): the pipeline.
    items (Iterable[Union[Record, Malformed]]): from a reader.
    name (str): the `origin` of predicted annotations.
    careful (int): annotate the first records one at a time until this many pieces are
        done; a record the pipeline raises an error on is then skipped as malformed.
    YIELDS (Tuple[Optional[Record], int]): one per item.
    """
    report = report if report is not None else AnnotateReport()
    limit = max_length or nlp.max_length
    items = iter(items)
    # [item, pieces left, words, predictions, cut into pieces, punctuation runs broken], by a plain
    # number: with n_process > 1, nlp.pipe gives back copies of the contexts, never the objects sent.
    pending: Dict[int, List[Any]] = {}
    order: Deque[int] = deque()
    counter = [0]

    def done(entry: List[Any]) -> Tuple[Optional[Record], int]:
        item, _, words, predicted, split, runs = entry
        if isinstance(item, Malformed):
            report.skip(item)
            return None, 0
        report.words += words
        report.records_split += int(split)
        if runs:
            report.warn(item.source, item.line, item.id,
                        f"{runs} run(s) of more than {PUNCT_RUN} punctuation characters were broken with spaces "
                        "for the tokenizer (offsets and written text unchanged)")
        return _finish(item, predicted, replace, report), words

    def add(entry: List[Any], doc, offset: int, original: Optional[str]) -> None:
        entry[1] -= 1
        entry[2] += len(doc)
        text = doc.text if original is None else original
        entry[3].extend(
            Annotation(offset + e.start_char, offset + e.end_char, text[e.start_char:e.end_char], e.label_, e.kb_id_,
                       origin=name)
            for e in doc.ents
        )

    # After a run stopped by a pipeline error, the records it was working on are annotated
    # one at a time: the one the pipeline fails on again is skipped and reported, not retried forever.
    careful_left = careful
    while careful_left > 0:
        item = next(items, None)
        if item is None:
            return
        entry: List[Any] = [item, 0, 0, [], False, 0]
        todo = [] if isinstance(item, Malformed) else _pieces(item, limit, entry)
        careful_left -= max(len(todo), 1)
        try:
            for doc, (safe, offset, original) in zip(nlp.pipe([t[0] for t in todo], batch_size=batch_size), todo):
                add(entry, doc, offset, original)
        except Exception as err:  # noqa: BLE001  (any failure of the pipeline on this record)
            entry[0] = Malformed(item.source, item.line, f"the pipeline failed on this record ({short_error(err)}); "
                                 "it was skipped", item.index, item.id)
        yield done(entry)

    def pieces() -> Iterator[Tuple[str, Tuple[int, int, Optional[str]]]]:
        for item in items:
            key = counter[0]
            counter[0] += 1
            entry: List[Any] = [item, 0, 0, [], False, 0]
            pending[key] = entry
            order.append(key)
            if isinstance(item, Malformed):
                continue
            # All pieces of a record are counted before the first is sent, so the record
            # is never taken for done while its last pieces are still to come.
            for safe, offset, original in _pieces(item, limit, entry):
                yield safe, (key, offset, original)

    def ready() -> Iterator[Tuple[Optional[Record], int]]:
        while order and pending[order[0]][1] == 0:
            yield done(pending.pop(order.popleft()))

    stream = nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size, n_process=n_process)
    for doc, (key, offset, original) in stream:
        add(pending[key], doc, offset, original)
        yield from ready()
    yield from ready()


def _pieces(record: Record, limit: int, entry: List[Any]) -> List[Tuple[str, int, Optional[str]]]:
    """(text the pipeline sees, document offset, original text or None when the same) per piece.

    Sets the entry's pieces left, cut-into-pieces flag and number of punctuation runs broken.
    """
    todo = []
    for passage in record.passages:
        if not passage.extra.get("has_text", True) or not passage.text.strip():
            continue
        spans = chunk_spans(passage.text, limit)
        entry[4] = entry[4] or len(spans) > 1
        for start, end in spans:
            text = passage.text[start:end]
            safe, runs = break_punct_runs(text)
            entry[5] += runs
            # The original text travels along only when the pipeline sees another one.
            todo.append((safe, passage.offset + start, text if runs else None))
    entry[1] = len(todo)
    return todo


def _finish(record: Record, predicted: List[Annotation], replace: bool, report: AnnotateReport) -> Record:
    """Merge predictions into the record's annotations and count them."""
    report.records_read += 1
    report.records_annotated += 1
    for line_no, line, problem in record.extra.get("pubtator_malformed", []):
        report.warn(record.source, line_no, record.id, f"annotation line kept as read, not understood: {problem}")
    for index, pmid in sorted((record.extra.get("pubtator_relation_pmids") or {}).items(), key=lambda kv: int(kv[0])):
        report.warn(record.source, record.line, record.id,
                    f"relation {int(index) + 1} of the document has PMID {pmid}, not {record.id}: kept as read")
    if replace:
        report.entities_removed += len(record.annotations)
        record.annotations = list(predicted)
        for key in ("pubtator_relations", "pubtator_relation_pmids", "relations", "_xml_relations", "pubtator_malformed"):
            record.extra.pop(key, None)
        for passage in record.passages:
            passage.extra.pop("relations", None), passage.extra.pop("_xml_relations", None)
        report.entities_predicted += len(predicted)
        return record
    kept = drop_overlapping(predicted, record.annotations)
    report.entities_input += len(record.annotations)
    report.entities_predicted += len(kept)
    report.predictions_dropped_overlap += len(predicted) - len(kept)
    record.annotations = record.annotations + kept
    return record


def drop_overlapping(predicted: List[Annotation], existing: List[Annotation]) -> List[Annotation]:
    """The predictions that overlap no existing annotation of their label (O(n log n)).

    Labels are compared case-insensitively: a predicted GENE over an input Gene is the same mention.
    """
    by_label: Dict[str, Tuple[List[int], List[int]]] = {}
    for label in {a.label.casefold() for a in existing}:
        spans = sorted((a.start, a.end) for a in existing if a.label.casefold() == label)
        starts = [s for s, _ in spans]
        max_end, running = [], -1
        for _, e in spans:
            running = max(running, e)
            max_end.append(running)
        by_label[label] = (starts, max_end)
    kept = []
    for p in predicted:
        index = by_label.get(p.label.casefold())
        if index is not None:
            starts, max_end = index
            i = bisect.bisect_left(starts, p.end)  # existing spans starting before p ends
            if i > 0 and max_end[i - 1] > p.start:
                continue
        kept.append(p)
    return kept
