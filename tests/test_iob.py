import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from spacy_maize_ner.corpus.iob import IOBFormatError, read_iob, write_iob
from spacy_maize_ner.corpus.report import ConversionReport
from synthetic import maize_sentences, write_iob as write_sentences


def test_iob2_file_round_trips_byte_for_byte(tmp_path):
    src = tmp_path / "in.tsv"
    write_sentences(src, maize_sentences(30, seed=3))
    docs = list(read_iob(src))
    DocBin(docs=docs).to_disk(tmp_path / "c.spacy")
    loaded = list(DocBin().from_disk(tmp_path / "c.spacy").get_docs(Vocab()))
    write_iob(loaded, tmp_path / "out.tsv")
    assert (tmp_path / "out.tsv").read_bytes() == src.read_bytes()


def test_reads_entities_sentences_and_groups_docs(tmp_path):
    src = tmp_path / "in.tsv"
    src.write_text("-DOCSTART-\tO\n\nThe\tO\nteosinte\tB-GENE\nbranched1\tI-GENE\nallele\tO\n\ntb1\tB-GENE\n.\tO\n\n")
    report = ConversionReport()
    (doc,) = read_iob(src, n_sents=2, report=report)
    assert doc.text == "The teosinte branched1 allele tb1 ."
    assert [(e.text, e.label_) for e in doc.ents] == [("teosinte branched1", "GENE"), ("tb1", "GENE")]
    assert [s.text for s in doc.sents] == ["The teosinte branched1 allele", "tb1 ."]
    assert report.summary()["mentions_read"] == 2 and report.summary()["by_reason"] == {}


def test_iob1_starts_are_kept_and_reported(tmp_path):
    src = tmp_path / "in.tsv"
    src.write_text("Vgt1\tI-GENE\nand\tO\nZmRAP2\tI-GENE\n.\tI-GENE\n7\tI-GENE\n\n")
    report = ConversionReport()
    (doc,) = read_iob(src, report=report)
    assert [e.text for e in doc.ents] == ["Vgt1", "ZmRAP2 . 7"]
    summary = report.summary()
    assert summary["changed"] == {"iob1_start": 2} and summary["mentions_kept"] == 2
    write_iob([doc], tmp_path / "out.tsv")
    assert (tmp_path / "out.tsv").read_text().splitlines()[0] == "Vgt1\tB-GENE"  # written as IOB2


def test_label_map_filters_entities_and_reports_them(tmp_path):
    src = tmp_path / "in.tsv"
    src.write_text("ZmCCT9\tB-GENE\nin\tO\nmaize\tB-SPECIES\n\n")
    report = ConversionReport()
    (doc,) = read_iob(src, label_map={"GENE": "Gene"}, report=report)
    assert [(e.text, e.label_) for e in doc.ents] == [("ZmCCT9", "Gene")]
    assert report.summary()["dropped"] == {"label_filtered": 1}
    assert report.mentions_read == 2


@pytest.mark.parametrize(
    "content,line,message",
    [
        ("ZmCCT9\tB-GENE\nno-tab-here\n", 2, "found no tab"),
        ("ZmCCT9\tX-GENE\n", 1, "Invalid IOB tag 'X-GENE'"),
        ("\nZmCCT9\tB-\n", 2, "Invalid IOB tag"),
    ],
)
def test_errors_name_file_line_and_fix(tmp_path, content, line, message):
    src = tmp_path / "bad.tsv"
    src.write_text(content)
    with pytest.raises(IOBFormatError, match=message) as err:
        list(read_iob(src))
    assert f"bad.tsv:{line}:" in str(err.value)
