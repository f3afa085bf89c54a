import itertools

import numpy as np
import pytest

from spacy_maize_ner.components.hmm.model import HmmTagger
from synthetic import maize_sentences


@pytest.fixture(scope="module")
def hmm():
    words, tags = zip(*maize_sentences(200, seed=1))
    model = HmmTagger(encoding="iob")
    model.fit(words, tags)
    return model


def test_transition_rows_sum_to_one(hmm):
    n = len(hmm.tags)
    probs = np.exp(hmm.log_trans)
    start = n
    contexts = [(start, start)] + [(start, t) for t in range(n)] + list(itertools.product(range(n), repeat=2))
    for t1, t2 in contexts:
        assert probs[t1, t2].sum() == pytest.approx(1.0, abs=1e-9)
    assert sum(hmm.lambdas) == pytest.approx(1.0)


@pytest.mark.parametrize("word", ["ZmCCT9", "ZmABC77", "expression", "never-seen", "."])
def test_tag_distributions_sum_to_one(hmm, word):
    assert hmm.tag_distribution(word).sum() == pytest.approx(1.0)
    assert hmm.unknown_distribution(word).sum() == pytest.approx(1.0)


def test_viterbi_equals_brute_force(hmm):
    words = ["Knockout", "of", "ZmABC77", "teosinte", "branched1"]
    n = len(hmm.tags)
    start, end = n, n + 1
    best, best_path = -np.inf, None
    for path in itertools.product(range(n), repeat=len(words)):
        seq = [start, start, *path, end]
        score = sum(hmm.log_trans[seq[i - 2], seq[i - 1], seq[i]] for i in range(2, len(seq)))
        score += sum(hmm._emission(w)[t] for w, t in zip(words, path))
        if score > best:
            best, best_path = score, list(path)
    assert hmm.viterbi(words) == best_path


def test_unseen_gene_like_word_is_tagged_gene(hmm):
    (tags,) = hmm.predict([["We", "cloned", "ZmABC77", "from", "the", "B73", "inbred", "line", "."]])
    assert tags[2] == "B-GENE" and tags.count("O") == 8


def test_bytes_round_trip(hmm):
    clone = HmmTagger().from_bytes(hmm.to_bytes())
    sents = [w for w, _ in maize_sentences(20, seed=7)]
    assert clone.predict(sents) == hmm.predict(sents)
