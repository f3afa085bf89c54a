"""Build a fast tokenizer from a GGUF file's own vocabulary, the way llama.cpp tokenizes.

A GGUF file holds its tokenizer as metadata (`tokenizer.ggml.*`). transformers 4.53 builds
a tokenizer from it too, but for `tokenizer.ggml.model = llama` (SentencePiece, Gemma) it
builds a Unigram model behind a whitespace pre-tokenizer, which tokenizes "and the maize"
as `and ▁t he ▁m ai ze` although `▁and`, `▁the` and `▁maize` are pieces: text that a model
never saw. This module builds it as llama.cpp does:

- `llama` (SentencePiece BPE, llama.cpp's SPM tokenizer): spaces become `▁` (a Metaspace
  pre-tokenizer that never splits, a `▁` prepended only when `tokenizer.ggml.add_space_prefix`
  says so), then the adjacent pair whose concatenation is the highest-scored piece
  (`tokenizer.ggml.scores`) is merged until none is left; characters without a piece become
  their UTF-8 byte pieces `<0xXX>` (byte fallback). As a tokenizers BPE model: every piece
  that is the concatenation of two pieces gives a merge, ranked by the merged piece's score.
- `gpt2` (byte-level BPE, Qwen2, Llama 3): the pre-tokenizer regex of
  `tokenizer.ggml.pre` (`PRE_TOKENIZER_REGEX`), byte-level mapping, and the file's own
  `tokenizer.ggml.merges` in their order. No Unicode normalization (llama.cpp applies none).

Control tokens (`token_type` 3: `<bos>`, `<pad>`, `<|endoftext|>`) and user-defined tokens
(4: Gemma's runs of newlines and tabs) are added tokens; `<bos>`/`<eos>` are added around a
text as `tokenizer.ggml.add_bos_token`/`add_eos_token` say. The result is a plain
`PreTrainedTokenizerFast` (tokenizer.json only, no `vocab_file`), so it saves and loads
without the GGUF file. `scripts/check_decoder_tokenizer.py` compares its ids with
llama.cpp's on the BC2GM dev sentences.

Exactness for `llama`: llama.cpp merges adjacent characters whether or not each is a
piece; a BPE model merges only pieces. The two agree when every character of every piece is
a piece itself, which holds for Gemma 3 (pieces of raw spaces aside, which neither can form:
spaces become `▁` first); otherwise `build_backend` warns.

Known difference: with `parse_special = False` llama.cpp reads a control token's text
(`<bos>` typed in a sentence) as plain text; a Hugging Face tokenizer always matches
added special tokens. Biomedical text does not contain them.
"""
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from ..extras import require

# llama.cpp's pre-tokenizer regexes (src/llama-vocab.cpp) for the `tokenizer.ggml.pre`
# values of the decoders this project provides.
QWEN2_REGEX = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
LLAMA3_REGEX = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
PRE_TOKENIZER_REGEX = {
    "qwen2": QWEN2_REGEX,
    "llama3": LLAMA3_REGEX,
    "llama-bpe": LLAMA3_REGEX,
    "gpt-2": GPT2_REGEX,
    "gpt2": GPT2_REGEX,
    "default": GPT2_REGEX,
}
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE = 1, 2, 3, 4, 5, 6


class GGUFTokenizerError(ValueError):
    """A GGUF tokenizer that this module cannot rebuild exactly."""


@dataclass
class GGUFVocab:
    """The `tokenizer.ggml.*` metadata of a GGUF file (see `read_gguf_vocab`)."""

    model: str
    pre: str
    tokens: List[str]
    token_types: List[int]
    scores: Optional[List[float]] = None
    merges: Optional[List[str]] = None
    bos_id: Optional[int] = None
    eos_id: Optional[int] = None
    unk_id: Optional[int] = None
    pad_id: Optional[int] = None
    add_bos: bool = False
    add_eos: bool = False
    add_space_prefix: bool = False
    chat_template: Optional[str] = None
    source: str = "<metadata>"
    extra: Dict[str, Any] = field(default_factory=dict)


def _field_value(reader: Any, key: str, default: Any = None) -> Any:
    f = reader.fields.get(key)
    if f is None:
        return default
    value = f.contents()
    return value


def read_gguf_vocab(path: Union[str, Path]) -> GGUFVocab:
    """Read the tokenizer metadata of the GGUF file `path` (needs the `gguf` package)."""
    reader = require("gguf", feature="Reading a GGUF file", extra="decoders").GGUFReader(str(path))
    model = _field_value(reader, "tokenizer.ggml.model")
    if model is None:
        raise GGUFTokenizerError(f"{path} has no tokenizer (no tokenizer.ggml.model in its header): it cannot be used as a decoder.")
    get = lambda key, default=None: _field_value(reader, f"tokenizer.ggml.{key}", default)  # noqa: E731
    return GGUFVocab(
        model=str(model),
        pre=str(get("pre", "default")),
        tokens=list(get("tokens")),
        token_types=[int(t) for t in get("token_type")],
        scores=[float(s) for s in get("scores")] if get("scores") is not None else None,
        merges=list(get("merges")) if get("merges") is not None else None,
        bos_id=get("bos_token_id"),
        eos_id=get("eos_token_id"),
        unk_id=get("unknown_token_id"),
        pad_id=get("padding_token_id"),
        add_bos=bool(get("add_bos_token", model == "llama")),
        add_eos=bool(get("add_eos_token", False)),
        add_space_prefix=bool(get("add_space_prefix", model == "llama")),
        chat_template=_field_value(reader, "tokenizer.chat_template"),
        source=str(path),
    )


def spm_merges(tokens: List[str], scores: List[float]) -> List[tuple]:
    """The BPE merges equivalent to llama.cpp's score-ordered SentencePiece merging.

    Every piece that splits into two pieces gives one merge per split; merges are ranked
    by the merged piece's score (highest first), ties by its id, then by the left part's id.
    """
    ids = {}
    for i, token in enumerate(tokens):
        ids.setdefault(token, i)
    ranked = []
    for i, token in enumerate(tokens):
        if ids[token] != i:
            continue
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in ids and right in ids:
                ranked.append((-scores[i], i, ids[left], left, right))
    ranked.sort()
    return [(left, right) for _, _, _, left, right in ranked]


def spm_unmergeable_pieces(tokens: List[str], token_types: List[int]) -> List[str]:
    """Normal pieces with a character that is not a piece: llama.cpp merges characters whether
    or not they are pieces, a BPE model only pieces. Pieces with a raw space are left out:
    text reaches the merges with spaces already turned into `▁`, so neither can form them."""
    known = set(tokens)
    return [t for t, kind in zip(tokens, token_types)
            if kind == TOKEN_NORMAL and " " not in t and any(c not in known for c in t)]


def _byte_level_merges(merges: List[str]) -> List[tuple]:
    pairs = []
    for line, merge in enumerate(merges):
        parts = merge.split(" ")
        if len(parts) != 2:
            raise GGUFTokenizerError(f"Merge {line} ({merge!r}) is not two symbols separated by one space.")
        pairs.append((parts[0], parts[1]))
    return pairs


def build_backend(vocab: GGUFVocab):
    """RETURNS (tokenizers.Tokenizer): the tokenizer llama.cpp would run for `vocab`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    token_ids = {}
    for i, token in enumerate(vocab.tokens):
        token_ids.setdefault(token, i)
    if vocab.model == "llama":
        if vocab.scores is None:
            raise GGUFTokenizerError(f"{vocab.source}: a SentencePiece (llama) tokenizer needs tokenizer.ggml.scores.")
        unk = vocab.tokens[vocab.unk_id] if vocab.unk_id is not None else None
        unmergeable = spm_unmergeable_pieces(vocab.tokens, vocab.token_types)
        if unmergeable:
            warnings.warn(
                f"{vocab.source}: {len(unmergeable)} pieces hold a character that is not a piece itself (e.g. "
                f"{unmergeable[:3]}); llama.cpp can still merge into them, this BPE model cannot, so texts with "
                "those characters may tokenize differently. Run scripts/check_decoder_tokenizer.py."
            )
        backend = Tokenizer(models.BPE(vocab=token_ids, merges=spm_merges(vocab.tokens, vocab.scores), unk_token=unk,
                                       byte_fallback=True, fuse_unk=True, ignore_merges=False))
        backend.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement="▁", prepend_scheme="first" if vocab.add_space_prefix else "never", split=False)
        backend.decoder = decoders.Sequence([
            decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
            *([decoders.Strip(" ", 1, 0)] if vocab.add_space_prefix else []),
        ])
    elif vocab.model == "gpt2":
        if vocab.merges is None:
            raise GGUFTokenizerError(f"{vocab.source}: a byte-level BPE (gpt2) tokenizer needs tokenizer.ggml.merges.")
        regex = PRE_TOKENIZER_REGEX.get(vocab.pre)
        if regex is None:
            raise GGUFTokenizerError(
                f"{vocab.source}: tokenizer.ggml.pre = {vocab.pre!r} is not one this module knows "
                f"({', '.join(sorted(PRE_TOKENIZER_REGEX))}). Add llama.cpp's regex for it to PRE_TOKENIZER_REGEX "
                "in spacy_maize_ner/decoders/tokenizer.py and check it with scripts/check_decoder_tokenizer.py."
            )
        from tokenizers import Regex

        backend = Tokenizer(models.BPE(vocab=token_ids, merges=_byte_level_merges(vocab.merges), byte_fallback=False,
                                       ignore_merges=False))
        backend.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=False),
        ])
        backend.decoder = decoders.ByteLevel()
    else:
        raise GGUFTokenizerError(
            f"{vocab.source}: tokenizer.ggml.model = {vocab.model!r}; only 'llama' (SentencePiece) and 'gpt2' "
            "(byte-level BPE) are supported."
        )
    added = []
    for i, (token, kind) in enumerate(zip(vocab.tokens, vocab.token_types)):
        if kind in (TOKEN_CONTROL, TOKEN_USER_DEFINED) and token_ids[token] == i:
            special = kind == TOKEN_CONTROL
            added.append(AddedToken(token, special=special, normalized=False, single_word=False, lstrip=False, rstrip=False))
    backend.add_tokens(added)
    template_single, template_pair, specials = "$A", "$A $B", []
    for on, token_id, side in ((vocab.add_bos, vocab.bos_id, "bos"), (vocab.add_eos, vocab.eos_id, "eos")):
        if on and token_id is not None:
            token = vocab.tokens[token_id]
            specials.append((token, token_id))
            if side == "bos":
                template_single, template_pair = f"{token} $A", f"{token} $A {token} $B"
            else:
                template_single, template_pair = f"{template_single} {token}", f"{template_pair} {token}"
    if vocab.model == "gpt2":
        byte_level = processors.ByteLevel(trim_offsets=False)
        backend.post_processor = processors.Sequence([byte_level, processors.TemplateProcessing(
            single=template_single, pair=template_pair, special_tokens=specials)]) if specials else byte_level
    else:
        backend.post_processor = processors.TemplateProcessing(single=template_single, pair=template_pair,
                                                               special_tokens=specials)
    return backend


def tokenizer_from_vocab(vocab: GGUFVocab, *, padding_side: str = "right", model_max_length: int = 32768):
    """RETURNS (PreTrainedTokenizerFast): the fast tokenizer of `vocab`, with its special tokens named."""
    from transformers import PreTrainedTokenizerFast

    def name(token_id: Optional[int]) -> Optional[str]:
        return vocab.tokens[token_id] if token_id is not None and 0 <= token_id < len(vocab.tokens) else None

    pad = name(vocab.pad_id) or name(vocab.eos_id)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=build_backend(vocab),
        bos_token=name(vocab.bos_id), eos_token=name(vocab.eos_id), unk_token=name(vocab.unk_id), pad_token=pad,
        padding_side=padding_side, model_max_length=model_max_length, clean_up_tokenization_spaces=False,
    )
    if vocab.chat_template:
        tokenizer.chat_template = vocab.chat_template
    return tokenizer


def tokenizer_from_gguf(path: Union[str, Path], **kwargs: Any):
    """RETURNS (PreTrainedTokenizerFast): the tokenizer of the GGUF file `path` (see module docstring)."""
    return tokenizer_from_vocab(read_gguf_vocab(path), **kwargs)
