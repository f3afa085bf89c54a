"""Export a trained PEFT pipeline adapter-only (adapter + base reference) or merged (LoRA into the encoder).

    python scripts/export_peft.py training/peft/minilm-lora-r8-s0/model-best packages/minilm-lora-adapter --mode adapter
    python scripts/export_peft.py training/peft/minilm-lora-r8-s0/model-best packages/minilm-lora-merged --mode merged

Both outputs are pipeline folders for spacy.load, `spacy evaluate` and scripts/package.py.
"""
from pathlib import Path

import spacy
import typer
from wasabi import msg

from spacy_maize_ner.peft.export import export_adapter, export_merged, folder_size
from spacy_maize_ner.cli_errors import run_script


def main(
    model: Path = typer.Argument(..., help="A trained PEFT pipeline (model-best)"),
    output: Path = typer.Argument(..., help="The exported pipeline's folder"),
    mode: str = typer.Option("adapter", "--mode", help="adapter (adapter weights + base encoder reference) or merged (LoRA only)"),
) -> None:
    if mode not in ("adapter", "merged"):
        msg.fail(f"--mode {mode!r}: choose adapter or merged.", exits=1)
    if not model.exists():
        msg.fail(f"Pipeline not found: {model}. Train it first (spacy project run train-peft).", exits=1)
    out = export_adapter(spacy.load(model), output) if mode == "adapter" else export_merged(model, output)
    msg.good(f"Wrote the {mode} pipeline to {out} ({folder_size(out) / 2**20:.1f} MB)")


if __name__ == "__main__":
    run_script(main)
