"""Tiny random decoder LMs (Qwen2 or Llama) with small fast tokenizers, written to a folder.

Two tokenizer kinds, both built by spacy_maize_ner.decoders.tokenizer from GGUF-style
metadata, as for the real GGUF files:
- "qwen2": byte-level BPE (tokenizer.ggml.model = gpt2, pre = qwen2) trained on the
  synthetic maize sentences; pads on the right, no <bos> (as Qwen2.5).
- "llama": SentencePiece BPE (tokenizer.ggml.model = llama) with `▁word` pieces, their
  prefixes, single characters and byte fallback; pads on the left and adds <bos> (as Gemma 3).
A few thousand parameters; never a download.
"""
import json
import string
from pathlib import Path
from typing import List

from synthetic import GENES, TEMPLATES

from spacy_maize_ner.decoders.tokenizer import (TOKEN_BYTE, TOKEN_CONTROL, TOKEN_NORMAL, GGUFVocab,
                                                tokenizer_from_vocab)

EXTRA_TEXT = ["α-amylase and β-glucosidase (ZmGL1-2) bind 12.5 kDa proteins ; the maize protein kinase ."]


def corpus_words() -> List[str]:
    words = {w for t in TEMPLATES for w in t.split() if w != "{g}"} | {w for g in GENES for w in g}
    words |= {w for line in EXTRA_TEXT for w in line.split()}
    return sorted(words)


def spm_vocab() -> GGUFVocab:
    """A SentencePiece-style vocabulary: control tokens, bytes, characters, word prefixes."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
    types = [TOKEN_CONTROL] * 4
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TOKEN_BYTE] * 256
    # Every character of every piece is a piece itself, as in real SentencePiece vocabularies
    # (llama.cpp merges characters that are not pieces; a BPE model cannot: tokenizer.py).
    chars = sorted({c for w in corpus_words() for c in w})
    pieces = ["▁"] + list(string.ascii_letters + string.digits + string.punctuation) + chars
    for word in corpus_words():
        for form in (word, "▁" + word):
            pieces += [form[:k] for k in range(2, len(form) + 1)]
    seen = set(tokens)
    for piece in pieces:
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            types.append(TOKEN_NORMAL)
    scores = [0.0] * 260 + [-float(i) for i in range(len(tokens) - 260)]
    return GGUFVocab(model="llama", pre="default", tokens=tokens, token_types=types, scores=scores, bos_id=2, eos_id=1,
                     unk_id=3, pad_id=0, add_bos=True, add_space_prefix=False, source="tiny-spm")


def bpe_vocab(size: int = 420) -> GGUFVocab:
    """A byte-level BPE vocabulary trained on the synthetic sentences, with <|endoftext|>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"], show_progress=False)
    texts = [t.replace("{g}", " ".join(g)) for t in TEMPLATES for g in GENES] + EXTRA_TEXT
    tok.train_from_iterator(texts, trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    tokens = [t for t, _ in vocab]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    types = [TOKEN_CONTROL if t == "<|endoftext|>" else TOKEN_NORMAL for t in tokens]
    eot = tokens.index("<|endoftext|>")
    return GGUFVocab(model="gpt2", pre="qwen2", tokens=tokens, token_types=types, merges=merges, bos_id=eot, eos_id=eot,
                     pad_id=eot, add_bos=False, source="tiny-bpe")


def write_tiny_decoder(folder: Path, kind: str = "qwen2", seed: int = 0, padding_side: str = "") -> Path:
    """Write a 2-layer, 16-wide random decoder (Qwen2Model or LlamaModel) and its tokenizer. RETURNS folder."""
    import torch
    from transformers import LlamaConfig, LlamaModel, Qwen2Config, Qwen2Model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = bpe_vocab() if kind == "qwen2" else spm_vocab()
    side = padding_side or ("right" if kind == "qwen2" else "left")
    tokenizer = tokenizer_from_vocab(vocab, padding_side=side, model_max_length=512)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(seed)
    common = dict(vocab_size=len(vocab.tokens), hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                  num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                  pad_token_id=vocab.pad_id, bos_token_id=vocab.bos_id, eos_token_id=vocab.eos_id)
    if kind == "qwen2":
        model = Qwen2Model(Qwen2Config(**common))
    elif kind == "llama":
        model = LlamaModel(LlamaConfig(**common))
    else:
        raise ValueError(f"kind must be qwen2 or llama, not {kind!r}")
    model.config.architectures = ["Qwen2ForCausalLM" if kind == "qwen2" else "LlamaForCausalLM"]
    model.save_pretrained(folder)
    return folder


def write_tiny_causal_lm(folder: Path, kind: str = "qwen2", seed: int = 0) -> Path:
    """A tiny decoder saved with its LM head (write_tiny_decoder writes the bare model), in folder/lm. RETURNS it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    bare = write_tiny_decoder(folder / "bare", kind, seed=seed)
    torch.manual_seed(seed)
    lm = AutoModelForCausalLM.from_pretrained(bare)
    lm.save_pretrained(folder / "lm")
    AutoTokenizer.from_pretrained(bare).save_pretrained(folder / "lm")
    return folder / "lm"


# llama.cpp tensor names of a Qwen2 layer (convert_hf_to_gguf.py), for write_tiny_gguf.
GGUF_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
}


def add_vocab(writer, vocab: GGUFVocab) -> None:
    """Write `vocab` as tokenizer.ggml.* metadata."""
    writer.add_tokenizer_model(vocab.model)
    writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.token_types)
    if vocab.scores is not None:
        writer.add_token_scores(vocab.scores)
    if vocab.merges is not None:
        writer.add_token_merges(vocab.merges)
    for value, add in ((vocab.bos_id, writer.add_bos_token_id), (vocab.eos_id, writer.add_eos_token_id),
                       (vocab.unk_id, writer.add_unk_token_id), (vocab.pad_id, writer.add_pad_token_id)):
        if value is not None:
            add(value)
    writer.add_add_bos_token(vocab.add_bos)
    writer.add_add_eos_token(vocab.add_eos)
    if vocab.model == "llama":
        writer.add_add_space_prefix(vocab.add_space_prefix)


def write_tiny_gguf(path: Path, kind: str = "qwen2", name: str = "Tiny Qwen2", seed: int = 0) -> Path:
    """A GGUF file as llama.cpp writes it: for "qwen2" the tiny decoder's weights (F32) and its
    byte-level vocabulary, loadable by transformers' GGUF loader; for "llama" a SentencePiece
    vocabulary without weights (tokenizer tests only). RETURNS path."""
    import gguf
    import numpy

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch="qwen2" if kind == "qwen2" else "llama")
    writer.add_name(name)
    writer.add_file_type(0)  # ALL_F32
    if kind == "qwen2":
        from transformers import AutoModel

        folder = write_tiny_decoder(path.parent / f".{path.stem}-hf", "qwen2", seed=seed)
        model = AutoModel.from_pretrained(folder)
        c = model.config
        writer.add_block_count(c.num_hidden_layers)
        writer.add_context_length(c.max_position_embeddings)
        writer.add_embedding_length(c.hidden_size)
        writer.add_feed_forward_length(c.intermediate_size)
        writer.add_head_count(c.num_attention_heads)
        writer.add_head_count_kv(c.num_key_value_heads)
        writer.add_rope_freq_base(c.rope_theta)
        writer.add_layer_norm_rms_eps(c.rms_norm_eps)
        add_vocab(writer, bpe_vocab())
        for key, tensor in model.state_dict().items():
            if key == "embed_tokens.weight":
                gguf_name = "token_embd.weight"
            elif key == "norm.weight":
                gguf_name = "output_norm.weight"
            else:
                _, layer, rest = key.split(".", 2)
                gguf_name = f"blk.{layer}.{GGUF_LAYER_NAMES[rest]}"
            writer.add_tensor(gguf_name, tensor.numpy().astype(numpy.float32))
    else:
        add_vocab(writer, spm_vocab())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_part_wheels(gguf_path: Path, folder: Path, package: str = "tiny-gguf", parts: int = 3) -> list:
    """Split `gguf_path` into `parts` wheels laid out like the index's part packages
    (<pkg>_partN/data/partNN.bin). RETURNS the requirements in part order."""
    import zipfile

    data = Path(gguf_path).read_bytes()
    size = -(-len(data) // parts)
    folder.mkdir(parents=True, exist_ok=True)
    requirements = []
    for i in range(parts):
        dist = f"{package.replace('-', '_')}_part{i + 1}"
        wheel = folder / f"{dist}-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"{dist}/__init__.py", "")
            zf.writestr(f"{dist}/data/part{i + 1:02d}.bin", data[i * size:(i + 1) * size])
            info = f"{dist}-0.1.0.dist-info"
            zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}-part{i + 1}\nVersion: 0.1.0\n")
            zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            zf.writestr(f"{info}/RECORD", "")
        requirements.append(f"{package}-part{i + 1}==0.1.0")
    return requirements
