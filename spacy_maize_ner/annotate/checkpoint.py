"""Resuming an interrupted annotation run where it stopped.

While a run writes OUTPUT, the text goes to `OUTPUT.partial` and, every few records,
`OUTPUT.progress.json` records how many input records are done (malformed ones
included), how many bytes of the partial file hold them, and the report so far. The
progress file is written atomically after the partial file is flushed to disk, so it
never claims more than the disk holds. A rerun with the same inputs and options cuts
the partial file back to that length (dropping a record half-written when the run
was killed), skips the records done and goes on; a finished run renames the partial
file to OUTPUT and removes the progress file. A rerun with other inputs or options is
refused rather than mixing two jobs in one output.
"""
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import srsly

from ..corpus.textio import atomic_write_lines

VERSION = 1


def partial_path(output: Union[str, Path]) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".partial")


def progress_path(output: Union[str, Path]) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".progress.json")


def fingerprint(inputs: Sequence[Union[str, Path]], **options: Any) -> Dict[str, Any]:
    """What must be the same for a rerun to continue a run: the inputs (path, size, mtime) and options."""
    files: List[List[Any]] = []
    for path in inputs:
        st = Path(path).stat()
        files.append([str(Path(path).resolve()), st.st_size, st.st_mtime_ns])
    return {"version": VERSION, "inputs": files, **{k: options[k] for k in sorted(options)}}


class ResumeMismatchError(ValueError):
    """A progress file from another job (other inputs or options)."""


def load_progress(output: Union[str, Path], expected: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The saved progress of an unfinished run of this same job, or None when there is none.

    RAISES (ResumeMismatchError): when the unfinished run was of other inputs or options.
    """
    path, partial = progress_path(output), partial_path(output)
    if not path.exists() or not partial.exists():
        return None
    state = dict(srsly.read_json(path))
    if state.get("fingerprint") != expected:
        saved = state.get("fingerprint", {})
        differ = sorted(k for k in set(saved) | set(expected) if saved.get(k) != expected.get(k))
        raise ResumeMismatchError(
            f"{output} has an unfinished run ({path}) of other inputs or options (differ: {', '.join(differ)}). "
            "Rerun with the same inputs and options to continue it, or pass --restart to discard it and start over."
        )
    if partial.stat().st_size < state["bytes"]:
        raise ResumeMismatchError(
            f"{partial} is shorter ({partial.stat().st_size} bytes) than its progress file says ({state['bytes']}): "
            "it was changed by something else. Pass --restart to start over."
        )
    return state


def save_progress(output: Union[str, Path], file_, state: Dict[str, Any]) -> None:
    """Flush the partial file to disk, then record `state` with the byte count reached."""
    file_.flush()
    os.fsync(file_.fileno())
    state["bytes"] = file_.tell()
    atomic_write_lines(progress_path(output), [srsly.json_dumps(state) + "\n"])


def discard(output: Union[str, Path]) -> None:
    for path in (partial_path(output), progress_path(output)):
        path.unlink(missing_ok=True)
