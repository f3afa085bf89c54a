"""Hostile input to `convert` and the corpus builder: each case ends in a clear error
naming file, line and fix, or in the report, and never in a silently wrong output."""
import os
import subprocess
import sys

import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_maize_ner.cli import app
from spacy_maize_ner.components.sentences import sentence_starts, set_sentence_starts
from spacy_maize_ner.corpus.convert import pubtator_to_docs
from spacy_maize_ner.corpus.nlp import make_blank_nlp
from spacy_maize_ner.corpus.pubtator import parse_pubtator, read_pubtator, write_pubtator
from spacy_maize_ner.corpus.report import ConversionReport
from spacy_maize_ner.corpus.build import build_corpus

runner = CliRunner()
DOC = "1|t|ZmCCT9 delays flowering.\n1|a|Vgt1 and tb1 act in maize.\n1\t0\t6\tZmCCT9\tGene\t-1\n\n"


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    result.flat = " ".join(result.output.split())
    return result


def pubtator(tmp_path, text, name="in.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_document_over_max_length_names_file_pmid_and_option(tmp_path):
    long_text = "ZmCCT9 delays flowering. " * 45_000  # 1.1M characters
    src = pubtator(tmp_path, f"77|t|Title\n77|a|{long_text}\n\n")
    out, report = tmp_path / "o.spacy", tmp_path / "r.json"
    result = run("convert", src, out, "--format", "pubtator", "--report", report)
    assert result.exit_code == 1
    assert "in.txt:1" in result.flat and "document 77" in result.flat and "--max-length" in result.flat
    assert "E088" not in result.output and not out.exists()
    ok = run("convert", src, out, "--format", "pubtator", "--max-length", 2_000_000)
    assert ok.exit_code == 0, ok.output
    (doc,) = DocBin().from_disk(out).get_docs(Vocab())
    assert len(doc.text) > 1_000_000


def test_report_equal_to_output_is_refused_before_work(tmp_path):
    src = pubtator(tmp_path, DOC)
    out = tmp_path / "o.spacy"
    same = run("convert", src, out, "--format", "pubtator", "--report", out)
    assert same.exit_code == 1 and "are the same file" in same.flat
    records = run("convert", src, tmp_path / "o.jsonl", "--format", "pubtator", "--report", tmp_path / "o.json")
    assert records.exit_code == 1 and "are the same file" in records.flat
    assert not out.exists()
    into_input = run("convert", src, src, "--format", "pubtator", "--to", "pubtator")
    assert into_input.exit_code == 1 and "the input" in into_input.flat and "would be destroyed" in into_input.flat
    assert src.read_text() == DOC


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_unwritable_output_folder_fails_before_work(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("convert", pubtator(tmp_path, DOC), locked / "o.spacy", "--format", "pubtator")
        assert result.exit_code == 1 and "no write permission" in result.flat
    finally:
        locked.chmod(0o700)


def test_file_where_a_folder_should_be_fails_before_work(tmp_path, monkeypatch):
    src = pubtator(tmp_path, DOC)
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    read = []
    import spacy_maize_ner.cli as cli

    monkeypatch.setattr(cli, "read_docs", lambda *a, **k: read.append(1) or [])
    result = run("convert", src, blocker / "o.spacy", "--format", "pubtator")
    assert result.exit_code == 1 and "is a file, not a folder" in result.flat and not read
    report = run("convert", src, tmp_path / "o.spacy", "--format", "pubtator", "--report", blocker / "r.json")
    assert report.exit_code == 1 and "--report" in report.flat and not read
    assert not (tmp_path / "o.spacy").exists()


def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    """A full disk (ENOSPC) while writing: the previous output stays as it was."""
    src = pubtator(tmp_path, DOC)
    out = tmp_path / "o.txt"
    out.write_text("previous output\n")
    import spacy_maize_ner.corpus.pubtator as pt

    real = pt.format_pubtator

    def full_disk(document):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pt, "format_pubtator", full_disk)
    result = run("convert", src, out, "--format", "pubtator", "--to", "pubtator", "--overwrite")
    assert result.exit_code == 1 and "No space left" in result.flat
    assert out.read_text() == "previous output\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    monkeypatch.setattr(pt, "format_pubtator", real)


def test_invalid_utf8_names_file_and_line(tmp_path):
    src = tmp_path / "latin1.txt"
    src.write_bytes(DOC.encode() + "2|t|Caf\xe9 genes\n2|a|x\n\n".encode("latin-1"))
    result = run("convert", src, tmp_path / "o.spacy", "--format", "pubtator")
    assert result.exit_code == 1
    assert "latin1.txt:5" in result.flat and "0xe9" in result.flat and "iconv" in result.flat
    iob = tmp_path / "bad.tsv"
    iob.write_bytes(b"ZmCCT9\tB-GENE\n\nCaf\xe9\tO\n")
    result = run("convert", iob, tmp_path / "o2.spacy", "--format", "iob")
    assert result.exit_code == 1 and "bad.tsv:3" in result.flat


def test_relation_lines_with_an_extra_column_are_relations_and_written_back(tmp_path):
    """Issue 28 item 4: a line of 6+ columns is a mention (the documented shape), so a
    6-column line with a type name in column 2 is a malformed mention, reported as
    malformed_line (convert drops it; annotate writes it back); relations have 4 or 5
    columns."""
    text = (
        "5|t|ZmCCT9 and Vgt1.\n5|a|Both act.\n5\t0\t6\tZmCCT9\tGene\tG1\n5\t11\t15\tVgt1\tGene\tG2\n"
        "5\tREG\tD1\tD2\tscore=0.9\n5\tBIND\tD1\tD2\tnote\tscore=0.9\n5\tCID\tG1\tG2\n\n"
    )
    (document,) = parse_pubtator(text.splitlines(True))
    assert [bad.line_no for bad in document.malformed] == [6] and len(document.mentions) == 2
    assert [tuple(r[:4]) + r.extra for r in document.relations] == [
        ("5", "REG", "D1", "D2", "score=0.9"), ("5", "CID", "G1", "G2"),
    ]
    src, back = pubtator(tmp_path, text), tmp_path / "back.txt"
    result = run("convert", src, back, "--format", "pubtator", "--to", "pubtator")
    assert result.exit_code == 0, result.output
    assert "3 mentions read: 2 kept" in result.flat and "malformed_line 1" in result.flat
    assert back.read_text() == text.replace("5\tBIND\tD1\tD2\tnote\tscore=0.9\n", "")


def test_mention_starting_on_whitespace_does_not_beat_the_exact_mention():
    text = "1|t|Expression of ZmCCT9 rises.\n1|a|x\n1\t13\t20\t ZmCCT9\tGene\t-1\n1\t14\t20\tZmCCT9\tGene\tG9\n\n"
    report = ConversionReport()
    (doc,) = pubtator_to_docs(parse_pubtator(text.splitlines(True)), make_blank_nlp(), report=report)
    assert [(e.text, e.kb_id_, e.start_char) for e in doc.ents] == [("ZmCCT9", "G9", 14)]
    assert report.counts["exact"] == 1 and report.counts["duplicate"] == 1 and not report.counts["overlap"]
    alone = "1|t|Expression of ZmCCT9 rises.\n1|a|x\n1\t13\t20\t ZmCCT9\tGene\t-1\n\n"
    report = ConversionReport()
    (doc,) = pubtator_to_docs(parse_pubtator(alone.splitlines(True)), make_blank_nlp(), report=report)
    assert [e.text for e in doc.ents] == ["ZmCCT9"] and report.counts["trimmed"] == 1


def test_duplicate_pmids_same_file_twice_and_empty_input(tmp_path):
    src = pubtator(tmp_path, DOC)
    twice = run("convert", src, tmp_path / "o.spacy", "--format", "pubtator")
    assert twice.exit_code == 0
    twice = run("convert", src, src, tmp_path / "o.spacy", "--format", "pubtator")
    assert twice.exit_code == 1 and "given twice" in twice.flat
    other = pubtator(tmp_path, DOC.replace("ZmCCT9 delays", "ZmCCT9 delays"), name="copy.txt")
    report = tmp_path / "r.json"
    dup = run("convert", src, other, tmp_path / "o2.spacy", "--format", "pubtator", "--report", report)
    assert dup.exit_code == 0 and "PMID 1 at" in dup.flat and "copy.txt:1" in dup.flat
    summary = srsly.read_json(report)
    assert summary["documents"] == 1 and summary["dropped"]["duplicate_document"] == 1
    assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"] == 2
    empty = pubtator(tmp_path, "\n\n", name="empty.txt")
    result = run("convert", empty, tmp_path / "e.spacy", "--format", "pubtator")
    assert result.exit_code == 1 and "No documents in" in result.flat and not (tmp_path / "e.spacy").exists()
    mixed = run("convert", src, empty, tmp_path / "m.spacy", "--format", "pubtator")
    assert mixed.exit_code == 0 and "empty.txt holds no document" in mixed.flat


def test_split_leaving_dev_or_test_empty_is_an_error(tmp_path):
    src = pubtator(tmp_path, DOC + DOC.replace("1|", "2|").replace("1\t", "2\t"))
    result = run("convert", src, tmp_path / "splits", "--format", "pubtator", "--split", "0.8,0.1,0.1")
    assert result.exit_code == 1 and "split would be empty" in result.flat
    assert not (tmp_path / "splits" / "train.spacy").exists()
    folder = tmp_path / "mycorpus"
    folder.mkdir()
    (folder / "all.txt").write_text(DOC)
    with pytest.raises(ValueError, match="split would be empty"):
        build_corpus("mycorpus", folder, tmp_path / "corpus")


def test_sentence_starts_are_set_in_one_pass_and_match_the_rule():
    nlp = make_blank_nlp()
    doc = nlp.make_doc("ZmCCT9 delays flowering. Vgt1 acts (e.g. in B73). [Ref] and more. x")
    starts = sentence_starts(doc)
    set_sentence_starts(doc)
    assert [t.is_sent_start for t in doc] == starts
    assert [s.text for s in doc.sents] == ["ZmCCT9 delays flowering.", "Vgt1 acts (e.g. in B73).", "[Ref] and more. x"]


def test_spacy_evaluate_prints_entity_scores_of_the_dictionary_pipeline(tmp_path):
    nlp = make_blank_nlp()
    nlp.add_pipe("maize_dictionary_ner").add_texts(["ZmCCT9", "Vgt1"])
    nlp.to_disk(tmp_path / "model")
    gold = make_blank_nlp().make_doc("ZmCCT9 and Vgt1 and tb1 .")
    gold.ents = [gold.char_span(0, 6, label="GENE"), gold.char_span(11, 15, label="GENE"), gold.char_span(20, 23, label="GENE")]
    DocBin(docs=[gold]).to_disk(tmp_path / "dev.spacy")
    out = subprocess.run(
        [sys.executable, "-m", "spacy", "evaluate", str(tmp_path / "model"), str(tmp_path / "dev.spacy"),
         "--output", str(tmp_path / "m.json")],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "NER P" in out and "NER R" in out
    metrics = srsly.read_json(tmp_path / "m.json")
    assert metrics["ents_p"] == pytest.approx(1.0) and metrics["ents_r"] == pytest.approx(2 / 3)
