"""Reference tokenizers for checking `tokenizer.py` against llama.cpp.

The check (`scripts/check_decoder_tokenizer.py`) compares the fast tokenizer built from a
GGUF file with llama.cpp's own tokenizer of the same file (llama-cpp-python,
`vocab_only=True`). Where llama-cpp-python is not installed (it compiles from source), it
compares with these pure-Python transcriptions of llama.cpp's algorithms instead
(src/llama-vocab.cpp), which share no code with the `tokenizers` library:

- `spm_tokenize`: llm_tokenizer_spm: spaces to `▁`, UTF-8 characters as symbols, a
  priority queue of adjacent pairs whose concatenation is a piece (highest score first,
  leftmost on ties), then byte pieces for any symbol that is not a piece;
- `bpe_tokenize`: llm_tokenizer_bpe: the pre-tokenizer regex, GPT-2's byte-to-unicode
  map, and merges by rank (lowest first, leftmost on ties).
"""
import heapq
from functools import lru_cache
from typing import Dict, List, Optional

from ...decoders.tokenizer import PRE_TOKENIZER_REGEX, GGUFVocab


class LlamaCppTokenizer:
    """llama.cpp's tokenizer of a GGUF file (needs llama-cpp-python)."""

    def __init__(self, gguf_path: str) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)

    def __call__(self, text: str, add_bos: bool) -> List[int]:
        return list(self.llm.tokenize(text.encode("utf8"), add_bos=add_bos, special=False))


class SpmReference:
    """llama.cpp's SentencePiece (llama) tokenization, transcribed."""

    def __init__(self, vocab: GGUFVocab) -> None:
        self.vocab = vocab
        self.ids: Dict[str, int] = {}
        for i, token in enumerate(vocab.tokens):
            self.ids.setdefault(token, i)

    def __call__(self, text: str, add_bos: bool) -> List[int]:
        v = self.vocab
        out = [v.bos_id] if add_bos and v.bos_id is not None else []
        if not text:
            return out
        text = ("▁" if v.add_space_prefix else "") + text.replace(" ", "▁")
        symbols = list(text)
        prev = list(range(-1, len(symbols) - 1))
        nxt = list(range(1, len(symbols) + 1))
        nxt[-1] = -1
        heap: list = []

        def add_bigram(left: int, right: int) -> None:
            if left == -1 or right == -1:
                return
            joined = symbols[left] + symbols[right]
            token = self.ids.get(joined)
            if token is None:
                return
            heapq.heappush(heap, (-v.scores[token], left, right, len(joined)))

        for i in range(1, len(symbols)):
            add_bigram(i - 1, i)
        while heap:
            _, left, right, size = heapq.heappop(heap)
            if not symbols[left] or not symbols[right] or len(symbols[left]) + len(symbols[right]) != size:
                continue
            if nxt[left] != right:
                continue
            symbols[left] += symbols[right]
            symbols[right] = ""
            nxt[left] = nxt[right]
            if nxt[right] != -1:
                prev[nxt[right]] = left
            add_bigram(prev[left], left)
            add_bigram(left, nxt[left])
        i = 0
        while i != -1:
            piece = symbols[i]
            token = self.ids.get(piece)
            if token is not None:
                out.append(token)
            else:
                for byte in piece.encode("utf8"):
                    byte_token = self.ids.get(f"<0x{byte:02X}>")
                    out.append(byte_token if byte_token is not None else v.unk_id)
            i = nxt[i]
        return out


@lru_cache(maxsize=1)
def bytes_to_unicode() -> Dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


class BpeReference:
    """llama.cpp's byte-level BPE (gpt2) tokenization, transcribed."""

    def __init__(self, vocab: GGUFVocab) -> None:
        import regex

        self.vocab = vocab
        self.ids = {t: i for i, t in reversed(list(enumerate(vocab.tokens)))}
        self.ranks = {tuple(m.split(" ")): r for r, m in enumerate(vocab.merges or [])}
        self.pattern = regex.compile(PRE_TOKENIZER_REGEX[vocab.pre])
        self.cache: Dict[str, List[int]] = {}

    def word(self, word: str) -> List[int]:
        if word in self.cache:
            return self.cache[word]
        mapping = bytes_to_unicode()
        symbols = [mapping[b] for b in word.encode("utf8")]
        while len(symbols) > 1:
            best: Optional[tuple] = None
            for i in range(len(symbols) - 1):
                rank = self.ranks.get((symbols[i], symbols[i + 1]))
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, i)
            if best is None:
                break
            i = best[1]
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        out = [self.ids[s] for s in symbols]
        self.cache[word] = out
        return out

    def __call__(self, text: str, add_bos: bool) -> List[int]:
        out = [self.vocab.bos_id] if add_bos and self.vocab.bos_id is not None else []
        for word in self.pattern.findall(text):
            out.extend(self.word(word))
        return out


def python_reference(vocab: GGUFVocab):
    """The pure-Python reference tokenizer for `vocab`'s tokenizer model."""
    return SpmReference(vocab) if vocab.model == "llama" else BpeReference(vocab)
