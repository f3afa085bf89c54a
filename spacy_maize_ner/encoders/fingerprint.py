"""Which weights an encoder folder holds, as a short digest.

Results measured over several sessions (a learning curve's points) must come from one
encoder. A folder's name says nothing about its weights: rerunning DAPT writes a different
encoder to the same `training/encoders/minilm-dapt`. The digest of the weight files does.
"""
import hashlib
from pathlib import Path
from typing import Optional

from .resolve import looks_like_path

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
