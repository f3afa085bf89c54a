"""The hosted LLM configs say when their model id and price were checked and where from,
never invent a price, and keep the reference study's five models reachable (issue 28, item 22)."""
import re
from pathlib import Path

import pytest

pytest.importorskip("spacy_llm")

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("llm_*.cfg"))
STUDY = ("deepseek-v3.2", "deepseek-v3.1-terminus", "qwen3-next-80b-a3b-instruct", "kimi-k2-instruct-0905",
         "qwen2.5-72b-instruct")
# Provider facts as read on 2026-12-03 (issue 28): retired ids no config may still send to the provider.
RETIRED = {"https://api.deepseek.com": {"deepseek-chat", "deepseek-reasoner"},
           "https://api.moonshot.ai/v1": {"kimi-k2-0905-preview"}}


def model_block(path):
    from spacy_maize_ner.study.evaluation.llm import load_llm_pipeline

    nlp = load_llm_pipeline(path, {"paths.train": "missing.spacy", "paths.cache": str(ROOT / "training" / "llm" / "never")})
    return nlp.get_pipe("llm")._model


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_records_when_model_and_price_were_checked(path):
    header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    assert re.search(r"20\d\d-\d\d-\d\d", header), f"{path.name}: no date for the model id and price"
    assert "issue" in header  # the source of the facts
    model = model_block(path)
    assert model.model in header, f"{path.name}: the model id is not named in the header"
    if not model.price.known:
        assert "not checked" in header
    if "openrouter.ai" in model.base_url:
        assert "OpenRouter id" in header or "OpenRouter model id" in header


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_no_retired_model_id_sent_to_its_provider(path):
    model = model_block(path)
    assert model.model not in RETIRED.get(model.base_url, set()), f"{path.name}: {model.model} was retired"


def test_study_models_and_current_provider_models_have_configs():
    names = {p.stem[len("llm_"):] for p in CONFIGS}
    assert set(STUDY) <= names
    assert {"deepseek-v4-flash", "deepseek-v4-pro", "kimi-k2.6"} <= names
    assert model_block(ROOT / "configs" / "llm_deepseek-v4-flash.cfg").price.known is False
