import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from spacy_maize_ner.corpus.iob import IOBFormatError, format_iob, read_iob, read_iob_sentences, write_iob
from spacy_maize_ner.corpus.report import ConversionReport


def test_iob2_file_round_trips_byte_for_byte_through_a_docbin(fixtures_dir, tmp_path):
    src = fixtures_dir / "maize_genes.iob2.tsv"
    docs = list(read_iob(src, n_sents=2))
    assert len(docs) == 3  # 5 sentences, 2 per Doc
    DocBin(docs=docs, store_user_data=True).to_disk(tmp_path / "c.spacy")
    loaded = list(DocBin().from_disk(tmp_path / "c.spacy").get_docs(Vocab()))
    assert write_iob(loaded, tmp_path / "out.tsv") == 3
    assert (tmp_path / "out.tsv").read_bytes() == src.read_bytes()


def test_file_without_final_blank_line_round_trips(fixtures_dir, tmp_path):
    src = tmp_path / "in.tsv"
    src.write_bytes((fixtures_dir / "maize_genes.iob2.tsv").read_bytes()[:-1])  # ends "O\n"
    write_iob(read_iob(src), tmp_path / "out.tsv")
    assert (tmp_path / "out.tsv").read_bytes() == src.read_bytes()


def test_reads_entities_sentences_and_groups_docs(fixtures_dir):
    report = ConversionReport()
    docs = list(read_iob(fixtures_dir / "maize_genes.iob2.tsv", n_sents=2, report=report))
    doc = docs[0]
    assert doc.text == (
        "Expression of ZmCCT9 and Vgt1 delays flowering . "
        "The teosinte branched1 ( tb1 ) gene shapes maize architecture ."
    )
    assert [s.text for s in doc.sents] == [
        "Expression of ZmCCT9 and Vgt1 delays flowering .",
        "The teosinte branched1 ( tb1 ) gene shapes maize architecture .",
    ]
    assert [(e.text, e.label_) for e in docs[1].ents] == [
        ("S - 100", "GENE"), ("HMB - 45", "GENE"), ("ZmPIF3", "GENE"), ("ZmNAC111", "GENE"),
    ]
    assert [e.text for e in docs[2].ents] == ["Dwarf8", "ZmRAP2 . 7"]  # adjacent entities
    summary = report.summary()
    assert summary["documents"] == 3 and summary["mentions_read"] == 10
    assert summary["mentions_kept_unchanged"] == 10 and summary["mentions_dropped"] == 0
    assert summary["input"] == [str(fixtures_dir / "maize_genes.iob2.tsv")]


def test_iob1_starts_are_kept_reported_and_written_as_iob2(fixtures_dir, tmp_path):
    report = ConversionReport()
    src = fixtures_dir / "maize_genes.iob1.tsv"
    docs = list(read_iob(src, report=report))  # -DOCSTART- skipped
    assert len(docs) == 3
    assert [e.text for d in docs for e in d.ents] == [
        "ZmCCT9", "Vgt1", "teosinte branched1", "tb1", "Dwarf8", "ZmRAP2 . 7",
    ]
    summary = report.summary()
    assert summary["changed"] == {"iob1_start": 5, "expanded": 0, "trimmed": 0}
    assert summary["mentions_read"] == 6 and summary["mentions_kept"] == 6
    assert summary["mentions_kept_unchanged"] == 1  # the B- between two entities
    report.write(tmp_path / "r.json")
    records = list(srsly.read_jsonl(tmp_path / "r.jsonl"))
    assert [(r["reason"], r["line"], r["text"], r["tag"]) for r in records][:2] == [
        ("iob1_start", 5, "ZmCCT9", "I-GENE"), ("iob1_start", 7, "Vgt1", "I-GENE"),
    ]
    assert records[2]["doc_id"] == 1 and records[2]["source"] == str(src)
    write_iob(docs, tmp_path / "out.tsv")
    lines = (tmp_path / "out.tsv").read_text().splitlines()
    assert lines[2] == "ZmCCT9\tB-GENE" and lines[:1] == ["Expression\tO"]
    assert "Dwarf8\tB-GENE\nZmRAP2\tB-GENE\n.\tI-GENE\n7\tI-GENE\n" in (tmp_path / "out.tsv").read_text()


def test_label_map_renames_and_filters(tmp_path):
    src = tmp_path / "in.tsv"
    src.write_text("ZmCCT9\tB-GENE\nin\tO\nmaize\tB-SPECIES\n\n")
    report = ConversionReport()
    (doc,) = read_iob(src, label_map={"GENE": "Gene"}, report=report)
    assert [(e.text, e.label_) for e in doc.ents] == [("ZmCCT9", "Gene")]
    assert report.summary()["dropped"]["label_filtered"] == 1
    assert report.records[0]["text"] == "maize" and report.records[0]["line"] == 3


def test_crlf_and_middle_columns(tmp_path):
    src = tmp_path / "in.tsv"
    src.write_bytes(b"Vgt1\tNNP\tB-GENE\r\nis\tVBZ\tO\r\n\r\n")
    (doc,) = read_iob(src)
    assert doc.text == "Vgt1 is" and [e.text for e in doc.ents] == ["Vgt1"]


def test_sentences_carry_line_numbers(fixtures_dir):
    first, second = list(read_iob_sentences(fixtures_dir / "maize_genes.iob1.tsv"))[:2]
    assert first.line_nos[0] == 3 and second.line_nos[0] == 12 and first.closed


@pytest.mark.parametrize(
    "content,line,message",
    [
        ("ZmCCT9 B-GENE\n", 1, "found no tab"),
        ("ZmCCT9\tB-GENE\nVgt1\tX-GENE\n", 2, "Invalid IOB tag 'X-GENE'"),
        ("ZmCCT9\tB-\n", 1, "Invalid IOB tag 'B-'"),
        ("\tO\n", 1, "empty token"),
    ],
)
def test_bad_lines_name_file_line_and_fix(tmp_path, content, line, message):
    src = tmp_path / "bad.tsv"
    src.write_text(content)
    with pytest.raises(IOBFormatError, match=message) as err:
        list(read_iob(src))
    assert f"{src}:{line}:" in str(err.value)
    assert any(fix in str(err.value) for fix in ("Fix the tag", "replace them with a tab", "remove the line"))


def test_n_sents_must_be_positive(fixtures_dir):
    with pytest.raises(ValueError, match="n_sents must be 1 or more"):
        list(read_iob(fixtures_dir / "maize_genes.iob2.tsv", n_sents=0))


def test_format_iob_skips_whitespace_tokens():
    from spacy.tokens import Doc, Span

    doc = Doc(Vocab(), words=["ZmCCT9", " ", "and", "Vgt1"], spaces=[True, False, True, False])
    doc.ents = [Span(doc, 0, 1, "GENE"), Span(doc, 3, 4, "GENE")]
    assert format_iob(doc) == "ZmCCT9\tB-GENE\nand\tO\nVgt1\tB-GENE\n\n"
