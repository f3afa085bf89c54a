import pytest
import spacy

from spacy_maize_ner.corpus.nlp import make_blank_nlp


@pytest.mark.parametrize(
    "text,tokens",
    [
        ("S-100 and HMB-45", ["S", "-", "100", "and", "HMB", "-", "45"]),
        ("ZmCCT9 (tb1) regulates ZmRAP2.7.", ["ZmCCT9", "(", "tb1", ")", "regulates", "ZmRAP2", ".", "7", "."]),
        ("IL-2R/alpha+", ["IL", "-", "2R", "/", "alpha", "+"]),
        ("p53's 0.2 mg/kg", ["p53", "'", "s", "0", ".", "2", "mg", "/", "kg"]),
    ],
)
def test_splits_like_bc2gm(text, tokens):
    assert [t.text for t in make_blank_nlp()(text)] == tokens


def test_pipeline_with_bio_tokenizer_saves_and_loads(tmp_path):
    nlp = make_blank_nlp()
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert [t.text for t in loaded("Zm-GA20ox")] == ["Zm", "-", "GA20ox"]
    assert loaded.config["nlp"]["tokenizer"]["@tokenizers"] == "spacy_maize_ner.BioTokenizer.v1"
