"""PEFT encoders (spacy_maize_ner.PeftEncoder.v1): LoRA, prompt and prefix tuning on the tiny BERT."""
import re
import shutil
import warnings
from pathlib import Path

import numpy
import pytest

pytest.importorskip("spacy_transformers")
pytest.importorskip("peft")

import spacy  # noqa: E402
import torch  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402
from spacy.training import Example  # noqa: E402
from spacy.training.initialize import init_nlp  # noqa: E402
from spacy.util import load_config, load_config_from_str, registry  # noqa: E402

from spacy_maize_ner.study.training.regimes import apply_blocks, compose_config, group_rate, read_regime, split_blocks  # noqa: E402
from spacy_maize_ner.peft.architecture import peft_shim  # noqa: E402
from spacy_maize_ner.peft.export import export_adapter, export_merged, folder_size, trainable_parameters  # noqa: E402
from spacy_maize_ner.peft.methods import ADAPTER_PATTERN  # noqa: E402
from spacy_maize_ner.peft.module import PeftTransformer  # noqa: E402
from spacy_maize_ner.peft.shim import PeftLoadError  # noqa: E402
from tiny_training import overrides  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "transformer.cfg"
REGIMES = ROOT / "configs" / "regimes"
TOKEN = ROOT / "configs" / "heads" / "token.cfg"
METHODS = ["lora", "prompt", "prefix"]
# Short prompts: the tiny BERT has 160 positions and the test windows are 24 words.
SMALL = {"prompt": {"components.transformer.model.peft.num_virtual_tokens": 10},
         "prefix": {"components.transformer.model.peft.num_virtual_tokens": 6},
         "lora": {"components.transformer.model.peft.r": 4}}
TEXT = "We cloned ZmCCT9 from the B73 inbred line and mapped ZmMADS1 on chromosome 2 ."


def regime_tree(regime, head=None):
    """The base config with the regime's whole blocks set, and its remaining dotted overrides."""
    spec = read_regime(REGIMES / f"{regime}.cfg")
    tree = compose_config(CONFIG, head)
    blocks, rest = split_blocks(tree, spec.overrides)
    return apply_blocks(tree, blocks), rest


def build(regime, tiny_bert, gene_corpus, tmp_path, head=None, **extra):
    """The initialised pipeline and its optimizer, configured as train_regime would."""
    tree, rest = regime_tree(regime, head)
    path = tmp_path / f"{regime}.cfg"
    tree.to_disk(path)
    # constant rates (the schedules' first value is 0 during warm-up and tests take single steps)
    rates = {"training.optimizer.groups.adapters.learn_rate": 0.01, "training.optimizer.groups.head.learn_rate": 0.001}
    values = {**overrides(gene_corpus, tiny_bert), **rest, **rates, **SMALL.get(regime, {}), **extra}
    config = load_config(path, overrides=values, interpolate=False).interpolate()
    nlp = init_nlp(config)
    optimizer = registry.resolve({"optimizer": config["training"]["optimizer"]})["optimizer"]
    return nlp, optimizer


def examples(nlp, gene_corpus, n=16):
    docs = list(DocBin().from_disk(gene_corpus / "train.spacy").get_docs(nlp.vocab))[:n]
    return [Example(nlp.make_doc(d.text), d) for d in docs]


def step(nlp, optimizer, batch):
    nlp.update(batch, sgd=False)
    for _, component in nlp.pipeline:
        component.finish_update(optimizer)


def split_weights(nlp):
    wrapped = peft_shim(nlp.get_pipe("transformer").model)._model
    base, adapter = {}, {}
    for name, param in wrapped.named_parameters():
        (adapter if re.search(ADAPTER_PATTERN, name) else base)[name] = param.detach().clone()
    return base, adapter


def hidden(nlp, text=TEXT):
    doc = nlp(text)
    return doc, doc._.trf_data.model_output.last_hidden_state


@pytest.mark.parametrize("regime", METHODS)
def test_base_frozen_adapters_learn_and_optimizer_sees_nothing_else(tiny_bert, gene_corpus, tmp_path, regime):
    nlp, optimizer = build(regime, tiny_bert, gene_corpus, tmp_path)
    base_before, adapter_before = split_weights(nlp)
    seen = []

    def record(key, weights, gradient, **kwargs):
        seen.append((key, weights.size))
        return optimizer(key, weights, gradient, **kwargs)

    batch = examples(nlp, gene_corpus)
    for _ in range(3):
        step(nlp, _Recording(optimizer, record), batch)
    base_after, adapter_after = split_weights(nlp)
    assert base_after.keys() == base_before.keys() and base_before
    for name, before in base_before.items():
        assert torch.equal(before, base_after[name]), f"base weight {name} changed"
    assert any(not torch.equal(adapter_before[n], adapter_after[n]) for n in adapter_before), "no adapter weight changed"
    # the optimizer saw adapter parameters of the shim and the head's thinc parameters only
    shim = peft_shim(nlp.get_pipe("transformer").model)
    shim_keys = {key for key, _ in seen if key[0] == shim.id}
    assert shim_keys and all(re.search(ADAPTER_PATTERN, name) for _, name in shim_keys), shim_keys
    head_ids = {node.id for node in nlp.get_pipe("ner").model.walk()}
    assert all(key[0] in head_ids for key, _ in seen if key[0] != shim.id)
    # trainable-parameter count: ours == peft's == what the optimizer updated
    counts = trainable_parameters(nlp)
    peft_count, _ = shim.peft_model.get_nb_trainable_parameters()
    assert counts["trainable"] == peft_count == sum(dict((k, n) for k, n in seen if k[0] == shim.id).values())
    assert 0 < counts["percent"] < 100


class _Recording:
    """An optimizer stand-in that records each call and delegates to the real one."""

    def __init__(self, optimizer, record):
        self._optimizer, self._record = optimizer, record

    def __call__(self, key, weights, gradient, **kwargs):
        return self._record(key, weights, gradient, **kwargs)

    def __getattr__(self, name):
        return getattr(self._optimizer, name)


@pytest.mark.parametrize("head", [None, TOKEN], ids=["transition", "token"])
@pytest.mark.parametrize("regime", METHODS)
def test_adapters_and_head_get_their_configured_rates(tiny_bert, gene_corpus, tmp_path, regime, head):
    """Adam's first step moves each weight by about its rate: adapters 0.02, head 0.001."""
    adapter_rate, head_rate = 0.02, 0.001
    nlp, optimizer = build(regime, tiny_bert, gene_corpus, tmp_path, head,
                           **{"training.optimizer.L2": 0.0,
                              "training.optimizer.groups.adapters.learn_rate": adapter_rate,
                              "training.optimizer.groups.head.learn_rate": head_rate})
    _, before = split_weights(nlp)
    step(nlp, optimizer, examples(nlp, gene_corpus))
    _, after = split_weights(nlp)
    assert optimizer.last_rates == {"adapters": adapter_rate, "head": head_rate}
    moved = max(float((after[n] - before[n]).abs().max()) for n in before)
    assert adapter_rate * 0.9 <= moved <= adapter_rate * 1.01, moved
    # and the pipeline with this head predicts (every head works with every method)
    assert nlp(TEXT).has_annotation("ENT_IOB")


@pytest.mark.parametrize("regime", METHODS)
def test_peft_regimes_give_head_and_adapters_the_rates_their_benchmarks_measured(regime):
    """The workflow trains what peft.json measured: the head at 1e-3 beside a frozen encoder.

    The base config's head rate (2e-4) is tuned for full fine-tuning; a PEFT regime that
    inherited it would ship an unmeasured setting.
    """
    spec = read_regime(REGIMES / f"{regime}.cfg")
    tree, rest = regime_tree(regime)
    config = load_config_from_str(tree.to_str(), overrides=rest, interpolate=True)
    optimizer = config["training"]["optimizer"]
    head, adapters = optimizer["groups"]["head"]["learn_rate"], optimizer["groups"]["adapters"]["learn_rate"]
    assert head["initial_rate"] == group_rate(spec, "head") == 1e-3
    assert adapters["initial_rate"] == group_rate(spec, "adapters") > optimizer["learn_rate"]["initial_rate"]
    assert optimizer["groups"]["head"]["components"] == ["ner"]  # the base group kept, only its rate set
    assert group_rate(read_regime(REGIMES / "full.cfg"), "head") is None


def test_prompt_positions_are_stripped_before_alignment(tiny_bert, gene_corpus, tmp_path):
    """Each token's vector comes from its own wordpieces, not from the prompt's positions."""
    # the token head's tok2vec ref is the listener itself (the transition head projects it)
    nlp, _ = build("prompt", tiny_bert, gene_corpus, tmp_path, head=TOKEN)
    shim = peft_shim(nlp.get_pipe("transformer").model)
    n_virtual = shim.method.num_virtual_tokens
    doc, states = hidden(nlp)
    wordpieces = doc._.trf_data.wordpieces
    assert states.shape[1] == wordpieces.input_ids.shape[1]
    # Reference: the prompt run by hand through the frozen encoder, prompt positions dropped.
    peft_model = shim.peft_model
    ids = torch.tensor(wordpieces.input_ids)
    with torch.no_grad():
        peft_model.eval()
        embeds = torch.cat((peft_model.get_prompt(batch_size=1), peft_model.word_embeddings(ids)), dim=1)
        full = peft_model.get_base_model()(inputs_embeds=embeds).last_hidden_state.numpy()
    numpy.testing.assert_allclose(states, full[:, n_virtual:], atol=1e-5)
    # the prompt's own positions differ from the tokens': keeping them would misalign every token
    assert not numpy.allclose(states, full[:, : states.shape[1]], atol=1e-3)
    # token vectors (the listener's mean over aligned wordpieces) follow the alignment
    tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec") if nlp.get_pipe("ner").model.has_ref("tok2vec") else None
    if tok2vec is not None:
        vectors = tok2vec.predict([doc])[0]
        align = doc._.trf_data.align
        flat = states.reshape(-1, states.shape[-1])
        for i in range(len(doc)):
            rows = align[i].data.ravel()
            if len(rows):
                numpy.testing.assert_allclose(vectors[i], flat[rows].mean(axis=0), atol=1e-5)


def test_prompt_keeps_token_type_ids(tiny_bert, gene_corpus, tmp_path):
    nlp, _ = build("prompt", tiny_bert, gene_corpus, tmp_path)
    wrapped: PeftTransformer = peft_shim(nlp.get_pipe("transformer").model)._model
    wrapped.eval()
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        zeros = wrapped(ids, mask, torch.zeros_like(ids)).last_hidden_state
        ones = wrapped(ids, mask, torch.ones_like(ids)).last_hidden_state
    assert zeros.shape == ones.shape == (1, 5, 32)
    assert not torch.allclose(zeros, ones)  # peft's own forward would have dropped them


@pytest.mark.parametrize("regime", ["prompt", "prefix"])
def test_strided_windows_and_position_budget(tiny_bert, gene_corpus, tmp_path, regime):
    nlp, _ = build(regime, tiny_bert, gene_corpus, tmp_path)
    shim = peft_shim(nlp.get_pipe("transformer").model)
    assert shim._hfmodel.tokenizer.model_max_length == 160 - shim.method.num_virtual_tokens
    text = " ".join([TEXT] * 12)  # far more wordpieces than the encoder's 160 positions
    doc, states = hidden(nlp, text)
    data = doc._.trf_data
    assert states.shape[0] > 1 and states.shape[1] == data.wordpieces.input_ids.shape[1]
    assert states.shape[1] <= shim.text_budget
    assert all(len(data.align[i].data) > 0 for i in range(len(doc))), "a token lost its wordpieces"
    assert numpy.isfinite(states).all()


def test_prompt_longer_than_the_position_budget_is_refused(tiny_bert, gene_corpus, tmp_path):
    with pytest.raises(ValueError, match="num_virtual_tokens"):
        build("prompt", tiny_bert, gene_corpus, tmp_path, **{"components.transformer.model.peft.num_virtual_tokens": 156})


@pytest.fixture(scope="module")
def trained(tiny_bert, gene_corpus, tmp_path_factory):
    """One LoRA, prompt and prefix pipeline each, a few updates in, saved adapter-only."""
    out = {}
    for regime in METHODS:
        tmp = tmp_path_factory.mktemp(f"peft-{regime}")
        nlp, optimizer = build(regime, tiny_bert, gene_corpus, tmp)
        batch = examples(nlp, gene_corpus)
        for _ in range(3):
            step(nlp, optimizer, batch)
        nlp.to_disk(tmp / "model")
        out[regime] = (nlp, tmp / "model")
    return out


@pytest.mark.parametrize("regime", METHODS)
def test_to_disk_then_spacy_load_predicts_identically(trained, regime):
    nlp, path = trained[regime]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # spacy-transformers' non-strict fallback only warns
        reloaded = spacy.load(path)
    doc, states = hidden(nlp)
    doc2, states2 = hidden(reloaded)
    numpy.testing.assert_array_equal(states, states2)
    assert [(e.start, e.end) for e in doc.ents] == [(e.start, e.end) for e in doc2.ents]
    assert folder_size(path / "transformer") < 0.5 * (Path(peft_shim(nlp.get_pipe("transformer").model).base_path) / "model.safetensors").stat().st_size


def trained_on_own_base(regime, tiny_bert, gene_corpus, tmp_path):
    """A pipeline of `regime`, one update in, whose base encoder is this test's own copy of the
    tiny BERT (the session's folder is shared: tests move or rewrite only their copy).
    RETURNS (nlp, base folder)."""
    base = tmp_path / "base"
    shutil.copytree(tiny_bert, base)
    nlp, optimizer = build(regime, base, gene_corpus, tmp_path)
    step(nlp, optimizer, examples(nlp, gene_corpus))
    return nlp, base


def test_reload_onto_other_base_weights_fails(tiny_bert, gene_corpus, tmp_path):
    """An adapter whose base encoder changed (or vanished) must not load onto random weights."""
    from tiny_bert import write_tiny_bert

    nlp, base = trained_on_own_base("lora", tiny_bert, gene_corpus, tmp_path)
    path = tmp_path / "model"
    nlp.to_disk(path)
    shutil.move(str(base), tmp_path / "moved")
    with pytest.raises(PeftLoadError, match="not found"):
        spacy.load(path)
    write_tiny_bert(base, seed=1)  # same architecture, other (random) weights
    with pytest.raises(PeftLoadError, match="other weights"):
        spacy.load(path)
    shutil.rmtree(base)
    shutil.move(str(tmp_path / "moved"), base)
    # the base back in place: the adapter loads onto it and the encoder output is the trained one
    numpy.testing.assert_array_equal(hidden(spacy.load(path))[1], hidden(nlp)[1])


def test_base_is_found_in_a_shelf_of_models_and_other_kinds_are_not_loaded(tiny_bert, gene_corpus, tmp_path,
                                                                           monkeypatch):
    """MAIZE_NER_ENCODERS names a folder of model folders: a decoder sorted before the encoder is
    passed over by its model type (never loaded at random), and the encoder with the recorded weights loads."""
    from tiny_decoder import write_tiny_decoder

    nlp, base = trained_on_own_base("lora", tiny_bert, gene_corpus, tmp_path)
    nlp.to_disk(tmp_path / "model")
    shelf = tmp_path / "shelf"
    write_tiny_decoder(shelf / "a-decoder")
    shutil.move(str(base), shelf / "b-encoder")
    monkeypatch.setenv("MAIZE_NER_ENCODERS", str(shelf / "a-decoder"))
    with pytest.raises(PeftLoadError, match="a qwen2 model, not bert"):
        spacy.load(tmp_path / "model")
    monkeypatch.setenv("MAIZE_NER_ENCODERS", str(shelf))
    numpy.testing.assert_array_equal(hidden(spacy.load(tmp_path / "model"))[1], hidden(nlp)[1])


def test_self_contained_save_loads_without_the_base(tiny_bert, gene_corpus, tmp_path):
    nlp, base = trained_on_own_base("prompt", tiny_bert, gene_corpus, tmp_path)
    shim = peft_shim(nlp.get_pipe("transformer").model)
    shim.save_base = True
    nlp.to_disk(tmp_path / "full")
    shutil.rmtree(base)
    reloaded = spacy.load(tmp_path / "full")
    numpy.testing.assert_array_equal(hidden(nlp)[1], hidden(reloaded)[1])


def test_adapter_only_and_merged_exports_predict_the_same(trained, tmp_path):
    nlp, path = trained["lora"]
    adapter = export_adapter(nlp, tmp_path / "adapter")
    merged = export_merged(adapter, tmp_path / "merged")
    a, m = spacy.load(adapter), spacy.load(merged)
    assert m.config["components"]["transformer"]["model"]["@architectures"] == "spacy_maize_ner.Encoder.v1"
    assert "peft" not in m.config["components"]["transformer"]["model"]
    assert not any("lora" in name for name, _ in m.get_pipe("transformer").model.transformer.named_parameters())
    docs_a = list(a.pipe([TEXT] * 3 + ["ZmCCT9 and ZmMADS1 ."]))
    docs_m = list(m.pipe([TEXT] * 3 + ["ZmCCT9 and ZmMADS1 ."]))
    for da, dm in zip(docs_a, docs_m):
        assert [(e.start, e.end, e.label_) for e in da.ents] == [(e.start, e.end, e.label_) for e in dm.ents]
        numpy.testing.assert_allclose(da._.trf_data.model_output.last_hidden_state,
                                      dm._.trf_data.model_output.last_hidden_state, atol=1e-5)
    assert folder_size(adapter) < folder_size(merged)
    assert m.meta["maize_ner"]["export"] == "merged" and a.meta["maize_ner"]["export"] == "adapter"


def test_prompt_pipelines_cannot_be_merged(trained, tmp_path):
    _, path = trained["prompt"]
    with pytest.raises(ValueError, match="adapter-only"):
        export_merged(path, tmp_path / "merged")
