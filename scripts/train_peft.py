"""Train PEFT pipelines (LoRA ranks, prompt lengths, prefix lengths) for each encoder.

    python scripts/train_peft.py "assets/encoders/minilm,training/encoders/minilm-dapt" training/peft \
        --ranks 4,8,16,32,64 --lengths 10,20,30,40,50,60 --prefix-lengths 20 \
        --paths.train corpus/train.spacy --paths.dev corpus/dev.spacy

Writes training/peft/<encoder>-lora-r8-s<seed>/model-best etc. (`RunId` in spacy_maize_ner/study/runs.py). Extra `--section.key value` options
override configs/transformer.cfg for every run (as scripts/train_transformers.py).
"""
from pathlib import Path

import typer
from spacy.cli._util import parse_config_overrides
from wasabi import msg

from spacy_maize_ner.study.training.regimes import read_regime
from spacy_maize_ner.study.training.train import budget_overrides, train_regime
from spacy_maize_ner.study.runs import RunId, encoder_short_name
from spacy_maize_ner.study.training.sweep import sweep_runs
from spacy_maize_ner.cli_errors import run_script

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(add_completion=False)


def int_list(value: str) -> list:
    """"4,8,16" -> [4, 8, 16]; "" or "none" -> []."""
    return [int(item) for item in value.split(",") if item.strip() and item.strip().lower() != "none"]


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def main(
    ctx: typer.Context,
    encoders: str = typer.Argument(..., help="Comma-separated hub ids or local folders"),
    output: Path = typer.Argument(Path("training/peft"), help="Folder for <encoder>-<method>-<setting>-s<seed>/"),
    seed: int = typer.Option(0, "--seed", help="The runs' seed: [system] seed and the folders' -s<seed>"),
    ranks: str = typer.Option("8", "--ranks", help="LoRA ranks, comma-separated ('' for none)"),
    lengths: str = typer.Option("50", "--lengths", help="Prompt-tuning lengths (virtual tokens), comma-separated"),
    prefix_lengths: str = typer.Option("", "--prefix-lengths", help="Prefix-tuning lengths, comma-separated"),
    config: Path = typer.Option(ROOT / "configs" / "transformer.cfg", "--config", help="Base config"),
    regimes_dir: Path = typer.Option(ROOT / "configs" / "regimes", "--regimes-dir", help="Folder of regime files"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    head: str = typer.Option("transition", "--head", help="NER head: transition (the config's own) or a file of configs/heads/ (token)"),
    budget: str = typer.Option("", "--budget", help="A budget file (configs/budgets/demo.cfg); --max-steps, --eval-frequency and --section.key options win over it"),
    max_steps: int = typer.Option(0, "--max-steps", help="training.max_steps; 0 keeps the config's (or the budget's)"),
    eval_frequency: int = typer.Option(0, "--eval-frequency", help="training.eval_frequency; 0 keeps the config's (or the budget's)"),
) -> None:
    overrides = budget_overrides(Path(budget) if budget else None, max_steps, eval_frequency, parse_config_overrides(ctx.args))
    overrides["system.seed"] = seed
    runs = sweep_runs(int_list(ranks), int_list(lengths), int_list(prefix_lengths))
    if not runs:
        msg.fail("Nothing to train: give --ranks, --lengths or --prefix-lengths.", exits=1)
    encoder_list = [e.strip() for e in encoders.split(",") if e.strip() and e.strip().lower() != "none"]
    for encoder in encoder_list:
        for run in runs:
            target = output / RunId(encoder=encoder_short_name(encoder), setting=run.name, seed=seed).folder
            msg.divider(f"{encoder} / {run.name} -> {target}")
            values = {**overrides, **run.overrides, "paths.encoder": encoder}
            # every method on the encoder's output alone: the full regime's case/shape features stay off
            train_regime(config, read_regime(regimes_dir / f"{run.regime}.cfg"), target, overrides=values, gpu_id=gpu_id, head=head,
                         features=())
    msg.good(f"Trained {len(runs)} PEFT setting(s) for {len(encoder_list)} encoder(s) in {output}")


if __name__ == "__main__":
    run_script(app)
