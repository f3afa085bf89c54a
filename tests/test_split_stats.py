import pytest
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from spacy_maize_ner.corpus.split import split_docs
from spacy_maize_ner.corpus.stats import corpus_stats


def test_split_is_seeded_complete_and_deterministic():
    docs = list(range(100))
    a, b, c = split_docs(docs, seed=1), split_docs(docs, seed=1), split_docs(docs, seed=2)
    assert a == b and a != c
    assert [len(a[s]) for s in ("train", "dev", "test")] == [80, 10, 10]
    assert sorted(a["train"] + a["dev"] + a["test"]) == docs


@pytest.mark.parametrize("ratios", [(0.5, 0.5), (0.8, 0.3, 0.1), (1.2, -0.1, -0.1)])
def test_split_rejects_bad_ratios(ratios):
    with pytest.raises(ValueError, match="sum to 1"):
        split_docs([1, 2, 3], ratios)


def test_stats_counts_labels_and_lengths():
    vocab = Vocab()
    doc = Doc(vocab, words="teosinte branched1 and tb1 and ZmRAP2 . 7 in maize".split(), sent_starts=[True] + [False] * 9)
    doc.ents = [Span(doc, 0, 2, "GENE"), Span(doc, 3, 4, "GENE"), Span(doc, 5, 8, "GENE"), Span(doc, 9, 10, "SPECIES")]
    stats = corpus_stats([doc, Doc(vocab, words=["x"])])
    assert stats["documents"] == 2 and stats["sentences"] == 2 and stats["tokens"] == 11
    assert stats["entities_per_label"] == {"GENE": 3, "SPECIES": 1}
    assert stats["entity_length"] == {"1": 2, "2": 1, ">=3": 1}
    assert stats["entity_length_per_label"]["GENE"] == {"1": 1, "2": 1, ">=3": 1}
