"""Train decoder LLM taggers (configs/decoders/*.cfg) after printing their expected cost.

    python scripts/train_decoders.py gemma3-270m "decoder-lora-causal,decoder-lora-bidirectional" \
        training/decoders --paths.train corpus/train.spacy --paths.dev corpus/dev.spacy \
        [--max-steps 0] [--eval-frequency 0] [--budget FILE] [--gpu-id 0] [--cost-only]

A decoder is a name of `scripts/provide_decoder.py --list` (read from assets/decoders/<name>),
a local folder, or a hub id (google/gemma-3-270m, online). Runs go to
OUTPUT/<decoder>-<regime>/ through scripts/train_transformers.py with the token head.
"""
import subprocess
import sys
from pathlib import Path

import typer
from wasabi import msg

from spacy_maize_ner.cli_errors import MaizeNerError, run_script
from spacy_maize_ner.study.training.decoder_cost import cost_lines, expected_cost
from spacy_maize_ner.study.workflow.decoders import SOURCES

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(add_completion=False)


def decoder_location(name: str, root: Path) -> str:
    if name in SOURCES:
        folder = root / name
        if not (folder / "config.json").exists():
            raise MaizeNerError(f"Decoder '{name}' is not provided yet ({folder} has no config.json): run "
                                f"`spacy project run provide-decoder` or scripts/provide_decoder.py {name}.")
        return str(folder)
    return name


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def main(
    ctx: typer.Context,
    decoders: str = typer.Argument(..., help="Comma-separated decoder names, folders or hub ids"),
    regimes: str = typer.Argument("decoder-lora-causal,decoder-lora-bidirectional", help="Files of configs/decoders/"),
    output: Path = typer.Argument(Path("training/decoders"), help="Folder for <decoder>-<regime>/"),
    decoders_root: Path = typer.Option(Path("assets/decoders"), "--decoders-root", help="Where provide-decoder wrote them"),
    max_steps: int = typer.Option(0, "--max-steps", help="training.max_steps; 0 keeps one epoch"),
    eval_frequency: int = typer.Option(0, "--eval-frequency", help="training.eval_frequency; 0 keeps the config's"),
    budget: str = typer.Option("", "--budget", help="A budget file (configs/budgets/*.cfg)"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    seeds: int = typer.Option(1, "--seeds", help="Seeds the caller will run (for the cost line only)"),
    cost_only: bool = typer.Option(False, "--cost-only", help="Print the expected cost and stop"),
) -> None:
    names = [d.strip() for d in decoders.split(",") if d.strip()]
    regime_names = [r.strip() for r in regimes.split(",") if r.strip()]
    for regime in regime_names:
        if not (ROOT / "configs" / "decoders" / f"{regime}.cfg").exists():
            known = sorted(p.stem for p in (ROOT / "configs" / "decoders").glob("*.cfg"))
            raise MaizeNerError(f"No decoder regime '{regime}' in configs/decoders/ (known: {', '.join(known)}).")
    locations = [decoder_location(n, decoders_root) for n in names] if not cost_only else \
        [str(decoders_root / n) if n in SOURCES else n for n in names]
    for line in cost_lines(expected_cost(locations, regime_names, max_steps), seeds=seeds):
        msg.info(line) if line.startswith("Expected") else print(line)
    if cost_only:
        return
    cmd = [sys.executable, str(ROOT / "scripts" / "train_transformers.py"), ",".join(locations), ",".join(regime_names),
           str(output), "--regimes-dir", str(ROOT / "configs" / "decoders"), "--head", "token",
           "--max-steps", str(max_steps), "--eval-frequency", str(eval_frequency), "--budget", budget,
           "--gpu-id", str(gpu_id), *ctx.args]
    sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    run_script(app)
