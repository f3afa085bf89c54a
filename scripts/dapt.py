"""Domain-adaptive pretraining: continue masked-LM training of an encoder on in-domain text.

    python scripts/dapt.py assets/encoders/minilm training/encoders/minilm-dapt \
        corpus/train.spacy [more .spacy or .txt files] --max-steps 400

The output folder is an encoder like any other: --paths.encoder training/encoders/minilm-dapt.
Use training text only: pretraining on the evaluation split's text would blur the comparison.
"""
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from spacy_maize_ner.study.training.dapt import read_texts, run_dapt
from spacy_maize_ner.cli_errors import run_script


def main(
    encoder: str = typer.Argument(..., help="Hub id or local encoder folder to start from"),
    output: Path = typer.Argument(..., help="Folder for the adapted encoder"),
    texts: List[Path] = typer.Argument(..., help="DocBins (.spacy: one text per Doc) or text files (one text per line)"),
    max_steps: int = typer.Option(300, "--max-steps", help="Optimizer steps"),
    batch_size: int = typer.Option(32, "--batch-size", help="Blocks per step"),
    block_size: int = typer.Option(128, "--block-size", help="Wordpieces per block"),
    learn_rate: float = typer.Option(1e-4, "--learn-rate", help="Peak learning rate (linear warmup and decay)"),
    head_warmup_steps: int = typer.Option(50, "--head-warmup-steps", help="Steps that train only the MLM head first"),
    seed: int = typer.Option(0, "--seed"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="CUDA device to train on; -1 for the CPU"),
) -> None:
    corpus = read_texts(texts)
    msg.info(f"DAPT of {encoder} on {len(corpus):,} texts from {', '.join(map(str, texts))}")
    report = run_dapt(encoder, corpus, output, max_steps=max_steps, batch_size=batch_size, block_size=block_size,
                      learn_rate=learn_rate, head_warmup_steps=head_warmup_steps, seed=seed, gpu_id=gpu_id)
    msg.good(
        f"Saved {output}: held-out masked-LM loss {report['heldout_mlm_loss_before']:.3f} -> "
        f"{report['heldout_mlm_loss_after']:.3f} after {report['steps']} steps ({report['epochs']} epochs, "
        f"{report['train_seconds']:.0f} s; recipe {report['recipe_sha256']})"
    )


if __name__ == "__main__":
    run_script(main)
