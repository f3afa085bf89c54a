import pytest
import spacy

from spacy_maize_ner.corpus.nlp import make_blank_nlp


@pytest.fixture(scope="module")
def nlp():
    return make_blank_nlp()


@pytest.mark.parametrize(
    "text,tokens",
    [
        # hyphens, as BC2GM splits them
        ("S-100 and HMB-45", ["S", "-", "100", "and", "HMB", "-", "45"]),
        ("Zm-GA20ox", ["Zm", "-", "GA20ox"]),
        ("(+)-ZmPIF3", ["(", "+", ")", "-", "ZmPIF3"]),
        # slashes, brackets inside words, a closing bracket before letters
        ("ZmCCT9/Vgt1", ["ZmCCT9", "/", "Vgt1"]),
        ("IL-2R(alpha)", ["IL", "-", "2R", "(", "alpha", ")"]),
        ("(Ca2+)ATPase", ["(", "Ca2", "+", ")", "ATPase"]),
        ("[3H]thymidine", ["[", "3H", "]", "thymidine"]),
        ("teosinte branched1 (tb1)", ["teosinte", "branched1", "(", "tb1", ")"]),
        ("(8)", ["(", "8", ")"]),  # not the emoticon "8)"
        # + : ; , = inside tokens
        ("ZmNAC111+/-", ["ZmNAC111", "+", "/", "-"]),
        ("A:T;G,C=5", ["A", ":", "T", ";", "G", ",", "C", "=", "5"]),
        # kept whole: decimals, dotted gene names, unit-like endings, abbreviations
        ("0.2 mg/kg", ["0.2", "mg", "/", "kg"]),
        ("ZmRAP2.7 and Dwarf8.", ["ZmRAP2.7", "and", "Dwarf8", "."]),
        ("PI3K Id Hnf3g", ["PI3K", "Id", "Hnf3g"]),
        ("e.g. ZmCCT9", ["e.g.", "ZmCCT9"]),
        ("vitamin D.", ["vitamin", "D", "."]),
        ("E.coli/ZmCCT9", ["E.coli", "/", "ZmCCT9"]),
        ("see https://maizegdb.org/gene/Vgt1.", ["see", "https://maizegdb.org/gene/Vgt1", "."]),
    ],
)
def test_splits_biomedical_text(nlp, text, tokens):
    assert [t.text for t in nlp.make_doc(text)] == tokens


def test_text_is_preserved(nlp):
    text = "ZmCCT9 (tb1)-like  S-100/HMB-45\n0.2 mg"
    assert nlp.make_doc(text).text == text


def test_blank_nlp_has_sentencizer(nlp):
    assert nlp.pipe_names == ["maize_sentencizer"]  # the same rule as the trained pipelines
    doc = nlp("ZmCCT9 delays flowering, e.g. by 2.5 days. Vgt1 does not.")
    assert [s.text for s in doc.sents] == ["ZmCCT9 delays flowering, e.g. by 2.5 days.", "Vgt1 does not."]


def test_config_names_the_registered_tokenizer_and_survives_save_load(nlp, tmp_path):
    assert nlp.config["nlp"]["tokenizer"]["@tokenizers"] == "spacy_maize_ner.BioTokenizer.v1"
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.config["nlp"]["tokenizer"]["@tokenizers"] == "spacy_maize_ner.BioTokenizer.v1"
    text = "(8) S-100 ZmRAP2.7 E.coli/ZmCCT9 (+)-Vgt1 0.2 PI3K vitamin D. https://maizegdb.org/x."
    assert [t.text for t in loaded.make_doc(text)] == [t.text for t in nlp.make_doc(text)]


def test_config_from_string_builds_the_tokenizer():
    config = spacy.util.load_config_from_str(
        '[nlp]\nlang = "en"\npipeline = []\n\n[nlp.tokenizer]\n@tokenizers = "spacy_maize_ner.BioTokenizer.v1"\n'
        "\n[components]\n"
    )
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    assert [t.text for t in nlp.make_doc("HMB-45")] == ["HMB", "-", "45"]


def test_sentence_rule_keeps_pretokenised_decimals_and_figures_together():
    from spacy_maize_ner.corpus.nlp import make_blank_nlp

    doc = make_blank_nlp()("Levels rose 0 . 2 fold ( Fig . 2 ) . Then ZmCCT9 fell . ( tb1 ) too .")
    assert [s.text for s in doc.sents] == [
        "Levels rose 0 . 2 fold ( Fig . 2 ) .",
        "Then ZmCCT9 fell .",
        "( tb1 ) too .",
    ]
