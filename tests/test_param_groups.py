"""Each parameter group of spacy_maize_ner.GroupedAdam.v1 is updated at its own rate."""
from pathlib import Path

import numpy
import pytest

pytest.importorskip("spacy_transformers")

import spacy  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402
from spacy.training import Example  # noqa: E402
from spacy.training.initialize import init_nlp  # noqa: E402
from spacy.util import load_config, registry  # noqa: E402

from spacy_maize_ner.study.training.regimes import compose_config  # noqa: E402
from spacy_maize_ner.optim.groups import create_grouped_adam  # noqa: E402
from tiny_training import overrides  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "transformer.cfg"
ENCODER_RATE, HEAD_RATE = 1e-5, 1e-3


def pipeline(tiny_bert, gene_corpus, tmp_path, head=None):
    extra = {
        "training.optimizer.L2": 0.0,
        "training.optimizer.learn_rate": ENCODER_RATE,
        "training.optimizer.groups.head.learn_rate": HEAD_RATE,
    }
    path = tmp_path / "config.cfg"
    compose_config(CONFIG, head).to_disk(path)
    config = load_config(path, overrides={**overrides(gene_corpus, tiny_bert), **extra}, interpolate=False)
    config = config.interpolate()
    nlp = init_nlp(config)
    optimizer = registry.resolve({"optimizer": config["training"]["optimizer"]})["optimizer"]
    return nlp, optimizer


def examples(nlp, gene_corpus):
    docs = list(DocBin().from_disk(gene_corpus / "train.spacy").get_docs(nlp.vocab))[:16]
    return [Example(nlp.make_doc(d.text), d) for d in docs]


def encoder_weights(nlp):
    return {k: v.detach().numpy().copy() for k, v in nlp.get_pipe("transformer").model.transformer.named_parameters()}


def head_weights(nlp):
    return {(node.id, name): node.get_param(name).copy() for node in nlp.get_pipe("ner").model.walk() for name in node.param_names if node.has_param(name)}


def largest_step(before, after):
    return max(float(numpy.abs(after[k] - before[k]).max()) for k in before)


@pytest.mark.parametrize("head", [None, ROOT / "configs" / "heads" / "token.cfg"], ids=["transition", "token"])
def test_each_group_moves_at_its_configured_rate(tiny_bert, gene_corpus, tmp_path, head):
    """Adam's first step moves each weight by about its learning rate (sign of the gradient)."""
    nlp, optimizer = pipeline(tiny_bert, gene_corpus, tmp_path, head)
    enc_before, head_before = encoder_weights(nlp), head_weights(nlp)
    # as spaCy's training loop does: update every component, then apply the gradients
    nlp.update(examples(nlp, gene_corpus), sgd=False)
    for _, component in nlp.pipeline:
        component.finish_update(optimizer)
    assert optimizer.last_rates == {"default": ENCODER_RATE, "head": HEAD_RATE}
    enc_step = largest_step(enc_before, encoder_weights(nlp))
    head_step = largest_step(head_before, head_weights(nlp))
    assert ENCODER_RATE * 0.9 <= enc_step <= ENCODER_RATE * 1.01, enc_step
    assert HEAD_RATE * 0.9 <= head_step <= HEAD_RATE * 1.01, head_step


def test_schedules_advance_per_group():
    optimizer = create_grouped_adam(
        learn_rate=[1.0, 2.0, 3.0],
        groups={"head": {"components": ["ner"], "params": None, "learn_rate": [10.0, 20.0, 30.0]}},
    )
    seen = []
    for _ in range(3):
        seen.append((optimizer.learn_rate, optimizer.group_rates["head"]))
        optimizer.step_schedules()
    assert seen == [(1.0, 10.0), (2.0, 20.0), (3.0, 30.0)]
    assert (optimizer.learn_rate, optimizer.group_rates["head"]) == (3.0, 30.0)  # exhausted: last value


def test_pattern_groups_win_over_component_groups():
    from spacy_maize_ner.optim.groups import COMPONENT_OF_KEY

    optimizer = create_grouped_adam(
        learn_rate=0.1,
        groups={
            "encoder": {"components": ["transformer"], "params": None, "learn_rate": 0.2},
            "adapters": {"components": ["transformer"], "params": "lora_", "learn_rate": 0.3},
        },
    )
    COMPONENT_OF_KEY[(-1, "encoder.layer.0.query.lora_A.default.weight")] = "transformer"
    COMPONENT_OF_KEY[(-1, "encoder.layer.0.query.weight")] = "transformer"
    assert optimizer.group_of((-1, "encoder.layer.0.query.lora_A.default.weight")).name == "adapters"
    assert optimizer.group_of((-1, "encoder.layer.0.query.weight")).name == "encoder"


def test_unbound_parameters_fail_with_the_fix():
    optimizer = create_grouped_adam(groups={"head": {"components": ["ner"], "learn_rate": 0.1}})
    with pytest.raises(RuntimeError, match="bind_parameter_groups"):
        optimizer((-12345, "W"), numpy.zeros(3, dtype="f"), numpy.ones(3, dtype="f"))


def test_bad_group_is_a_clear_error():
    with pytest.raises(ValueError, match="learn_rate"):
        create_grouped_adam(groups={"head": {"components": ["ner"], "rate": 0.1}})
