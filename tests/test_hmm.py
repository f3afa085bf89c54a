"""The HMM NER component: probabilities, decoding, unknown words, spaCy integration."""
import itertools
import random

import numpy as np
import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example

from spacy_maize_ner.components.hmm.model import NEG_INF, HmmTagger

from synthetic import maize_sentences


@pytest.fixture(scope="module")
def corpus():
    return maize_sentences(80, seed=0)


@pytest.fixture(scope="module")
def model(corpus):
    tagger = HmmTagger(lexical_states=12, lexical_min_count=10, suffix_length=3, rare_threshold=3)
    tagger.fit([w for w, _ in corpus], [t for _, t in corpus])
    return tagger


def make_examples(nlp, sentences):
    return [Example(nlp.make_doc(" ".join(w)), Doc(nlp.vocab, words=w, ents=t)) for w, t in sentences]


@pytest.fixture(scope="module")
def trained_nlp(corpus):
    nlp = spacy.blank("en")
    nlp.add_pipe("maize_hmm_ner", config={"lexical_states": 12})
    examples = make_examples(nlp, corpus)
    nlp.initialize(lambda: examples)
    return nlp


def test_transition_rows_normalise(model):
    probs = np.exp(model.log_trans.astype(float))
    probs[model.log_trans <= NEG_INF / 2] = 0.0
    totals = probs.sum(axis=2)
    reachable = totals > 0
    assert reachable[model.start, model.start]
    np.testing.assert_allclose(totals[reachable], 1.0, atol=1e-5)


@pytest.mark.parametrize("word", ["the", "ZmCCT9", "Vgt1", "cloned", "ZmABC77", "qwerty", "-", "", "B73"])
def test_word_distributions_normalise(model, word):
    np.testing.assert_allclose(model.unknown_distribution(word).sum(), 1.0, atol=1e-9)
    np.testing.assert_allclose(model.tag_distribution(word).sum(), 1.0, atol=1e-9)


def test_suffix_and_prior_distributions_normalise(model):
    np.testing.assert_allclose(model.base_priors.sum(), 1.0)
    np.testing.assert_allclose(np.exp(model.log_priors).sum(), 1.0, atol=1e-6)
    for table in model.suffix_arrays.values():
        for dist in table.values():
            np.testing.assert_allclose(dist.sum(), 1.0)
    assert sum(model.lambdas) == pytest.approx(1.0)


def _path_score(model, words, path):
    context = (model.start, model.start)
    score = 0.0
    for word, state in zip(words, path):
        ids, emit = model.emission(word)
        slot = list(ids).index(state) if state in ids else None
        score += float(model.log_trans[context + (state,)]) + (emit[slot] if slot is not None else NEG_INF)
        context = (context[1], state)
    return score + float(model.log_trans[context + (model.end,)])


@pytest.mark.parametrize("state_shapes", [False, True])
@pytest.mark.parametrize("words", [["tb1"], ["We", "cloned", "Vgt1"], ["Knockout", "of", "ZmPIF3", "reduced"],
                                   ["ZmABC77", "interacts", "."], ["teosinte", "branched1", "in"]])
def test_viterbi_equals_brute_force(words, state_shapes):
    sentences = maize_sentences(20, seed=1)
    tiny = HmmTagger(lexical_states=3, lexical_min_count=5, suffix_length=2, state_shapes=state_shapes)
    tiny.fit([w for w, _ in sentences], [t for _, t in sentences])
    assert any(kind == "word" for _, kind, _ in tiny.states)
    states = range(len(tiny.states))
    best = max(itertools.product(states, repeat=len(words)), key=lambda p: _path_score(tiny, words, p))
    found = tiny.viterbi_batch([words])[0]
    assert _path_score(tiny, words, found) == pytest.approx(_path_score(tiny, words, best), abs=1e-4)
    assert tuple(found) == best


def test_batched_decoding_matches_one_by_one(model):
    rng = random.Random(0)
    vocab = sorted({w for ws, _ in maize_sentences(30, seed=2) for w in ws}) + ["ZmXYZ1", "unseen"]
    sents = [[rng.choice(vocab) for _ in range(rng.randint(1, 12))] for _ in range(40)]
    together = model.predict(sents)
    assert together == [model.predict([s])[0] for s in sents]
    for tags in together:  # the constrained BILUO states always decode to well-formed BIO
        for prev, tag in zip(["O"] + tags, tags):
            assert not (tag.startswith("I-") and prev == "O")


@pytest.mark.parametrize("defaults", [False, True])
def test_unseen_gene_like_word_tagged_via_suffix_shape_model(model, defaults):
    if defaults:  # every word frequent: the shape classes alone must carry it
        sentences = maize_sentences(150, seed=1)
        model = HmmTagger()
        model.fit([w for w, _ in sentences], [t for _, t in sentences])
    words = "Expression of ZmABC77 was higher in the mutant lines .".split()
    assert "zmabc77" not in model.data["lexicon"] and "ZmABC77" not in model.data["lexicon"]
    assert model.predict([words])[0][2] == "B-GENE"
    probs = model.unknown_distribution("ZmABC77")
    assert probs[model.base.index("O")] < 0.5


def test_initialize_learns_training_set(trained_nlp, corpus):
    examples = make_examples(trained_nlp, corpus)
    scores = trained_nlp.evaluate(examples)
    assert scores["ents_f"] > 0.98
    assert trained_nlp.get_pipe("maize_hmm_ner").labels == ("GENE",)


def test_disk_round_trip_gives_identical_predictions(trained_nlp, tmp_path):
    trained_nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    texts = ["We cloned ZmABC77 and ZmCCT9 from B73 .", "Drought stress induced tb1 and repressed Vgt1 ."]
    for text in texts:
        ours, theirs = trained_nlp(text), loaded(text)
        assert [(e.start, e.end, e.label_) for e in ours.ents] == [(e.start, e.end, e.label_) for e in theirs.ents]
        assert ours.ents
    pipe = trained_nlp.get_pipe("maize_hmm_ner")
    fresh = HmmTagger().from_bytes(pipe.model.to_bytes())
    sents = [w for w, _ in maize_sentences(10, seed=3)]
    assert fresh.predict(sents) == pipe.model.predict(sents)


def test_fit_is_deterministic(corpus, model):
    again = HmmTagger(lexical_states=12, lexical_min_count=10, suffix_length=3, rare_threshold=3)
    again.fit([w for w, _ in corpus], [t for _, t in corpus])
    assert again.to_bytes() == model.to_bytes()


def test_untrained_component_raises_clear_error():
    nlp = spacy.blank("en")
    nlp.add_pipe("maize_hmm_ner")
    with pytest.raises(ValueError, match="not been trained"):
        nlp("We cloned ZmCCT9 .")
    with pytest.raises(ValueError, match="not been fitted"):
        HmmTagger().predict([["tb1"]])


@pytest.mark.parametrize("kwargs", [{"scheme": "BIOX"}, {"order": 3}, {"word_weight": 0.0}, {"lexical_min_count": -1}])
def test_bad_settings_are_rejected(kwargs):
    with pytest.raises(ValueError):
        HmmTagger(**kwargs)


def test_spacy_train_saves_loadable_model_best(root, tmp_path, corpus):
    from spacy.cli.train import train

    nlp = spacy.blank("en")
    for name, sents in (("train", corpus[:60]), ("dev", corpus[60:])):
        DocBin(docs=[Doc(nlp.vocab, words=w, ents=t) for w, t in sents]).to_disk(tmp_path / f"{name}.spacy")
    train(
        root / "configs" / "hmm.cfg",
        tmp_path / "out",
        overrides={"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy")},
    )
    best = spacy.load(tmp_path / "out" / "model-best")
    doc = best("Expression of ZmCCT9 was higher in the mutant lines .")
    assert [(e.text, e.label_) for e in doc.ents] == [("ZmCCT9", "GENE")]
    assert (tmp_path / "out" / "model-last").exists()


def legacy_bioes(tags):
    """What models saved before the scheme rename stored: BIOES letters (S-, E-)."""
    from spacy_maize_ner.tags import bio_to_biluo

    return [t.replace("U-", "S-", 1).replace("L-", "E-", 1) for t in bio_to_biluo(tags)]


def test_a_model_saved_with_the_older_bioes_name_and_letters_loads_and_tags_the_same(corpus, model, monkeypatch):
    import srsly

    import spacy_maize_ner.components.hmm.model as hmm_model

    with monkeypatch.context() as patch:
        patch.setattr(hmm_model, "to_scheme", lambda tags, scheme: legacy_bioes(tags))
        old = HmmTagger(lexical_states=12, lexical_min_count=10, suffix_length=3, rare_threshold=3)
        old.fit([w for w, _ in corpus], [t for _, t in corpus])
    msg = srsly.msgpack_loads(old.to_bytes())
    msg["cfg"]["encoding"] = msg["cfg"].pop("scheme").replace("BILUO", "bioes")
    assert any(t.startswith(("S-", "E-")) for t, _, _ in old.states)
    loaded = HmmTagger().from_bytes(srsly.msgpack_dumps(msg))
    assert loaded.cfg["scheme"] == "BILUO" and "encoding" not in loaded.cfg
    sentences = [w for w, _ in maize_sentences(30, seed=5)]
    assert loaded.predict(sentences) == model.predict(sentences)
