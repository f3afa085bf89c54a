"""The one policy every command of the package follows before it writes a file.

Before any work starts (before a pipeline is loaded or a corpus read), a command calls
`check_outputs` with its inputs and every file the run will write:

- `outputs`: the files the user asked for (OUTPUT, `--report`, `--json`). An existing
  one is refused unless `overwrite=True` (`--overwrite`): no command replaces a file it
  was not asked to replace.
- `scratch`: the files a run writes on its way (`OUTPUT.partial`, the progress file).
  They may exist (an interrupted run is continued from them); they are only checked
  for overlap.

Every path must be writable (its folder is created when `make_dirs=True`, as
`convert` and `annotate` do), and no input may be, or be the same file as, any path
the run writes: paths are compared resolved (symbolic links followed) and existing
files with `os.path.samefile` (hard links). Two written paths may not be the same
file either. A refusal is an `OutputOverlapError` (a `ValueError`) or an
`OutputExistsError` (a `FileExistsError`) with a one-paragraph message naming the
command, the paths and the fix.
"""
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .corpus.textio import check_output_path

MODEL_FOLDERS = ("model-best", "model-last")

PathLike = Union[str, Path]


class OutputOverlapError(ValueError):
    """An input is (or is the same file as) a file the run writes, or two written files are one."""


class OutputExistsError(FileExistsError):
    """An output the user named exists and `--overwrite` was not given."""


def _keys(path: Path) -> List[Any]:
    """What identifies the file at `path`: its resolved path, and (device, inode) when it exists."""
    keys: List[Any] = [path.resolve()]
    try:
        st = os.stat(path)
        keys.append((st.st_dev, st.st_ino))
    except OSError:  # does not exist (yet)
        pass
    return keys


def _named(paths: Optional[Mapping[str, Optional[PathLike]]]) -> List[Tuple[str, Path]]:
    return [(what, Path(path)) for what, path in (paths or {}).items() if path is not None]


def check_outputs(
    inputs: Sequence[PathLike],
    outputs: Mapping[str, Optional[PathLike]],
    *,
    overwrite: bool,
    command: str,
    scratch: Optional[Mapping[str, Optional[PathLike]]] = None,
    make_dirs: bool = False,
) -> Dict[str, Path]:
    """Refuse, before any work, a run that would destroy an input or replace a file unasked.

    inputs (Sequence[PathLike]): the files the run reads.
    outputs (Mapping[str, Optional[PathLike]]): how to name each file the user asked for
        (e.g. "OUTPUT", "--report") -> its path; None entries are skipped.
    overwrite (bool): whether existing `outputs` may be replaced (`--overwrite`).
    command (str): the command's name for the messages, e.g. "annotate".
    scratch (Optional[Mapping[str, Optional[PathLike]]]): files written on the way
        ("OUTPUT.partial", the progress file); they may exist.
    make_dirs (bool): create the folders of the written files (after every check passed).
    RETURNS (Dict[str, Path]): every written file by its name, outputs then scratch.
    RAISES (OutputOverlapError, OutputExistsError, OSError): naming the paths and the fix.
    """
    named_outputs, named_scratch = _named(outputs), _named(scratch)
    written = named_outputs + named_scratch
    for what, path in written:
        check_output_path(path, what)
    scratch_names = {what for what, _ in named_scratch}
    seen: Dict[Any, Tuple[str, Path]] = {}  # linear in the number of files, however many shards
    for what, path in written:
        for key in _keys(path):
            if key in seen and seen[key] != (what, path):
                other_what, other = seen[key]
                raise OutputOverlapError(
                    f"{command}: the {other_what} {other} and the {what} {path} are the same file, so one would "
                    f"replace the other. Nothing was written. Give the {what.lstrip('-')} another path."
                )
            seen[key] = (what, path)
    for source in map(Path, inputs):
        for key in _keys(source):
            if key in seen:
                what, path = seen[key]
                also = "" if source == path else f" ({path})"
                fix = (f"choose another output path (the {what} is named after it)" if what in scratch_names
                       else f"give the {what.lstrip('-')} another path")
                raise OutputOverlapError(
                    f"{command}: the input {source} is also the {what}{also} this run writes, so the input would be "
                    f"destroyed. Nothing was written: {fix}, or rename the input, so that no input is a file the run writes."
                )
    if not overwrite:
        existing = [(what, path) for what, path in named_outputs if path.exists()]
        if existing:
            listed = ", ".join(f"the {what} {path}" for what, path in existing)
            raise OutputExistsError(
                f"{command}: {listed} already exist{'s' if len(existing) == 1 else ''}, and {command} replaces no "
                "file it was not asked to. Nothing was written. Pass --overwrite to replace "
                f"{'it' if len(existing) == 1 else 'them'}, or choose another path."
            )
    if make_dirs:
        for _, path in written:
            path.parent.mkdir(parents=True, exist_ok=True)
    return dict(written)


def pipeline_name_from_path(path: Union[str, Path]) -> str:
    """RETURNS (str): the folder's name, or its parent's for model-best / model-last."""
    path = Path(str(path).rstrip("/"))
    return path.parent.name if path.name in MODEL_FOLDERS else path.name
