"""Turn an encoder name into something `from_pretrained` can load, or fail with a fix.

An encoder is named by a Hugging Face hub id (`bert-base-cased`,
`dmis-lab/biobert-base-cased-v1.1`) or by a local folder written by `save_pretrained`
(`assets/encoders/minilm`, a DAPT output). Local folders win, so the same config works
online with a hub id and offline with a path.
"""
import re
from pathlib import Path

OFFLINE_HINT = (
    "Without network access, pass a local folder instead: `spacy project run encoder-minilm` "
    "provides one in assets/encoders/minilm (then --paths.encoder assets/encoders/minilm), or "
    "download the model on a machine with network (`huggingface-cli download {name} --local-dir "
    "DIR`) and pass DIR."
)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


class EncoderNotFoundError(OSError):
    """An encoder name that is neither a usable local folder nor a loadable hub id."""


def looks_like_path(name: str) -> bool:
    """Whether `name` can only be meant as a path (hub ids have at most one '/')."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or not HUB_ID.match(name)


def resolve_encoder(name: str) -> str:
    """name (str): a hub id or a local folder. RETURNS (str): the folder's absolute path, or the hub id.

    Raises EncoderNotFoundError for a folder that does not exist or holds no config.json.
    """
    if not name:
        raise EncoderNotFoundError("No encoder given: set [paths.encoder] to a hub id or a local folder.")
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").exists():
            raise EncoderNotFoundError(
                f"Encoder folder '{name}' has no config.json: it is not a Hugging Face model folder. "
                "Point at the folder that holds config.json, the weights and the tokenizer files "
                "(for the MiniLM package, its model/ folder)."
            )
        return str(path.resolve())
    if looks_like_path(name):
        raise EncoderNotFoundError(f"Encoder folder '{name}' does not exist (resolved to {path.resolve()}).")
    return name


def loading_error(name: str, error: Exception) -> EncoderNotFoundError:
    """The error to raise when `from_pretrained(name)` failed."""
    return EncoderNotFoundError(
        f"Could not load encoder '{name}': it is not a local folder and loading it from the "
        f"Hugging Face hub failed ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}). "
        + OFFLINE_HINT.format(name=name)
    )
