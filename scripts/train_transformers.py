"""Train every regime for each encoder: training/transformers/<encoder>-<regime>-s<seed>/model-best.

    python scripts/train_transformers.py "assets/encoders/minilm,training/encoders/minilm-dapt" \
        "full,probe,none,freeze" training/transformers --paths.train corpus/train.spacy \
        --paths.dev corpus/dev.spacy [--gpu-id 0] [--training.max_steps 50]

<encoder> is the encoder's short name (minilm, minilm_dapt, bert, biobert): `RunId` in
spacy_maize_ner/study/runs.py. The head and features apply to every run of a call and are
recorded in each pipeline's meta.json, not in its name. Extra
`--section.key value` options override configs/transformer.cfg for every run.
"""
from pathlib import Path

import typer
from spacy.cli._util import parse_config_overrides
from wasabi import msg

from spacy_maize_ner.study.training.regimes import read_regime
from spacy_maize_ner.study.training.train import budget_overrides, train_regime
from spacy_maize_ner.study.runs import RunId, encoder_short_name
from spacy_maize_ner.cli_errors import run_script

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(add_completion=False)


def split_list(value: str) -> list:
    return [item.strip() for item in value.split(",") if item.strip()]


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def main(
    ctx: typer.Context,
    encoders: str = typer.Argument(..., help="Comma-separated hub ids or local folders"),
    regimes: str = typer.Argument("full,probe,none,freeze", help="Comma-separated regime names (configs/regimes/)"),
    output: Path = typer.Argument(Path("training/transformers"), help="Folder for <encoder>-<regime>-s<seed>/"),
    seed: int = typer.Option(0, "--seed", help="The runs' seed: [system] seed and the folders' -s<seed>"),
    config: Path = typer.Option(ROOT / "configs" / "transformer.cfg", "--config", help="Base config"),
    regimes_dir: Path = typer.Option(ROOT / "configs" / "regimes", "--regimes-dir", help="Folder of regime files"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    head: str = typer.Option("transition", "--head", help="NER head: transition (the config's own) or a file of configs/heads/ (token)"),
    features: str = typer.Option("regime", "--features", help="Comma-separated files of configs/features/ (lexical: case and shape beside the encoder); none for none; regime: the regime file's own (full: lexical)"),
    budget: str = typer.Option("", "--budget", help="A budget file (configs/budgets/demo.cfg); --max-steps, --eval-frequency and --section.key options win over it"),
    max_steps: int = typer.Option(0, "--max-steps", help="training.max_steps; 0 keeps the config's (or the budget's)"),
    eval_frequency: int = typer.Option(0, "--eval-frequency", help="training.eval_frequency; 0 keeps the config's (or the budget's)"),
) -> None:
    overrides = budget_overrides(Path(budget) if budget else None, max_steps, eval_frequency, parse_config_overrides(ctx.args))
    overrides["system.seed"] = seed
    specs = [read_regime(regimes_dir / f"{name}.cfg") for name in split_list(regimes)]
    for encoder in split_list(encoders):
        for spec in specs:
            target = output / RunId(encoder=encoder_short_name(encoder), setting=spec.name, seed=seed).folder
            msg.divider(f"{encoder} / {spec.name} -> {target}")
            train_regime(config, spec, target, overrides={**overrides, "paths.encoder": encoder}, gpu_id=gpu_id, head=head,
                         features=features)  # train_regime resolves it ("regime": the file's own)
    msg.good(f"Trained {len(specs)} regime(s) for {len(split_list(encoders))} encoder(s) in {output}")


if __name__ == "__main__":
    run_script(app)
