import pytest

from spacy_maize_ner.tags import bioes_to_iob, iob_to_bioes, spans_to_tags, strict_prf, tags_to_spans


def test_iob1_and_iob2_decode():
    assert tags_to_spans(["B-G", "I-G", "O", "I-G", "B-G", "I-C"]) == [(0, 2, "G"), (3, 4, "G"), (4, 5, "G"), (5, 6, "C")]


def test_spans_to_tags_inverse():
    tags = ["B-G", "I-G", "O", "B-G", "B-G"]
    assert spans_to_tags(tags_to_spans(tags), len(tags)) == tags


def test_bioes_round_trip():
    tags = ["B-G", "I-G", "I-G", "O", "B-G", "B-C", "I-C"]
    assert iob_to_bioes(tags) == ["B-G", "I-G", "E-G", "O", "S-G", "B-C", "E-C"]
    assert bioes_to_iob(iob_to_bioes(tags)) == tags


def test_invalid_tag_is_explained():
    with pytest.raises(ValueError, match="expected 'O', 'B-<LABEL>'"):
        tags_to_spans(["Q-G"])


def test_strict_prf_counts_exact_spans_only():
    gold = [["B-G", "I-G", "O", "B-G"]]
    pred = [["B-G", "O", "O", "B-G"]]  # one exact, one with the wrong end
    p, r, f = strict_prf(gold, pred)
    assert (p, r) == (0.5, 0.5) and f == 0.5
