"""LLM rows that tell the truth (issue 28, items 13, 18-21): a refused key costs one request
and ends with its message alone; a cached rerun reports what the answers cost; a run
without answers writes no row; a sample has its own row; unknown prices and missing usage
are shown; the LLM-only path works against the local fake server. No network."""
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("spacy_llm")

import spacy  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402

from llm_server import ChatServer  # noqa: E402

SECRET = "sk-maize-rows-4d2b8e61"
KEY_ENV = "MAIZE_LLM_ROWS_KEY"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)


def make_nlp(base_url, **model):
    nlp = spacy.blank("en")
    config = {"@llm_models": "spacy_maize_ner.OpenAICompatible.v1", "base_url": base_url, "model": "test-model",
              "api_key_env": KEY_ENV, "retry_base_delay": 0.01, "retry_max_delay": 0.05, "timeout": 5,
              "progress_bar": False, "context_length": 100000}
    config.update(model)
    nlp.add_pipe("llm", config={"task": {"@llm_tasks": "spacy_maize_ner.ExactNER.v1", "labels": "GENE"}, "model": config})
    return nlp


def gold_answers(corpus):
    gold = {}
    for doc in DocBin().from_disk(corpus / "dev.spacy").get_docs(spacy.blank("en").vocab):
        gold[doc.text.strip()] = json.dumps({"GENE": [e.text for e in doc.ents]})
    return lambda text, payload: gold.get(text, '{"GENE": []}')


def script(*args, **env):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate_llm.py"), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, KEY_ENV: SECRET, "MAIZE_NER_VERBOSE": "", **env})


# --- item 13: 401/403 -------------------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_costs_one_request_whatever_the_concurrency(status):
    from spacy_maize_ner.cli_errors import MaizeNerError

    with ChatServer(lambda t, p: '{"GENE": []}') as srv:
        srv.script.extend([("status", status)] * 100)
        nlp = make_nlp(srv.base_url, concurrency=8)
        with pytest.raises(MaizeNerError) as info:
            list(nlp.pipe([f"Gene{i} here ." for i in range(40)], batch_size=64))
        assert len(srv.log) == 1  # not retried, and no other thread sent one
    assert KEY_ENV in str(info.value) and str(status) in str(info.value) and SECRET not in str(info.value)


@pytest.mark.slow  # two fresh processes; one request in process: above; the message alone: test_cli_errors.py
def test_refused_key_through_the_script_prints_the_message_alone(gene_corpus, tmp_path):
    with ChatServer(lambda t, p: '{"GENE": []}') as srv:
        srv.script.extend([("status", 401)] * 100)
        args = ["configs/llm_local.cfg", gene_corpus / "dev.spacy", "--base-url", srv.base_url, "--cache",
                tmp_path / "cache", "--output", tmp_path / "metrics", "--components.llm.model.api_key_env", KEY_ENV,
                "--components.llm.model.progress_bar", "false"]
        quiet = script(*args)
        assert len(srv.log) == 1
        loud = script(*args, "--verbose")
    assert quiet.returncode == 1, quiet.stderr[-2000:]
    assert "refused the request with 401" in quiet.stderr and KEY_ENV in quiet.stderr
    assert "Traceback" not in quiet.stderr + quiet.stdout and SECRET not in quiet.stderr + quiet.stdout
    assert len(quiet.stderr.strip().splitlines()) <= 4  # the message, not ~200 lines
    assert loud.returncode == 1 and "Traceback" in loud.stderr
    assert not (tmp_path / "metrics").exists()



@pytest.mark.slow  # two fresh processes; one request in process: above; the message alone: test_cli_errors.py
def test_refused_key_through_annotate_prints_the_message_alone(tmp_path):
    """`python -m spacy_maize_ner annotate` with an LLM pipeline whose endpoint refuses the key."""
    with ChatServer(lambda t, p: '{"GENE": []}') as srv:
        srv.script.extend([("status", 401)] * 100)
        make_nlp(srv.base_url, concurrency=8).to_disk(tmp_path / "llm")
        src = tmp_path / "in.jsonl"
        src.write_text("".join(json.dumps({"id": str(i), "text": f"ZmCCT9 case {i} ."}) + "\n" for i in range(20)))
        env = {**os.environ, KEY_ENV: SECRET}
        cmd = [sys.executable, "-m", "spacy_maize_ner", "annotate", str(tmp_path / "llm"), str(src), str(tmp_path / "out.jsonl"),
               "--no-progress"]
        quiet = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert len(srv.log) == 1
        loud = subprocess.run(cmd + ["--verbose"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert quiet.returncode == 1, quiet.stderr[-2000:]
    said = quiet.stdout + quiet.stderr
    assert "refused the request with 401" in said and KEY_ENV in said, said
    assert "Traceback" not in said and SECRET not in said and "skipped" not in said
    assert len(said.strip().splitlines()) <= 8, said
    assert loud.returncode == 1 and "Traceback" in loud.stdout + loud.stderr
    assert not (tmp_path / "out.jsonl").exists()

# --- item 18: the cost of the answers, and what this run spent -----------------------------
def test_cached_rerun_reports_what_the_answers_cost(gene_corpus, tmp_path):
    from spacy_maize_ner.study.evaluation.llm import evaluate_llm

    price = {"input_per_million": 1.0, "output_per_million": 2.0, "currency": "USD"}
    with ChatServer(gold_answers(gene_corpus)) as srv:
        first = evaluate_llm(make_nlp(srv.base_url, cache_dir=str(tmp_path / "c"), price=price),
                             gene_corpus / "dev.spacy", name="first")["llm"]["cost"]
        sent = len(srv.log)
        again = evaluate_llm(make_nlp(srv.base_url, cache_dir=str(tmp_path / "c"), price=price),
                             gene_corpus / "dev.spacy", name="again")["llm"]["cost"]
        assert len(srv.log) == sent  # fully cached
    # Templated sentences repeat: the first run already reads some answers from the cache,
    # and every answer scored counts with the usage its request had.
    assert 0 < first["run_total_tokens"] <= first["total_tokens"]
    assert first["run_total_tokens"] < first["total_tokens"] or first["cache_hits"] == 0
    assert again["requests"] == 0 and again["run_total_tokens"] == 0 and again["run_price"] == 0.0
    for key in ("prompt_tokens", "completion_tokens", "total_tokens", "price", "tokens_per_1k_words", "price_per_1k_words"):
        assert again[key] == pytest.approx(first[key]) and again[key] > 0, key


def test_cache_entry_stores_its_usage(tmp_path):
    with ChatServer(lambda t, p: '{"GENE": ["ZmCCT9"]}') as srv:
        make_nlp(srv.base_url, cache_dir=str(tmp_path))("ZmCCT9 .")
    (entry,) = [json.loads(p.read_text()) for p in tmp_path.rglob("*.json")]
    assert entry["response"]["usage"]["prompt_tokens"] > 0 and entry["response"]["usage"]["completion_tokens"] > 0


# --- items 21, 22: no usage, unknown price -------------------------------------------------
def test_answers_without_usage_and_unknown_price_are_shown(gene_corpus, caplog):
    from spacy_maize_ner.study.evaluation.report import render_results
    from spacy_maize_ner.study.evaluation.llm import evaluate_llm

    with ChatServer(gold_answers(gene_corpus), usage=False) as srv:
        no_usage = evaluate_llm(make_nlp(srv.base_url, price={"input_per_million": 1.0, "output_per_million": 2.0}),
                                gene_corpus / "dev.spacy", name="llm-no-usage")
    with ChatServer(gold_answers(gene_corpus)) as srv:
        unpriced = evaluate_llm(make_nlp(srv.base_url, price={"input_per_million": None, "output_per_million": None}),
                                gene_corpus / "dev.spacy", name="llm-unpriced")
    cost = no_usage["llm"]["cost"]
    assert cost["answers_without_usage"] == no_usage["documents"] and cost["usage_complete"] is False
    assert unpriced["llm"]["cost"]["price"] is None and unpriced["llm"]["cost"]["price_per_1k_words"] is None
    assert unpriced["llm"]["cost"]["total_tokens"] > 0
    table = render_results([no_usage, unpriced]).split("## Table 5")[1]
    row = next(line for line in table.splitlines() if line.startswith("| llm-no-usage |"))
    assert row.endswith(f"| ≥ 0.0000 USD | {no_usage['documents']} | – |") and "| ≥ 0 |" in row
    assert "| unknown |" in next(line for line in table.splitlines() if line.startswith("| llm-unpriced |"))
    assert "Answers without usage" in table


def test_missing_price_table_is_unknown_not_zero():
    from spacy_maize_ner.llm.cost import PriceTable, cost_summary

    usage = {"prompt_tokens": 100, "completion_tokens": 10}
    assert cost_summary(usage, words=10, wall_seconds=1.0)["price"] is None
    assert cost_summary(usage, words=10, wall_seconds=1.0, price=PriceTable(0.0, 0.0, ""))["price"] == 0.0


def test_empty_answer_is_logged_with_the_document(caplog):
    with ChatServer(lambda t, p: "  ") as srv:
        nlp = make_nlp(srv.base_url)
        with caplog.at_level(logging.WARNING, logger="spacy_maize_ner.llm"):
            nlp("ZmCCT9 and Tb1 .")
    assert "empty answer" in caplog.text and "doc #0" in caplog.text


# --- items 19, 20: failed runs, sample names, local-server options --------------------------
def test_script_rows_failures_samples_and_local_server_options(gene_corpus, tmp_path):
    metrics = tmp_path / "metrics"
    common = ["--output", metrics, "--components.llm.model.progress_bar", "false"]
    with ChatServer(gold_answers(gene_corpus)) as srv:
        # vLLM/Ollama style: base_url, model, api and stop from the command line, zero-shot, no train.spacy.
        ok = script("configs/llm_local.cfg", gene_corpus / "dev.spacy", "--name", "llm-local-0shot", "--base-url",
                    srv.base_url, "--model", "qwen2.5:7b-instruct", "--api", "chat", "--stop", r"\n\n",
                    "--train", tmp_path / "missing.spacy", "--cache", tmp_path / "c1",
                    "--components.llm.model.api_key_env", KEY_ENV, *common)
        assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
        request = srv.log[0]
        assert request.headers["Authorization"] == f"Bearer {SECRET}"  # the key came from the environment
        assert SECRET not in ok.stdout + ok.stderr
        assert request.path == "/v1/chat/completions" and request.payload["model"] == "qwen2.5:7b-instruct"
        assert request.payload["stop"] == ["\n\n"]
        row = metrics / "llm-local-0shot.json"
        before = row.read_bytes()
        assert json.loads(before)["ents_f"] == pytest.approx(1.0)
        # A sample run gets its own row name and leaves the full run's row alone.
        sample = script("configs/llm_local.cfg", gene_corpus / "dev.spacy", "--name", "llm-local-0shot", "--sample", 3,
                        "--components.llm.model.base_url", srv.base_url, "--cache", tmp_path / "c1", *common)
        assert sample.returncode == 0, sample.stderr[-2000:]
        assert json.loads((metrics / "llm-local-0shot-sample3-s0.json").read_text())["documents"] == 3
        assert row.read_bytes() == before
        # Every request fails: exit 1, a clear message, and the earlier row is kept.
        srv.script.extend([("status", 500)] * 200)
        failed = script("configs/llm_local.cfg", gene_corpus / "dev.spacy", "--name", "llm-local-0shot", "--base-url",
                        srv.base_url, "--cache", tmp_path / "c2", "--components.llm.model.max_retries", 0, *common)
    assert failed.returncode == 1
    assert "got no answer" in failed.stderr and "was not written" in failed.stderr and "Traceback" not in failed.stderr
    assert row.read_bytes() == before
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.parent.parent.name == "c1" for p in written)  # cache entries, rows, sample DocBins
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.slow  # `spacy project run evaluate-llm` and `report-llm`
def test_llm_only_path_through_project_commands(root, tmp_path, gene_corpus):
    """docs/llm.md, "LLM only": evaluate-llm against a local server (no train.spacy), then report-llm."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(root / "project.yml", project / "project.yml")
    for name in ("configs", "scripts"):
        shutil.copytree(root / name, project / name)
    (project / "spacy_maize_ner").symlink_to(root / "spacy_maize_ner")
    (project / "corpus").mkdir()
    shutil.copy(gene_corpus / "dev.spacy", project / "corpus" / "dev.spacy")  # no train.spacy: zero-shot
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))

    def project_run(*args):
        return subprocess.run([sys.executable, "-m", "spacy", "project", "run", *args], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600)

    with ChatServer(gold_answers(gene_corpus)) as srv:
        run = project_run("evaluate-llm", ".", "--vars.llm_model", "local", "--vars.llm_base_url", srv.base_url,
                          "--vars.llm_model_id", "Qwen/Qwen2.5-7B-Instruct", "--vars.llm_api", "chat",
                          "--vars.llm_stop", r"\n\n")
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert srv.log[0].payload["model"] == "Qwen/Qwen2.5-7B-Instruct" and srv.log[0].payload["stop"] == ["\n\n"]
    report = project_run("report-llm", ".")
    assert report.returncode == 0, report.stdout[-3000:] + report.stderr[-3000:]
    text = (project / "reports" / "llm.md").read_text()
    assert "## Table 5: LLM pipelines" in text and "| llm-local-0shot | 0 | chat |" in text
