"""Train a transformer NER pipeline in one regime (configs/regimes/<name>.cfg).

    python scripts/train_transformer.py configs/transformer.cfg configs/regimes/probe.cfg \
        training/trf-minilm-probe --paths.encoder assets/encoders/minilm \
        --paths.train corpus/train.spacy --paths.dev corpus/dev.spacy [--gpu-id 0]

Extra `--section.key value` options override the config, as with `spacy train`.
"""
from pathlib import Path

import typer
from spacy.cli._util import parse_config_overrides
from wasabi import msg

from spacy_maize_ner.study.training.regimes import read_regime
from spacy_maize_ner.study.training.train import budget_overrides, train_regime
from spacy_maize_ner.cli_errors import run_script

app = typer.Typer(add_completion=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def main(
    ctx: typer.Context,
    config: Path = typer.Argument(..., exists=True, help="Base config, e.g. configs/transformer.cfg"),
    regime: Path = typer.Argument(..., help="Regime file, e.g. configs/regimes/full.cfg"),
    output: Path = typer.Argument(..., help="Output folder (model-best, model-last)"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    head: str = typer.Option("transition", "--head", help="NER head: transition (the config's own) or a file of configs/heads/ (token)"),
    features: str = typer.Option("regime", "--features", help="Comma-separated files of configs/features/ (lexical: case and shape beside the encoder); none for none; regime: the regime file's own (full: lexical)"),
    budget: str = typer.Option("", "--budget", help="A budget file (configs/budgets/demo.cfg) whose overrides come before the command line's"),
) -> None:
    overrides = budget_overrides(Path(budget) if budget else None, cli=parse_config_overrides(ctx.args))
    spec = read_regime(regime)
    msg.info(f"Regime {spec.name}: {spec.description}")
    best = train_regime(config, spec, output, overrides=overrides, gpu_id=gpu_id, head=head,
                       features=features)  # train_regime resolves it ("regime": the file's own)
    msg.good(f"Saved {best}")


if __name__ == "__main__":
    run_script(app)
