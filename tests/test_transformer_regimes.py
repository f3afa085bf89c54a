"""Each regime trains a few steps on a tiny random BERT; the encoder changes only when it should."""
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import spacy  # noqa: E402
import numpy  # noqa: E402
import torch  # noqa: E402

from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402
from tiny_training import overrides  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "transformer.cfg"
REGIMES = ROOT / "configs" / "regimes"


@pytest.fixture(scope="module")
def trained(tiny_bert, gene_corpus, tmp_path_factory):
    """{regime: model-last folder} for every regime, trained 4 steps."""
    out = {}
    for name, extra in (
        ("full", {}),
        ("probe", {}),
        ("none", {}),
        ("freeze", {"training.before_update.n_layers": 1, "training.before_update.until_step": 100}),
    ):
        folder = tmp_path_factory.mktemp(f"trf-{name}")
        train_regime(CONFIG, read_regime(REGIMES / f"{name}.cfg"), folder, overrides(gene_corpus, tiny_bert, **extra))
        out[name] = folder
    return out


def encoder_state(model_dir: Path):
    nlp = spacy.load(model_dir)
    return {k: v.detach().clone() for k, v in nlp.get_pipe("transformer").model.transformer.state_dict().items()}


@pytest.fixture(scope="module")
def pretrained_state(tiny_bert):
    from transformers import AutoModel

    return {k: v.detach().clone() for k, v in AutoModel.from_pretrained(tiny_bert).state_dict().items()}


def changed_keys(state, reference):
    assert set(state) == set(reference)
    return {k for k in state if not torch.equal(state[k], reference[k])}


@pytest.mark.parametrize("regime", ["probe", "none"])
def test_frozen_regimes_leave_encoder_bitwise_unchanged(trained, pretrained_state, regime):
    for model in ("model-best", "model-last"):
        assert changed_keys(encoder_state(trained[regime] / model), pretrained_state) == set()


def test_full_regime_changes_encoder(trained, pretrained_state):
    changed = changed_keys(encoder_state(trained["full"] / "model-last"), pretrained_state)
    assert any(k.startswith("embeddings.") for k in changed)
    assert any(k.startswith("encoder.layer.0.") for k in changed)
    assert any(k.startswith("encoder.layer.1.") for k in changed)


def test_freeze_regime_keeps_bottom_layers_while_frozen(trained, pretrained_state):
    changed = changed_keys(encoder_state(trained["freeze"] / "model-last"), pretrained_state)
    assert not any(k.startswith(("embeddings.", "encoder.layer.0.")) for k in changed)
    assert any(k.startswith("encoder.layer.1.") for k in changed)


def test_freeze_regime_unfreezes_after_until_step(tiny_bert, gene_corpus, pretrained_state, tmp_path):
    extra = {"training.before_update.n_layers": 1, "training.before_update.until_step": 2}
    train_regime(CONFIG, read_regime(REGIMES / "freeze.cfg"), tmp_path, overrides(gene_corpus, tiny_bert, **extra))
    changed = changed_keys(encoder_state(tmp_path / "model-last"), pretrained_state)
    assert any(k.startswith("encoder.layer.0.") for k in changed)


def test_head_is_trained_in_probe_but_not_in_none(trained):
    def head_params(model_dir):
        ner = spacy.load(model_dir).get_pipe("ner")
        return ner.model.to_bytes()

    assert head_params(trained["probe"] / "model-last") != head_params(trained["none"] / "model-last")


def test_regime_recorded_in_meta(trained, tiny_bert):
    """train_regime records the regime and the encoder it was given (paths.encoder), not the
    config's default (bert-base-cased) nor the output folder."""
    for name, folder in trained.items():
        for model in ("model-best", "model-last"):
            meta = spacy.load(folder / model).meta["maize_ner"]
            assert meta["regime"] == name
            assert meta["encoder"] == str(tiny_bert)


def test_save_load_gives_identical_predictions(trained, tmp_path):
    texts = ["Expression of ZmCCT9 was higher in the mutant lines .", "We cloned Vgt1 and tb1 from B73 ."]
    nlp = spacy.load(trained["full"] / "model-last")
    docs = list(nlp.pipe(texts))
    nlp.to_disk(tmp_path / "copy")
    again = list(spacy.load(tmp_path / "copy").pipe(texts))
    for a, b in zip(docs, again):
        assert [(e.start, e.end, e.label_) for e in a.ents] == [(e.start, e.end, e.label_) for e in b.ents]
        assert numpy.array_equal(hidden(a), hidden(b))


def hidden(doc):
    return numpy.asarray(doc._.trf_data.model_output.last_hidden_state)


def test_long_document_goes_through_strided_spans(trained):
    nlp = spacy.load(trained["full"] / "model-last")
    text = " ".join(["Expression of ZmCCT9 was higher in the mutant lines ."] * 40)  # ~400 tokens > 160 positions
    doc = nlp(text)
    assert len(doc) == 400
    # windows of 24 wordpieces with stride 16 (see overrides): many rows, all within the limit
    assert hidden(doc).shape[0] > 1 and hidden(doc).shape[1] <= 160
    assert doc._.trf_data.align.lengths.sum() >= len(doc)


def test_pipeline_tokenizes_as_its_encoder_does(trained, tiny_bert):
    """The saved pipeline keeps the encoder's own tokenizer settings: nothing in
    configs/transformer.cfg or Encoder.v1 lowercases a cased encoder."""
    from transformers import AutoTokenizer

    own = AutoTokenizer.from_pretrained(str(tiny_bert))
    words = ["ZmCCT9", "zmcct9", "Vgt1", "TB1", "tb1"]
    assert own.tokenize("ZmCCT9") != own.tokenize("zmcct9")  # the tiny BERT is cased: the check below can fail
    for model in ("model-best", "model-last"):
        tokenizer = spacy.load(trained["full"] / model).get_pipe("transformer").model.tokenizer
        assert [tokenizer.tokenize(w) for w in words] == [own.tokenize(w) for w in words]
