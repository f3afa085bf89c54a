"""Gene tables, the lexicon's case rules and the maize_dictionary_ner component."""
import subprocess
import sys

import pytest
from spacy.tokens import DocBin

from spacy_maize_ner.corpus.nlp import make_blank_nlp
from spacy_maize_ner.study.evaluation.scoring import evaluate_pipeline
from spacy_maize_ner.lexicon.genes import (
    build_lexicon, lexicon_entries, read_gene_table, read_lexicon, table_pmids, write_lexicon,
)

TABLE = "PubMed ID\tSymbol\tAliases\n101\tZmCCT9\tZmCCT10-like|CCT9\n102; PMID:103\ttb1\tteosinte branched1\n104\t\t\n101\twhite\t\n"


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "genes.tsv"
    path.write_text(TABLE)
    return path


def test_gene_table_pmids_and_lexicon(table, tmp_path):
    records = read_gene_table(table, pmid_column="PubMed ID", symbol_column="Symbol", synonym_column="Aliases")
    assert table_pmids(records) == ["101", "102", "103", "104"]
    assert records[0].synonyms == ("ZmCCT10-like", "CCT9")
    terms, skipped = build_lexicon(lexicon_entries(records) + [("ZMCCT9", "ZmCCT9", "mention"), ("7", "7", "mention")])
    rule = {t.text: t.case_sensitive for t in terms}
    assert rule == {"ZmCCT9": False, "ZmCCT10-like": False, "CCT9": False, "tb1": True,
                    "teosinte branched1": False, "white": True}  # ZMCCT9 is a case variant of ZmCCT9
    assert [s.reason for s in skipped] == ["shorter than 2 characters"]
    assert read_lexicon(write_lexicon(terms, tmp_path / "lex.jsonl")) == terms


def test_gene_table_csv_and_missing_column(tmp_path):
    path = tmp_path / "genes.csv"
    path.write_text("pmid,gene_symbol\n1,Vgt1\n")
    assert table_pmids(read_gene_table(path)) == ["1"]
    with pytest.raises(ValueError, match="no column 'PMID'.*--pmid-column"):
        read_gene_table(path, pmid_column="PMID")


@pytest.fixture
def dictionary_nlp():
    nlp = make_blank_nlp()
    ner = nlp.add_pipe("maize_dictionary_ner")
    ner.add_texts(["ZmCCT9", "tb1", "teosinte branched1", "teosinte", "white", "Vgt1"])
    return nlp


def test_dictionary_case_rules_and_longest_match(dictionary_nlp):
    doc = dictionary_nlp("ZMCCT9 and Tb1 differ from tb1; Teosinte branched1 and White or white Vgt1.")
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("ZMCCT9", "GENE"), ("tb1", "GENE"), ("Teosinte branched1", "GENE"), ("white", "GENE"), ("Vgt1", "GENE"),
    ]


def test_dictionary_loads_in_a_fresh_process(dictionary_nlp, tmp_path):
    dictionary_nlp.to_disk(tmp_path / "model")
    code = f"import spacy; print([e.text for e in spacy.load({str(tmp_path / 'model')!r})('tb1 and teosinte branched1').ents])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['tb1', 'teosinte branched1']"
    nlp2 = make_blank_nlp()
    nlp2.add_pipe("maize_dictionary_ner").from_bytes(dictionary_nlp.get_pipe("maize_dictionary_ner").to_bytes())
    assert [e.text for e in nlp2("Vgt1 white").ents] == ["Vgt1", "white"]


def test_dictionary_is_a_row_of_the_results_table(dictionary_nlp, tmp_path):
    gold_nlp = make_blank_nlp()
    doc = gold_nlp.make_doc("ZmCCT9 and Vgt1 regulate flowering with ZmRAP2.7 .")
    doc.ents = [doc.char_span(0, 6, label="GENE"), doc.char_span(11, 15, label="GENE"), doc.char_span(40, 48, label="GENE")]
    DocBin(docs=[doc]).to_disk(tmp_path / "dev.spacy")
    metrics = evaluate_pipeline(dictionary_nlp, tmp_path / "dev.spacy", name="dictionary")
    assert metrics["ents_p"] == pytest.approx(1.0) and metrics["ents_r"] == pytest.approx(2 / 3)


def test_dictionary_initialize_from_examples_keeps_labels():
    from spacy.training import Example

    nlp = make_blank_nlp()
    ner = nlp.add_pipe("maize_dictionary_ner")
    ref = nlp.make_doc("aspirin causes nausea")
    ref.ents = [ref.char_span(0, 7, label="Chemical"), ref.char_span(15, 21, label="Disease")]
    ner.initialize(lambda: [Example(nlp.make_doc(ref.text), ref)], nlp=nlp)
    assert [(e.text, e.label_) for e in nlp("Nausea after aspirin").ents] == [("Nausea", "Disease"), ("aspirin", "Chemical")]
