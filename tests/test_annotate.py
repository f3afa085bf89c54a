"""`annotate`: every format in and out, malformed records, resuming, long documents.

Fixtures in tests/fixtures/annotate are made up (maize gene names in template
sentences); the CRF pipeline is the session fixture `crf_model` (synthetic data).
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.language import Language
from typer.testing import CliRunner

from spacy_maize_ner.annotate import annotate_files
from spacy_maize_ner.annotate.formats import READERS, guess_input_format
from spacy_maize_ner.annotate.long_docs import chunk_spans
from spacy_maize_ner.annotate.records import Record
from spacy_maize_ner.annotate.run import OutputExistsError
from spacy_maize_ner.cli import app
from spacy_maize_ner.corpus.nlp import make_blank_nlp
from synthetic import maize_sentences

FIX = Path(__file__).resolve().parent / "fixtures" / "annotate"
runner = CliRunner()


def run(*args):
    result = runner.invoke(app, ["annotate", *[str(a) for a in args]])
    result.flat = " ".join(result.output.split())
    return result


@pytest.fixture(scope="module")
def null_model(tmp_path_factory):
    """A pipeline that predicts nothing: annotating with it must give the input back."""
    path = tmp_path_factory.mktemp("null") / "model"
    make_blank_nlp().to_disk(path)
    return path


def records(path, fmt=None):
    return [r for r in READERS[fmt or guess_input_format(path)](path) if isinstance(r, Record)]


def assert_offsets_hold(path, fmt=None):
    for record in records(path, fmt):
        text = record.text
        for a in record.annotations:
            assert text[a.start:a.end] == a.text, (record.id, a)


@pytest.mark.parametrize("name", ["small.pubtator", "small.jsonl", "small.bioc.xml"])
def test_round_trip_is_the_identity(null_model, tmp_path, name):
    out = tmp_path / name
    annotate_files(null_model, [FIX / name], out, progress=False)
    assert out.read_bytes() == (FIX / name).read_bytes()


def test_bioc_json_round_trip(null_model, tmp_path):
    out = tmp_path / "o.json"
    annotate_files(null_model, [FIX / "small.bioc.json"], out, progress=False)
    assert json.loads(out.read_text()) == json.loads((FIX / "small.bioc.json").read_text())


@pytest.mark.parametrize("a,b", [("jsonl", "pubtator"), ("bioc-json", "bioc"), ("bioc", "jsonl")])
def test_cross_format_round_trips(null_model, tmp_path, a, b):
    src = {"pubtator": "small.pubtator", "bioc": "small.bioc.xml", "jsonl": "small.jsonl"}[b]
    mid, back = tmp_path / f"mid.{a}", tmp_path / f"back.{b}"
    annotate_files(null_model, [FIX / src], mid, output_format=a, progress=False)
    annotate_files(null_model, [mid], back, input_format=a, output_format=b, progress=False)
    first = records(FIX / src)
    again = records(back, b)
    assert [(r.id, r.text) for r in again] == [(r.id, r.text) for r in first]
    key = lambda r: sorted((x.start, x.end, x.text, x.label, x.identifier) for x in r.annotations)  # noqa: E731
    assert [key(r) for r in again] == [key(r) for r in first]


@pytest.mark.parametrize("out_name", ["o.pubtator", "o.jsonl", "o.xml", "o.json"])
def test_crf_keeps_input_annotations_and_adds_predictions(crf_model, tmp_path, out_name):
    out = tmp_path / out_name
    report = annotate_files(crf_model, [FIX / "small.pubtator"], out, progress=False)
    assert_offsets_hold(out)
    (d1, d2) = records(out)
    spans = {(a.start, a.end, a.label) for a in d1.annotations}
    assert {(0, 6, "Gene"), (27, 32, "Species"), (48, 54, "Gene")} <= spans  # the input's, kept
    assert (0, 6, "GENE") not in spans  # a prediction over the input's Gene is left out
    assert any(a.text == "Vgt1" for a in d1.annotations)  # predicted
    assert report.entities_input == 4 and report.entities_predicted >= 1 and report.predictions_dropped_overlap >= 2
    if out_name == "o.pubtator":
        text = out.read_text()
        assert "91000001\tAssociation\t100037818\t4577" in text and "91000002\tREG\tD1\tD2\tnote\tscore=0.9" in text


def test_replace_drops_the_input_annotations(crf_model, tmp_path):
    out = tmp_path / "o.pubtator"
    report = annotate_files(crf_model, [FIX / "small.pubtator"], out, replace=True, progress=False)
    assert report.entities_removed == 4
    text = out.read_text()
    assert "Species" not in text and "Association" not in text and "\tGENE\t" in text


@pytest.mark.parametrize("name,fmt", [("article.txt", "text"), ("sentences.txt", "lines")])
def test_plain_text_in_jsonl_out(crf_model, tmp_path, name, fmt):
    out = tmp_path / "o.jsonl"
    annotate_files(crf_model, [FIX / name], out, input_format=fmt, progress=False)
    rows = list(srsly.read_jsonl(out))
    if fmt == "text":
        assert [r["id"] for r in rows] == ["article"] and rows[0]["text"] == (FIX / name).read_text()
    else:
        assert [r["id"] for r in rows] == ["sentences:1", "sentences:3"]
    assert all(r["text"][e["start"]:e["end"]] == e["text"] and e["origin"] == "model" for r in rows for e in r["entities"])
    assert any(e["text"] == "ZmCCT9" for r in rows for e in r["entities"])


def test_malformed_records_are_reported_with_file_and_line_and_skipped(null_model, tmp_path):
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_bytes(
        b'{"id": "ok1", "text": "ZmCCT9 delays flowering."}\n'
        b'{"id": "x", "text": 5}\n'
        b'not json\n'
        b'{"id": "e", "text": "tb1", "entities": [{"start": 0, "end": 9, "label": "GENE"}]}\n'
        b'{"id": "u", "text": "Caf\xe9"}\n'
        b'{"id": "ok2", "text": "Vgt1."}\n'
    )
    pub = tmp_path / "bad.pubtator"
    pub.write_bytes(
        b"1|t|Title one\n1|a|Abstract one\n\n"
        b"2|a|abstract without its title\n\n"
        b"3|t|Caf\xe9\n3|a|x\n\n"
        b"4|t|Title four\n4|a|Abstract four\n4\t0\t5\tTitle\tGene\n\n"
    )
    xml = tmp_path / "bad.xml"
    xml.write_text("<collection><document><passage><offset>0</offset><text>no id</text></passage></document>"
                   "<document><id>d2</id><passage><offset>x</offset><text>t</text></passage></document>"
                   "<document><id>d3</id><passage><offset>0</offset><text>fine</text></passage></document></collection>")
    out = tmp_path / "o.jsonl"
    report = annotate_files(null_model, [jsonl, pub, xml], out, progress=False)
    assert [r["id"] for r in srsly.read_jsonl(out)] == ["ok1", "ok2", "1", "4", "d3"]
    where = [(Path(s["source"]).name, s["line"], s["document"]) for s in report.skipped]
    assert where == [("bad.jsonl", 2, 2), ("bad.jsonl", 3, 3), ("bad.jsonl", 4, 4), ("bad.jsonl", 5, 5),
                     ("bad.pubtator", 4, 2), ("bad.pubtator", 6, 3), ("bad.xml", 0, 1), ("bad.xml", 0, 2)]
    problems = " ".join(s["problem"] for s in report.skipped)
    assert "'text' must be a string" in problems and "not valid JSON" in problems and "outside the text" in problems
    assert "0xe9" in problems and "abstract without its title" in problems and "without an <id>" in problems
    # the report names the place in source/line: the problem does not repeat it ("bad.jsonl:5: bad.jsonl:5: ...")
    assert not any(s["problem"].startswith(s["source"]) for s in report.skipped)
    assert [w["line"] for w in report.warnings] == [11]  # the 5-column line of PMID 4, kept as read
    annotate_files(null_model, [pub], tmp_path / "o2.pubtator", progress=False)
    assert "4\t0\t5\tTitle\tGene\n" in (tmp_path / "o2.pubtator").read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text("<collection><document><id>a</id><passage><offset>0</offset><text>x</text></passage></document><document>")
    rep = annotate_files(null_model, [broken], tmp_path / "b.jsonl", progress=False)
    assert rep.records_annotated == 1 and "not well-formed XML at line 1" in rep.skipped[0]["problem"]


def test_cli_reports_and_exits_0_with_skipped_records(null_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "ZmCCT9."}\n{"id": 1.5, "text": "x"}\n')
    result = run(null_model, src, tmp_path / "o.jsonl", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "1 skipped" in result.flat and "in.jsonl:2" in result.flat
    assert srsly.read_json(tmp_path / "o.jsonl.report.json")["records_skipped"] == 1


def test_outputs_are_checked_before_the_work(null_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "ZmCCT9."}\n')
    out = tmp_path / "o.jsonl"
    annotate_files(null_model, [src], out, progress=False)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        annotate_files(null_model, [src], out, progress=False)
    annotate_files(null_model, [src], out, progress=False, overwrite=True)
    with pytest.raises(ValueError, match="are the same file"):
        annotate_files(null_model, [src], tmp_path / "p.jsonl", report_path=tmp_path / "p.jsonl", progress=False)
    with pytest.raises(ValueError, match="is also the OUTPUT"):
        annotate_files(null_model, [src], src, overwrite=True, progress=False)
    with pytest.raises(ValueError, match="given twice"):
        annotate_files(null_model, [src, src], tmp_path / "q.jsonl", progress=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(null_model, src, blocker / "o.jsonl", "--no-progress")
    assert result.exit_code == 1 and "is a file, not a folder" in result.flat
    assert src.read_text() == '{"id": "a", "text": "ZmCCT9."}\n'


# ---- resuming ---------------------------------------------------------------------------

PROCESSED = []


@Language.component("test_count_docs")
def count_docs(doc):
    PROCESSED.append(doc.text)
    return doc


@Language.component("test_die_at_30")
def die_at_30(doc):
    PROCESSED.append(doc.text)
    if len(PROCESSED) == 30:
        os._exit(9)
    return doc


@Language.component("test_interrupt_at_20")
def interrupt(doc):
    if len(PROCESSED) >= 20:
        raise KeyboardInterrupt
    return doc


def many_records(tmp_path, n=50):
    src = tmp_path / "in.jsonl"
    sents = maize_sentences(n, seed=2)
    srsly.write_jsonl(src, [{"id": f"r{i}", "text": " ".join(w)} for i, (w, _) in enumerate(sents)])
    return src


def test_interrupted_run_resumes_with_nothing_done_twice_or_lost(crf_model, tmp_path):
    src = many_records(tmp_path)
    expected = tmp_path / "expected.jsonl"
    annotate_files(crf_model, [src], expected, progress=False)
    out = tmp_path / "o.jsonl"
    nlp = spacy.load(crf_model)
    nlp.add_pipe("test_count_docs", first=True)
    nlp.add_pipe("test_interrupt_at_20", after="test_count_docs")
    PROCESSED.clear()
    with pytest.raises(KeyboardInterrupt):
        annotate_files(nlp, [src], out, batch_size=4, progress=False, checkpoint_every=1000, origin="model")
    assert not out.exists()
    state = srsly.read_json(out.with_name("o.jsonl.progress.json"))
    done = state["records_done"]
    assert 0 < done < 50
    nlp.remove_pipe("test_interrupt_at_20")
    PROCESSED.clear()
    report = annotate_files(nlp, [src], out, batch_size=4, progress=False, origin="model")
    assert len(PROCESSED) == 50 - done  # nothing done twice
    assert out.read_bytes() == expected.read_bytes()  # nothing lost, same order
    assert report.records_annotated == 50
    assert not out.with_name("o.jsonl.partial").exists() and not out.with_name("o.jsonl.progress.json").exists()


def test_killed_run_resumes_from_its_last_checkpoint(crf_model, tmp_path):
    """A hard kill (no cleanup) mid-write: the half-written tail is cut and redone once."""
    src = many_records(tmp_path)
    expected = tmp_path / "expected.pubtator"
    annotate_files(crf_model, [src], expected, progress=False)
    out = tmp_path / "o.pubtator"
    nlp = spacy.load(crf_model)
    nlp.add_pipe("test_die_at_30")
    PROCESSED.clear()
    pid = os.fork()  # the child is killed (os._exit: no cleanup, no final checkpoint)
    if pid == 0:
        try:
            annotate_files(nlp, [src], out, batch_size=1, progress=False, checkpoint_every=7, origin="model")
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 9
    state = srsly.read_json(out.with_name("o.pubtator.progress.json"))
    assert state["records_done"] == 28  # checkpoints every 7 records
    partial = out.with_name("o.pubtator.partial")
    assert partial.stat().st_size >= state["bytes"]
    with partial.open("ab") as f:  # as if killed in the middle of writing a record
        f.write(b"r28|t|half a rec")
    nlp = spacy.load(crf_model)
    nlp.add_pipe("test_count_docs", first=True)
    PROCESSED.clear()
    annotate_files(nlp, [src], out, batch_size=4, progress=False, origin="model")
    assert len(PROCESSED) == 50 - 28
    assert out.read_bytes() == expected.read_bytes()


def test_resume_with_other_options_is_refused(null_model, tmp_path):
    src = many_records(tmp_path, 5)
    out = tmp_path / "o.jsonl"
    out.with_name("o.jsonl.partial").write_text("")
    srsly.write_json(out.with_name("o.jsonl.progress.json"), {"fingerprint": {"other": 1}, "records_done": 1, "bytes": 0})
    with pytest.raises(ValueError, match="--restart"):
        annotate_files(null_model, [src], out, progress=False)
    annotate_files(null_model, [src], out, progress=False, restart=True)
    assert len(list(srsly.read_jsonl(out))) == 5


# ---- long documents ---------------------------------------------------------------------

def test_chunks_end_at_paragraphs_then_sentences():
    text = "First paragraph. It has two sentences.\n\nSecond one here. And More. " + "word " * 30
    spans = chunk_spans(text, 60)
    assert spans[0] == (0, text.index("Second"))
    assert "".join(text[s:e] for s, e in spans) == text and all(e - s <= 60 for s, e in spans)
    assert chunk_spans("x" * 25, 10) == [(0, 10), (10, 20), (20, 25)]


def test_passage_longer_than_the_limit_is_cut_and_offsets_mapped_back(crf_model, tmp_path):
    sents = [" ".join(w) for w, _ in maize_sentences(300, seed=4)]
    text = " ".join(sents)
    src = tmp_path / "long.jsonl"
    srsly.write_jsonl(src, [{"id": "long", "text": text}])
    whole = tmp_path / "whole.jsonl"
    annotate_files(crf_model, [src], whole, progress=False)
    cut = tmp_path / "cut.jsonl"
    report = annotate_files(crf_model, [src], cut, max_length=1000, progress=False)
    assert report.records_split == 1
    a, b = next(iter(srsly.read_jsonl(whole))), next(iter(srsly.read_jsonl(cut)))
    assert a["entities"] and a["entities"] == b["entities"]
    assert all(text[e["start"]:e["end"]] == e["text"] for e in b["entities"])


def test_document_over_nlp_max_length_is_annotated(crf_model, tmp_path):
    nlp = spacy.load(crf_model)
    nlp.max_length = 5000  # the same path as a 1M-character document with the default limit
    text = " ".join(" ".join(w) for w, _ in maize_sentences(200, seed=6))
    assert len(text) > 5000
    src = tmp_path / "long.txt"
    src.write_text(text)
    report = annotate_files(nlp, [src], tmp_path / "o.jsonl", input_format="text", progress=False)
    assert report.records_split == 1 and report.entities_predicted > 100


@pytest.mark.slow  # 100,000 tokens through the CRF's Python features; a long document split: the test above
def test_a_100k_word_document_through_the_crf_pipeline(crf_model):
    nlp = spacy.load(crf_model)
    sents = maize_sentences(11_000, seed=7)
    text = " ".join(" ".join(w) for w, _ in sents)
    doc = nlp(text)
    assert len(doc) >= 100_000
    assert len(list(doc.sents)) >= 10_000
    assert len(doc.ents) > 0.8 * sum(t.count("B-GENE") for _, t in sents)


def test_a_pipeline_loaded_on_the_cpu_is_not_moved_half_to_the_gpu():
    """annotate_files(nlp, gpu_id=0) with an nlp loaded on the CPU: switching to the GPU then
    would leave its weights behind while new arrays go to the GPU, so it is an error that says
    how to load it instead (the CLI loads by name and never hits it)."""
    import spacy

    from spacy_maize_ner.annotate.run import load_pipeline

    nlp = spacy.blank("en")
    nlp.add_pipe("ner").add_label("GENE")
    nlp.initialize()
    with pytest.raises(ValueError, match=r"spacy\.require_gpu\(0\) before spacy\.load"):
        load_pipeline(nlp, gpu_id=0)
    assert load_pipeline(nlp, gpu_id=-1) is nlp
    rules = spacy.blank("en")  # nothing with weights: nothing to leave behind
    rules.add_pipe("sentencizer")
    assert load_pipeline(rules, gpu_id=-1) is rules


def test_on_the_gpu_the_pipelines_own_allocator_is_set_before_it_loads(tmp_path, monkeypatch):
    """spacy.load ignores [training] gpu_allocator (only `spacy train` reads it), so a transformer
    pipeline annotated on the GPU kept CuPy's pool beside torch's. load_pipeline sets the allocator the
    pipeline's config names, before its weights are loaded, and sets none for a pipeline that names none."""
    import spacy
    import thinc.api

    from spacy_maize_ner.annotate.run import load_pipeline, pipeline_gpu_allocator

    calls = []
    monkeypatch.setattr(spacy, "require_gpu", lambda gpu_id: calls.append(("require_gpu", gpu_id)))
    monkeypatch.setattr(thinc.api, "set_gpu_allocator", lambda name: calls.append(("allocator", name)))
    real_load = spacy.load
    monkeypatch.setattr(spacy, "load", lambda name: calls.append(("load", str(name))) or real_load(name))

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.config["system"]["gpu_allocator"] = "pytorch"  # what configs/transformer.cfg says
    nlp.to_disk(tmp_path / "trf")
    assert pipeline_gpu_allocator(tmp_path / "trf") == "pytorch"
    load_pipeline(str(tmp_path / "trf"), gpu_id=0)
    assert calls == [("require_gpu", 0), ("allocator", "pytorch"), ("load", str(tmp_path / "trf"))]

    calls.clear()
    plain = spacy.blank("en")
    plain.add_pipe("sentencizer")
    plain.to_disk(tmp_path / "plain")
    assert pipeline_gpu_allocator(tmp_path / "plain") is None
    load_pipeline(str(tmp_path / "plain"), gpu_id=0)
    assert calls == [("require_gpu", 0), ("load", str(tmp_path / "plain"))]

    calls.clear()
    load_pipeline(str(tmp_path / "trf"), gpu_id=-1)  # the CPU: no allocator to set
    assert calls == [("load", str(tmp_path / "trf"))]
    assert pipeline_gpu_allocator(tmp_path / "missing") is None
