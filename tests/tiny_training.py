"""Config overrides that train configs/transformer.cfg a few steps on the tiny BERT.

For the transformer tests (regimes, heads, PEFT, parameter groups, packaging): the corpus is
tests/conftest.py's `gene_corpus`, the encoder tests/tiny_bert.py's folder. Windows of 24
words with stride 16 keep every row inside the tiny BERT's 160 positions.
"""
from pathlib import Path


def overrides(corpus: Path, encoder: Path, **extra) -> dict:
    """Dotted config overrides: 4 steps at a constant rate of 0.01, then `extra`. RETURNS a new dict."""
    base = {
        "paths.train": str(corpus / "train.spacy"),
        "paths.dev": str(corpus / "dev.spacy"),
        "paths.encoder": str(encoder),
        "training.max_steps": 4,
        "training.max_epochs": 0,  # the step budget decides, not the config's one epoch
        "training.eval_frequency": 2,
        "training.logger.progress_bar": False,
        "training.batcher.size": 300,
        "training.optimizer.learn_rate.warmup_steps": 1,
        "training.optimizer.learn_rate.initial_rate": 0.01,
        "training.optimizer.learn_rate.final_rate": 0.01,
        "components.transformer.model.get_spans.window": 24,
        "components.transformer.model.get_spans.stride": 16,
    }
    base.update(extra)
    return base
