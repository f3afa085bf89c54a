"""Type and species filter of exported mentions: every mention kept or listed with a reason."""
import pytest

from spacy_maize_ner.corpus.pubtator import read_pubtator
from spacy_maize_ner.pubtator3.species import filter_documents, taxa_in


@pytest.fixture(scope="module")
def documents(fixtures_dir):
    return list(read_pubtator(fixtures_dir / "maize_pubtator3.PubTator.txt"))


@pytest.mark.parametrize(
    "field,taxa",
    [("542150(Tax:4577)", {"4577"}), ("542150;TaxID:4577", {"4577"}), ("NCBITaxon:3702", {"3702"}),
     ("542150", set()), (None, set()), ("1(tax:4577)|2(Tax:3702)", {"4577", "3702"})],
)
def test_taxonomy_hints(field, taxa):
    assert taxa_in(field) == taxa


def outcomes(report):
    return {(r["pmid"], r["text"]): r["reason"] for r in report.records}


def test_species_filter_keeps_maize_and_lists_the_rest(documents):
    docs, report = filter_documents(documents, types=["Gene"], species="4577", unknown="keep")
    s = report.summary()
    assert s["mentions_read"] == sum(len(d.mentions) for d in documents)
    assert s["mentions_read"] == s["mentions_kept"] + s["mentions_dropped"]
    assert s["kept"]["species_identifier"] >= 2 and s["kept"]["species_document"] >= 5
    seen = outcomes(report)
    assert seen[("90000005", "FT")] == "species_mismatch"  # 842993(Tax:3702)
    assert ("90000005", "ZCN8") not in seen  # Tax:4577 in its identifier: kept plainly
    assert seen[("90000006", "OsWRKY45")] == "species_mismatch"  # the document names only rice
    assert seen[("90000009", "ZmWRKY33")] == "species_unknown_kept"  # maize and Arabidopsis
    assert seen[("90000010", "KRN4")] == "species_unknown_kept"  # no Species mention
    assert seen[("90000001", "maize")] == "type_not_selected"
    assert seen[("90000003", "abscisic acid")] == "type_not_selected"
    kept = {(d.pmid, m.text) for d in docs for m in d.mentions}
    assert ("90000009", "ZmWRKY33") in kept and ("90000006", "OsWRKY45") not in kept
    assert len(docs) == len(documents)  # documents are never dropped, only mentions


def test_unknown_species_can_be_dropped_with_a_reason(documents):
    _, keep = filter_documents(documents, species="4577", unknown="keep")
    docs, drop = filter_documents(documents, species="4577", unknown="drop")
    assert drop.summary()["dropped"]["species_unknown"] == keep.summary()["kept"]["species_unknown_kept"] > 0
    assert all(m.text != "KRN4" for d in docs for m in d.mentions)


def test_no_species_filter_and_all_types(documents):
    docs, report = filter_documents(documents, types=[], species=None)
    assert report.summary()["mentions_dropped"] == 0
    assert [len(d.mentions) for d in docs] == [len(d.mentions) for d in documents]


def test_invalid_options_explain_the_fix(documents):
    with pytest.raises(ValueError, match="keep' or 'drop"):
        filter_documents(documents, unknown="maybe")
    with pytest.raises(ValueError, match="Taxonomy id"):
        filter_documents(documents, species="Zea mays")
