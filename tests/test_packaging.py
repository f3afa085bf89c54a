"""`spacy package` wheels install into a fresh environment and load with their custom code."""
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402
from fresh_venv import fresh_venv_with  # noqa: E402
from spacy_maize_ner.study.packaging import package_name, package_pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "encoder,expected",
    [
        ("dmis-lab/biobert-base-cased-v1.1", "maize_biobert"),
        ("bert-base-cased", "maize_bert"),
        ("assets/encoders/minilm", "maize_minilm"),
        ("training/encoders/minilm-dapt/", "maize_minilm_dapt"),
    ],
)
def test_package_name_follows_encoder(encoder, expected):
    assert package_name(encoder) == expected


@pytest.fixture(scope="module")
def wheels(tiny_bert, gene_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("trf-none")
    overrides = {"paths.train": str(gene_corpus / "train.spacy"), "paths.dev": str(gene_corpus / "dev.spacy"),
                 "paths.encoder": str(tiny_bert)}
    best = train_regime(ROOT / "configs" / "transformer.cfg", read_regime(ROOT / "configs" / "regimes" / "none.cfg"), out, overrides)
    metrics = out / "metrics.json"
    metrics.write_text(json.dumps({"ents_p": 0.5, "ents_r": 0.25, "ents_f": 0.3333, "split": "dev",
                                   "ents_per_type": {"GENE": {"p": 0.5, "r": 0.25, "f": 0.3333}}}))
    return package_pipeline(best, tmp_path_factory.mktemp("packages"), metrics_path=metrics, name="maize_tiny",
                            project_dir=ROOT)


@pytest.mark.slow  # builds wheels (pip wheel, spacy package); build_meta in process: test_naming.py
def test_meta_has_scores_labels_sources_and_licence(wheels):
    with zipfile.ZipFile(wheels[0]) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith("/meta.json") and n.count("/") == 2)
        meta = json.loads(zf.read(meta_name))
        requires = [line for line in zf.read(next(n for n in zf.namelist() if n.endswith("METADATA"))).decode().splitlines()
                    if line.startswith("Requires-Dist")]
    assert meta["name"] == "maize_tiny" and meta["performance"]["ents_f"] == pytest.approx(0.3333)
    assert meta["labels"]["ner"] == ["GENE"]
    assert meta["license"] and len(meta["sources"]) == 2 and "BC2GM" in meta["sources"][0]["name"]
    assert meta["maize_ner"]["regime"] == "none"
    # shipped default: one span per sentence, the sentencizer packaged in front of the transformer
    assert meta["maize_ner"]["inference"]["sentence_spans"] and not meta["maize_ner"]["inference"]["pack"]
    assert meta["pipeline"][:2] == ["maize_sentencizer", "transformer"]
    assert any("spacy-maize-ner" in line or "spacy_maize_ner" in line for line in requires), requires
    assert any("spacy-transformers" in line for line in requires), requires


@pytest.mark.slow  # a fresh venv with the wheels installed
def test_wheel_loads_in_fresh_environment(wheels, tmp_path):
    venv = tmp_path / "fresh"
    fresh_python = fresh_venv_with(wheels, venv)
    code = (
        "import spacy, spacy_maize_ner; nlp = spacy.load('en_maize_tiny'); "
        "doc = nlp('We cloned ZmCCT9 from the B73 inbred line .'); "
        "print(spacy_maize_ner.__file__); print(nlp.pipe_names, len(doc))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([str(fresh_python), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    module_file, pipes = result.stdout.strip().splitlines()[-2:]
    assert module_file.startswith(str(venv)), module_file
    assert pipes.startswith("['maize_sentencizer', 'transformer', 'ner']")


@pytest.mark.parametrize("architecture,changes", [
    ("spacy_maize_ner.Encoder.v1", True), ("spacy_maize_ner.PeftEncoder.v1", False), ("spacy_maize_ner.Decoder.v1", False),
])
def test_packaging_changes_the_spans_of_plain_encoder_pipelines_only(tmp_path, architecture, changes):
    from spacy_maize_ner.study.packaging import reads_spans

    (tmp_path / "config.cfg").write_text(
        f'[components]\n\n[components.transformer]\nfactory = "transformer"\n\n[components.transformer.model]\n@architectures = "{architecture}"\n')
    assert reads_spans(tmp_path) is changes
    (tmp_path / "config.cfg").write_text('[components]\n\n[components.crf_ner]\nfactory = "maize_crf_ner"\n')
    assert reads_spans(tmp_path) is False


def test_an_unknown_spans_choice_fails_naming_the_choices(tmp_path):
    with pytest.raises(ValueError, match="packed, sentences, strided"):
        package_pipeline(tmp_path, tmp_path / "out", spans="windows")
    assert not (tmp_path / "out").exists()  # refused before any work
