"""Which weights an encoder folder holds, as a short digest.

Results measured over several sessions (a learning curve's points) must come from one
encoder. A folder's name says nothing about its weights: rerunning DAPT writes a different
encoder to the same `training/encoders/minilm-dapt`. The digest of the weight files does.
DAPT weights are not bitwise reproducible (one thread or two already differ in the last
float bits), so a DAPT encoder also carries the digest of its recipe (source weights,
texts, settings, package version) in dapt.json: the same recipe, run again, is the same
encoder up to the order of floating-point sums.
"""
import hashlib
import json
from pathlib import Path
from typing import Any, Dict, Optional

from ...encoders.resolve import looks_like_path

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".h5", ".msgpack")
DIGEST_CHARS = 16


def encoder_fingerprint(name: str) -> Optional[str]:
    """name (str): an encoder folder or a hub id.

    RETURNS (Optional[str]): the first 16 hex digits of a SHA-256 over the weight files
    that `from_pretrained` reads from the folder (names and contents, sorted by name), or None for a hub id, whose weights are not
    on disk to read.
    """
    path = Path(name).expanduser()
    if not path.is_dir():
        if looks_like_path(name):
            raise FileNotFoundError(f"Encoder folder '{name}' does not exist: nothing to fingerprint.")
        return None
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    if not files:
        raise FileNotFoundError(
            f"Encoder folder '{name}' holds no weight file ({', '.join(WEIGHT_SUFFIXES)}): "
            "point at the folder written by save_pretrained."
        )
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode("utf8") + b"\0")
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:DIGEST_CHARS]


def recipe_digest(recipe: Dict[str, Any]) -> str:
    """RETURNS (str): the first 16 hex digits of a SHA-256 over the recipe as sorted JSON."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf8")).hexdigest()[:DIGEST_CHARS]


def encoder_recipe(name: str) -> Optional[str]:
    """RETURNS (Optional[str]): the recipe digest in the folder's dapt.json (training/dapt.py),
    or None for encoders DAPT did not make (or made before recipes were recorded) and hub ids."""
    report = Path(name).expanduser() / "dapt.json"
    if not report.is_file():
        return None
    return json.loads(report.read_text(encoding="utf8")).get("recipe_sha256")
