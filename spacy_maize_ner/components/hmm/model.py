"""A supervised second-order HMM tagger (TnT-style) behind the `SequenceModel` protocol.

Hidden states refine the BILUO (or BIO) tags. The most frequent (word, tag) pairs get a
state of their own (a lexicalised HMM, Lee et al. 2000): `protein` inside a mention or `(`
outside one carry their identity into the transition model, which is where an HMM sees
context. Other tokens can be split by a coarse shape class (`state_shapes`), which
generalises TnT's capitalisation flag. Each word still allows one state per tag, so
decoding costs no more than with plain tags.

Transitions P(s3 | s1, s2) interpolate unigram, bigram and trigram estimates with weights
found by deleted interpolation (Brants 2000); transitions the tag encoding forbids
(`O -> E`, `B -> O` ...) get probability 0 and the rest are renormalised, so the output is
always well formed. Emissions use the hybrid form P(w | s) ∝ P(t | w) / P(s), t the tag of
s (a word and a tag fix the state): P(w) is the same for every state at a position and does
not change the Viterbi path. P(t | w) mixes the word's tag counts (lower-cased by default)
with an unknown-word model:

    P(t | w) = (c(w, t) + k · P_unk(t | w)) / (c(w) + k)

so a frequent word is ruled by its counts and a rare or unseen one by P_unk. P_unk is TnT's
successive abstraction P(t | s_i) = (P̂(t | s_i) + θ P(t | s_{i-1})) / (1 + θ), θ the
standard deviation of the tag priors, from the priors through the tags of the word's shape
class (TnT's capitalisation flag, extended to digits and symbols) down its lower-cased
suffixes as seen in rare training words of that class; so `ZmABC77` borrows from `ZmXYZ12`
and not from `cells`. Decoding is exact Viterbi over state pairs in log space, vectorised
over a batch of sentences and over the few states each word allows.
"""
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import srsly

from ...tags import OUTSIDE, allowed_transition, from_scheme, scheme_name, to_scheme

NEG_INF = -1e30


def word_class(word: str) -> str:
    """The unknown-word model's shape class: upper/lower/digit/symbol content, initial capital."""
    has_upper = any(c.isupper() for c in word)
    has_lower = any(c.islower() for c in word)
    has_digit = any(c.isdigit() for c in word)
    has_other = any(not c.isalnum() for c in word)
    initial = word[:1].isupper()
    return f"{int(has_upper)}{int(has_lower)}{int(has_digit)}{int(has_other)}{int(initial)}"


def state_shape(word: str) -> str:
    """A coarser shape for hidden states: x, Xx, X, 9, X9 (letters and digits) or punct."""
    if word.isdigit():
        return "9"
    if not any(c.isalnum() for c in word):
        return "punct"
    if any(c.isdigit() for c in word):
        return "X9"
    if word.islower():
        return "x"
    return "X" if word.isupper() else "Xx"


class HmmTagger:
    """Second-order HMM with deleted interpolation and a suffix/shape unknown-word model.

    order (int): 2 for trigram transitions P(s3 | s1, s2), 1 for bigram ones P(s3 | s2).
    suffix_length (int): longest suffix used by the unknown-word model.
    prefix_length (int): longest prefix used by the unknown-word model (0: suffixes only).
    rare_threshold (int): words seen at most this often train the unknown-word model.
    word_weight (float): k, the pseudo-count of the unknown-word model in P(t | w).
    lexical_states (int): how many of the most frequent (word, tag) pairs get their own state.
    lexical_min_count (int): a pair needs this many occurrences to get a state, so its
        transitions are well estimated and, in a small corpus, enough tokens are left to
        train the shared states that unknown words go through.
    state_shapes (bool): split the other states by `state_shape` of their word.
    lowercase (bool): key the lexicon on lower-cased words.
    scheme (str): "BILUO" (states refine BILUO tags, decoded to BIO) or "BIO"
        (spacy_maize_ner/tags.py; the older names "bioes" and "iob" are read too).
    batch_size (int): sentences decoded together by the vectorised Viterbi.
    """

    def __init__(
        self,
        *,
        order: int = 2,
        suffix_length: int = 3,
        prefix_length: int = 0,
        rare_threshold: int = 5,
        word_weight: float = 1.0,
        lexical_states: int = 200,
        lexical_min_count: int = 50,
        state_shapes: bool = True,
        lowercase: bool = True,
        scheme: str = "BILUO",
        batch_size: int = 256,
    ) -> None:
        scheme = scheme_name(scheme)
        if order not in (1, 2):
            raise ValueError(f"order must be 1 (bigram HMM) or 2 (trigram HMM), got {order!r}.")
        if min(suffix_length, prefix_length, lexical_states, lexical_min_count) < 0 or rare_threshold < 1 or word_weight <= 0:
            raise ValueError(
                "Expected suffix_length, prefix_length, lexical_states, lexical_min_count >= 0, "
                f"rare_threshold >= 1 and word_weight > 0; got {suffix_length}, {prefix_length}, "
                f"{lexical_states}, {lexical_min_count}, {rare_threshold}, {word_weight}. "
                "Fix them in [components.<name>] of the config."
            )
        self.cfg = dict(order=order, suffix_length=suffix_length, prefix_length=prefix_length,
                        rare_threshold=rare_threshold, word_weight=float(word_weight),
                        lexical_states=lexical_states, lexical_min_count=lexical_min_count,
                        state_shapes=state_shapes,
                        lowercase=lowercase, scheme=scheme)
        self.batch_size = batch_size
        self.data: Optional[dict] = None

    # ---- training ---------------------------------------------------------------

    def _key(self, word: str) -> str:
        return word.lower() if self.cfg["lowercase"] else word

    def _state_key(self, word: str, tag: str, lexical: set) -> Tuple[str, str, str]:
        key = self._key(word)
        if (key, tag) in lexical:
            return (tag, "word", key)
        if self.cfg["state_shapes"]:
            return (tag, "shape", state_shape(word))
        return (tag, "tag", "")

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> None:
        """Count transitions, the lexicon and the affix tries; replaces any earlier fit."""
        seqs = [(list(ws), to_scheme(ts, self.cfg["scheme"])) for ws, ts in zip(words, tags) if ws]
        base = sorted({t for _, ts in seqs for t in ts} | {OUTSIDE})
        forms = Counter((w, t) for ws, ts in seqs for w, t in zip(ws, ts))
        pairs = Counter()
        for (w, t), c in forms.items():
            pairs[(self._key(w), t)] += c
        top = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[: self.cfg["lexical_states"]]
        lexical = {pair for pair, count in top if count >= self.cfg["lexical_min_count"]}
        keys = {self._state_key(w, t, lexical) for (w, t) in forms}
        states = sorted(keys, key=lambda k: ({"tag": 0, "shape": 1, "word": 2}[k[1]], k[2], k[0]))
        state_index = {k: i for i, k in enumerate(states)}
        index = {t: i for i, t in enumerate(base)}
        start, end = len(states), len(states) + 1
        uni, bi, tri = Counter(), Counter(), Counter()
        lexicon: Dict[str, Counter] = defaultdict(Counter)
        for ws, ts in seqs:
            seq = [start, start] + [state_index[self._state_key(w, t, lexical)] for w, t in zip(ws, ts)] + [end]
            for i in range(2, len(seq)):
                uni[seq[i]] += 1
                bi[(seq[i - 1], seq[i])] += 1
                tri[(seq[i - 2], seq[i - 1], seq[i])] += 1
            for w, t in zip(ws, ts):
                lexicon[self._key(w)][index[t]] += 1
        # The unknown-word model: tag counts of every word of each shape class, then affix
        # tries from the rare words, in their own spelling.
        classes: Dict[str, List[int]] = {}
        suffixes: Dict[str, Dict[str, List[int]]] = defaultdict(dict)
        prefixes: Dict[str, Dict[str, List[int]]] = defaultdict(dict)
        for (word, tag), count in sorted(forms.items()):
            classes.setdefault(word_class(word), [0] * len(base))[index[tag]] += count
            if sum(lexicon[self._key(word)].values()) > self.cfg["rare_threshold"]:
                continue
            cls = word_class(word)
            for table, affixes in ((suffixes[cls], self._suffixes(word)), (prefixes[cls], self._prefixes(word))):
                for affix in affixes:
                    table.setdefault(affix, [0] * len(base))[index[tag]] += count
        self.data = {
            "base": base,
            "states": [list(k) for k in states],
            "unigrams": [[s, c] for s, c in sorted(uni.items())],
            "bigrams": [[a, b, c] for (a, b), c in sorted(bi.items())],
            "trigrams": [[a, b, s, c] for (a, b, s), c in sorted(tri.items())],
            "lexicon": {w: sorted([b, c] for b, c in cs.items()) for w, cs in lexicon.items()},
            "classes": classes,
            "suffixes": {cls: dict(table) for cls, table in suffixes.items()},
            "prefixes": {cls: dict(table) for cls, table in prefixes.items()},
        }
        self._build()

    def _build(self) -> None:
        """Derive the arrays used for decoding from the stored counts."""
        d = self.data
        assert d is not None
        self.base: List[str] = d["base"]
        index = {t: i for i, t in enumerate(self.base)}
        self.states = [tuple(k) for k in d["states"]]
        self.state_index = {k: i for i, k in enumerate(self.states)}
        self.base_of = np.array([index[t] for t, _, _ in self.states], dtype=np.int64)
        self.lexical_words = {value for _, kind, value in self.states if kind == "word"}
        n = len(self.states)
        self.start, self.end = n, n + 1
        uni = np.zeros(n + 2)
        for s, c in d["unigrams"]:
            uni[s] = c
        self.log_priors = np.log(np.maximum(uni[:n], 1e-300) / uni[:n].sum())
        self.log_priors[uni[:n] == 0] = np.inf  # a state never seen emits nothing
        base_counts = np.bincount(self.base_of, weights=uni[:n], minlength=len(self.base))
        self.base_priors = base_counts / base_counts.sum()
        self.theta = float(np.std(self.base_priors)) if len(self.base) > 1 else 1.0
        # A tag whose state for this word's shape was never seen backs off to its most
        # frequent non-lexical state; the most frequent state overall is the last resort.
        self.tag_fallback = [-1] * len(self.base)
        for s in np.argsort(-uni[:n], kind="stable"):
            if self.states[s][1] != "word" and self.tag_fallback[self.base_of[s]] < 0:
                self.tag_fallback[self.base_of[s]] = int(s)
        self.most_frequent = int(np.argmax(uni[:n]))
        self.log_trans = self._transitions(d, uni)
        self.suffix_arrays, self.prefix_arrays = [
            {cls: {s: np.asarray(v, dtype=float) / max(sum(v), 1) for s, v in table.items()}
             for cls, table in d[key].items()}
            for key in ("suffixes", "prefixes")
        ]
        self.class_arrays = {cls: np.asarray(v, dtype=float) / sum(v) for cls, v in d["classes"].items()}
        self.width = len(self.base)
        self._cache: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    def _transitions(self, d: dict, uni: np.ndarray) -> np.ndarray:
        """log P(s3 | s1, s2) as a dense float32 [S, S, S] array (S = states + <s>, </s>)."""
        size = len(uni)
        bi = np.zeros((size, size))
        for a, b, c in d["bigrams"]:
            bi[a, b] = c
        tri = np.array(d["trigrams"], dtype=np.int64).reshape(-1, 4)
        tri = tri[np.argsort(tri[:, 0] * size + tri[:, 1], kind="stable")]
        contexts, ctx_of = np.unique(tri[:, 0] * size + tri[:, 1], return_inverse=True)
        ctx_of = ctx_of.reshape(-1)
        ctx1, ctx2 = bi.sum(axis=1), np.bincount(ctx_of, weights=tri[:, 3], minlength=len(contexts))
        l1, l2, l3 = self.lambdas = self._deleted_interpolation(uni, bi, tri, ctx1, ctx2[ctx_of])
        l1 = max(l1, 1e-6)  # every legal transition keeps a little probability
        p_uni = uni / uni.sum()
        p_bi = bi / np.maximum(ctx1, 1)[:, None]
        w2 = np.where(ctx1 > 0, l2, 0.0)
        lower = (l1 * p_uni[None, :] + w2[:, None] * p_bi) / (l1 + w2)[:, None]  # [s2, s3]
        probs = np.empty((size, size, size), dtype=np.float32)
        probs[:] = lower[None, :, :]
        bounds = np.searchsorted(ctx_of, np.arange(len(contexts) + 1))
        for lo in range(0, len(contexts), 2048):  # trigram contexts, a chunk at a time
            hi = min(lo + 2048, len(contexts))
            rows = np.zeros((hi - lo, size))
            sel = slice(bounds[lo], bounds[hi])
            np.add.at(rows, (ctx_of[sel] - lo, tri[sel, 2]), tri[sel, 3])
            a, b = np.divmod(contexts[lo:hi], size)
            rows = l1 * p_uni + w2[b, None] * p_bi[b] + l3 * rows / ctx2[lo:hi, None]
            probs[a, b] = rows / (l1 + w2[b] + l3)[:, None]
        tags = [t for t, _, _ in self.states] + ["<s>", "</s>"]
        allowed = np.array([[allowed_transition(p, q, self.cfg["scheme"]) for q in tags] for p in tags])
        allowed[:, self.start] = False
        allowed[self.end, :] = False
        first = probs[self.start, self.start] * allowed[self.start]  # the first word: (<s>, <s>)
        probs *= allowed[None, :, :]  # s2 -> s3 allowed
        probs *= allowed[:, :, None]  # (s1, s2) reachable
        probs[self.start, self.start] = first
        probs /= np.maximum(probs.sum(axis=2, keepdims=True), 1e-30)  # renormalise legal mass
        zero = probs <= 0
        with np.errstate(divide="ignore"):
            np.log(probs, out=probs)
        probs[zero] = NEG_INF
        return probs

    def _deleted_interpolation(self, uni, bi, tri, ctx1, ctx2) -> Tuple[float, float, float]:
        """TnT's deleted interpolation: each n-gram votes, by its count, for the order that
        predicts it best once the n-gram itself is removed from the counts."""
        total = uni.sum()
        if self.cfg["order"] == 1:
            a, s = np.array(self.data["bigrams"], dtype=np.int64).reshape(-1, 3)[:, :2].T
            count = bi[a, s]
            cases = [(uni[s] - 1) / max(total - 1, 1), np.where(ctx1[a] > 1, (count - 1) / np.maximum(ctx1[a] - 1, 1), 0.0)]
        else:
            a, b, s, count = tri.T
            cases = [(uni[s] - 1) / max(total - 1, 1),
                     np.where(ctx1[b] > 1, (bi[b, s] - 1) / np.maximum(ctx1[b] - 1, 1), 0.0),
                     np.where(ctx2 > 1, (count - 1) / np.maximum(ctx2 - 1, 1), 0.0)]
        winner = np.argmax(np.stack(cases), axis=0)
        weights = np.bincount(winner, weights=count, minlength=3)
        norm = weights.sum() or 1.0
        return float(weights[0] / norm), float(weights[1] / norm), float(weights[2] / norm)

    # ---- probabilities ----------------------------------------------------------

    def _suffixes(self, word: str) -> List[str]:
        lower = word.lower()
        return [lower[len(lower) - i:] for i in range(min(self.cfg["suffix_length"], len(lower)) + 1)]

    def _prefixes(self, word: str) -> List[str]:
        lower = word.lower()
        return [lower[:i] for i in range(min(self.cfg["prefix_length"], len(lower)) + 1)] if self.cfg["prefix_length"] else []

    def _abstract(self, table: Dict[str, np.ndarray], affixes: List[str], cls: str) -> np.ndarray:
        """TnT's successive abstraction from the tag priors, through the tags of all words of
        the shape class (so a class seen only in frequent words still counts), down the
        longest known affix of the rare words."""
        prob = self.base_priors.copy()
        if cls in self.class_arrays:
            prob = (self.class_arrays[cls] + self.theta * prob) / (1 + self.theta)
        for affix in affixes:
            dist = table.get(affix)
            if dist is None:
                break
            prob = (dist + self.theta * prob) / (1 + self.theta)
        return prob

    def unknown_distribution(self, word: str) -> np.ndarray:
        """P_unk(t | w) over the tags from the word's shape class and suffixes, and prefixes
        if enabled, combined as independent views given the class (sums to 1)."""
        self._check_fitted()
        cls = word_class(word)
        table = self.suffix_arrays.get(cls, {})
        prob = self._abstract(table, self._suffixes(word), cls)
        prefixes = self._prefixes(word)
        if prefixes and cls in self.prefix_arrays:
            by_class = self._abstract(table, [""], cls)
            prob = prob * self._abstract(self.prefix_arrays[cls], prefixes, cls) / by_class
            prob /= prob.sum()
        return prob

    def tag_distribution(self, word: str) -> np.ndarray:
        """P(t | w) over the tags: counts smoothed towards the unknown-word model (sums to 1)."""
        prob = self.unknown_distribution(word)
        counts = self.data["lexicon"].get(self._key(word))  # type: ignore[index]
        if counts:
            k = self.cfg["word_weight"]
            prob *= k
            for b, c in counts:
                prob[b] += c
            prob /= k + sum(c for _, c in counts)
        return prob

    def word_states(self, word: str) -> List[int]:
        """The state each tag takes for `word` (-1: none), most specific first."""
        key = self._key(word)
        shape = state_shape(word)
        found = []
        for tag in self.base:
            ids = [self.state_index.get((tag, "word", key), -1) if key in self.lexical_words else -1,
                   self.state_index.get((tag, "shape", shape), -1),
                   self.state_index.get((tag, "tag", ""), -1)]
            found.append(next((i for i in ids if i >= 0), self.tag_fallback[len(found)]))
        return found

    def emission(self, word: str) -> Tuple[np.ndarray, np.ndarray]:
        """The word's possible states and their log P(s | w) - log P(s), padded to `width`."""
        cached = self._cache.get(word)
        if cached is None:
            prob = self.tag_distribution(word)
            ids = np.full(self.width, self.end)
            scores = np.full(self.width, NEG_INF)
            slot = 0
            for b, s in enumerate(self.word_states(word)):
                if s >= 0 and prob[b] > 0 and np.isfinite(self.log_priors[s]):
                    ids[slot], scores[slot] = s, np.log(prob[b]) - self.log_priors[s]
                    slot += 1
            if slot == 0:
                ids[0], scores[0] = self.most_frequent, 0.0
            cached = (ids, scores)
            if len(self._cache) < 200_000:  # bounded: a long-running service sees new words forever
                self._cache[word] = cached
        return cached

    # ---- decoding ---------------------------------------------------------------

    def _check_fitted(self) -> None:
        if self.data is None:
            raise ValueError(
                "The HMM has not been fitted: call fit(words, tags), or train the pipeline "
                "with `spacy train` / `nlp.initialize(get_examples)`."
            )

    def viterbi_batch(self, sents: Sequence[Sequence[str]]) -> List[List[int]]:
        """Most probable state indices of each (non-empty) sentence, decoded together."""
        B, L, M = len(sents), max(len(s) for s in sents), self.width
        lens = np.array([len(s) for s in sents])
        cand = np.full((B, L, M), self.end)
        emit = np.full((B, L, M), NEG_INF)
        for b, sent in enumerate(sents):
            for i, word in enumerate(sent):
                cand[b, i], emit[b, i] = self.emission(word)
        trans = self.log_trans
        first = np.full(M, self.end)
        first[0] = self.start
        c2 = c1 = np.tile(first, (B, 1))
        delta = np.full((B, M, M), NEG_INF)  # [sentence, state at i-1, state at i]
        delta[:, 0, 0] = 0.0
        backs = np.empty((L, B, M, M), dtype=np.int16)
        best_last = np.zeros((B, 2), dtype=np.int64)
        rows = np.arange(B)
        for i in range(L):
            c0 = cand[:, i]
            scores = delta[:, :, :, None] + trans[c2[:, :, None, None], c1[:, None, :, None], c0[:, None, None, :]]
            backs[i] = scores.argmax(axis=1)
            delta = scores.max(axis=1) + emit[:, i, None, :]
            c2, c1 = c1, c0
            done = rows[lens == i + 1]
            if len(done):
                final = delta[done] + trans[c2[done][:, :, None], c1[done][:, None, :], self.end]
                flat = final.reshape(len(done), -1).argmax(axis=1)
                best_last[done, 0], best_last[done, 1] = np.divmod(flat, M)
        paths = []
        for b in range(B):
            n = lens[b]
            prev, cur = int(best_last[b, 0]), int(best_last[b, 1])
            slots = [0] * n
            for i in range(n - 1, -1, -1):
                slots[i] = cur
                prev, cur = int(backs[i, b, prev, cur]), prev
            paths.append([int(cand[b, i, slots[i]]) for i in range(n)])
        return paths

    def predict(self, words: Sequence[Sequence[str]]) -> List[List[str]]:
        """IOB2 tags for each sentence."""
        self._check_fitted()
        out: List[List[str]] = [[] for _ in words]
        tag_of = [t for t, _, _ in self.states]
        order = sorted((i for i, s in enumerate(words) if s), key=lambda i: len(words[i]))
        for j in range(0, len(order), self.batch_size):
            batch = order[j : j + self.batch_size]
            for i, path in zip(batch, self.viterbi_batch([words[i] for i in batch])):
                tags = [tag_of[s] for s in path]
                out[i] = from_scheme(tags, self.cfg["scheme"])
        return out

    # ---- serialization (plain lists and dicts, no pickle) -----------------------

    def to_bytes(self) -> bytes:
        return srsly.msgpack_dumps({"cfg": self.cfg, "data": self.data})

    def from_bytes(self, data: bytes) -> "HmmTagger":
        msg = srsly.msgpack_loads(data)
        self.cfg = dict(msg["cfg"])
        if "encoding" in self.cfg:  # saved before 2026-12-03: "bioes" / "iob" (the same states)
            self.cfg["scheme"] = scheme_name(self.cfg.pop("encoding"))
        self.data = msg["data"]
        if self.data is not None:
            self._build()
        return self
