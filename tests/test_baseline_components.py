"""CRF and HMM components: features, training, serialization, spacy train."""
import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from thinc.api import Config

from spacy_maize_ner.components.crf.features import create_crf_features
from spacy_maize_ner.components.crf.shapes import brief_shape, word_shape
from synthetic import make_docs

CONFIGS = {"crf": "configs/crf.cfg", "hmm": "configs/hmm.cfg"}


def small_nlp(root, kind):
    config = Config().from_disk(root / CONFIGS[kind])
    if kind == "crf":
        config["components"]["crf_ner"]["max_iterations"] = 30
    return spacy.util.load_model_from_config(config, auto_fill=True)


@pytest.fixture(scope="module", params=["crf", "hmm"])
def trained(request, root):
    nlp = small_nlp(root, request.param)
    train = make_docs(nlp.vocab, 150, seed=1)
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in train])
    return request.param, nlp


def test_crf_features_for_chosen_tokens():
    features = create_crf_features(window=1, prefix_lengths=[2], suffix_lengths=[3], ngram_lengths=[3])
    feats = features(["ZmCCT9", "alpha", "-"])
    assert word_shape("ZmCCT9") == "XxXXXd" and brief_shape("XxXXXd") == "XxXd"
    assert {"w=ZmCCT9", "lw=zmcct9", "sh=XxXXXd", "bs=XxXd", "p2=zm", "s3=ct9", "g3=<zm"} <= set(feats[0])
    assert {"initcap", "mixedcase", "hasdigit", "alnum", "enddigit", "-1BOS", "+1lw=alpha"} <= set(feats[0])
    assert "greek" in feats[1] and "-1lw=zmcct9" in feats[1] and "+1bs=-" in feats[1]
    assert "punct=-" in feats[2] and "+1EOS" in feats[2]


def test_bad_feature_option_fails_config_validation(root):
    config = Config().from_disk(root / CONFIGS["crf"])
    config["components"]["crf_ner"]["features"]["window"] = "wide"
    with pytest.raises(Exception, match="window"):
        spacy.util.load_model_from_config(config, auto_fill=True)


def test_learns_held_out_templated_sentences(trained):
    kind, nlp = trained
    gold = make_docs(nlp.vocab, 40, seed=9)
    scores = nlp.evaluate([Example(nlp.make_doc(d.text), d) for d in gold])
    assert scores["ents_f"] > 0.8, (kind, scores["ents_f"])
    doc = nlp("Expression of ZmABC77 was higher in the mutant lines .")
    assert [e.text for e in doc.ents] == ["ZmABC77"], kind  # unseen gene name, from its shape


def test_save_load_identical_predictions_without_pickle(trained, tmp_path):
    kind, nlp = trained
    nlp.to_disk(tmp_path / kind)
    component_dir = tmp_path / kind / f"{kind}_ner"
    assert sorted(p.name for p in component_dir.iterdir()) == ["cfg", "model"]
    assert b"\x80\x04\x95" not in (component_dir / "model").read_bytes()  # no pickle protocol-4 frame
    loaded = spacy.load(tmp_path / kind)
    texts = [d.text for d in make_docs(nlp.vocab, 20, seed=5)]
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts)] == [
        [(e.start, e.end, e.label_) for e in d.ents] for d in loaded.pipe(texts)
    ]
    assert loaded.get_pipe(f"{kind}_ner").labels == ("GENE",)


@pytest.mark.parametrize("kind", ["crf", "hmm"])
def test_untrained_component_explains_how_to_train(root, kind):
    nlp = small_nlp(root, kind)
    with pytest.raises(ValueError, match="has not been trained.*spacy train"):
        nlp("ZmCCT9 delays flowering .")


@pytest.mark.parametrize("kind", ["crf", "hmm"])
def test_spacy_train_fits_and_saves_model_best(root, tmp_path, kind):
    from spacy.cli.train import train

    vocab = spacy.blank("en").vocab
    DocBin(docs=make_docs(vocab, 80, seed=1)).to_disk(tmp_path / "train.spacy")
    DocBin(docs=make_docs(vocab, 20, seed=2)).to_disk(tmp_path / "dev.spacy")
    overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy")}
    if kind == "crf":
        overrides["components.crf_ner.max_iterations"] = 30
    train(root / CONFIGS[kind], tmp_path / "out", overrides=overrides)
    nlp = spacy.load(tmp_path / "out" / "model-best")
    assert nlp.meta["performance"]["ents_f"] > 0.8
    assert [e.text for e in nlp("Knockout of ZmCCT9 reduced plant height in the field .").ents] == ["ZmCCT9"]


def test_no_entities_in_training_data_is_an_error(root):
    nlp = small_nlp(root, "hmm")
    doc = Doc(nlp.vocab, words=["no", "genes", "here"])
    doc.ents = []
    with pytest.raises(ValueError, match="no entities"):
        nlp.initialize(lambda: [Example(nlp.make_doc(doc.text), doc)])
