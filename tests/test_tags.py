import pytest

from spacy_maize_ner.tags import (allowed_transition, bio_to_biluo, biluo_to_bio, constraints, scheme_name, spans_to_tags, strict_prf,
                                  tag_names, tags_to_spans)


def test_iob1_and_iob2_decode():
    assert tags_to_spans(["B-G", "I-G", "O", "I-G", "B-G", "I-C"]) == [(0, 2, "G"), (3, 4, "G"), (4, 5, "G"), (5, 6, "C")]


def test_spans_to_tags_inverse():
    tags = ["B-G", "I-G", "O", "B-G", "B-G"]
    assert spans_to_tags(tags_to_spans(tags), len(tags)) == tags


def test_biluo_round_trip():
    tags = ["B-G", "I-G", "I-G", "O", "B-G", "B-C", "I-C"]
    assert bio_to_biluo(tags) == ["B-G", "I-G", "L-G", "O", "U-G", "B-C", "L-C"]
    assert biluo_to_bio(bio_to_biluo(tags)) == tags
    # models saved before the rename wrote BIOES letters: they decode the same
    assert biluo_to_bio(["B-G", "I-G", "E-G", "O", "S-G", "B-C", "E-C"]) == tags


def test_invalid_tag_is_explained():
    with pytest.raises(ValueError, match="expected 'O', 'B-<LABEL>'"):
        tags_to_spans(["Q-G"])


def test_strict_prf_counts_exact_spans_only():
    gold = [["B-G", "I-G", "O", "B-G"]]
    pred = [["B-G", "O", "O", "B-G"]]  # one exact, one with the wrong end
    p, r, f = strict_prf(gold, pred)
    assert (p, r) == (0.5, 0.5) and f == 0.5


def test_one_name_per_scheme_and_the_older_names_are_read():
    assert [scheme_name(n) for n in ("BIO", "biluo", "iob", "bioes")] == ["BIO", "BILUO", "BIO", "BILUO"]
    with pytest.raises(ValueError, match="use 'BIO' or 'BILUO'"):
        scheme_name("BIOX")


@pytest.mark.parametrize("scheme", ["BIO", "BILUO"])
def test_the_transition_rule_is_the_one_behind_the_heads_constraints(scheme):
    """The HMM builds its transitions from `allowed_transition`, the token head its Viterbi
    constraints: both come from this one rule, checked here against the definitions."""
    tags = tag_names(["G", "C"], scheme)
    allowed = constraints(tags, scheme)
    for i, p in enumerate(tags):
        for j, q in enumerate(tags):
            inside = p[0] in "BI" and p != "O"
            if scheme == "BIO":
                expected = q[0] != "I" or (inside and p[2:] == q[2:])
            else:
                expected = (q[0] in "IL" and p[2:] == q[2:]) if inside else q[0] not in "IL"
            assert allowed.transition[i, j] == expected == allowed_transition(p, q, scheme), (p, q)
        assert allowed.start[i] == (p[0] not in "IL")
        assert allowed.end[i] == (scheme == "BIO" or p[0] in "OLU")
    # older BIOES letters follow the same rule, as old HMM states need
    assert allowed_transition("B-G", "E-G", "bioes") and not allowed_transition("S-G", "E-G", "bioes")
