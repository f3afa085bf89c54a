"""Expected errors of the workflow scripts end with their message alone, not a traceback.

Every `scripts/*.py` that project.yml runs ends with `run_script(main)` (a typer function
or a `typer.Typer` app) instead of `typer.run(main)` / `app()`. An expected error (a typo
in a workflow var, a missing file or folder, a refused request: see `EXPECTED`) prints

    ✘ <the error's message, which names what was received and how to fix it>
      (traceback: rerun with --verbose or MAIZE_NER_VERBOSE=1)

on stderr and exits 1. `--verbose` anywhere on a script's command line (taken out before
the script parses its own options) or `MAIZE_NER_VERBOSE=1` in the environment shows the
traceback as well. Any other exception is a bug and keeps its full traceback.
"""
import os
import sys
import traceback
from typing import Callable, List, Optional, Tuple, Type, Union

import typer

VERBOSE_ENV = "MAIZE_NER_VERBOSE"
VERBOSE_FLAG = "--verbose"


class MaizeNerError(Exception):
    """An expected failure whose message says everything the user needs (what, where, fix)."""


def _expected() -> Tuple[Type[BaseException], ...]:
    kinds: List[Type[BaseException]] = [MaizeNerError, OSError, ValueError, ImportError]
    for module, name in (("spacy_maize_ner.study.workflow.assets", "AssetError"),
                         ("spacy_maize_ner.pubtator3.transport", "TransportError"),
                         ("spacy_maize_ner.peft.shim", "PeftLoadError")):
        try:  # optional extras: a module that does not import simply adds nothing
            kinds.append(getattr(__import__(module, fromlist=[name]), name))
        except Exception:  # pragma: no cover - depends on the installed extras
            pass
    return tuple(kinds)


def verbose_requested(argv: Optional[List[str]] = None) -> bool:
    """RETURNS (bool): whether --verbose is on the command line or MAIZE_NER_VERBOSE is set."""
    argv = sys.argv[1:] if argv is None else argv
    value = os.environ.get(VERBOSE_ENV, "").strip().lower()
    return VERBOSE_FLAG in argv or value not in ("", "0", "false", "no")


def error_message(err: BaseException) -> str:
    """The one paragraph shown for an expected error (its own message, else its type)."""
    text = str(err).strip()
    if isinstance(err, KeyError) and err.args:
        text = str(err.args[0])
    return text or type(err).__name__


def report_error(err: BaseException, *, verbose: bool) -> None:
    """Print the message (and, when verbose, the traceback first) on stderr."""
    if verbose:
        traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    hint = "" if verbose else f"\n  (traceback: rerun with {VERBOSE_FLAG} or {VERBOSE_ENV}=1)"
    sys.stderr.write(f"\u2718 {error_message(err)}{hint}\n")
    sys.stderr.flush()


def run_script(target: Union[Callable[..., None], typer.Typer], argv: Optional[List[str]] = None) -> None:
    """Run a script's typer function or app; expected errors exit 1 with their message alone.

    target (Union[Callable, typer.Typer]): the script's `main` function or its `app`.
    argv (Optional[List[str]]): the arguments (default: sys.argv[1:]); `--verbose` is taken
        out (and exported as MAIZE_NER_VERBOSE=1, so scripts started by this one inherit it).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = verbose_requested(argv)
    if VERBOSE_FLAG in argv:
        argv = [a for a in argv if a != VERBOSE_FLAG]
        os.environ[VERBOSE_ENV] = "1"
    if isinstance(target, typer.Typer):
        app = target
    else:
        app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        app.command()(target)
    app.pretty_exceptions_enable = False  # a bug's traceback stays plain and complete
    try:
        app(args=argv, prog_name=os.path.basename(sys.argv[0]) or None)
    except _expected() as err:
        report_error(err, verbose=verbose)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("\u2718 Interrupted.\n")
        sys.exit(130)
