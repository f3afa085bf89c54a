"""The generative tagger (issue 26, item 3): layout, constrained decoding, training, saving.

A tiny random Qwen2 or Llama causal LM (tests/tiny_decoder.py, with its LM head saved), never
a download.
"""
from pathlib import Path

import numpy
import pytest

pytest.importorskip("peft")
pytest.importorskip("transformers")

import spacy  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402
from spacy.training import Example  # noqa: E402

from spacy_maize_ner.generative.component import GenerativeLoadError  # noqa: E402
from spacy_maize_ner.generative.layout import TagVocabularyError, tag_vocabulary, teacher_forced  # noqa: E402
from spacy_maize_ner.generative.model import decode, tag_logits  # noqa: E402
from spacy_maize_ner.tags import constraints, is_valid, tag_names  # noqa: E402
from tiny_decoder import write_tiny_causal_lm  # noqa: E402

TAGS = tag_names(["GENE"], "BIO")
TAG_TEXTS = {"O": "O", "B-GENE": "B", "I-GENE": "I"}  # single characters: one piece in both tiny vocabularies


@pytest.fixture(scope="module", params=["qwen2", "llama"])
def lm_folder(request, tmp_path_factory):
    return write_tiny_causal_lm(tmp_path_factory.mktemp(f"gen-{request.param}"), request.param)


@pytest.fixture(scope="module")
def tokenizer(lm_folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(lm_folder)


def pipeline(base, **cfg):
    nlp = spacy.blank("en")
    nlp.add_pipe("maize_generative_ner", config={"base": str(base), "tag_texts": TAG_TEXTS,
                                                 "peft": {"@misc": "spacy_maize_ner.lora.v1", "r": 4, "alpha": 8, "dropout": 0.0,
                                                          "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"],
                                                          "exclude_modules": []}, **cfg})
    return nlp


def examples(nlp, gene_corpus, n=12):
    docs = list(DocBin().from_disk(gene_corpus / "train.spacy").get_docs(nlp.vocab))[:n]
    return [Example(nlp.make_doc(d.text), d) for d in docs]


# --- layout -------------------------------------------------------------------------------

def test_every_word_is_followed_by_its_tag_and_chosen_at_its_last_piece(tokenizer):
    vocab = tag_vocabulary(tokenizer, TAGS, TAG_TEXTS)
    words = ["The", "ZmGL1-2", "gene", "of", "maize", "."]
    gold = [0, 1, 2, 0, 0, 0]
    layout = teacher_forced(tokenizer, words, [vocab.ids[g] for g in gold])
    assert len(layout.tag_positions) == len(words)
    assert [layout.input_ids[p + 1] for p in layout.tag_positions] == [vocab.ids[g] for g in gold]
    # between two tags stand exactly the pieces of " " + the word
    starts = [0] + [p + 2 for p in layout.tag_positions[:-1]]
    first = layout.tag_positions[0] + 1 - len(tokenizer(" The", add_special_tokens=False)["input_ids"])
    for word, start, pos in zip(words[1:], starts[1:], layout.tag_positions[1:]):
        assert layout.input_ids[start:pos + 1] == tokenizer(" " + word, add_special_tokens=False)["input_ids"]
    assert first > 0  # the prompt comes first
    with pytest.raises(ValueError, match="6 words but 5 tags"):
        teacher_forced(tokenizer, words, [0] * 5)


def test_tag_texts_must_differ_in_their_first_token_and_cover_every_label(tokenizer):
    with pytest.raises(TagVocabularyError, match="begin with the same token"):
        tag_vocabulary(tokenizer, TAGS, {"O": "O", "B-GENE": "O", "I-GENE": "I"})
    with pytest.raises(TagVocabularyError, match="need tag_texts"):
        tag_vocabulary(tokenizer, tag_names(["GENE", "Chemical"], "BIO"))
    with pytest.raises(TagVocabularyError, match="no text for"):
        tag_vocabulary(tokenizer, TAGS, {"O": "O", "B-GENE": "B"})


def test_a_bare_decoder_folder_keeps_its_weights_and_ties_the_head(tmp_path):
    """provide-decoder writes the bare decoder (no `model.` prefix, no lm_head): loading it as a
    causal LM must not initialise it at random (the smoke run on Gemma 3 caught exactly that)."""
    import json

    import torch
    from tiny_decoder import write_tiny_decoder
    from transformers import AutoModel

    from spacy_maize_ner.generative.model import NoLMHeadError, load_causal_lm

    bare = write_tiny_decoder(tmp_path / "bare", "qwen2")
    with pytest.raises(NoLMHeadError, match="no LM head"):
        load_causal_lm(str(bare))  # untied: no head to take
    config = json.loads((bare / "config.json").read_text())
    (bare / "config.json").write_text(json.dumps({**config, "tie_word_embeddings": True}))
    lm = load_causal_lm(str(bare))
    reference = AutoModel.from_pretrained(bare).state_dict()
    loaded = lm.get_decoder().state_dict()
    assert set(loaded) == set(reference) and all(torch.equal(loaded[k], reference[k]) for k in reference)
    assert lm.get_output_embeddings().weight.data_ptr() == lm.get_input_embeddings().weight.data_ptr()


# --- decoding -----------------------------------------------------------------------------

def test_decoding_gives_one_valid_tag_per_word_and_matches_teacher_forcing(lm_folder, tokenizer):
    """The cached step-by-step path and the one-pass teacher-forced path give the same logits."""
    import torch
    from transformers import AutoModelForCausalLM

    lm = AutoModelForCausalLM.from_pretrained(lm_folder).eval()
    vocab = tag_vocabulary(tokenizer, TAGS, TAG_TEXTS)
    allowed = constraints(TAGS, "BIO")
    words = "Expression of the maize gene tb1 and ZmGL1-2 was low .".split()
    chosen = decode(lm, tokenizer, words, vocab.ids, allowed, instruction="Tag:", cache={})
    assert len(chosen) == len(words) and is_valid(chosen, allowed)
    layout = teacher_forced(tokenizer, words, [vocab.ids[c] for c in chosen], instruction="Tag:")
    with torch.no_grad():
        logits = tag_logits(lm, [layout], vocab.ids, pad_id=0).numpy()
    for i, c in enumerate(chosen):
        valid = allowed.start if i == 0 else allowed.transition[chosen[i - 1]]
        assert c == int(numpy.argmax(numpy.where(valid, logits[i], -numpy.inf)))


def test_an_inside_tag_never_follows_outside_even_when_the_model_prefers_it(lm_folder, tokenizer, monkeypatch):
    import torch
    from transformers import AutoModelForCausalLM

    from spacy_maize_ner.generative import model as gen_model

    lm = AutoModelForCausalLM.from_pretrained(lm_folder).eval()
    vocab = tag_vocabulary(tokenizer, TAGS, TAG_TEXTS)
    monkeypatch.setattr(gen_model, "tag_head", lambda lm, ids: lambda h: torch.tensor([1.0, 0.0, 5.0]))  # O, B, I
    chosen = decode(lm, tokenizer, ["a", "b", "c"], vocab.ids, constraints(TAGS, "BIO"), instruction="x", cache={})
    assert [TAGS[c] for c in chosen] == ["O", "O", "O"]  # I is best but may not start or follow O


# --- the component ------------------------------------------------------------------------

@pytest.mark.slow
def test_training_lowers_the_loss_and_moves_only_the_adapters(lm_folder, gene_corpus):
    import torch

    nlp = pipeline(lm_folder)
    train = examples(nlp, gene_corpus)
    optimizer = nlp.initialize(lambda: train)
    ner = nlp.get_pipe("maize_generative_ner")
    assert ner.labels == ("GENE",)
    frozen = {n: p.detach().clone() for n, p in ner.lm.named_parameters() if not p.requires_grad}
    adapters = {n: p.detach().clone() for n, p in ner.lm.named_parameters() if p.requires_grad}
    assert adapters and all("lora_" in n for n in adapters)
    optimizer.learn_rate = 0.05
    losses = []
    for _ in range(12):
        losses.append(nlp.update(train, sgd=optimizer)["maize_generative_ner"])
    # From chance (ln 3 = 1.10) towards the tags' own distribution (about 0.93 on these sentences:
    # a 16-wide random model cannot read the words, but it learns the prior through its adapters).
    assert losses[0] > 1.0 and losses[-1] < losses[0] - 0.08
    after = dict(ner.lm.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in frozen.items())
    assert any(not torch.equal(after[n], p) for n, p in adapters.items())
    docs = list(nlp.pipe([eg.reference.text for eg in train[:3]]))
    assert all(all(e.label_ == "GENE" for e in d.ents) for d in docs)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, gene_corpus):
    folder = write_tiny_causal_lm(tmp_path_factory.mktemp("gen-trained"), "qwen2")
    nlp = pipeline(folder, max_words=6)
    train = examples(nlp, gene_corpus)
    optimizer = nlp.initialize(lambda: train)
    for _ in range(3):
        nlp.update(train, sgd=optimizer)
    out = tmp_path_factory.mktemp("gen-saved") / "model"
    nlp.to_disk(out)
    return nlp, folder, out, [eg.reference.text for eg in train]


@pytest.mark.slow
def test_saved_pipeline_predicts_the_same_and_holds_only_the_adapter(trained):
    nlp, base, saved, texts = trained
    before = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    loaded = spacy.load(saved)
    after = [[(e.start, e.end, e.label_) for e in d.ents] for d in loaded.pipe(texts)]
    assert after == before
    component = saved / "maize_generative_ner"
    sizes = sum(p.stat().st_size for p in (component / "adapter").rglob("*") if p.is_file())
    assert sizes < sum(p.stat().st_size for p in base.glob("*.safetensors"))  # adapter-only
    again = loaded.get_pipe("maize_generative_ner").from_bytes(loaded.get_pipe("maize_generative_ner").to_bytes())
    assert [[(e.start, e.end) for e in d.ents] for d in spacy.load(saved).pipe(texts[:2])] == \
        [[(e.start, e.end) for e in again(loaded.make_doc(t)).ents] for t in texts[:2]]


@pytest.mark.slow
def test_long_sentences_are_tagged_in_pieces_and_keep_every_token(trained):
    nlp, _, _, _ = trained
    doc = nlp(" ".join(["maize"] * 20))  # max_words = 6: four pieces
    assert len(doc) == 20 and all(e.end <= 20 for e in doc.ents)


@pytest.mark.slow
def test_loading_finds_the_base_as_adapter_only_pipelines_do_and_refuses_other_weights(trained, tiny_bert, tmp_path,
                                                                                         monkeypatch):
    import shutil

    import srsly

    nlp, base, saved, texts = trained
    expected = [[(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(texts[:3])]
    copy = tmp_path / "model"
    shutil.copytree(saved, copy)
    cfg_path = copy / "maize_generative_ner" / "cfg.json"
    cfg = srsly.read_json(cfg_path)
    assert cfg["base_path"] == str(Path(base).resolve()) and len(cfg["base_fingerprint"]) == 64
    # as on another machine: neither the recorded name nor the recorded folder exists
    srsly.write_json(cfg_path, {**cfg, "base": "assets/decoders/gone", "base_path": str(tmp_path / "gone")})
    config = spacy.util.load_config(copy / "config.cfg")
    config["components"]["maize_generative_ner"]["base"] = "assets/decoders/gone"
    config.to_disk(copy / "config.cfg")
    monkeypatch.delenv("MAIZE_NER_ENCODERS", raising=False)
    with pytest.raises(GenerativeLoadError, match="was not found.*MAIZE_NER_ENCODERS"):
        spacy.load(copy)
    # a folder of decoder folders in $MAIZE_NER_ENCODERS: the one with the recorded weights is taken
    other = write_tiny_causal_lm(tmp_path / "other", "qwen2", seed=1)
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.copytree(tiny_bert, shelf / "a-encoder")  # an encoder beside the decoders is skipped
    shutil.copytree(other, shelf / "a-other")
    shutil.copytree(base, shelf / "b-base")
    monkeypatch.setenv("MAIZE_NER_ENCODERS", str(shelf))
    loaded = spacy.load(copy)
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in loaded.pipe(texts[:3])] == expected
    # only other weights anywhere: refused, naming the weights it found
    shutil.rmtree(shelf / "b-base")
    with pytest.raises(GenerativeLoadError, match="other weights"):
        spacy.load(copy)
    # a base given at load time is tried first
    monkeypatch.delenv("MAIZE_NER_ENCODERS")
    loaded = spacy.load(copy, config={"components": {"maize_generative_ner": {"base": str(base)}}})
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in loaded.pipe(texts[:3])] == expected


def test_a_prompt_or_prefix_block_is_refused(lm_folder):
    with pytest.raises(ValueError, match="trains LoRA adapters"):
        spacy.blank("en").add_pipe("maize_generative_ner", config={
            "base": str(lm_folder), "peft": {"@misc": "spacy_maize_ner.prompt_tuning.v1", "num_virtual_tokens": 4}})


@pytest.mark.slow
def test_spacy_train_and_evaluate_with_the_shipped_config(root, gene_corpus, tmp_path):
    """configs/generative.cfg through spaCy's own CLI: train a few steps, save model-best, evaluate."""
    import json
    import subprocess
    import sys

    base = write_tiny_causal_lm(tmp_path / "lm", "qwen2")
    out = tmp_path / "out"
    overrides = ["--paths.train", str(gene_corpus / "train.spacy"), "--paths.dev", str(gene_corpus / "dev.spacy"),
                 "--paths.encoder", str(base), "--training.max_steps", "4", "--training.eval_frequency", "2",
                 "--training.optimizer.learn_rate.total_steps", "4", "--training.optimizer.learn_rate.warmup_steps", "1",
                 "--training.logger.progress_bar", "false", "--components.ner.tag_texts", json.dumps(TAG_TEXTS),
                 "--components.ner.peft.r", "2"]
    subprocess.run([sys.executable, "-m", "spacy", "train", str(root / "configs" / "generative.cfg"), "--output", str(out),
                    *overrides], check=True, cwd=tmp_path)
    metrics = tmp_path / "metrics.json"
    subprocess.run([sys.executable, "-m", "spacy", "evaluate", str(out / "model-best"), str(gene_corpus / "dev.spacy"),
                    "--output", str(metrics)], check=True, cwd=tmp_path)
    scores = json.loads(metrics.read_text())
    assert 0.0 <= scores["ents_f"] <= 1.0 and "ents_per_type" in scores
    assert (out / "model-best" / "ner" / "adapter").is_dir()
