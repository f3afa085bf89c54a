"""Issue 28, corpus side: hostile PubTator and IOB input through the real `convert` and
`stats` commands. Every annotation read is kept or listed in the report with file and
line; no traceback; no file replaced or destroyed unasked."""
import os

import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_maize_ner.cli import app
from spacy_maize_ner.corpus import pubtator as pubtator_module
from spacy_maize_ner.corpus.convert import docs_to_pubtator, pubtator_to_docs
from spacy_maize_ner.corpus.nlp import make_blank_nlp
from spacy_maize_ner.corpus.pubtator import parse_pubtator
from spacy_maize_ner.corpus.report import ConversionReport

runner = CliRunner()
HEAD = "1|t|Foo p53 bar\n1|a|BRCA1 binds p53.\n"  # text "Foo p53 bar BRCA1 binds p53."
GOOD = "1\t4\t7\tp53\tGene\t-1\n"


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    result.flat = " ".join(result.output.split())  # wasabi wraps long lines
    return result


def write(tmp_path, text, name="in.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def convert_with_report(tmp_path, text, *extra):
    """Convert to a DocBin, --to pubtator and --to iob; RETURNS (summary, records, ents, pubtator)."""
    src = write(tmp_path, text)
    out, report = tmp_path / "o.spacy", tmp_path / "r.json"
    result = run("convert", src, out, "--format", "pubtator", "--report", report, *extra)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary, records = srsly.read_json(report), list(srsly.read_jsonl(tmp_path / "r.jsonl"))
    ents = [e for doc in DocBin().from_disk(out).get_docs(Vocab()) for e in doc.ents]
    back = tmp_path / "back.txt"
    assert run("convert", src, back, "--format", "pubtator", "--to", "pubtator").exit_code == 0
    iob = tmp_path / "back.tsv"
    assert run("convert", src, iob, "--format", "pubtator", "--to", "iob").exit_code == 0
    n_iob = iob.read_text().count("\tB-")
    # what is counted as kept is exactly what every output holds
    assert summary["mentions_kept"] == len(ents) == n_iob
    assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"]
    return summary, records, ents, back.read_text()


def malformed_lines(records):
    return sorted(r["line"] for r in records if r["reason"] == "malformed_line")


# ---- item 3: an empty type ------------------------------------------------------------

@pytest.mark.parametrize("type_", ["", " ", "  "])
def test_mention_with_empty_type_is_malformed_not_kept(tmp_path, type_):
    summary, records, ents, back = convert_with_report(tmp_path, HEAD + GOOD + f"1\t12\t17\tBRCA1\t{type_}\t-1\n\n")
    assert summary["mentions_read"] == 2 and summary["mentions_kept"] == 1
    assert malformed_lines(records) == [4]
    (record,) = [r for r in records if r["reason"] == "malformed_line"]
    assert record["source"].endswith("in.txt") and "type" in record["problem"]
    assert [e.text for e in ents] == ["p53"]


# ---- item 4: mention or relation, by shape ------------------------------------------------

@pytest.mark.parametrize(
    "line",
    [
        "1\tstart\tend\tp53\tGene\t-1",  # a header, or broken offsets: 6 columns = a mention
        "1\tabc\tdef\tp53\tGene\t-1",
        "1\t4\tend\tp53\tGene\t-1",
        "1\tREG\tD1\tD2\tnote\tscore",  # 6 columns: a mention, not a relation
        "1\tabc def",  # neither shape
        "1\t4\t7\tp53",  # 4 columns, but an offset where the relation type belongs
        "1\t4\t7\tp53\tGene\t-1\tnames\tmore",  # 8 columns
        "1\t\tD1\tD2",  # a relation without its type
        "1",
    ],
)
def test_lines_that_are_neither_mention_nor_relation_are_reported(tmp_path, line):
    summary, records, ents, _ = convert_with_report(tmp_path, HEAD + GOOD + line + "\n\n")
    assert summary["mentions_read"] == 2 and summary["dropped"]["malformed_line"] == 1
    assert summary["relations_read"] == 0
    (record,) = [r for r in records if r["reason"] == "malformed_line"]
    assert record["line"] == 4 and record["raw"] == line and record["doc_id"] == "1"
    shown = run("convert", tmp_path / "in.txt", tmp_path / "o3.spacy", "--format", "pubtator")
    assert "first malformed line" in shown.flat and "in.txt:4" in shown.flat


def test_space_separated_annotation_lines_are_reported_with_the_fix():
    (document,) = parse_pubtator((HEAD + "1 4 7 p53 Gene -1\n").splitlines(True))
    (bad,) = document.malformed
    assert bad.line_no == 3 and "use tabs" in bad.problem and not document.mentions


def test_relations_have_four_or_five_columns_and_a_type_name(tmp_path):
    text = HEAD + GOOD + "1\tCID\tD1\tD2\n1\tAssociation\tGene|7157\tDisease|MESH:D1\tNovel\n\n"
    summary, records, _, back = convert_with_report(tmp_path, text)
    assert summary["relations_read"] == 2 and summary["mentions_read"] == 1 and not records
    assert back == text


# ---- item 7 and 9: offsets are ASCII digits below 2**63 ---------------------------------

@pytest.mark.parametrize(
    "start,end",
    [
        ("\u0664", "\u0667"),  # Arabic-Indic 4 and 7
        ("\uff14", "\uff17"),  # fullwidth
        ("4", "\u0667"),
        ("+4", "7"),
        ("4.0", "7"),
        (" 4", "7"),
        ("18446744073709551616", "18446744073709551620"),  # 2**64
        ("4", str(2**63)),
        ("-" + "9" * 30, "7"),
        ("9" * 5000, "7"),
    ],
)
def test_offsets_other_than_ascii_digits_below_2_63_are_malformed(tmp_path, start, end):
    line = f"1\t{start}\t{end}\tp53\tGene\t-1"
    summary, records, ents, back = convert_with_report(tmp_path, HEAD + GOOD + line + "\n\n")
    assert malformed_lines(records) == [4] and summary["mentions_kept"] == 1
    assert back.count("\tp53\t") == 1  # not written back with ASCII offsets


def test_large_but_valid_offsets_are_out_of_range_and_the_report_is_written(tmp_path):
    line = f"1\t{2**63 - 2}\t{2**63 - 1}\tp53\tGene\t-1"
    summary, records, _, _ = convert_with_report(tmp_path, HEAD + GOOD + line + "\n\n")
    assert [r["reason"] for r in records] == ["offset_out_of_range"] and records[0]["end"] == 2**63 - 1


# ---- item 5: -DOCSTART- -----------------------------------------------------------------

def test_only_an_exact_docstart_line_is_a_document_marker(tmp_path):
    src = write(
        tmp_path,
        "-DOCSTART- -X- -X- O\n\n-DOCSTART-\tO\n\n-DOCSTART-\n\n"
        "-DOCSTART-x\tB-GENE\nbinds\tO\n\n-DOCSTART-\tB-GENE\nbinds\tO\n\n-DOCSTARTED\tO\np53\tB-GENE\n",
        "in.tsv",
    )
    out, report = tmp_path / "o.spacy", tmp_path / "r.json"
    result = run("convert", src, out, "--format", "iob", "--report", report)
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(out).get_docs(Vocab()))
    assert [doc.text for doc in docs] == ["-DOCSTART-x binds", "-DOCSTART- binds", "-DOCSTARTED p53"]
    assert [e.text for doc in docs for e in doc.ents] == ["-DOCSTART-x", "-DOCSTART-", "p53"]
    assert srsly.read_json(report)["mentions_kept"] == 3


def test_a_document_marker_ends_the_sentence_before_it(tmp_path):
    src = write(tmp_path, "p53\tB-GENE\n-DOCSTART-\tO\nVgt1\tI-GENE\n", "in.tsv")
    out = tmp_path / "o.spacy"
    result = run("convert", src, out, "--format", "iob")
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(out).get_docs(Vocab()))
    assert [e.text for doc in docs for e in doc.ents] == ["p53", "Vgt1"]  # not one entity across documents


# ---- item 6: a relation under another PMID -------------------------------------------------

def test_relation_with_another_pmid_is_kept_as_read_and_reported(tmp_path):
    text = HEAD + GOOD + "1\tCID\tD1\tD2\n999\tCID\tD3\tD4\n\n"
    summary, _, _, back = convert_with_report(tmp_path, text)
    assert back == text  # not rewritten under PMID 1
    (mismatch,) = summary["relation_pmid_mismatches"]
    assert mismatch["line"] == 5 and mismatch["pmid"] == "999" and mismatch["doc_id"] == "1"
    result = run("convert", tmp_path / "in.txt", tmp_path / "o2.spacy", "--format", "pubtator")
    assert "relation_pmid_mismatches" in result.flat and "in.txt:5" in result.flat
    # through a DocBin (user data) and back
    docs = list(DocBin().from_disk(tmp_path / "o2.spacy").get_docs(Vocab()))
    (document,) = docs_to_pubtator(docs)
    assert [(r.pmid, r.id1) for r in document.relations] == [("1", "D1"), ("999", "D3")]


# ---- item 14: the document text is built once per document --------------------------------

def test_document_text_is_built_once_per_document(monkeypatch):
    calls = []
    real = pubtator_module.PubTatorDocument.text

    def counting(self):
        calls.append(1)
        return real.fget(self)

    monkeypatch.setattr(pubtator_module.PubTatorDocument, "text", property(counting))
    mentions = "".join(f"1\t4\t7\tp53\tGene\t-1\n" for _ in range(50))
    (document,) = parse_pubtator((HEAD + mentions).splitlines(True))
    report = ConversionReport()
    list(pubtator_to_docs([document], make_blank_nlp(), report=report))
    assert report.mentions_read == 50 and len(calls) <= 2


# ---- item 17: BOM inside a file, surrogate bytes, a line of \x1c --------------------------

def test_files_joined_with_their_byte_order_marks_read_cleanly(tmp_path):
    bom = "\ufeff"
    second = "2|t|Vgt1 here\n2|a|x\n2\t0\t4\tVgt1\tGene\t-1\n\n"
    src = tmp_path / "joined.txt"
    src.write_bytes((bom + HEAD + GOOD + "\n" + bom + second).encode("utf-8"))
    out = tmp_path / "o.spacy"
    result = run("convert", src, out, "--format", "pubtator")
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(out).get_docs(Vocab()))
    assert [d.user_data["pmid"] for d in docs] == ["1", "2"] and sum(len(d.ents) for d in docs) == 2
    iob = tmp_path / "joined.tsv"
    iob.write_bytes(f"{bom}p53\tB-GENE\n\n{bom}Vgt1\tB-GENE\n".encode("utf-8"))
    result = run("convert", iob, tmp_path / "i.spacy", "--format", "iob")
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(tmp_path / "i.spacy").get_docs(Vocab()))
    assert [e.text for d in docs for e in d.ents] == ["p53", "Vgt1"]


def test_pmids_that_differ_in_invisible_characters_are_pointed_out(tmp_path):
    src = write(tmp_path, "1\u200b|t|T\n1|a|A\n\n")
    result = run("convert", src, tmp_path / "o.spacy", "--format", "pubtator")
    assert result.exit_code == 1 and "in.txt:2" in result.flat and "invisible" in result.flat
    assert "Traceback" not in result.output


def test_surrogate_bytes_get_no_latin1_hint(tmp_path):
    src = tmp_path / "cesu.txt"
    src.write_bytes(HEAD.encode() + b"1\t4\t7\tp53\xed\xa0\x80\tGene\t-1\n\n")
    result = run("convert", src, tmp_path / "o.spacy", "--format", "pubtator")
    assert result.exit_code == 1 and "cesu.txt:3" in result.flat and "surrogate" in result.flat
    assert "iconv -f latin1" not in result.flat and "not Latin-1" in result.flat


def test_a_line_of_control_characters_is_not_a_blank_line(tmp_path):
    # a \x1c line inside a document: reported as a malformed line, the document goes on
    summary, records, ents, _ = convert_with_report(
        tmp_path, HEAD + "\x1c\n" + GOOD + "1\t12\t17\tBRCA1\tGene\t-1\n\n"
    )
    assert malformed_lines(records) == [3] and summary["mentions_kept"] == 2 and summary["documents"] == 1
    iob = write(tmp_path, "p53\tB-GENE\n\x1c\nVgt1\tB-GENE\n", "in.tsv")
    result = run("convert", iob, tmp_path / "i.spacy", "--format", "iob")
    assert result.exit_code == 1 and "in.tsv:2" in result.flat and "Traceback" not in result.output


# ---- items 8 and 10: one overwrite/overlap policy, checked before any work -------------------

@pytest.fixture
def corpus(tmp_path):
    src = write(tmp_path, HEAD + GOOD + "\n")
    folder = tmp_path / "corpus"
    result = run("convert", src, folder / "train.spacy", "--format", "pubtator")
    assert result.exit_code == 0, result.output
    return folder


def no_loading(monkeypatch):
    import spacy_maize_ner.cli as cli

    loaded = []
    monkeypatch.setattr(cli, "load_corpus", lambda *a, **k: loaded.append(1) or {})
    return loaded


def test_stats_never_writes_its_json_over_the_corpus(corpus, monkeypatch):
    docbin = corpus / "train.spacy"
    before = docbin.read_bytes()
    (corpus / "meta.json").write_text("{}")
    loaded = no_loading(monkeypatch)
    for target, arg in [(docbin, docbin), (docbin, corpus), (corpus / "meta.json", corpus)]:
        result = run("stats", arg, "--json", target, "--overwrite")
        assert result.exit_code == 1 and "would be destroyed" in result.flat, result.output
    assert docbin.read_bytes() == before and (corpus / "meta.json").read_text() == "{}" and not loaded


def test_stats_json_path_that_cannot_be_written_fails_before_work(corpus, tmp_path, monkeypatch):
    loaded = no_loading(monkeypatch)
    folder = run("stats", corpus, "--json", tmp_path)
    assert folder.exit_code == 1 and "is a folder" in folder.flat and "Traceback" not in folder.output
    blocker = write(tmp_path, "x", "blocker")
    under_file = run("stats", corpus, "--json", blocker / "s.json")
    assert under_file.exit_code == 1 and "is a file, not a folder" in under_file.flat
    assert not loaded


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_stats_json_in_a_read_only_folder_fails_before_work(corpus, tmp_path, monkeypatch):
    loaded = no_loading(monkeypatch)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run("stats", corpus, "--json", locked / "s.json")
        assert result.exit_code == 1 and "no write permission" in result.flat and not loaded
    finally:
        locked.chmod(0o700)


def test_stats_replaces_an_existing_json_only_with_overwrite(corpus, tmp_path):
    target = write(tmp_path, "keep me", "s.json")
    refused = run("stats", corpus, "--json", target)
    assert refused.exit_code == 1 and "--overwrite" in refused.flat and target.read_text() == "keep me"
    done = run("stats", corpus, "--json", target, "--overwrite")
    assert done.exit_code == 0, done.output
    assert srsly.read_json(target)["train"]["entities"] == 1


def test_convert_replaces_existing_outputs_and_reports_only_with_overwrite(tmp_path):
    src = write(tmp_path, HEAD + GOOD + "\n")
    out, report = tmp_path / "o.spacy", tmp_path / "r.json"
    for existing in (out, report, tmp_path / "r.jsonl"):
        existing.write_text("keep me")
        result = run("convert", src, out, "--format", "pubtator", "--report", report)
        assert result.exit_code == 1 and "already exist" in result.flat and "--overwrite" in result.flat
        assert existing.read_text() == "keep me"
    assert out.read_text() == report.read_text() == "keep me"
    done = run("convert", src, out, "--format", "pubtator", "--report", report, "--overwrite")
    assert done.exit_code == 0, done.output
    assert srsly.read_json(report)["mentions_kept"] == 1
    folder = tmp_path / "split"
    folder.mkdir()
    (folder / "dev.spacy").write_text("keep me")
    split = run("convert", src, folder, "--format", "pubtator", "--split", "1,0,0")
    assert split.exit_code == 1 and "dev.spacy" in split.flat and (folder / "dev.spacy").read_text() == "keep me"


def test_convert_never_writes_over_an_input(tmp_path):
    text = HEAD + GOOD + "\n"
    records_input = write(tmp_path, text, "r.jsonl")  # the report's records would go there
    result = run("convert", records_input, tmp_path / "o.spacy", "--format", "pubtator", "--report",
                 tmp_path / "r.json", "--overwrite")
    assert result.exit_code == 1 and "would be destroyed" in result.flat
    folder = tmp_path / "split"
    folder.mkdir()
    in_split = write(folder, text, "train.spacy")
    result = run("convert", in_split, folder, "--format", "pubtator", "--split", "1,0,0", "--overwrite")
    assert result.exit_code == 1 and "would be destroyed" in result.flat
    linked = tmp_path / "linked.txt"
    os.link(records_input, linked)  # the same file under another name
    result = run("convert", records_input, linked, "--format", "pubtator", "--to", "pubtator", "--overwrite")
    assert result.exit_code == 1 and "would be destroyed" in result.flat
    assert records_input.read_text() == in_split.read_text() == text
