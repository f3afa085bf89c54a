"""A LoRA pipeline packaged adapter-only and merged installs into a fresh venv and predicts as trained."""
import json
import os
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")
pytest.importorskip("peft")

import spacy  # noqa: E402

from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402
from fresh_venv import fresh_venv_with  # noqa: E402
from spacy_maize_ner.study.packaging import package_pipeline  # noqa: E402
from spacy_maize_ner.peft.export import export_adapter, export_merged, folder_size  # noqa: E402
from tiny_training import overrides  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["We cloned ZmCCT9 from the B73 inbred line .", "ZmMADS1 and ZmCCT9 were mapped on chromosome 2 ."]


def entities(nlp):
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(TEXTS)]


@pytest.fixture(scope="module")
def lora_pipeline(tiny_bert, gene_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("trf-lora")
    values = overrides(gene_corpus, tiny_bert, **{"components.transformer.model.peft.r": 4,
                                                  "training.optimizer.groups.adapters.learn_rate.warmup_steps": 1})
    return train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "lora.cfg"),
                        out, values)


def test_train_regime_records_peft_facts(lora_pipeline):
    meta = json.loads((lora_pipeline / "meta.json").read_text())["maize_ner"]
    assert meta["regime"] == "lora" and meta["peft"]["method"] == "lora" and meta["peft"]["settings"]["r"] == 4
    assert meta["peft"]["trainable"] == meta["peft"]["peft_trainable"] > 0
    assert meta["peft"]["transformer_bytes"] == folder_size(lora_pipeline / "transformer")


@pytest.mark.slow  # two wheels and a fresh venv; the exports in process: test_peft.py
def test_adapter_only_and_merged_packages_in_a_fresh_venv(lora_pipeline, tmp_path):
    nlp = spacy.load(lora_pipeline)
    expected = entities(nlp)
    adapter = export_adapter(nlp, tmp_path / "adapter")
    merged = export_merged(adapter, tmp_path / "merged")
    assert entities(spacy.load(merged)) == expected
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"ents_p": 0.1, "ents_r": 0.1, "ents_f": 0.1, "split": "dev"}))
    wheels = package_pipeline(adapter, tmp_path / "packages", metrics_path=metrics, name="maize_tiny_lora", project_dir=ROOT)
    wheels += package_pipeline(merged, tmp_path / "packages", metrics_path=metrics, name="maize_tiny_lora_merged")
    venv = tmp_path / "fresh"
    fresh_python = fresh_venv_with(wheels, venv)
    code = (
        "import json, sys, warnings, spacy, spacy_maize_ner\n"
        "warnings.simplefilter('error', UserWarning)\n"
        f"texts = {TEXTS!r}\n"
        "out = {}\n"
        "for name in ('en_maize_tiny_lora', 'en_maize_tiny_lora_merged'):\n"
        "    nlp = spacy.load(name)\n"
        "    out[name] = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]\n"
        "    out[name + ':arch'] = nlp.config['components']['transformer']['model']['@architectures']\n"
        "print(spacy_maize_ner.__file__)\n"
        "print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(fresh_python), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    module_file, payload = result.stdout.strip().splitlines()[-2:]
    assert module_file.startswith(str(venv)), module_file
    out = json.loads(payload)
    assert out["en_maize_tiny_lora:arch"] == "spacy_maize_ner.PeftEncoder.v1"
    assert out["en_maize_tiny_lora_merged:arch"] == "spacy_maize_ner.Encoder.v1"
    as_lists = [[list(e) for e in doc] for doc in expected]
    assert out["en_maize_tiny_lora"] == as_lists
    assert out["en_maize_tiny_lora_merged"] == as_lists
    assert wheels[0].stat().st_size < wheels[-1].stat().st_size  # adapter-only wheel smaller than merged
