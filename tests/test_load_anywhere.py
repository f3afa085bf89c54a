"""Every pipeline family, packaged, loads and annotates in a fresh venv from an unrelated folder.

What a user does: `spacy project run package`, `pip install` the wheels on another machine
(here: a fresh venv), and from their own working folder `spacy.load("en_maize_...")` or
`python -m spacy_maize_ner annotate en_maize_... in.jsonl out.jsonl`. The encoder folder the
transformers were trained from (a relative path, as the workflow uses) is deleted before
anything is loaded, and the project folder is not the working folder. The entities, and for
transformers a digest of the encoder's output, must equal what the pipeline gave inside the
project. The families: CRF, HMM, dictionary, transformer (transition and token heads, int8),
LoRA (adapter-only and merged), decoder taggers (a fully fine-tuned decoder and LoRA adapters
on one), the generative tagger, and an LLM pipeline. Adapter-only packages need their base
by design: without it, loading fails with the one-paragraph message; with MAIZE_NER_ENCODERS
pointing at a folder of model folders, they load.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")
pytest.importorskip("peft")
pytest.importorskip("spacy_llm")

import spacy  # noqa: E402
from spacy.training import Example  # noqa: E402
from thinc.api import Config  # noqa: E402

from fresh_venv import fresh_venv_with  # noqa: E402
from llm_server import ChatServer  # noqa: E402
from spacy_maize_ner.corpus.nlp import make_blank_nlp  # noqa: E402
from spacy_maize_ner.study.training.regimes import read_regime  # noqa: E402
from spacy_maize_ner.study.training.train import train_regime  # noqa: E402
from spacy_maize_ner.study.packaging import package_pipeline  # noqa: E402
from spacy_maize_ner.peft.export import export_adapter, export_merged  # noqa: E402
from synthetic import make_docs  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["We cloned ZmCCT9 from the B73 inbred line .", "ZmMADS1 and ZmCCT9 were mapped on chromosome 2 ."]
ENCODER = "assets/encoders/tiny"  # relative, as the workflow names its encoders
DECODER = "assets/decoders/tinydec"  # a bare decoder, as provide-decoder writes one
DECODER_LM = "assets/decoders/tinylm"  # a decoder with its LM head, for the generative tagger
# Packages that carry adapters only, by design: each needs its base (MAIZE_NER_ENCODERS, or a name given at load time).
ADAPTER_ONLY = {"en_maize_load_lora_adapter": ENCODER, "en_maize_load_decoder_adapter": DECODER,
                "en_maize_load_generative": DECODER_LM}

# Entities and a digest of the encoder's output for the texts, here and inside the fresh venv.
PROBE_FN = r"""
def probe(nlp, texts):
    docs = list(nlp.pipe(texts))
    digest = None
    if docs[0].has_extension("trf_data") and docs[0]._.trf_data is not None:
        digest = round(float(sum(d._.trf_data.tensors[0].sum() for d in docs)), 3)
    return {"ents": [[[e.start_char, e.end_char, e.label_] for e in d.ents] for d in docs], "digest": digest}
"""
PROBE = PROBE_FN + r"""
import json, sys, spacy
texts, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {}
for name in names:
    try:
        nlp = spacy.load(name)
    except Exception as error:
        out[name] = {"error": f"{type(error).__name__}: {error}"}
        continue
    out[name] = probe(nlp, texts)
print(json.dumps(out))
"""
_scope: dict = {}
exec(PROBE_FN, _scope)


def probe_here(nlp):
    return _scope["probe"](nlp, TEXTS)


def trf_overrides(corpus: Path, **extra):
    values = {
        "paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy"), "paths.encoder": ENCODER,
        "training.max_steps": 12, "training.max_epochs": 0, "training.eval_frequency": 6,
        "training.logger.progress_bar": False, "training.batcher.size": 300,
        "training.optimizer.learn_rate.warmup_steps": 1, "training.optimizer.learn_rate.initial_rate": 0.01,
        "training.optimizer.learn_rate.final_rate": 0.01,
        "components.transformer.model.get_spans.window": 24, "components.transformer.model.get_spans.stride": 16,
    }
    values.update(extra)
    return values


def generative(corpus: Path, project: Path) -> Path:
    """A generative tagger (configs/generative.cfg's component) on the tiny causal LM, a few updates."""
    from spacy.tokens import DocBin

    nlp = make_blank_nlp()
    nlp.add_pipe("maize_generative_ner", name="ner", config={
        "base": DECODER_LM, "tag_texts": {"O": "O", "B-GENE": "B", "I-GENE": "I"}, "max_words": 16,
        "peft": {"@misc": "spacy_maize_ner.lora.v1", "r": 4, "alpha": 8, "dropout": 0.0,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "exclude_modules": []}})
    docs = list(DocBin().from_disk(corpus / "train.spacy").get_docs(nlp.vocab))[:12]
    train = [Example(nlp.make_doc(d.text), d) for d in docs]
    optimizer = nlp.initialize(lambda: train)
    for _ in range(3):
        nlp.update(train, sgd=optimizer)
    nlp.to_disk(project / "generative")
    return project / "generative"


def baseline(config_file: str, component: str, tmp: Path) -> Path:
    config = Config().from_disk(ROOT / "configs" / config_file)
    if component == "crf_ner":
        config["components"]["crf_ner"]["max_iterations"] = 30
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    train = make_docs(nlp.vocab, 80, seed=3)
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in train])
    nlp.to_disk(tmp / component)
    return tmp / component


@pytest.fixture(scope="module")
def built(tiny_bert, gene_corpus, tmp_path_factory):
    """Train every family inside a throwaway project, package each, then delete the encoder.

    RETURNS (dict): {"wheels": [...], "expected": {package: probe}, "base": a copy of the
    encoder outside the project, "project": the project folder}.
    """
    from tiny_decoder import write_tiny_causal_lm, write_tiny_decoder

    project = tmp_path_factory.mktemp("project")
    shutil.copytree(tiny_bert, project / ENCODER)
    write_tiny_decoder(project / DECODER, "qwen2")
    shutil.copytree(write_tiny_causal_lm(tmp_path_factory.mktemp("lm"), "qwen2"), project / DECODER_LM)
    here = Path.cwd()
    os.chdir(project)
    try:
        models = {
            "crf": baseline("crf.cfg", "crf_ner", project),
            "hmm": baseline("hmm.cfg", "maize_hmm_ner", project),
        }
        nlp = make_blank_nlp()
        nlp.add_pipe("maize_dictionary_ner").add_texts(["ZmCCT9", "ZmMADS1"])
        nlp.to_disk(project / "dictionary")
        models["dictionary"] = project / "dictionary"
        full = read_regime(ROOT / "configs" / "regimes" / "full.cfg")
        base_cfg = ROOT / "configs" / "transformer.cfg"
        models["trf_transition"] = train_regime(base_cfg, full, project / "training/trf-transition", trf_overrides(gene_corpus))
        models["trf_token"] = train_regime(base_cfg, full, project / "training/trf-token", trf_overrides(gene_corpus), head="token")
        lora = train_regime(base_cfg, read_regime(ROOT / "configs" / "regimes" / "lora.cfg"), project / "training/lora",
                            trf_overrides(gene_corpus, **{"components.transformer.model.peft.r": 4,
                                                         "training.optimizer.groups.adapters.learn_rate.warmup_steps": 1}))
        adapter = export_adapter(spacy.load(lora), project / "training/lora-adapter")
        models["lora_adapter"] = adapter
        models["lora_merged"] = export_merged(adapter, project / "training/lora-merged")
        decoders = ROOT / "configs" / "decoders"
        for family, regime in (("decoder_full", "decoder-full-bidirectional"), ("decoder_adapter", "decoder-lora-causal")):
            models[family] = train_regime(base_cfg, read_regime(decoders / f"{regime}.cfg"), project / f"training/{family}",
                                          trf_overrides(gene_corpus, **{"paths.encoder": DECODER}), head="token")
        models["generative"] = generative(gene_corpus, project)
        llm = make_blank_nlp()
        llm.add_pipe("llm", config={
            "task": {"@llm_tasks": "spacy_maize_ner.ExactNER.v1", "labels": "GENE"},
            "model": {"@llm_models": "spacy_maize_ner.OpenAICompatible.v1", "base_url": "http://127.0.0.1:9/v1",
                      "model": "test-model", "api_key_env": "", "progress_bar": False, "max_retries": 0,
                      "context_length": 4096}})
        llm.to_disk(project / "llm")
        models["llm"] = project / "llm"
        from spacy_maize_ner.encoders.quantize import write_cpu_pipeline

        # what `scripts/package.py --int8 --spans sentences` packages, loaded here for the expected output
        cpu = write_cpu_pipeline(models["trf_transition"], project / "training/trf-cpu")
        expected = {}
        for family, folder in models.items():
            if family != "llm":
                expected[f"en_maize_load_{family}"] = probe_here(spacy.load(folder))
        expected["en_maize_load_trf_cpu"] = probe_here(spacy.load(cpu))
        metrics = project / "metrics.json"
        metrics.write_text(json.dumps({"ents_p": 0.5, "ents_r": 0.5, "ents_f": 0.5, "split": "dev"}))
        packages = project / "packages"
        wheels = package_pipeline(models.pop("crf"), packages, metrics_path=metrics, name="maize_load_crf", project_dir=ROOT)
        for family, folder in models.items():
            wheels += package_pipeline(folder, packages, metrics_path=metrics, name=f"maize_load_{family}")
        wheels += package_pipeline(models["trf_transition"], packages, metrics_path=metrics, name="maize_load_trf_cpu",
                                   int8=True, spans="sentences")
    finally:
        os.chdir(here)
    shelf = tmp_path_factory.mktemp("models")
    for name in (ENCODER, DECODER, DECODER_LM):  # the encoders are gone from where training found them
        shutil.move(str(project / name), shelf / Path(name).name)
    return {"wheels": wheels, "expected": expected, "base": shelf / "tiny", "shelf": shelf, "project": project}


@pytest.fixture(scope="module")
def venv_python(built, tmp_path_factory):
    return fresh_venv_with(built["wheels"], tmp_path_factory.mktemp("fresh") / "venv")


def run_in(python, cwd, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MAIZE_NER_ENCODERS")}
    env.update(env_extra or {})
    return subprocess.run([str(python), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_saved_configs_keep_only_training_paths(built):
    """The encoder path stays in the config for the record (and to train again), but the meta says where it came from."""
    meta = json.loads((built["project"] / "training/trf-transition/model-best/meta.json").read_text())["maize_ner"]
    assert meta["encoder_origin"]["name"] == ENCODER and len(meta["encoder_origin"]["sha256"]) == 16


def test_every_family_loads_and_annotates_from_an_unrelated_folder(built, venv_python, tmp_path):
    assert not any((built["project"] / name).exists() for name in (ENCODER, DECODER, DECODER_LM))
    names = [n for n in built["expected"] if n not in ADAPTER_ONLY]
    assert {"en_maize_load_decoder_full", "en_maize_load_trf_token", "en_maize_load_crf"} <= set(names)
    result = run_in(venv_python, tmp_path, "-c", PROBE, json.dumps(TEXTS), json.dumps(names))
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    for name in names:
        assert got[name] == built["expected"][name], name
    assert any(got[n]["digest"] is not None for n in names)  # the transformer families were compared by their output
    assert any(any(doc) for n in names for doc in got[n]["ents"])  # and some families found entities
    assert got["en_maize_load_trf_cpu"]["digest"] != got["en_maize_load_trf_transition"]["digest"]  # int8 is in effect
    # annotate, the CLI users run on their literature, with the same packages
    records = tmp_path / "in.jsonl"
    records.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    for name in names:
        out = tmp_path / f"{name}.jsonl"
        result = run_in(venv_python, tmp_path, "-m", "spacy_maize_ner", "annotate", name, records, out)
        assert result.returncode == 0, (name, result.stderr[-3000:])
        spans = [[[e["start"], e["end"], e["label"]] for e in json.loads(line)["entities"]]
                 for line in out.read_text().splitlines()]
        assert spans == built["expected"][name]["ents"], name


def test_llm_package_loads_and_annotates_against_its_server(built, venv_python, tmp_path):
    text = TEXTS[0]
    with ChatServer(lambda doc, payload: '{"GENE": ["ZmCCT9"]}' if "ZmCCT9" in doc else '{"GENE": []}') as srv:
        code = ("import json, sys, spacy\n"
                "nlp = spacy.load('en_maize_load_llm', config={'components': {'llm': {'model': {'base_url': sys.argv[1]}}}})\n"
                "d = nlp(sys.argv[2])\n"
                "print(json.dumps([[e.start_char, e.end_char, e.label_] for e in d.ents]))\n")
        result = run_in(venv_python, tmp_path, "-c", code, srv.base_url, text)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [[10, 16, "GENE"]]
    assert not (tmp_path / "training").exists()  # loading wrote nothing into the user's folder


@pytest.mark.parametrize("name", sorted(ADAPTER_ONLY))
def test_adapter_only_package_needs_its_base_and_says_how_to_provide_it(built, venv_python, tmp_path, name):
    """LoRA on an encoder, LoRA on a decoder tagger, the generative tagger: without the base, one paragraph
    that names it and MAIZE_NER_ENCODERS; with MAIZE_NER_ENCODERS pointing at a folder of model folders
    (the right one among others), the same entities as inside the project."""
    result = run_in(venv_python, tmp_path, "-c", PROBE, json.dumps(TEXTS), json.dumps([name]))
    assert result.returncode == 0, result.stderr[-3000:]
    error = json.loads(result.stdout.strip().splitlines()[-1])[name]["error"]
    assert "MAIZE_NER_ENCODERS" in error and ADAPTER_ONLY[name] in error, error
    result = run_in(venv_python, tmp_path, "-c", PROBE, json.dumps(TEXTS), json.dumps([name]),
                    env_extra={"MAIZE_NER_ENCODERS": str(built["shelf"])})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])[name] == built["expected"][name]
