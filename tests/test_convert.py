import srsly
from spacy.tokens import DocBin

from spacy_maize_ner.corpus.convert import docs_to_pubtator, pubtator_to_docs
from spacy_maize_ner.corpus.nlp import make_blank_nlp
from spacy_maize_ner.corpus.pubtator import read_pubtator, write_pubtator
from spacy_maize_ner.corpus.report import ConversionReport


def convert(path, label_map=None):
    report = ConversionReport()
    report.add_input(path)
    nlp = make_blank_nlp()
    docs = list(pubtator_to_docs(read_pubtator(path), nlp, label_map=label_map, report=report))
    return nlp, docs, report


def test_every_malformed_case_is_accounted_for(fixtures_dir, tmp_path):
    _, docs, report = convert(fixtures_dir / "maize_malformed.PubTator.txt")
    summary = report.summary()
    assert summary["mentions_read"] == 13
    assert summary["mentions_kept"] == 5 and summary["mentions_kept_unchanged"] == 4
    assert summary["changed"] == {"expanded": 1}
    assert summary["dropped"] == {
        "overlap": 1,
        "duplicate": 1,
        "offset_out_of_range": 1,
        "text_mismatch": 1,
        "empty_span": 1,
        "malformed_line": 2,
        "pmid_mismatch": 1,
    }
    assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"]
    (doc,) = docs
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("ZmNAC111", "Gene"),  # expanded from "NAC111"
        ("maize", "Species"),
        ("ZmNAC111 promoter", "Gene"),  # the longest of the overlapping pair
        ("ZmNAC111", "Gene"),
        ("Dwarf8", "Gene"),
    ]
    records_path = report.write(tmp_path / "report.json")
    records = list(srsly.read_jsonl(records_path))
    assert len(records) == 9  # 1 changed + 8 dropped
    expanded = next(r for r in records if r["reason"] == "expanded")
    assert (expanded["start"], expanded["new_start"], expanded["new_text"]) == (2, 0, "ZmNAC111")
    overlap = next(r for r in records if r["reason"] == "overlap")
    assert overlap["winner"]["text"] == "ZmNAC111 promoter" and overlap["line"] == 5
    assert {r["line"] for r in records if r["reason"] == "malformed_line"} == {11, 12}
    assert srsly.read_json(tmp_path / "report.json")["mentions_read"] == 13


def test_label_map_filters_and_renames(fixtures_dir):
    _, docs, report = convert(fixtures_dir / "maize_malformed.PubTator.txt", label_map={"Gene": "GENE"})
    assert report.summary()["dropped"]["label_filtered"] == 1
    assert {e.label_ for e in docs[0].ents} == {"GENE"}
    assert report.mentions_kept == 4


def test_docs_carry_ids_sentences_and_pmid(fixtures_dir):
    _, docs, report = convert(fixtures_dir / "maize_wellformed.PubTator.txt")
    doc = docs[0]
    assert report.summary()["by_reason"] == {} and report.mentions_read == 7
    assert doc.user_data["pmid"] == "90000001"
    assert [e.kb_id_ for e in doc.ents][:2] == ["542353", "-1"]
    sents = [s.text for s in doc.sents]
    assert sents[0] == "ZmCCT9 and Vgt1 control flowering time in maize."
    assert len(sents) == 3 and sents[2].endswith("e.g. by 2.5 days.")  # no split at e.g. or 2.5


def test_no_sentence_boundary_inside_an_entity():
    from spacy_maize_ner.corpus.pubtator import parse_pubtator

    text = "Tests of gene X. Y were run."
    lines = [f"7|t|Title\n", f"7|a|{text}\n", f"7\t{6 + 9}\t{6 + 18}\tgene X. Y\tGene\t-1\n"]
    (doc,) = pubtator_to_docs(parse_pubtator(lines), make_blank_nlp())
    ent = doc.ents[0]
    assert ent.text == "gene X. Y" and all(not t.is_sent_start for t in ent[1:])


def test_pubtator_docbin_pubtator_round_trip_is_identity(fixtures_dir, tmp_path):
    path = fixtures_dir / "maize_wellformed.PubTator.txt"
    nlp, docs, _ = convert(path)
    DocBin(docs=docs, store_user_data=True).to_disk(tmp_path / "c.spacy")
    loaded = list(DocBin().from_disk(tmp_path / "c.spacy").get_docs(nlp.vocab))
    write_pubtator(docs_to_pubtator(loaded), tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_text() == path.read_text()


def test_bc5cdr_training_file_accounts_for_every_mention_line(shared_data):
    path = shared_data / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
    mention_lines = 0
    relation_lines = 0
    titles = 0
    for line in path.read_text(encoding="utf8").splitlines():
        cols = line.split("\t")
        titles += "|t|" in line and len(cols) == 1
        if len(cols) == 4 and not cols[1].isdigit():
            relation_lines += 1
        elif len(cols) > 1:
            mention_lines += 1
    _, docs, report = convert(path)
    summary = report.summary()
    assert summary["documents"] == len(docs) == titles
    assert summary["mentions_read"] == mention_lines
    assert summary["relations_read"] == relation_lines
    assert summary["mentions_kept"] + summary["mentions_dropped"] == mention_lines
    assert summary["mentions_kept"] == sum(len(d.ents) for d in docs)
