"""Turn an encoder name into something `from_pretrained` can load, or fail with a fix.

An encoder is named by a Hugging Face hub id (`bert-base-cased`,
`dmis-lab/biobert-base-cased-v1.1`) or by a local folder written by `save_pretrained`
(`assets/encoders/minilm`, a DAPT output). Local folders win, so the same config works
online with a hub id and offline with a path. A folder of a decoder LM (Gemma, Qwen2, Llama,
Mistral) is refused with the setting that loads it (`attention`, decoders/architecture.py).
"""
import re
from pathlib import Path
from typing import Any

OFFLINE_HINT = (
    "Without network access, pass a local folder instead: `spacy project run encoder-minilm` "
    "provides one in assets/encoders/minilm (then --paths.encoder assets/encoders/minilm), or "
    "download the model on a machine with network (`huggingface-cli download {name} --local-dir "
    "DIR`) and pass DIR."
)
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


# transformers model types of the decoder-only LMs that spacy_maize_ner.Decoder.v1 has been checked with.
DECODER_TYPES = ("gemma3_text", "gemma3", "gemma2", "gemma", "qwen2", "qwen3", "llama", "mistral")


class EncoderNotFoundError(OSError):
    """An encoder name that is neither a usable local folder nor a loadable hub id."""


class DecoderConfigError(ValueError):
    """A decoder setting that cannot work (unknown attention, a flash-attention kernel that ignores masks,
    a decoder folder given to an encoder architecture without `attention`)."""


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


def is_decoder_config(config: Any) -> bool:
    """Whether a transformers config is a decoder-only LM (spacy_maize_ner.Decoder.v1's, not Encoder.v1's)."""
    archs = getattr(config, "architectures", None) or []
    return config.model_type in DECODER_TYPES or any(a.endswith("ForCausalLM") for a in archs)


def refuse_decoder(location: str) -> None:
    """Raise DecoderConfigError if the local folder `location` holds a decoder LM: Encoder.v1 and
    PeftEncoder.v1 load it only with `attention` set (spacy-transformers' own loader would fail
    on its tokenizer, or align it with BERT's conventions). Hub ids are not looked up here."""
    if not Path(location).is_dir():
        return
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(location)
    except (OSError, ValueError, KeyError):
        return
    if is_decoder_config(config):
        raise DecoderConfigError(
            f"'{location}' is a decoder LM ({config.model_type}): set attention = \"causal\" or \"bidirectional\" in "
            "[components.transformer.model] (Encoder.v1, PeftEncoder.v1), or train with a regime of configs/decoders/."
        )
