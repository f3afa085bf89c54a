"""`annotate` under hostile input (issue 28): nothing lost, nothing overwritten, no traceback.

Pipelines are built here: a blank pipeline with an entity ruler (a few maize gene names),
saved to disk so that `--n-process 2` loads it in each process.
"""
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.language import Language
from typer.testing import CliRunner

from spacy_maize_ner.annotate import annotate_files
from spacy_maize_ner.cli import app
from spacy_maize_ner.corpus.nlp import make_blank_nlp

runner = CliRunner()
GENES = ["ZmCCT9", "Vgt1", "tb1", "BRCA1", "p53"]


def run(*args):
    result = runner.invoke(app, ["annotate", *[str(a) for a in args]])
    result.flat = " ".join(result.output.split())
    return result


@pytest.fixture(scope="module")
def ruler_model(tmp_path_factory):
    """A pipeline that finds the names in GENES (label GENE)."""
    nlp = make_blank_nlp()
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GENE", "pattern": name} for name in GENES])
    path = tmp_path_factory.mktemp("ruler") / "model"
    nlp.to_disk(path)
    return path


def rows(path):
    return list(srsly.read_jsonl(path))


# ---- item 1: --n-process 2 ----------------------------------------------------------------

def test_n_process_2_writes_what_n_process_1_writes(ruler_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(
        json.dumps({"id": str(i), "text": f"{GENES[i % len(GENES)]} here and tb1 there, case {i}."}) + "\n"
        for i in range(40)
    ) + '{"id": "bad", "text": 5}\n' + '{"id": "last", "text": "p53"}\n')
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first = run(ruler_model, src, one, "--n-process", "1", "--batch-size", "4", "--no-progress")
    second = run(ruler_model, src, two, "--n-process", "2", "--batch-size", "4", "--no-progress")
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "41 documents annotated" in second.flat
    assert len(rows(two)) == 41 and two.read_bytes() == one.read_bytes()
    assert sum(len(r["entities"]) for r in rows(two)) == 81


# ---- items 2, 8 and 17: the files a run writes ---------------------------------------------

def test_an_input_named_like_a_file_the_run_writes_is_refused_and_kept(ruler_model, tmp_path):
    content = '{"id": "1", "text": "BRCA1 here"}\n'
    out = tmp_path / "x.jsonl"
    for name in ["x.jsonl.partial", "x.jsonl.progress.json", "x.jsonl.report.json"]:
        src = tmp_path / name
        src.write_text(content)
        result = run(ruler_model, src, out, "--input-format", "jsonl", "--no-progress")
        assert result.exit_code == 1 and "is also the" in result.flat and "Traceback" not in result.output, result.output
        assert src.read_text() == content and not out.exists()
    src = tmp_path / "in.jsonl"
    src.write_text(content)
    result = run(ruler_model, src, out, "--report", src, "--no-progress")  # an explicit --report too
    assert result.exit_code == 1 and "is also the --report" in result.flat and src.read_text() == content
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    result = run(ruler_model, src, link, "--overwrite", "--no-progress")  # the OUTPUT is a link to the input
    assert result.exit_code == 1 and src.read_text() == content


def test_existing_output_with_a_leftover_partial_is_not_replaced_without_overwrite(ruler_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "text": "BRCA1 here"}\n')
    out = tmp_path / "o.jsonl"
    out.write_text("precious\n")
    out.with_name("o.jsonl.partial").write_text("")  # left over, no progress file
    result = run(ruler_model, src, out, "--no-progress")
    assert result.exit_code == 1 and "--overwrite" in result.flat
    assert out.read_text() == "precious\n"
    report = tmp_path / "r.json"
    report.write_text("old report\n")
    result = run(ruler_model, src, tmp_path / "p.jsonl", "--report", report, "--no-progress")
    assert result.exit_code == 1 and "--overwrite" in result.flat and report.read_text() == "old report\n"
    assert run(ruler_model, src, out, "--overwrite", "--no-progress").exit_code == 0
    assert [r["id"] for r in rows(out)] == ["1"]


def test_output_folder_is_created_and_checked_before_the_pipeline_loads(ruler_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "text": "BRCA1 here"}\n')
    out = tmp_path / "new" / "deeper" / "o.jsonl"
    result = run(ruler_model, src, out, "--no-progress")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in rows(out)] == ["1"] and out.with_name("o.jsonl.report.json").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    # No such pipeline: the output is refused first, so its message is the one shown.
    result = run(tmp_path / "no-such-pipeline", src, blocker / "sub" / "o.jsonl", "--no-progress")
    assert result.exit_code == 1 and "is a file, not a folder" in result.flat and "pipeline" not in result.flat


# ---- item 11 and 17: malformed records, skipped and listed, the run goes on ----------------

HOSTILE_JSONL = [
    '{"id": "ents5", "text": "BRCA1", "entities": 5}',
    '{"id": "ent7", "text": "BRCA1", "entities": [7]}',
    '{"id": "locs", "text": "BRCA1", "entities": [{"start": 0, "end": 5, "label": "G", "locations": [7]}]}',
    '{"id": "infons", "text": "BRCA1", "entities": [{"start": 0, "end": 5, "label": "G", "infons": "x"}]}',
    '{"id": "ptext", "text": "BRCA1", "passages": [{"offset": 0, "text": 12345}]}',
    '{"id": "pass5", "text": "BRCA1", "passages": [5]}',
    "[" * 100_000,
    '{"id": "surrogate", "text": "BRCA1 \\ud800 here"}',
    '{"id": "nan", "text": "BRCA1", "score": NaN}',
    '{"id": "inf", "text": "BRCA1", "score": -Infinity}',
]


def test_hostile_jsonl_records_are_skipped_with_their_line_and_the_rest_written(ruler_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "first", "text": "tb1 first"}\n' + "\n".join(HOSTILE_JSONL)
                   + '\n{"id": "pair", "text": "p53 \\ud83d\\ude00 ok"}\n')
    out = tmp_path / "o.jsonl"
    result = run(ruler_model, src, out, "--no-progress")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert [r["id"] for r in rows(out)] == ["first", "pair"]
    report = srsly.read_json(tmp_path / "o.jsonl.report.json")
    assert [s["line"] for s in report["skipped"]] == list(range(2, 2 + len(HOSTILE_JSONL)))
    problems = [s["problem"] for s in report["skipped"]]
    assert "'entities' must be a list" in problems[0] and "nested too deeply" in problems[6]
    assert "lone surrogate" in problems[7] and "NaN" in problems[8] and "Infinity" in problems[9]
    for line in out.read_text().splitlines():  # strict JSON only
        json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} written"))


def test_hostile_bioc_json_documents_are_skipped_and_the_rest_written(ruler_model, tmp_path):
    ok = {"id": "ok", "passages": [{"offset": 0, "text": "BRCA1 here", "annotations": []}]}
    bad = [
        {"id": "p5", "passages": [5]},
        {"id": "text", "passages": [{"offset": 0, "text": 12345}]},
        {"id": "locs", "passages": [{"offset": 0, "text": "tb1", "annotations": [{"id": "a", "locations": [7]}]}]},
        {"id": "infons", "infons": "x", "passages": [{"offset": 0, "text": "tb1"}]},
        {"id": "pinfons", "passages": [{"offset": 0, "text": "tb1", "infons": "x"}]},
        {"id": "ainfons", "passages": [{"offset": 0, "text": "tb1", "annotations": [
            {"id": "a", "infons": "x", "locations": [{"offset": 0, "length": 3}]}]}]},
        {"id": "anns", "passages": [{"offset": 0, "text": "tb1", "annotations": 3}]},
        {"id": "far", "passages": [{"offset": 10 ** 20, "text": "tb1"}]},
    ]
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"source": "s", "documents": [ok, *bad, ok | {"id": "ok2"}]}))
    out = tmp_path / "o.jsonl"
    result = run(ruler_model, src, out, "--no-progress")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert [r["id"] for r in rows(out)] == ["ok", "ok2"]
    report = srsly.read_json(tmp_path / "o.jsonl.report.json")
    assert [s["id"] for s in report["skipped"]] == [d["id"] for d in bad]
    deep, surrogate, nan = tmp_path / "deep.json", tmp_path / "sur.json", tmp_path / "nan.json"
    deep.write_text("[" * 100_000)
    surrogate.write_text('{"documents": [{"id": "s", "passages": [{"offset": 0, "text": "a\\udc00"}]}]}')
    nan.write_text('{"documents": [{"id": "n", "infons": {"x": NaN}, "passages": []}]}')
    result = run(ruler_model, deep, surrogate, nan, src, tmp_path / "o2.jsonl", "--no-progress")
    assert result.exit_code == 0, result.output
    problems = [s["problem"] for s in srsly.read_json(tmp_path / "o2.jsonl.report.json")["skipped"]]
    assert "nested too deeply" in problems[0] and "lone surrogate" in problems[1] and "NaN" in problems[2]


def test_a_record_the_output_cannot_hold_is_skipped_and_a_rerun_finishes(ruler_model, tmp_path, monkeypatch):
    """A record that breaks the writer is listed as malformed; the run (and any rerun) gets past it."""
    from spacy_maize_ner.annotate.formats import jsonl

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": f"tb1 {i}"}) + "\n" for i in range(5)))
    real = jsonl.record_dict

    def poisoned(record):
        return {**real(record), "bad": "\ud800"} if record.id == "2" else real(record)

    monkeypatch.setattr(jsonl, "record_dict", poisoned)
    out = tmp_path / "o.jsonl"
    report = annotate_files(ruler_model, [src], out, progress=False)
    assert [r["id"] for r in rows(out)] == ["0", "1", "3", "4"]
    assert report.records_annotated == 4 and report.records_skipped == 1 and report.entities_predicted == 4
    assert report.skipped[0]["line"] == 3 and "cannot be written as jsonl" in report.skipped[0]["problem"]


# ---- item 12: BioC XML output always parses -------------------------------------------------

def test_control_characters_never_make_bioc_xml_that_is_not_well_formed(ruler_model, tmp_path):
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
    text = f"BRCA1 {controls} tb1 a\r\nb p53"
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "c\x01", "text": text, "entities": [{"start": 6, "end": 9, "label": "X\x02"}]}) + "\n")
    for name in ["o.xml", "o.json"]:
        out = tmp_path / name
        assert run(ruler_model, src, out, "--no-progress").exit_code == 0
    root = ET.parse(tmp_path / "o.xml").getroot()  # raises when not well-formed
    back = root.find("document/passage/text").text
    assert len(back) == len(text) and back.endswith("tb1 a\r\nb p53")  # same length; \r kept (as &#13;)
    spans = {(int(a.find("location").get("offset")), a.find("text").text) for a in root.iter("annotation")}
    assert {(0, "BRCA1"), (text.index("tb1"), "tb1"), (text.index("p53"), "p53")} <= spans
    back_json = json.loads((tmp_path / "o.json").read_text())["documents"][0]["passages"][0]["text"]
    assert back_json == text  # JSON escapes them: kept exactly


# ---- item 15: the quadratic tokenizer case --------------------------------------------------

@pytest.mark.parametrize("run_chars", ["(", ".,", "_", "-("])
def test_long_punctuation_runs_take_seconds_and_offsets_elsewhere_stay_exact(ruler_model, tmp_path, run_chars):
    hostile = run_chars * (20_000 // len(run_chars))
    text = f"BRCA1 first. {hostile} then tb1 and p53{hostile[:100]}Vgt1 end."
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "h", "text": text}) + "\n")
    out = tmp_path / "o.jsonl"
    started = time.perf_counter()
    report = annotate_files(ruler_model, [src], out, progress=False)
    assert time.perf_counter() - started < 20  # was minutes (47 s for 20,000 "(" on an idle machine)
    (row,) = rows(out)
    assert row["text"] == text
    found = [(e["start"], e["text"]) for e in row["entities"]]
    assert all(text[s:s + len(t)] == t for s, t in found)
    assert ("BRCA1" in dict(found).values() and (text.index("tb1"), "tb1") in found
            and (text.index("p53"), "p53") in found)
    assert report.warnings and "punctuation" in report.warnings[0]["problem"]


# ---- item 16: one validation for every input format -----------------------------------------

def test_a_mention_past_the_text_is_reported_the_same_for_every_format(ruler_model, tmp_path):
    pub = tmp_path / "in.pubtator"
    pub.write_text("1|t|BRCA1 title\n1|a|p53 abstract\n1\t4\t99\tbeyond\tGene\t-1\n\n"
                   "2|t|tb1 ok\n2|a|fine\n2\t0\t3\ttb1\tGene\t-1\n\n"
                   "3|t|p53\n3|a|x\n3\t18446744073709551616\t18446744073709551619\tp53\tGene\t-1\n\n")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "1", "text": "BRCA1 title p53 abstract",
                                 "entities": [{"start": 4, "end": 99, "label": "Gene"}]}) + "\n")
    bioc = tmp_path / "in.json"
    bioc.write_text(json.dumps({"documents": [{"id": "1", "passages": [{"offset": 0, "text": "BRCA1 title p53 abstract",
        "annotations": [{"id": "a", "infons": {"type": "Gene"}, "locations": [{"offset": 4, "length": 95}]}]}]}]}))
    report = annotate_files(ruler_model, [pub, jsonl, bioc], tmp_path / "o.pubtator", progress=False)
    assert [(Path(s["source"]).name, s["id"]) for s in report.skipped] == [
        ("in.pubtator", "1"), ("in.jsonl", "1"), ("in.json", "1")]
    # Offsets beyond 64 bits: the PubTator parser keeps the line as read and reports it (no traceback).
    assert [(w["id"], w["line"]) for w in report.warnings] == [("3", 11)]
    assert all("outside the text" in s["problem"] for s in report.skipped)
    assert report.skipped[0]["line"] == 1 and report.records_annotated == 2


def test_ray_refuses_a_shard_that_is_a_file_the_job_writes(ruler_model, tmp_path):
    pytest.importorskip("ray")
    from spacy_maize_ner.annotate.distributed import annotate_on_ray

    out = tmp_path / "out"
    out.mkdir()
    shard = out / "a.jsonl"  # its output would be out/a.jsonl: itself
    shard.write_text('{"id": "1", "text": "BRCA1 here"}\n')
    with pytest.raises(ValueError, match="is also the output of"):
        annotate_on_ray(ruler_model, [shard], out, output_format="jsonl", progress=False)
    assert shard.read_text() == '{"id": "1", "text": "BRCA1 here"}\n'


def test_a_line_of_control_characters_is_not_a_blank_line(ruler_model, tmp_path):
    """str.strip() takes \\x1c for whitespace: the block must not be cut there."""
    src = tmp_path / "in.pubtator"
    src.write_text("1|t|BRCA1 title\n1|a|abstract\n\x1c\n1\t0\t5\tBRCA1\tGene\t-1\n\n2|t|tb1\n\n")
    out = tmp_path / "o.pubtator"
    report = annotate_files(ruler_model, [src], out, progress=False)
    assert report.records_skipped == 0 and report.records_annotated == 2
    assert out.read_text().startswith("1|t|BRCA1 title\n1|a|abstract\n1\t0\t5\tBRCA1\tGene\t-1\n")
    assert report.warnings and report.warnings[0]["line"] == 3  # the \x1c line: kept as read, listed


def test_bioc_json_output_is_strict_json_whatever_the_collection_holds(ruler_model, tmp_path):
    src = tmp_path / "in.json"
    src.write_text('{"source": "s", "infons": {"score": NaN}, "documents": [{"id": "1", "passages": [{"offset": 0, "text": "BRCA1"}]}]}')
    out = tmp_path / "o.json"
    report = annotate_files(ruler_model, [src], out, progress=False)
    assert report.records_skipped == 1 and "NaN" in report.skipped[0]["problem"]
    json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"{c} written"))


def test_an_id_with_line_breaks_stays_one_pubtator_record(ruler_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a\nb|c\r", "text": "BRCA1 here"}) + "\n")
    out = tmp_path / "o.pubtator"
    annotate_files(ruler_model, [src], out, progress=False)
    assert out.read_text().startswith("a_b_c_|t|BRCA1 here\n")
    back = tmp_path / "back.jsonl"
    report = annotate_files(ruler_model, [out], back, progress=False)
    assert report.records_skipped == 0 and [r["id"] for r in rows(back)] == ["a_b_c_"]


def test_files_concatenated_with_their_byte_order_marks_are_read_whole(ruler_model, tmp_path):
    bom = "\ufeff"
    pub = tmp_path / "in.pubtator"
    pub.write_text(f"{bom}1|t|BRCA1 one\n1|a|x\n\n{bom}2|t|tb1 two\n2|a|y\n\n", encoding="utf-8")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(f'{bom}{{"id": "3", "text": "p53"}}\n{bom}{{"id": "4", "text": "Vgt1"}}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    report = annotate_files(ruler_model, [pub, jsonl], out, progress=False)
    assert report.records_skipped == 0 and [r["id"] for r in rows(out)] == ["1", "2", "3", "4"]



@Language.component("hostile_test_poison")
def poison(doc):
    if "POISON" in doc.text:
        raise RuntimeError("poisoned text")
    return doc


@pytest.mark.parametrize("n_process", [1, 2])
def test_a_record_the_pipeline_fails_on_is_skipped_by_the_rerun(ruler_model, tmp_path, n_process):
    """Every rerun used to resume into the same record and fail again: the job could never finish."""
    nlp = spacy.load(ruler_model)
    nlp.add_pipe("hostile_test_poison", first=True)
    model = tmp_path / "poison-model"
    nlp.to_disk(model)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": f"tb1 {'POISON' if i == 12 else 'fine'} {i}"}) + "\n"
                           for i in range(30)))
    out = tmp_path / "o.jsonl"
    args = [model, src, out, "--batch-size", "4", "--n-process", n_process, "--no-progress"]
    first = run(*args)
    assert first.exit_code == 1 and "poisoned text" in first.flat and "Run the same command again" in first.flat
    assert "Traceback" not in first.output and not out.exists()
    second = run(*args)
    assert second.exit_code == 0, second.output
    assert [r["id"] for r in rows(out)] == [str(i) for i in range(30) if i != 12]
    assert all(len(r["entities"]) == 1 for r in rows(out))
    (skipped,) = srsly.read_json(tmp_path / "o.jsonl.report.json")["skipped"]
    assert skipped["line"] == 13 and "the pipeline failed on this record" in skipped["problem"]


# ---- item 6 (annotate half): a relation under another PMID ------------------------------

def test_a_relation_under_another_pmid_is_written_back_as_read_and_reported(ruler_model, tmp_path):
    src = tmp_path / "in.pubtator"
    src.write_text("1|t|ZmCCT9 and tb1\n1|a|Vgt1 acts.\n1\t0\t6\tZmCCT9\tGene\t-1\n"
                   "1\tCID\tD1\tD2\n999\tCID\tD3\tD4\n\n")
    out, report = tmp_path / "out.pubtator", tmp_path / "report.json"
    result = run(ruler_model, src, out, "--input-format", "pubtator", "--output-format", "pubtator",
                 "--report", report, "--no-progress")
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert "1\tCID\tD1\tD2" in lines and "999\tCID\tD3\tD4" in lines
    warnings = srsly.read_json(report)["warnings"]
    assert any("999" in w["problem"] and w["id"] == "1" for w in warnings), warnings
