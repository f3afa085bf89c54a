"""A tagger pipeline with one update, for inference-speed benchmarks only.

    python benchmarks/untrained_tagger.py assets/decoders/gemma3-270m \
        training/benchmarks/bc2gm/gemma3_270m-decoder-lora-bidirectional-untrained \
        --regime configs/decoders/decoder-lora-bidirectional.cfg --head token

Inference speed does not depend on the weights, so `bench_throughput.py --decoder` can time
a decoder tagger before a trained one exists: this trains the regime for one update on 16
BC2GM training sentences (scored on 8 dev sentences) and writes OUTPUT/model-last. Its F1 is
meaningless; never report it.
"""
import sys
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(add_completion=False)


@app.command()
def main(
    encoder: str = typer.Argument(..., help="Encoder or decoder folder (paths.encoder)"),
    output: Path = typer.Argument(..., help="Training output folder (gets model-last)"),
    regime: Path = typer.Option(ROOT / "configs" / "decoders" / "decoder-lora-bidirectional.cfg", help="Regime file"),
    head: str = typer.Option("token", help="transition or a file of configs/heads/"),
    corpus: Path = typer.Option(ROOT / "training" / "benchmarks" / "bc2gm" / "corpus", help="Folder with train/dev.spacy"),
) -> None:
    import tempfile

    import spacy
    from spacy.tokens import DocBin

    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import train_regime

    if output.exists():
        raise typer.BadParameter(f"{output} exists: remove it or give another folder.")
    vocab = spacy.blank("en").vocab
    with tempfile.TemporaryDirectory() as tmp:
        for split, n in (("train", 16), ("dev", 8)):
            DocBin(docs=list(DocBin().from_disk(corpus / f"{split}.spacy").get_docs(vocab))[:n]).to_disk(Path(tmp) / f"{split}.spacy")
        overrides = {"paths.train": str(Path(tmp) / "train.spacy"), "paths.dev": str(Path(tmp) / "dev.spacy"),
                     "paths.encoder": encoder, "training.max_steps": 1, "training.max_epochs": 0,
                     "training.eval_frequency": 1, "training.logger.progress_bar": False}
        train_regime(ROOT / "configs" / "transformer.cfg", read_regime(regime), output, overrides, head=head)
    typer.echo(output / "model-last")


if __name__ == "__main__":
    sys.exit(app())
