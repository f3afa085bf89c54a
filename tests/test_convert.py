import time

import pytest
import srsly
from spacy.tokens import DocBin

from spacy_maize_ner.corpus.convert import docs_to_pubtator, pubtator_to_docs
from spacy_maize_ner.corpus.iob import read_iob
from spacy_maize_ner.corpus.nlp import make_blank_nlp
from spacy_maize_ner.corpus.pubtator import parse_pubtator, read_pubtator, write_pubtator
from spacy_maize_ner.corpus.report import CHANGED, DROPPED, ConversionReport, check_invariant


@pytest.fixture(scope="module")
def nlp():
    return make_blank_nlp()


def convert(nlp, path, label_map=None):
    report = ConversionReport()
    docs = list(pubtator_to_docs(read_pubtator(path), nlp, label_map=label_map, report=report))
    return docs, report


def counts(**nonzero):
    """Every reason at 0 except those given."""
    changed = {reason: nonzero.pop(reason, 0) for reason in CHANGED}
    dropped = {reason: nonzero.pop(reason, 0) for reason in DROPPED}
    assert not nonzero, f"unknown reasons {nonzero}"
    return changed, dropped


def test_every_malformed_case_is_accounted_for(nlp, fixtures_dir, tmp_path):
    path = fixtures_dir / "maize_malformed.PubTator.txt"
    docs, report = convert(nlp, path)
    summary = report.summary()
    changed, dropped = counts(
        expanded=1, overlap=1, duplicate=1, offset_out_of_range=1, text_mismatch=1,
        empty_span=2, malformed_line=2, pmid_mismatch=1,
    )
    assert summary["changed"] == changed and summary["dropped"] == dropped
    assert summary["by_reason"] == {"changed": changed, "dropped": dropped}
    assert summary["mentions_read"] == 15  # 13 mention lines + 2 malformed lines
    assert summary["mentions_kept"] == 6 and summary["mentions_kept_unchanged"] == 5
    assert summary["mentions_changed"] == 1 and summary["mentions_dropped"] == 9
    assert summary["mentions_read"] == summary["mentions_kept"] + summary["mentions_dropped"]
    assert summary["documents"] == 1 and summary["relations_read"] == 1
    assert summary["input"] == [str(path)]
    (doc,) = docs
    assert [(e.text, e.label_, e.kb_id_) for e in doc.ents] == [
        ("ZmNAC111", "Gene", "100037818"),  # expanded from "NAC111"
        ("maize", "Species", "4577"),
        ("ZmNAC111 promoter", "Gene", "100037818"),  # the longer of the overlapping pair
        ("ZmNAC111", "Gene", "100037818"),
        ("Dwarf8", "Gene", "-1"),
        ("ZmPIF3", "Gene", "100384331"),
    ]


def test_report_files_list_every_changed_and_dropped_mention(nlp, fixtures_dir, tmp_path):
    path = fixtures_dir / "maize_malformed.PubTator.txt"
    _, report = convert(nlp, path)
    records_path = report.write(tmp_path / "report.json")
    assert records_path == tmp_path / "report.jsonl"
    summary = srsly.read_json(tmp_path / "report.json")
    check_invariant(summary)
    assert summary["mentions_read"] == 15 and summary["records"] == str(records_path)
    records = list(srsly.read_jsonl(records_path))
    assert len(records) == 10  # 1 changed + 9 dropped
    by_line = {r["line"]: r for r in records}
    assert {line: r["reason"] for line, r in by_line.items()} == {
        3: "expanded", 5: "overlap", 7: "duplicate", 8: "offset_out_of_range", 9: "text_mismatch",
        10: "empty_span", 11: "malformed_line", 12: "malformed_line", 13: "pmid_mismatch", 16: "empty_span",
    }
    assert all(r["source"] == str(path) and r["doc_id"] == "90000002" for r in records)
    expanded = by_line[3]
    assert expanded["outcome"] == "changed"
    assert (expanded["start"], expanded["end"], expanded["text"], expanded["type"], expanded["identifier"]) == (
        2, 8, "NAC111", "Gene", "100037818"
    )
    assert (expanded["new_start"], expanded["new_end"], expanded["new_text"]) == (0, 8, "ZmNAC111")
    assert by_line[5]["winner"] == {
        "line": 4, "start": 75, "end": 92, "text": "ZmNAC111 promoter", "type": "Gene", "identifier": "100037818",
    }
    assert by_line[7]["winner"]["line"] == 6 and by_line[7]["outcome"] == "dropped"
    assert by_line[11]["raw"] == "90000002\tabc\t12\tZmPIF3\tGene\t-1" and "integers" in by_line[11]["problem"]
    assert by_line[13]["pmid"] == "90009999"
    assert by_line[9]["text"] == "Dwarf9"


def test_label_map_filters_and_renames(nlp, fixtures_dir):
    docs, report = convert(nlp, fixtures_dir / "maize_malformed.PubTator.txt", label_map={"Gene": "GENE"})
    summary = report.summary()
    assert summary["dropped"]["label_filtered"] == 1
    assert summary["mentions_kept"] == 5 and summary["mentions_read"] == 15
    assert {e.label_ for e in docs[0].ents} == {"GENE"}
    filtered = next(r for r in report.records if r["reason"] == "label_filtered")
    assert (filtered["line"], filtered["type"]) == (14, "Species")


def test_docs_carry_ids_sentences_and_user_data(nlp, fixtures_dir):
    docs, report = convert(nlp, fixtures_dir / "maize_wellformed.PubTator.txt")
    assert report.mentions_read == report.summary()["mentions_kept_unchanged"] == 15
    doc = docs[0]
    assert doc.text == docs[0].text and doc.user_data["pmid"] == "90000001"
    assert doc.user_data["title_length"] == len("ZmCCT9 and Vgt1 control flowering time in maize.")
    assert doc.user_data["pubtator_extra"] == {"118:135": "ZmCCT9|ZmCOL3"}
    assert doc.user_data["pubtator_relations"] == [["REG", "541958", "542353"], ["CID", "541958", "4577", "novel"]]
    assert [e.kb_id_ for e in doc.ents][:2] == ["542353", "-1"]
    assert [s.text for s in doc.sents] == [
        "ZmCCT9 and Vgt1 control flowering time in maize.",
        "The teosinte branched1 (tb1) gene shapes plant architecture.",
        "Loss of ZmCCT9 and ZmCOL3 function delays flowering, e.g. by 2.5 days in S-100 lines.",
    ]
    # a title without final punctuation is still a sentence of its own
    assert next(docs[2].sents).text == "Dwarf8 and ZmPIF3 in maize lines"
    assert docs[1].text == "Vgt1 is a cis-regulatory element upstream of ZmRAP2.7 in maize. "


def test_no_sentence_boundary_inside_an_entity(nlp):
    title, abstract = "Title", "Tests of gene X. Y were run. Then ZmCCT9 was cloned."
    start = len(title) + 1 + abstract.index("gene X. Y")
    lines = [f"7|t|{title}\n", f"7|a|{abstract}\n", f"7\t{start}\t{start + 9}\tgene X. Y\tGene\t-1\n"]
    (doc,) = pubtator_to_docs(parse_pubtator(lines), nlp)
    (ent,) = doc.ents
    assert ent.text == "gene X. Y" and all(not t.is_sent_start for t in ent[1:])
    assert [s.text for s in doc.sents] == ["Title", "Tests of gene X. Y were run.", "Then ZmCCT9 was cloned."]


def test_entity_across_title_and_abstract_keeps_one_sentence(nlp):
    lines = ["8|t|teosinte\n", "8|a|branched1 is a gene.\n", "8\t0\t18\tteosinte branched1\tGene\t-1\n"]
    (doc,) = pubtator_to_docs(parse_pubtator(lines), nlp)
    assert [s.text for s in doc.sents] == ["teosinte branched1 is a gene."]


@pytest.mark.parametrize(
    "mentions,kept,reasons",
    [
        # same span, other label: the first seen wins, the other is an overlap
        ([(0, 6, "ZmCCT9", "Gene"), (0, 6, "ZmCCT9", "Protein")], [("ZmCCT9", "Gene")], ["exact", "overlap"]),
        # the longest wins over those inside it
        ([(11, 15, "Vgt1", "Gene"), (7, 10, "and", "Gene"), (7, 15, "and Vgt1", "Gene")],
         [("and Vgt1", "Gene")], ["overlap", "overlap", "exact"]),
        # equal length: the earlier start wins, whatever the order
        ([(11, 19, "Vgt1 and", "Gene"), (7, 15, "and Vgt1", "Gene")], [("and Vgt1", "Gene")], ["overlap", "exact"]),
        # widened to the same span as an exact mention: the exact one is kept
        ([(2, 6, "CCT9", "Gene"), (0, 6, "ZmCCT9", "Gene")], [("ZmCCT9", "Gene")], ["duplicate", "exact"]),
        # partial overlap: the longer one wins whatever the order
        ([(0, 10, "ZmCCT9 and", "Gene"), (0, 15, "ZmCCT9 and Vgt1", "Gene")],
         [("ZmCCT9 and Vgt1", "Gene")], ["overlap", "exact"]),
    ],
)
def test_overlap_resolution(nlp, mentions, kept, reasons):
    lines = ["9|t|ZmCCT9 and Vgt1 and tb1\n", "9|a|Text.\n"] + [
        f"9\t{s}\t{e}\t{text}\t{label}\t-1\n" for s, e, text, label in mentions
    ]
    report = ConversionReport()
    (doc,) = pubtator_to_docs(parse_pubtator(lines), nlp, report=report)
    assert [(e.text, e.label_) for e in doc.ents] == kept
    by_line = {r["line"]: r["reason"] for r in report.records}
    assert [by_line.get(i + 3, "exact") for i in range(len(mentions))] == reasons
    assert report.mentions_read == len(mentions)


def test_pubtator_docbin_pubtator_round_trip_is_identity(nlp, fixtures_dir, tmp_path):
    path = fixtures_dir / "maize_wellformed.PubTator.txt"
    docs, _ = convert(nlp, path)
    DocBin(docs=docs, store_user_data=True).to_disk(tmp_path / "c.spacy")
    loaded = list(DocBin().from_disk(tmp_path / "c.spacy").get_docs(nlp.vocab))
    write_pubtator(docs_to_pubtator(loaded), tmp_path / "back.txt")
    assert (tmp_path / "back.txt").read_bytes() == path.read_bytes()


def test_iob_docs_write_as_pubtator_with_index_pmids(fixtures_dir, tmp_path):
    docs = list(read_iob(fixtures_dir / "maize_genes.iob2.tsv", n_sents=5))
    (document,) = docs_to_pubtator(docs)
    assert document.pmid == "0" and document.title == docs[0].text and not document.has_abstract
    assert [(m.text, m.identifier) for m in document.mentions][:2] == [("ZmCCT9", "-1"), ("Vgt1", "-1")]
    assert all(document.text[m.start : m.end] == m.text for m in document.mentions)


def test_bc5cdr_training_file_accounts_for_every_annotation_line(shared_data, nlp, tmp_path):
    path = shared_data / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
    titles = relations = annotations = 0
    for line in path.read_text(encoding="utf8").split("\n"):
        columns = line.split("\t")
        if "|t|" in line and len(columns) == 1:
            titles += 1
        elif len(columns) > 1 and columns[1] == "CID":
            relations += 1
        elif len(columns) > 1:
            annotations += 1  # every other annotation line: a mention, well-formed or not
    started = time.perf_counter()
    docs, report = convert(nlp, path)
    seconds = time.perf_counter() - started
    summary = report.summary()
    assert summary["documents"] == len(docs) == titles
    assert summary["relations_read"] == relations
    assert summary["mentions_read"] == annotations
    assert summary["mentions_kept"] + summary["mentions_dropped"] == annotations
    assert summary["mentions_kept"] == sum(len(d.ents) for d in docs)
    assert len(report.records) == summary["mentions_changed"] + summary["mentions_dropped"]
    assert all(d.text[e.start_char : e.end_char] == e.text for d in docs[:50] for e in d.ents)
    report.write(tmp_path / "r.json")
    assert seconds < 60, f"converting BC5CDR train took {seconds:.0f} s"
