"""The CRF baseline: features, fitting in `initialize`, serialization, `spacy train`.

The corpus is made up here from templates and maize gene names; nothing comes from a
real corpus. Training runs few L-BFGS iterations on a few dozen sentences, so the whole
module takes seconds.
"""
import pickle
from typing import List

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from thinc.api import Config

from spacy_maize_ner.components.crf.features import create_crf_features
from spacy_maize_ner.components.crf.shapes import brief_shape, word_shape
from spacy_maize_ner.components.crf.model import CrfTagger
from spacy_maize_ner.tags import tags_to_spans
from synthetic import maize_sentences

CONFIG = "configs/crf.cfg"
def make_docs(vocab, n: int, seed: int) -> List[Doc]:
    docs = []
    for words, tags in maize_sentences(n, seed):
        doc = Doc(vocab, words=words)
        doc.ents = [Span(doc, s, e, label=label) for s, e, label in tags_to_spans(tags)]
        docs.append(doc)
    return docs


def load_config(root, **component) -> Config:
    config = Config().from_disk(root / CONFIG)
    config["components"]["crf_ner"]["max_iterations"] = 30
    config["components"]["crf_ner"].update(component)
    return config


@pytest.fixture(scope="module")
def trained(root):
    nlp = spacy.util.load_model_from_config(load_config(root), auto_fill=True)
    train = make_docs(nlp.vocab, 60, seed=1)
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in train])
    return nlp, train


def ents(docs) -> list:
    return [[(e.start, e.end, e.label_) for e in doc.ents] for doc in docs]


def test_word_shapes():
    assert word_shape("ZmCCT9") == "XxXXXd"
    assert word_shape("IL-2R") == "XX-dX"
    assert word_shape("A" * 20, max_length=4) == "XXXX~"
    assert brief_shape(word_shape("ZmNAC111")) == "XxXd"


def test_features_for_chosen_tokens():
    extract = create_crf_features(window=2, prefix_lengths=[2, 3], suffix_lengths=[2], ngram_lengths=[3])
    feats = [set(f) for f in extract(["ZmCCT9", "and", "NF", "-", "kappaB", "alpha", "α", "II"])]
    zm, _, nf, dash, kappab, alpha, symbol, roman = feats
    assert {"w=ZmCCT9", "lw=zmcct9", "sh=XxXXXd", "bs=XxXd", "p2=zm", "p3=zmc", "s2=t9"} <= zm
    assert {"g3=<zm", "g3=t9>", "initcap", "mixedcase", "hasdigit", "alnum", "enddigit"} <= zm
    assert {"-1BOS", "-2BOS", "+1lw=and", "+2lw=nf", "+2bs=X"} <= zm
    assert {"allcap", "-2lw=zmcct9", "-1lw=and", "+1lw=-", "+2lw=kappab"} <= nf
    assert "punct=-" in dash and "-1|0=nf|-" in dash
    assert "hasgreek" in kappab and "greek" not in kappab
    assert "greek" in alpha and "greeksym" in symbol
    assert "roman" in roman and {"+1EOS", "+2EOS"} <= roman
    assert "+2EOS" in symbol and "+1EOS" not in symbol


def test_feature_families_switch_off():
    extract = create_crf_features(
        window=0, prefix_lengths=[], suffix_lengths=[], ngram_lengths=[], word=False, shape=False,
        case=False, digits=False, greek=False, punctuation=False, length=False, bigrams=False,
    )
    assert extract(["ZmCCT9", "alpha"]) == [["bias"], ["bias"]]


def test_bad_feature_option_fails_config_validation(root):
    config = load_config(root)
    config["components"]["crf_ner"]["features"]["window"] = "wide"
    with pytest.raises(Exception, match="window"):
        spacy.util.load_model_from_config(config, auto_fill=True)


def test_bad_feature_value_explains_the_fix():
    with pytest.raises(ValueError, match="prefix_lengths.*Use \\[\\]"):
        create_crf_features(prefix_lengths=[0, 2])


def test_unknown_algorithm_is_rejected(root):
    config = load_config(root, algorithm="adam")
    with pytest.raises(Exception, match="algorithm"):
        spacy.util.load_model_from_config(config, auto_fill=True)


def test_untrained_component_explains_how_to_train(root):
    nlp = spacy.util.load_model_from_config(load_config(root), auto_fill=True)
    with pytest.raises(ValueError, match="has not been trained.*spacy train"):
        nlp("ZmCCT9 delays flowering .")
    with pytest.raises(ValueError, match="not been fitted"):
        CrfTagger(create_crf_features()).predict([["ZmCCT9"]])


def test_initialize_learns_the_training_set(trained):
    nlp, train = trained
    scores = nlp.evaluate([Example(nlp.make_doc(d.text), d) for d in train])
    assert scores["ents_f"] > 0.8
    assert nlp.get_pipe("crf_ner").labels == ("GENE",)
    doc = nlp("Loss of ZmCCT9 reduced plant height .")
    assert [(e.text, e.label_) for e in doc.ents] == [("ZmCCT9", "GENE")]


def test_training_is_deterministic(trained):
    nlp, train = trained
    words = [[t.text for t in d] for d in train]
    tags = [[f"{t.ent_iob_}-{t.ent_type_}" if t.ent_type_ else "O" for t in d] for d in train]
    first, second = (CrfTagger(create_crf_features(), max_iterations=10) for _ in range(2))
    first.fit(words, tags)
    second.fit(words, tags)
    assert first.to_bytes() == second.to_bytes()


def test_round_trip_identical_predictions_without_pickle(trained, tmp_path, monkeypatch):
    nlp, _ = trained
    nlp.to_disk(tmp_path / "crf")
    saved = [p for p in (tmp_path / "crf").rglob("*") if p.is_file()]
    assert not [p for p in saved if p.suffix in (".pkl", ".pickle")]
    component_dir = tmp_path / "crf" / "crf_ner"
    assert sorted(p.name for p in component_dir.iterdir()) == ["cfg", "model"]

    def no_pickle(*args, **kwargs):
        raise AssertionError("loading the CRF must not unpickle anything")

    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "Unpickler", no_pickle)
    loaded = spacy.load(tmp_path / "crf")
    texts = [d.text for d in make_docs(nlp.vocab, 20, seed=5)] + ["Vgt1 and tb1 differ ."]
    assert ents(loaded.pipe(texts)) == ents(nlp.pipe(texts))
    assert loaded.get_pipe("crf_ner").to_bytes() == nlp.get_pipe("crf_ner").to_bytes()


def test_spacy_train_fits_on_the_whole_corpus_and_saves_model_best(root, tmp_path, monkeypatch):
    from spacy.cli.train import train

    fitted_on = []
    fit = CrfTagger.fit
    monkeypatch.setattr(CrfTagger, "fit", lambda self, words, tags: fitted_on.append(len(words)) or fit(self, words, tags))
    vocab = spacy.blank("en").vocab
    # More than 100 docs: with [training] max_epochs = -1, spaCy would initialize on the first 100 only.
    DocBin(docs=make_docs(vocab, 150, seed=1)).to_disk(tmp_path / "train.spacy")
    DocBin(docs=make_docs(vocab, 15, seed=2)).to_disk(tmp_path / "dev.spacy")
    overrides = {
        "paths.train": str(tmp_path / "train.spacy"),
        "paths.dev": str(tmp_path / "dev.spacy"),
        "components.crf_ner.max_iterations": 30,
    }
    train(root / CONFIG, tmp_path / "out", overrides=overrides)
    assert fitted_on == [150]
    nlp = spacy.load(tmp_path / "out" / "model-best")
    assert nlp.pipe_names[-1] == "crf_ner"
    assert nlp.meta["performance"]["ents_f"] > 0.8
    assert [e.text for e in nlp("Loss of Vgt1 reduced plant height .").ents] == ["Vgt1"]
    assert (tmp_path / "out" / "model-last" / "crf_ner" / "model").exists()


def test_mention_dictionary_is_jackknifed_and_serialized():
    corpus = maize_sentences(40, seed=3)
    words, tags = [w for w, _ in corpus], [t for _, t in corpus]
    extract = create_crf_features(dictionary=True, dictionary_folds=4)
    folds = extract.fit(words, tags)
    assert len(folds) == 4 and extract.mentions is not None
    feats = extract(["Loss", "of", "ZmRAP2", ".", "7", "and", "tb1"])
    assert [f[-1] for f in feats[2:5]] == ["dict=B|hi", "dict=I|hi", "dict=E|hi"]
    assert feats[6][-1] == "dict=S|hi" and not any(f.startswith("dict=") for f in feats[0])
    model = CrfTagger(create_crf_features(dictionary=True), max_iterations=10)
    model.fit(words, tags)
    loaded = CrfTagger(create_crf_features(dictionary=True)).from_bytes(model.to_bytes())
    assert loaded.features.get_state() == model.features.get_state()
    assert loaded.predict(words[:5]) == model.predict(words[:5])


def test_mention_dictionary_match_at_sentence_end():
    from spacy_maize_ner.components.crf.mentions import MentionDictionary

    mentions = MentionDictionary({("il",): (3, 4), ("il", "-", "2"): (5, 5)})
    assert mentions.match(["the", "il"]) == [None, "dict=S|hi"]
    assert mentions.match(["il", "-", "2"]) == ["dict=B|hi", "dict=I|hi", "dict=E|hi"]


def test_a_model_saved_with_the_older_bioes_name_and_letters_loads_and_tags_the_same(monkeypatch):
    """Before the scheme rename the CRF was trained on BIOES labels (S-, E-) and saved
    `encoding: bioes`; such a model loads and tags exactly as one trained today."""
    import srsly

    import spacy_maize_ner.components.crf.model as crf_model
    from spacy_maize_ner.tags import bio_to_biluo

    sentences = maize_sentences(60, seed=0)
    words, tags = [w for w, _ in sentences], [t for _, t in sentences]
    new = CrfTagger(create_crf_features(), max_iterations=30)
    new.fit(words, tags)
    with monkeypatch.context() as patch:
        patch.setattr(crf_model, "to_scheme", lambda t, scheme: [x.replace("U-", "S-", 1).replace("L-", "E-", 1) for x in bio_to_biluo(t)])
        old = CrfTagger(create_crf_features(), max_iterations=30)
        old.fit(words, tags)
    msg = srsly.msgpack_loads(old.to_bytes())
    msg["encoding"] = "bioes"
    del msg["scheme"]
    loaded = CrfTagger(create_crf_features()).from_bytes(srsly.msgpack_dumps(msg))
    assert {"S-GENE", "E-GENE"} <= set(loaded._tagger.labels())
    test = [w for w, _ in maize_sentences(30, seed=5)]
    assert loaded.scheme == "BILUO" and loaded.predict(test) == new.predict(test)


def test_a_config_with_the_older_encoding_setting_still_builds(root):
    """Packages written before the rename carry `encoding = "bioes"` in [components.crf_ner]."""
    config = load_config(root)
    config["components"]["crf_ner"]["encoding"] = "iob"
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    assert nlp.get_pipe("crf_ner").model.scheme == "BIO"
