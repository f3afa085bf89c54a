"""Learning curves: train CRF, HMM and transformer regimes (`full`, `lora`) per encoder on
seeded subsamples of the training split, score each on dev -> a rows file (shared benchmark schema).

    python scripts/learning_curve.py corpus training/learning_curve/rows.json \
        --encoders assets/encoders/minilm,training/encoders/minilm-dapt --regimes full,lora --sizes 100,250,all --seeds 0,1,2
"""
import shlex
import sys
from pathlib import Path

import srsly
import typer
from spacy.cli._util import parse_config_overrides

from spacy_maize_ner.study.training.train import budget_overrides

from spacy_maize_ner.study.training.curves import CurveSpec, EncoderChangedError, equal_updates_overrides, parse_sizes, run_curves
from spacy_maize_ner.study.runs import parse_seeds
from spacy_maize_ner.study.runs import RunId, encoder_short_name
from spacy_maize_ner.cli_errors import run_script

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(add_completion=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def main(
    ctx: typer.Context,
    corpus_dir: Path = typer.Argument(..., help="Folder with train.spacy and dev.spacy"),
    rows: Path = typer.Argument(..., help="Rows file to write (points already there are skipped)"),
    pipelines: str = typer.Option("crf,hmm", "--pipelines", help="Classic pipelines: configs/<name>.cfg"),
    encoders: str = typer.Option("", "--encoders", help="Encoders for transformer curves (hub ids or folders)"),
    regimes: str = typer.Option("full", "--regimes", "--regime", help="Regimes of the transformer curves, comma-separated (configs/regimes/<name>.cfg)"),
    sizes: str = typer.Option("100,250,500,1000,2500,all", "--sizes", help="Training sentences per point; 'all' = whole split"),
    seeds: str = typer.Option("0,1,2", "--seeds", help="Seeds per point (subsample and training)"),
    workdir: Path = typer.Option(Path("training/learning_curve/runs"), "--workdir", help="Scratch folder for the runs"),
    max_steps: int = typer.Option(0, "--max-steps", help="training.max_steps of the transformer runs; 0 keeps the config's"),
    eval_frequency: int = typer.Option(0, "--eval-frequency", help="training.eval_frequency of the transformer runs; 0 keeps the config's"),
    equal_updates: bool = typer.Option(True, "--equal-updates/--config-epochs", help="Give every transformer point the updates of one epoch of the whole split (default), or train the config's epochs on each sample"),
) -> None:
    """Extra `--section.key value` options override the transformer config (e.g. --training.max_steps 200)."""
    overrides = budget_overrides(None, max_steps, eval_frequency, parse_config_overrides(ctx.args))
    specs = [CurveSpec(name, ROOT / "configs" / f"{name}.cfg") for name in (p.strip() for p in pipelines.split(",")) if name]
    trf_config = ROOT / "configs" / "transformer.cfg"
    if equal_updates and encoders.strip():
        overrides = {**equal_updates_overrides(trf_config, corpus_dir / "train.spacy", overrides), **overrides}
    for encoder in (e.strip() for e in encoders.split(",") if e.strip()):
        for regime in (r.strip() for r in regimes.split(",") if r.strip()):
            specs.append(CurveSpec(RunId(encoder=encoder_short_name(encoder), setting=regime).name, trf_config, ROOT / "configs" / "regimes" / f"{regime}.cfg",
                                   {**overrides, "paths.encoder": encoder}))
    for spec in specs:
        if not spec.config.exists():
            typer.echo(f"Config not found: {spec.config} (pipelines are configs/<name>.cfg: crf, hmm)", err=True)
            raise typer.Exit(1)
        if spec.regime is not None and not spec.regime.exists():
            known = ", ".join(sorted(p.stem for p in spec.regime.parent.glob("*.cfg")))
            typer.echo(f"Regime not found: {spec.regime} (--regimes takes names of configs/regimes/*.cfg: {known})", err=True)
            raise typer.Exit(1)
    meta_path = corpus_dir / "meta.json"
    data = srsly.read_json(meta_path).get("corpus", corpus_dir.name) if meta_path.exists() else corpus_dir.name
    try:
        n = run_curves(specs, train=corpus_dir / "train.spacy", dev=corpus_dir / "dev.spacy", sizes=parse_sizes(sizes),
                       seeds=parse_seeds(seeds), rows_path=rows, workdir=workdir, data=data,
                       command="python " + " ".join(shlex.quote(a) for a in sys.argv))
    except EncoderChangedError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1)
    typer.echo(f"Measured {n} point(s) -> {rows}")


if __name__ == "__main__":
    run_script(app)
