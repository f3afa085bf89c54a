"""A supervised second-order HMM tagger (TnT-style) behind the `SequenceModel` protocol.

Transitions P(t3 | t1, t2) interpolate unigram, bigram and trigram estimates with
weights found by deleted interpolation (Brants 2000); contexts never seen fall back to
the lower orders. Emissions use the hybrid form P(w | t) ∝ P(t | w) / P(t), where the
factor P(w) is the same for every tag at a position and so does not change the Viterbi
path. P(t | w) mixes the word's own tag counts with an unknown-word model:

    P(t | w) = (c(w, t) + k · P_unk(t | w)) / (c(w) + k)

so a frequent word is ruled by its counts and a rare or unseen one by P_unk. P_unk comes
from the lower-cased suffixes of the word, learned from rare training words, by TnT's
successive abstraction P(t | s_i) = (P̂(t | s_i) + θ P(t | s_{i-1})) / (1 + θ), with θ the
standard deviation of the tag priors, and a separate suffix trie for each word-shape
class (capitalisation, digits, symbols), so `ZmABC77` borrows from `ZmXYZ12` and not
from `cells`. Decoding is exact Viterbi over tag pairs in log space.
"""
import math
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import srsly

from ...tags import bioes_to_iob, iob_to_bioes

NEG_INF = -1e30


def word_class(word: str) -> str:
    """A coarse shape class: which of upper/lower/digit/symbol the word contains."""
    has_upper = any(c.isupper() for c in word)
    has_lower = any(c.islower() for c in word)
    has_digit = any(c.isdigit() for c in word)
    has_other = any(not c.isalnum() for c in word)
    initial = word[:1].isupper()
    return f"{int(has_upper)}{int(has_lower)}{int(has_digit)}{int(has_other)}{int(initial)}"


class HmmTagger:
    """Second-order HMM with deleted interpolation and a suffix/shape unknown-word model.

    suffix_length (int): longest suffix used by the unknown-word model.
    rare_threshold (int): words seen at most this often train the unknown-word model.
    word_weight (float): k, the pseudo-count of the unknown-word model in P(t | w).
    encoding (str): "bioes" (states are BIOES, decoded to IOB2) or "iob".
    """

    def __init__(
        self,
        *,
        suffix_length: int = 5,
        rare_threshold: int = 5,
        word_weight: float = 1.0,
        lowercase: bool = False,
        encoding: str = "bioes",
    ) -> None:
        if encoding not in ("bioes", "iob"):
            raise ValueError(f"encoding must be 'bioes' or 'iob', got {encoding!r}.")
        if suffix_length < 0 or rare_threshold < 1 or word_weight <= 0:
            raise ValueError("suffix_length >= 0, rare_threshold >= 1 and word_weight > 0 are required.")
        self.suffix_length = suffix_length
        self.rare_threshold = rare_threshold
        self.word_weight = word_weight
        self.lowercase = lowercase
        self.encoding = encoding
        self.tags: List[str] = []
        self.log_trans: Optional[np.ndarray] = None  # [t1, t2, t3] over tags + START + END
        self.priors: Optional[np.ndarray] = None
        self.lexicon: Dict[str, List[float]] = {}
        self.suffixes: Dict[str, Dict[str, List[float]]] = {}
        self.class_priors: Dict[str, List[float]] = {}
        self.theta = 0.0
        self.lambdas: Tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
        self._cache: Dict[str, np.ndarray] = {}

    # ---- training ---------------------------------------------------------------

    def _key(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
        sequences = [
            (list(w), iob_to_bioes(t) if self.encoding == "bioes" else list(t)) for w, t in zip(words, tags) if w
        ]
        self.tags = sorted({t for _, ts in sequences for t in ts})
        index = {t: i for i, t in enumerate(self.tags)}
        n = len(self.tags)
        start, end = n, n + 1
        uni, bi, tri = Counter(), Counter(), Counter()
        ctx1, ctx2 = Counter(), Counter()
        lexicon: Dict[str, Counter] = defaultdict(Counter)
        for ws, ts in sequences:
            seq = [start, start] + [index[t] for t in ts] + [end]
            for i in range(2, len(seq)):
                t1, t2, t3 = seq[i - 2], seq[i - 1], seq[i]
                uni[t3] += 1
                bi[(t2, t3)] += 1
                tri[(t1, t2, t3)] += 1
                ctx1[t2] += 1
                ctx2[(t1, t2)] += 1
            for w, t in zip(ws, ts):
                lexicon[self._key(w)][index[t]] += 1
        total = sum(uni.values())
        self.lambdas = self._deleted_interpolation(uni, bi, tri, ctx1, ctx2, total)
        size = n + 2
        trans = np.full((size, size, size), NEG_INF)
        l1, l2, l3 = self.lambdas
        for t1 in range(size):
            for t2 in range(size):
                if t1 == end or t2 == end or (t1 != start and t2 == start):
                    continue
                weights, dists = [l1], [[uni[t3] / total for t3 in range(size)]]
                if ctx1[t2]:
                    weights.append(l2)
                    dists.append([bi[(t2, t3)] / ctx1[t2] for t3 in range(size)])
                if ctx2[(t1, t2)]:
                    weights.append(l3)
                    dists.append([tri[(t1, t2, t3)] / ctx2[(t1, t2)] for t3 in range(size)])
                norm = sum(weights)
                for t3 in range(size):
                    if t3 == start:
                        continue
                    p = sum(w * d[t3] for w, d in zip(weights, dists)) / norm
                    trans[t1, t2, t3] = math.log(p) if p > 0 else NEG_INF
        self.log_trans = trans
        tag_counts = np.array([sum(c[i] for c in lexicon.values()) for i in range(n)], dtype=float)
        self.priors = tag_counts / tag_counts.sum()
        self.theta = float(np.std(self.priors)) if n > 1 else 1.0
        self.lexicon = {w: [float(c[i]) for i in range(n)] for w, c in lexicon.items()}
        self._fit_unknown_model(lexicon, n)
        self._cache = {}

    @staticmethod
    def _deleted_interpolation(uni, bi, tri, ctx1, ctx2, total) -> Tuple[float, float, float]:
        weights = [0.0, 0.0, 0.0]
        for (t1, t2, t3), count in tri.items():
            cases = [
                (uni[t3] - 1) / (total - 1) if total > 1 else 0.0,
                (bi[(t2, t3)] - 1) / (ctx1[t2] - 1) if ctx1[t2] > 1 else 0.0,
                (count - 1) / (ctx2[(t1, t2)] - 1) if ctx2[(t1, t2)] > 1 else 0.0,
            ]
            weights[int(np.argmax(cases))] += count
        norm = sum(weights) or 1.0
        return tuple(w / norm for w in weights)  # type: ignore[return-value]

    def _fit_unknown_model(self, lexicon: Dict[str, Counter], n: int) -> None:
        class_counts: Dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n))
        for word, counts in lexicon.items():
            class_counts[word_class(word)] += np.array([counts[i] for i in range(n)], dtype=float)
        self.class_priors = {cls: (v / v.sum()).tolist() for cls, v in class_counts.items()}
        suffixes: Dict[str, Dict[str, np.ndarray]] = defaultdict(lambda: defaultdict(lambda: np.zeros(n)))
        for word, counts in lexicon.items():
            if sum(counts.values()) > self.rare_threshold:
                continue
            vec = np.array([counts[i] for i in range(n)], dtype=float)
            cls, lower = word_class(word), word.lower()
            for i in range(0, min(self.suffix_length, len(lower)) + 1):
                suffixes[cls][lower[len(lower) - i:] if i else ""] += vec
        self.suffixes = {cls: {s: v.tolist() for s, v in table.items()} for cls, table in suffixes.items()}
        self._suffix_arrays = {cls: {s: np.array(v) for s, v in t.items()} for cls, t in self.suffixes.items()}

    # ---- probabilities ----------------------------------------------------------

    def unknown_distribution(self, word: str) -> np.ndarray:
        """P_unk(t | w) by successive abstraction over suffixes (sums to 1)."""
        cls = word_class(word)
        table = self._suffix_arrays.get(cls)
        # Start from the tag distribution of all words of this shape class (smoothed towards
        # the global priors), then refine it with ever longer suffixes of rare words.
        prob = self.priors.copy()
        if cls in self.class_priors:
            prob = (np.asarray(self.class_priors[cls]) + self.theta * prob) / (1 + self.theta)
        if not table:
            return prob
        lower = word.lower()
        for i in range(0, min(self.suffix_length, len(lower)) + 1):
            counts = table.get(lower[len(lower) - i:] if i else "")
            if counts is None:
                break
            prob = (counts / counts.sum() + self.theta * prob) / (1 + self.theta)
        return prob

    def tag_distribution(self, word: str) -> np.ndarray:
        """P(t | w): the word's counts smoothed towards the unknown-word model (sums to 1)."""
        unknown = self.unknown_distribution(word)
        counts = self.lexicon.get(self._key(word))
        if counts is None:
            return unknown
        counts_arr = np.asarray(counts)
        return (counts_arr + self.word_weight * unknown) / (counts_arr.sum() + self.word_weight)

    def _emission(self, word: str) -> np.ndarray:
        cached = self._cache.get(word)
        if cached is None:
            with np.errstate(divide="ignore"):
                cached = np.log(self.tag_distribution(word)) - np.log(self.priors)
            cached = np.concatenate([cached, [NEG_INF, NEG_INF]])  # START and END emit nothing
            if len(self._cache) < 500_000:
                self._cache[word] = cached
        return cached

    # ---- decoding ---------------------------------------------------------------

    def viterbi(self, words: Sequence[str]) -> List[int]:
        """The most probable tag indices for `words` (exact, over tag pairs)."""
        n = len(self.tags)
        start, end = n, n + 1
        trans = self.log_trans
        size = n + 2
        delta = np.full((size, size), NEG_INF)  # delta[t1, t2]: best score ending in (t1, t2)
        delta[start, start] = 0.0
        backs = []
        for word in words:
            scores = delta[:, :, None] + trans  # [t1, t2, t3]
            back = scores.argmax(axis=0)  # best t1 for (t2, t3)
            delta = scores.max(axis=0) + self._emission(word)[None, :]
            backs.append(back)
        final = delta + trans[:, :, end]
        t1, t2 = np.unravel_index(int(final.argmax()), final.shape)
        path = [int(t2), int(t1)]
        for back in reversed(backs[1:]):
            t_prev = int(back[path[-1], path[-2]])
            path.append(t_prev)
        path = path[::-1][-len(words):]
        return path

    def predict(self, words: Sequence[Sequence[str]]) -> List[List[str]]:
        if self.log_trans is None:
            raise ValueError("The HMM has not been fitted.")
        out = []
        for sent in words:
            if not sent:
                out.append([])
                continue
            tags = [self.tags[i] for i in self.viterbi(sent)]
            out.append(bioes_to_iob(tags) if self.encoding == "bioes" else tags)
        return out

    # ---- serialization (plain lists, no pickle) ---------------------------------

    def to_bytes(self) -> bytes:
        return srsly.msgpack_dumps(
            {
                "cfg": {"suffix_length": self.suffix_length, "rare_threshold": self.rare_threshold,
                        "word_weight": self.word_weight, "lowercase": self.lowercase, "encoding": self.encoding},
                "tags": self.tags,
                "log_trans": self.log_trans.tolist() if self.log_trans is not None else None,
                "priors": self.priors.tolist() if self.priors is not None else None,
                "lexicon": self.lexicon,
                "suffixes": self.suffixes,
                "class_priors": self.class_priors,
                "theta": self.theta,
                "lambdas": list(self.lambdas),
            }
        )

    def from_bytes(self, data: bytes) -> "HmmTagger":
        msg = srsly.msgpack_loads(data)
        for key, value in msg["cfg"].items():
            setattr(self, key, value)
        self.tags = msg["tags"]
        self.log_trans = np.array(msg["log_trans"]) if msg["log_trans"] is not None else None
        self.priors = np.array(msg["priors"]) if msg["priors"] is not None else None
        self.lexicon = msg["lexicon"]
        self.suffixes = msg["suffixes"]
        self.class_priors = msg["class_priors"]
        self._suffix_arrays = {cls: {s: np.array(v) for s, v in t.items()} for cls, t in self.suffixes.items()}
        self.theta = msg["theta"]
        self.lambdas = tuple(msg["lambdas"])
        self._cache = {}
        return self
