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
    pieces = ["▁"] + list(string.ascii_letters + string.digits + string.punctuation)
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
