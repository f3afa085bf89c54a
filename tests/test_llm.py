"""LLM pipelines against a real local HTTP server (tests/llm_server.py): answers, spans,
retries, cache, concurrency, costs, secrets. No network, a few seconds."""
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("spacy_llm")

import spacy  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402

from llm_server import ChatServer  # noqa: E402

SECRET = "sk-maize-test-7f3a9c1e5b"
KEY_ENV = "MAIZE_LLM_TEST_KEY"
ROOT = Path(__file__).resolve().parents[1]


def gene_answer(table):
    """A server answer function: the JSON answer listed in `table` for each document text."""
    return lambda text, payload: table.get(text, '{"GENE": []}')


def make_nlp(base_url, *, task=None, sentencizer=False, **model):
    nlp = spacy.blank("en")
    if sentencizer:
        nlp.add_pipe("maize_sentencizer", name="sentencizer")
    config = {"@llm_models": "spacy_maize_ner.OpenAICompatible.v1", "base_url": base_url, "model": "test-model",
              "api_key_env": KEY_ENV, "retry_base_delay": 0.01, "retry_max_delay": 0.5, "timeout": 5,
              "progress_bar": False, "context_length": 100000}
    config.update(model)
    nlp.add_pipe("llm", config={"task": task or {"@llm_tasks": "spacy_maize_ner.ExactNER.v1", "labels": "GENE"},
                                "model": config})
    return nlp


def ents(doc):
    return [(e.start_char, e.end_char, e.text, e.label_) for e in doc.ents]


def stats(nlp):
    llm = nlp.get_pipe("llm")
    return llm._task.summary(), llm._model.stats.to_dict()


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)


def test_well_formed_answer_exact_offsets():
    text = "ZmCCT9 regulates flowering in maize ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9"]}'})) as srv:
        nlp = make_nlp(srv.base_url)
        doc = nlp(text)
        assert ents(doc) == [(0, 6, "ZmCCT9", "GENE")]
        task, usage = stats(nlp)
        assert task["parsed"] == 1 and task["share_parsed"] == 1.0
        assert usage["requests"] == 1 and usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
        request = srv.log[0]
        assert request.path == "/v1/chat/completions"
        assert request.payload["model"] == "test-model" and request.payload["temperature"] == 0.0
        assert request.headers["Authorization"] == f"Bearer {SECRET}"


def test_repeated_and_out_of_order_mentions_all_found():
    text = "Tb1 and ZmCCT9 interact ; ZmCCT9 represses Tb1 ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9", "Tb1"]}'})) as srv:  # out of order, once each
        doc = make_nlp(srv.base_url)(text)
    assert ents(doc) == [(0, 3, "Tb1", "GENE"), (8, 14, "ZmCCT9", "GENE"), (26, 32, "ZmCCT9", "GENE"),
                         (43, 46, "Tb1", "GENE")]


def test_chain_of_thought_answer_tags_every_occurrence_and_skips_false_ones():
    """spacy-llm's chain-of-thought list (`1. X | True | LABEL | why`), out of text order: our
    parser reads it and every occurrence is aligned, whatever the order of the answer; a line
    marked False is no mention. (spacy.NER.v3, given this answer, tags only the two occurrences
    after its forward-only cursor: why ExactNER.v1 exists.)"""
    text = "Tb1 and ZmCCT9 interact ; ZmCCT9 represses Tb1 in B73 ."
    cot = ("1. ZmCCT9 | True | GENE | a maize gene\n2. Tb1 | True | GENE | a maize gene\n"
           "3. B73 | False | GENE | an inbred line, not a gene")
    with ChatServer(lambda t, p: cot) as srv:
        nlp = make_nlp(srv.base_url)
        doc = nlp(text)
    assert ents(doc) == [(0, 3, "Tb1", "GENE"), (8, 14, "ZmCCT9", "GENE"), (26, 32, "ZmCCT9", "GENE"),
                         (43, 46, "Tb1", "GENE")]
    task, _ = stats(nlp)
    assert task["parsed"] == 1 and task["mentions_hallucinated"] == 0


def test_hallucinated_mentions_dropped_and_counted():
    text = "We cloned ZmCCT9 from B73 ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9", "ZmFOO1", "CCT9"]}'})) as srv:
        nlp = make_nlp(srv.base_url)
        doc = nlp(text)
    assert ents(doc) == [(10, 16, "ZmCCT9", "GENE")]
    task, _ = stats(nlp)
    assert task["mentions_hallucinated"] == 1  # ZmFOO1 is not in the text
    assert task["mentions_unaligned"] == 1  # CCT9 is inside the token ZmCCT9: not shortened
    assert doc.user_data["maize_llm"]["mentions_hallucinated"] == 1


def test_case_policy_exact_case_first():
    text = "IL-2 , il-2 and Zmcct9 ."
    with ChatServer(gene_answer({text: '{"GENE": ["IL-2", "ZmCCT9"]}'})) as srv:
        nlp = make_nlp(srv.base_url)
        doc = nlp(text)
    # IL-2 occurs in its exact case: the lower-cased one is not tagged for it; ZmCCT9 only by case.
    assert ents(doc) == [(0, 4, "IL-2", "GENE"), (16, 22, "Zmcct9", "GENE")]
    task, _ = stats(nlp)
    assert task["mentions_exact"] == 1 and task["mentions_case"] == 1


def test_whitespace_insensitive_match_at_token_boundaries():
    text = "levels of IL - 2 rose ."
    with ChatServer(gene_answer({text: '{"GENE": ["IL-2"]}'})) as srv:
        doc = make_nlp(srv.base_url)(text)
    assert ents(doc) == [(10, 16, "IL - 2", "GENE")]


@pytest.mark.parametrize("answer,status,expected", [
    ('{"GENE": ["ZmCCT9", "Tb1"', "malformed", 2),  # broken JSON: complete strings salvaged
    ("I am not sure which genes these are.", "malformed", 0),
    ("", "empty", 0),
    ("   \n", "empty", 0),
])
def test_malformed_and_empty_answers_counted_never_crash(answer, status, expected, caplog):
    text = "ZmCCT9 and Tb1 ."
    with ChatServer(lambda t, p: answer) as srv:
        nlp = make_nlp(srv.base_url)
        with caplog.at_level(logging.WARNING, logger="spacy_maize_ner.llm"):
            doc = nlp(text)
    assert len(doc.ents) == expected
    task, _ = stats(nlp)
    assert task[status] == 1 and task["share_parsed"] == 0.0
    if status == "malformed":
        assert "doc #0" in caplog.text and "malformed" in caplog.text


def test_truncated_answer_logged_and_counted(caplog):
    text = "ZmCCT9 and Tb1 ."
    with ChatServer(lambda t, p: ('{"GENE": ["ZmCCT9", "Tb', "length")) as srv:
        nlp = make_nlp(srv.base_url)
        with caplog.at_level(logging.WARNING, logger="spacy_maize_ner.llm"):
            doc = nlp(text)
    assert ents(doc) == [(0, 6, "ZmCCT9", "GENE")]  # the complete mention is kept, the cut one is not
    task, _ = stats(nlp)
    assert task["truncated"] == 1
    assert "truncated" in caplog.text and "doc #0" in caplog.text


def test_429_then_success_honours_retry_after():
    text = "ZmCCT9 ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9"]}'})) as srv:
        srv.script.extend([("status", 429, 0.3)])
        nlp = make_nlp(srv.base_url)
        doc = nlp(text)
        assert ents(doc) == [(0, 6, "ZmCCT9", "GENE")]
        assert len(srv.log) == 2 and srv.log[1].time - srv.log[0].time >= 0.3
    _, usage = stats(nlp)
    assert usage["retries"] == 1 and usage["retry_reasons"] == {"http_429": 1} and usage["requests"] == 2


def test_5xx_retried_then_success():
    text = "ZmCCT9 ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9"]}'})) as srv:
        srv.script.extend([("status", 500), ("status", 503), ("status", 502)])
        nlp = make_nlp(srv.base_url)
        assert len(nlp(text).ents) == 1
    _, usage = stats(nlp)
    assert usage["retries"] == 3 and usage["failed"] == 0


def test_retries_exhausted_counted_not_cached(tmp_path, caplog):
    text = "ZmCCT9 ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9"]}'})) as srv:
        srv.script.extend([("status", 500)] * 3)
        nlp = make_nlp(srv.base_url, max_retries=2, cache_dir=str(tmp_path / "cache"))
        with caplog.at_level(logging.WARNING, logger="spacy_maize_ner.llm"):
            doc = nlp(text)
        assert len(doc.ents) == 0
        task, usage = stats(nlp)
        assert usage["failed"] == 1 and task["failed"] == 1 and "no answer" in caplog.text
        again = make_nlp(srv.base_url, max_retries=2, cache_dir=str(tmp_path / "cache"))(text)
        assert len(again.ents) == 1 and len(srv.log) == 4  # the failure was not cached


def test_timeout_and_dropped_connection_retried():
    text = "ZmCCT9 ."
    with ChatServer(gene_answer({text: '{"GENE": ["ZmCCT9"]}'})) as srv:
        srv.script.extend([("sleep", 1.5), ("drop",), ("cut",)])
        nlp = make_nlp(srv.base_url, timeout=0.5)
        assert len(nlp(text).ents) == 1
    _, usage = stats(nlp)
    assert usage["retry_reasons"] == {"timeout": 1, "connection": 2}


def test_auth_error_raises_with_env_var_name_and_no_key():
    with ChatServer(lambda t, p: "{}") as srv:
        srv.script.append(("status", 401))
        nlp = make_nlp(srv.base_url)
        with pytest.raises(Exception) as info:
            nlp("ZmCCT9 .")
    assert KEY_ENV in str(info.value) and SECRET not in str(info.value)


def test_missing_key_variable_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with ChatServer(lambda t, p: "{}") as srv:
        with pytest.raises(Exception, match=KEY_ENV):
            make_nlp(srv.base_url)("ZmCCT9 .")
        assert srv.log == []


def test_key_itself_in_config_is_refused():
    with pytest.raises(Exception, match="NAME of the environment variable"):
        make_nlp("http://127.0.0.1:9/v1", api_key_env=SECRET)


def test_cache_hit_on_rerun_makes_no_request_and_changed_model_misses(tmp_path, monkeypatch):
    texts = ["ZmCCT9 and Tb1 .", "Tb1 alone .", "No gene here ."]
    table = {texts[0]: '{"GENE": ["ZmCCT9", "Tb1"]}', texts[1]: '{"GENE": ["Tb1"]}'}
    cache = str(tmp_path / "cache")
    with ChatServer(gene_answer(table)) as srv:
        cold = make_nlp(srv.base_url, cache_dir=cache)
        first = [ents(d) for d in cold.pipe(texts)]
        assert len(srv.log) == 3
        _, paid = stats(cold)
        monkeypatch.delenv(KEY_ENV)  # a warm cache needs no key
        nlp = make_nlp(srv.base_url, cache_dir=cache)
        assert [ents(d) for d in nlp.pipe(texts)] == first
        assert len(srv.log) == 3  # zero requests
        _, usage = stats(nlp)
        assert usage["cache_hits"] == 3 and usage["requests"] == 0
        # This run spent nothing; the answers still cost what the first run paid for them.
        assert usage["run_prompt_tokens"] == 0 and usage["run_completion_tokens"] == 0
        assert (usage["prompt_tokens"], usage["completion_tokens"]) == (paid["prompt_tokens"], paid["completion_tokens"])
        assert paid["prompt_tokens"] == paid["run_prompt_tokens"] > 0
        monkeypatch.setenv(KEY_ENV, SECRET)
        other = make_nlp(srv.base_url, cache_dir=cache, model="other-model")
        list(other.pipe(texts))
        assert len(srv.log) == 6 and {r.payload["model"] for r in srv.log[3:]} == {"other-model"}
        hotter = make_nlp(srv.base_url, cache_dir=cache, temperature=0.7)  # changed parameters miss too
        list(hotter.pipe(texts))
        assert len(srv.log) == 9


def test_cache_writes_are_atomic_files(tmp_path):
    from spacy_maize_ner.llm.cache import ResponseCache

    cache = ResponseCache(tmp_path)
    cache.put("ab" + "0" * 62, {"response": {"text": "x"}})
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["ab" + "0" * 62 + ".json"]
    (tmp_path / "cd").mkdir()
    (tmp_path / "cd" / ("cd" + "0" * 62 + ".json")).write_text('{"resp')  # a damaged entry
    assert cache.get("cd" + "0" * 62) is None


def test_concurrency_never_above_limit():
    texts = [f"Gene{i} is here ." for i in range(12)]
    with ChatServer(lambda t, p: json.dumps({"GENE": [t.split()[0]]}), delay=0.15) as srv:
        nlp = make_nlp(srv.base_url, concurrency=3)
        start = time.perf_counter()
        docs = list(nlp.pipe(texts, batch_size=12))
        seconds = time.perf_counter() - start
        assert srv.max_in_flight == 3  # never above, and the limit is used
    assert [d.ents[0].text for d in docs] == [t.split()[0] for t in texts]  # answers stay in order
    assert seconds < 12 * 0.15  # requests overlapped


def test_completions_endpoint_for_base_models():
    text = "ZmCCT9 ."
    with ChatServer(gene_answer({text: ' {"GENE": ["ZmCCT9"]}'})) as srv:
        nlp = make_nlp(srv.base_url, api="completions", stop=["\n"])
        assert len(nlp(text).ents) == 1
        request = srv.log[0]
    assert request.path == "/v1/completions" and request.payload["prompt"].endswith("Answer:")
    assert request.payload["stop"] == ["\n"]


def test_inline_answer_keeps_positions():
    text = "ZmCCT9 binds ZmCCT9 promoters of IL - 2 ."
    # The model marks only the second ZmCCT9 and wrote "IL-2" without the tokeniser's spaces.
    answer = "ZmCCT9 binds <GENE>ZmCCT9</GENE> promoters of <GENE>IL-2</GENE> ."
    with ChatServer(lambda t, p: answer) as srv:
        nlp = make_nlp(srv.base_url, task={"@llm_tasks": "spacy_maize_ner.ExactNER.v1", "answer_format": "inline"})
        doc = nlp(text)
        assert "<GENE>mention</GENE>" in srv.log[0].payload["messages"][-1]["content"]
    assert ents(doc) == [(13, 19, "ZmCCT9", "GENE"), (33, 39, "IL - 2", "GENE")]


def test_long_abstract_split_by_sentence():
    sentences = [f"Sentence {i} names ZmGene{i} in maize ." for i in range(8)]
    text = " ".join(sentences)
    with ChatServer(lambda t, p: json.dumps({"GENE": [w for w in t.split() if w.startswith("ZmGene")]})) as srv:
        nlp = make_nlp(srv.base_url, sentencizer=True, context_length=450)
        doc = nlp(text)
        n_requests = len(srv.log)
    assert 1 < n_requests <= 8
    assert [e.text for e in doc.ents] == [f"ZmGene{i}" for i in range(8)]
    assert all(doc.text[e.start_char:e.end_char] == e.text for e in doc.ents)
    assert stats(nlp)[0]["sharded_docs"] == 1


def test_fewshot_examples_seeded_from_training_docbin(gene_corpus):
    from spacy_maize_ner.llm.examples import sample_examples

    a = sample_examples(gene_corpus / "train.spacy", k=3, seed=0)
    b = sample_examples(gene_corpus / "train.spacy", k=3, seed=0)
    c = sample_examples(gene_corpus / "train.spacy", k=3, seed=1)
    assert a == b and a != c and len(a) == 3
    for example in a:
        for label, mentions in example["mentions"].items():
            for mention in mentions:
                assert mention in example["text"] and f"<{label}>{mention}</{label}>" in example["marked"]
    task = {"@llm_tasks": "spacy_maize_ner.ExactNER.v1",
            "examples": {"@misc": "spacy_maize_ner.FewShotDocBin.v1", "path": str(gene_corpus / "train.spacy"), "k": 3}}
    with ChatServer(lambda t, p: '{"GENE": []}') as srv:
        make_nlp(srv.base_url, task=task)("ZmCCT9 .")
        prompt = srv.log[0].payload["messages"][-1]["content"]
    assert prompt.count("Text: ") == 4 and a[0]["text"] in prompt


def test_evaluate_with_spacy_scorer_and_cost(gene_corpus):
    from spacy_maize_ner.study.evaluation.llm import evaluate_llm

    gold = {}
    for doc in DocBin().from_disk(gene_corpus / "dev.spacy").get_docs(spacy.blank("en").vocab):
        gold[doc.text.strip()] = json.dumps({"GENE": [e.text for e in doc.ents]})
    with ChatServer(gene_answer(gold)) as srv:
        nlp = make_nlp(srv.base_url, price={"input_per_million": 1.0, "output_per_million": 2.0})
        metrics = evaluate_llm(nlp, gene_corpus / "dev.spacy", name="llm-test")
    assert metrics["ents_f"] == pytest.approx(1.0)  # a perfect answer scores perfectly
    cost = metrics["llm"]["cost"]
    assert cost["requests"] == metrics["documents"] and cost["total_tokens"] > 0
    assert cost["price"] == pytest.approx((cost["prompt_tokens"] * 1 + cost["completion_tokens"] * 2) / 1e6)
    assert cost["tokens_per_1k_words"] == pytest.approx(cost["total_tokens"] * 1000 / metrics["words"])
    assert metrics["llm"]["answers"]["share_parsed"] == 1.0


def test_no_key_in_any_written_file(tmp_path, gene_corpus, caplog):
    """Cache, saved pipeline, metrics, logs, save_io and doc.user_data never hold the key."""
    from spacy_maize_ner.study.evaluation.llm import evaluate_llm

    out = tmp_path / "out"
    handler = logging.FileHandler(tmp_path / "run.log")
    logging.getLogger().addHandler(handler)
    logging.getLogger("spacy_maize_ner.llm").setLevel(logging.DEBUG)
    logging.getLogger("spacy_llm").setLevel(logging.DEBUG)
    try:
        with ChatServer(lambda t, p: '{"GENE": ["ZmCCT9", "nope"]}') as srv:
            srv.script.extend([("status", 429, 0), ("status", 401)])
            nlp = make_nlp(srv.base_url, cache_dir=str(out / "cache"))
            nlp.get_pipe("llm")._save_io = True
            with pytest.raises(Exception) as info:
                nlp("ZmCCT9 .")
            (out / "error.txt").parent.mkdir(parents=True, exist_ok=True)
            (out / "error.txt").write_text(repr(info.value) + str(info.value))
            metrics = evaluate_llm(nlp, gene_corpus / "dev.spacy", name="secret-scan")
            (out / "metrics.json").write_text(json.dumps(metrics))
            docs = list(nlp.pipe(["ZmCCT9 is a gene ."]))
            DocBin(docs=docs, store_user_data=True).to_disk(out / "docs.spacy")
            (out / "user_data.txt").write_text(repr([d.user_data for d in docs]))
            nlp.to_disk(out / "pipeline")
            assert srv.log[-1].headers["Authorization"] == f"Bearer {SECRET}"  # the key was used
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    (out / "caplog.txt").write_text(caplog.text)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 10 and any("cache" in p.parts for p in written)
    for path in written:
        data = path.read_bytes()
        assert SECRET.encode() not in data, path
        assert KEY_ENV.encode() not in data or path.name in ("config.cfg", "error.txt", "caplog.txt", "run.log"), path


@pytest.mark.slow  # two fresh processes (spacy evaluate, spacy package); names resolve by entry point: test_entry_points.py
def test_saved_pipeline_loads_evaluates_and_packages_in_fresh_processes(tmp_path, gene_corpus):
    """`spacy evaluate` in a fresh process (entry points alone resolve the model and the task)
    and `spacy package` work on the saved pipeline, and no file written holds the key."""
    gold = {}
    for doc in DocBin().from_disk(gene_corpus / "dev.spacy").get_docs(spacy.blank("en").vocab):
        gold[doc.text.strip()] = json.dumps({"GENE": [e.text for e in doc.ents]})
    env = {**os.environ, KEY_ENV: SECRET}
    with ChatServer(gene_answer(gold)) as srv:
        make_nlp(srv.base_url).to_disk(tmp_path / "pipe")
        evaluated = subprocess.run([sys.executable, "-m", "spacy", "evaluate", str(tmp_path / "pipe"),
                                    str(gene_corpus / "dev.spacy"), "--output", str(tmp_path / "scores.json")],
                                   capture_output=True, text=True, env=env, cwd=tmp_path)
        assert evaluated.returncode == 0, evaluated.stdout[-2000:] + evaluated.stderr[-2000:]
    assert json.loads((tmp_path / "scores.json").read_text())["ents_f"] == pytest.approx(1.0)
    (tmp_path / "pkg").mkdir()
    packaged = subprocess.run([sys.executable, "-m", "spacy", "package", str(tmp_path / "pipe"), str(tmp_path / "pkg"),
                               "--build", "none", "--name", "maize_llm", "--version", "0.0.1"],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
    assert packaged.returncode == 0, packaged.stdout[-2000:] + packaged.stderr[-2000:]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "task.json" for p in written)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("llm_*.cfg")), ids=lambda p: p.name)
def test_llm_configs_build_without_network(path, tmp_path):
    from spacy_maize_ner.study.evaluation.llm import load_llm_pipeline

    text = path.read_text()
    assert "sk-" not in text
    nlp = load_llm_pipeline(path, {"paths.train": str(tmp_path / "missing.spacy"), "paths.cache": str(tmp_path)})
    model = nlp.get_pipe("llm")._model
    assert model.base_url.startswith(("https://", "http://127.0.0.1")) and model.model
    assert model.api_key_env == "" or model.api_key_env.isupper()
    assert model.price.currency in ("USD", "CNY", "")


@pytest.mark.slow  # `spacy project run`; evaluate_llm and render_results in process: test_evaluate_with_spacy_scorer_and_cost
def test_project_command_evaluate_llm_and_report(root, tmp_path, gene_corpus):
    """`spacy project run evaluate-llm` against the local server, then the report's LLM table."""
    import shutil

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(root / "project.yml", project / "project.yml")
    for name in ("configs", "scripts"):
        shutil.copytree(root / name, project / name)
    (project / "spacy_maize_ner").symlink_to(root / "spacy_maize_ner")
    (project / "corpus").mkdir()
    for split in ("train", "dev"):
        shutil.copy(gene_corpus / f"{split}.spacy", project / "corpus" / f"{split}.spacy")
    gold = {}
    for doc in DocBin().from_disk(gene_corpus / "dev.spacy").get_docs(spacy.blank("en").vocab):
        gold[doc.text.strip()] = json.dumps({"GENE": [e.text for e in doc.ents][:1]})  # finds the first only
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    with ChatServer(gene_answer(gold)) as srv:
        run = subprocess.run([sys.executable, "-m", "spacy", "project", "run", "evaluate-llm", ".",
                              "--vars.llm_model", "local", "--vars.llm_shots", "2", "--vars.llm_base_url", srv.base_url],
                             cwd=project, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert srv.log[0].path == "/v1/completions" and srv.log[0].payload["prompt"].count("Text: ") == 3
    metrics = json.loads((project / "training/metrics/llm-local-2shot.json").read_text())
    assert 0 < metrics["ents_r"] < 1 and metrics["ents_p"] == pytest.approx(1.0)
    cost = metrics["llm"]["cost"]  # templated sentences repeat: the cache answers the repeats
    assert metrics["llm"]["shots"] == 2 and cost["requests"] + cost["cache_hits"] == metrics["documents"]

    from spacy_maize_ner.study.evaluation.report import render_results

    report = render_results([metrics])
    assert "## Table 5: LLM pipelines" in report and "| llm-local-2shot | 2 | completions |" in report
    assert "| llm-local-2shot |" in report.split("## Table 5")[0]  # a row of Table 1 too
