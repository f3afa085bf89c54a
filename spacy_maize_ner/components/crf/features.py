"""Token features for the CRF baseline, configurable from the training config.

A feature is a string attribute with weight 1 (crfsuite's `name` form). Each family
below can be switched or sized in `[components.crf_ner.features]`:

- word: the token as written and lower-cased (`w=ZmCCT9`, `lw=zmcct9`), plus the
  lower-cased word with every digit folded to 0 (`n=zmcct0`), so `p21` and `p27`
  share a feature.
- shape: the word shape maps upper-case letters to X, lower-case to x, digits to d
  and keeps other characters (`ZmCCT9` -> `XxXXXd`, cut after 12 characters); the
  brief shape collapses repeats (`XxXd`). Gene symbols have typical shapes.
- prefixes and suffixes: of the lower-cased word, of the lengths given (`-ase`,
  `-in`, `zm-`).
- char n-grams: lower-cased character n-grams of the given lengths, with `<` and `>`
  marking the word boundaries; they generalise to unseen symbols.
- case: initial capital, all capitals, mixed case after the first character, all
  lower-case.
- digits: has a digit, is a (long) number, letters and digits mixed, ends in a digit,
  and a single letter (`c` of `c - myc`, `B` of `protein B`).
- greek: the word is a Greek letter spelled out (`alpha`, `kappaB` contains one) or
  holds a Greek symbol (`α`); also Roman numerals (`II`, `IV`). Gene and protein names
  often carry either (`TNF - alpha`, `PKC beta`, `type II`).
- punctuation: the token is one symbol, and which (`punct=-`, `punct=(`).
- length: the token length, capped at 8 (`len=8` means 8 or more).
- window: the lower-cased word and brief shape of every token up to `window`
  positions left and right (`-1lw=the`, `+2bs=Xd`), with BOS/EOS markers past the
  sentence edges; `window_affixes` adds the neighbours' suffixes and prefixes of
  those lengths.
- bigrams: conjunctions of neighbouring words inside the window, as lower-cased word
  pairs (`-1|0=protein|kinase`, `0|+1=...`, `-2|-1`, `+1|+2`), and the brief shapes of
  the previous, current and next token joined (`bs3=x|Xd|-`).
- dictionary: the mentions annotated in the training data, matched greedily (longest
  first) on lower-cased tokens: `dict=B|hi`, `dict=I|hi`, `dict=E|hi`, `dict=S|lo`
  give the token's place in the match and how often that token sequence was annotated
  where it occurs in the training text (hi >= 70%, mid >= 30%, lo below). The training
  sentences see a jackknifed dictionary (counted without their own fold), so the CRF
  learns how far to trust a match on text it has not seen; the dictionary is saved with
  the model as JSON.
- abbreviations: "long form ( SHORT )" pairs found in the sentence (simplified
  Schwartz & Hearst): the long-form words get `lf=B`/`lf=I` and the short form's brief
  shape, the short form gets `sf` and the long form's last word, so `tumor necrosis
  factor ( TNF )` tells both sides about the other.

Word shapes, abbreviations and the mention dictionary are their own modules (shapes.py,
abbreviations.py, mentions.py); this one turns them into features.

Features of a word type are computed once and cached, and window features are the
neighbour's cached strings with an offset prefix already attached, so a sentence costs
list concatenation plus one string join per bigram; this keeps tagging fast with feature
extraction included.
"""
import re
from typing import Dict, List, Optional, Sequence, Tuple

import spacy

from .abbreviations import abbreviations
from .mentions import MentionDictionary
from .shapes import brief_shape, word_shape

GREEK = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
)
# Spelled-out letters as whole words or inside a word (kappaB, TGFbeta); the short ones
# (eta, mu, nu, xi, pi, chi, psi, tau, rho, phi) only as whole words, else "beta" holds "eta".
GREEK_WORD_RE = re.compile("^(" + "|".join(GREEK) + ")$", re.IGNORECASE)
GREEK_PART_RE = re.compile(
    "(" + "|".join(g for g in GREEK if len(g) > 3) + ")", re.IGNORECASE
)
GREEK_SYMBOLS = frozenset("αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ")
ROMAN_RE = re.compile(r"^(?=[IVX])X{0,3}(IX|IV|V?I{0,3})$")
DIGIT_RE = re.compile(r"\d")
# Per-word caches are cleared past this many types, so tagging a stream stays bounded.
MAX_CACHE = 500_000


class CrfFeatures:
    """Map a sentence (token texts) to crfsuite attribute lists.

    See the module docstring for the feature families; `create_crf_features` documents
    the arguments.
    """

    def __init__(
        self,
        *,
        window: int,
        prefix_lengths: Sequence[int],
        suffix_lengths: Sequence[int],
        ngram_lengths: Sequence[int],
        window_affixes: Sequence[int],
        word: bool,
        shape: bool,
        case: bool,
        digits: bool,
        greek: bool,
        punctuation: bool,
        length: bool,
        bigrams: bool,
        dictionary: bool = False,
        dictionary_folds: int = 5,
        abbreviations: bool = False,
        max_length: int = 8,
    ) -> None:
        if window < 0:
            raise ValueError(
                f"CrfFeatures: window must be 0 or more tokens, got {window}. "
                "Set [components.crf_ner.features] window = 2, for example."
            )
        for name, lengths in (
            ("prefix_lengths", prefix_lengths),
            ("suffix_lengths", suffix_lengths),
            ("ngram_lengths", ngram_lengths),
            ("window_affixes", window_affixes),
        ):
            if any(n < 1 for n in lengths):
                raise ValueError(
                    f"CrfFeatures: {name} must hold lengths of 1 or more, got {list(lengths)}. "
                    f"Use [] to switch the family off, e.g. {name} = []."
                )
        self.window = window
        self.prefix_lengths = tuple(prefix_lengths)
        self.suffix_lengths = tuple(suffix_lengths)
        self.ngram_lengths = tuple(ngram_lengths)
        self.window_affixes = tuple(window_affixes)
        self.word = word
        self.shape = shape
        self.case = case
        self.digits = digits
        self.greek = greek
        self.punctuation = punctuation
        self.length = length
        self.bigrams = bigrams
        self.dictionary = dictionary
        self.abbreviations = abbreviations
        self.dictionary_folds = dictionary_folds
        self.mentions: Optional[MentionDictionary] = None
        self.max_length = max_length
        self.offsets = [o for o in range(-window, window + 1) if o != 0]
        # Sentinel entries past the sentence edges: "-2BOS", "+1EOS" ... as window features.
        self._bos = [([], {o: [f"{o:+d}BOS"] for o in self.offsets}, "<s>", "<s>")] * window
        self._eos = [([], {o: [f"{o:+d}EOS"] for o in self.offsets}, "</s>", "</s>")] * window
        # word -> (own features, {offset: prefixed context features}, lower, brief shape)
        self._cache: Dict[str, Tuple[List[str], Dict[int, List[str]], str, str]] = {}

    def token_features(self, word: str) -> List[str]:
        """Features of a word type on its own, independent of its context.

        word (str): the token text.
        RETURNS (List[str]): the attributes (shared with the cache: do not modify).
        """
        return self._entry(word)[0]

    def _entry(self, word: str) -> Tuple[List[str], Dict[int, List[str]], str, str]:
        entry = self._cache.get(word)
        if entry is None:
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            lower = word.lower()
            bshape = brief_shape(word_shape(word, max_length=len(word)))
            context = [f"lw={lower}", f"bs={bshape}"]
            context += [f"s{n}={lower[-n:]}" for n in self.window_affixes if len(lower) > n]
            prefixed = {o: [f"{o:+d}{f}" for f in context] for o in self.offsets}
            entry = (self._own(word, lower, bshape), prefixed, lower, bshape)
            self._cache[word] = entry
        return entry

    def _own(self, word: str, lower: str, bshape: str) -> List[str]:
        feats = ["bias"]
        if self.word:
            feats += [f"w={word}", f"lw={lower}"]
            if DIGIT_RE.search(lower):
                feats.append("n=" + DIGIT_RE.sub("0", lower))
        if self.shape:
            feats += [f"sh={word_shape(word)}", f"bs={bshape}"]
        feats += [f"p{n}={lower[:n]}" for n in self.prefix_lengths if len(lower) > n]
        feats += [f"s{n}={lower[-n:]}" for n in self.suffix_lengths if len(lower) > n]
        if self.ngram_lengths:
            padded = f"<{lower}>"
            for n in self.ngram_lengths:
                feats += dict.fromkeys(f"g{n}={padded[i:i + n]}" for i in range(len(padded) - n + 1))
        if self.case:
            if word[:1].isupper():
                feats.append("initcap")
            if word.isupper():
                feats.append("allcap")
            if any(c.isupper() for c in word[1:]) and any(c.islower() for c in word):
                feats.append("mixedcase")
            if word.islower():
                feats.append("alllower")
        if self.digits:
            has_digit = any(c.isdigit() for c in word)
            has_alpha = any(c.isalpha() for c in word)
            if has_digit:
                feats.append("hasdigit")
            if word.isdigit():
                feats.append("number" if len(word) < 5 else "longnumber")
            if has_digit and has_alpha:
                feats.append("alnum")
                if word[-1].isdigit():
                    feats.append("enddigit")
            if len(word) == 1 and has_alpha:
                feats.append("letter")
        if self.greek:
            if GREEK_WORD_RE.match(word):
                feats.append("greek")
            elif GREEK_PART_RE.search(word):
                feats.append("hasgreek")
            if any(c in GREEK_SYMBOLS for c in word):
                feats.append("greeksym")
            if ROMAN_RE.match(word):
                feats.append("roman")
        if self.punctuation and len(word) == 1 and not word.isalnum():
            feats.append(f"punct={word}")
        if self.length:
            feats.append(f"len={min(len(word), self.max_length)}")
        return feats

    def fit(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> List[MentionDictionary]:
        """Learn what the features need from the training data: the mention dictionary.

        The returned dictionaries are jackknifed: sentence i of the training data should be
        featurized with dictionary `i % len(result)`, which was counted without the
        sentences of its fold, so that the CRF sees the dictionary miss unseen mentions as
        it will on new text. `self.mentions`, used by default, is counted on all of it.
        RETURNS (List[MentionDictionary]): one dictionary per fold ([] when off).
        """
        if not self.dictionary:
            return []
        k = max(2, self.dictionary_folds)
        folds = []
        for fold in range(k):
            keep = [i for i in range(len(words)) if i % k != fold]
            folds.append(MentionDictionary.count([words[i] for i in keep], [tags[i] for i in keep]))
        self.mentions = MentionDictionary.count(words, tags)
        return folds

    def get_state(self) -> dict:
        """RETURNS (dict): what `fit` learned, as JSON."""
        return {"mentions": self.mentions.to_json() if self.mentions is not None else None}

    def set_state(self, state: dict) -> None:
        """Restore what `get_state` returned."""
        data = state.get("mentions")
        self.mentions = MentionDictionary.from_json(data) if data is not None else None

    def __call__(
        self, words: Sequence[str], mentions: Optional[MentionDictionary] = None
    ) -> List[List[str]]:
        """Attributes of every token of one sentence.

        words (Sequence[str]): the token texts of the sentence.
        mentions (Optional[MentionDictionary]): overrides the fitted dictionary (jackknifing).
        RETURNS (List[List[str]]): one attribute list per token.
        """
        w = self.window
        padded = self._bos + [self._entry(word) for word in words] + self._eos
        out = self._window(padded)
        if self.abbreviations:
            self._abbreviation_features(padded[w : len(padded) - w], out)
        mentions = mentions or self.mentions
        if self.dictionary and mentions is not None:
            for feats, match in zip(out, mentions.match([e[2] for e in padded[w : len(padded) - w]])):
                if match is not None:
                    feats.append(match)
        return out

    def _abbreviation_features(self, entries: list, out: List[List[str]]) -> None:
        words = [e[2] for e in entries]
        if "(" not in words:
            return
        for lf_start, lf_end, sf_start, sf_end in abbreviations(words):
            short_shape = "".join(e[3] for e in entries[sf_start:sf_end])
            for j in range(lf_start, lf_end):
                out[j].append("lf=B" if j == lf_start else "lf=I")
                out[j].append(f"lf_sf={short_shape}")
            for j in range(sf_start, sf_end):
                out[j].append("sf")
                out[j].append(f"sf_lf={words[lf_end - 1]}")

    def _window(self, padded: list) -> List[List[str]]:
        w = self.window
        out = []
        if self.bigrams and w:
            for k in range(w, len(padded) - w):
                prev, entry, nxt = padded[k - 1], padded[k], padded[k + 1]
                feats = entry[0] + [f for o in self.offsets for f in padded[k + o][1][o]]
                feats.append(f"-1|0={prev[2]}|{entry[2]}")
                feats.append(f"0|+1={entry[2]}|{nxt[2]}")
                if w >= 2:
                    feats.append(f"-2|-1={padded[k - 2][2]}|{prev[2]}")
                    feats.append(f"+1|+2={nxt[2]}|{padded[k + 2][2]}")
                feats.append(f"bs3={prev[3]}|{entry[3]}|{nxt[3]}")
                out.append(feats)
        else:
            for k in range(w, len(padded) - w):
                out.append(padded[k][0] + [f for o in self.offsets for f in padded[k + o][1][o]])
        return out

    def to_dict(self) -> dict:
        """RETURNS (dict): the settings, as JSON."""
        return {
            "window": self.window,
            "prefix_lengths": list(self.prefix_lengths),
            "suffix_lengths": list(self.suffix_lengths),
            "ngram_lengths": list(self.ngram_lengths),
            "window_affixes": list(self.window_affixes),
            "word": self.word,
            "shape": self.shape,
            "case": self.case,
            "digits": self.digits,
            "greek": self.greek,
            "punctuation": self.punctuation,
            "length": self.length,
            "bigrams": self.bigrams,
            "dictionary": self.dictionary,
            "abbreviations": self.abbreviations,
            "dictionary_folds": self.dictionary_folds,
        }


@spacy.registry.misc("spacy_maize_ner.CrfFeatures.v1")
def create_crf_features(
    *,
    window: int = 2,
    prefix_lengths: List[int] = [1, 2, 3, 4],
    suffix_lengths: List[int] = [1, 2, 3, 4],
    ngram_lengths: List[int] = [2, 3, 4],
    window_affixes: List[int] = [],
    word: bool = True,
    shape: bool = True,
    case: bool = True,
    digits: bool = True,
    greek: bool = True,
    punctuation: bool = True,
    length: bool = True,
    bigrams: bool = True,
    dictionary: bool = False,
    dictionary_folds: int = 5,
    abbreviations: bool = False,
) -> CrfFeatures:
    """Build the CRF's feature extractor (the module docstring explains each family).

    window (int): tokens on each side whose lower-cased word and brief shape are features.
    prefix_lengths (List[int]): prefix lengths of the lower-cased word ([] for none).
    suffix_lengths (List[int]): suffix lengths of the lower-cased word ([] for none).
    ngram_lengths (List[int]): character n-gram lengths ([] for none).
    window_affixes (List[int]): suffix lengths of the neighbours in the window ([] for none).
    word (bool): the word, lower-cased and with digits folded.
    shape (bool): word shape and brief shape.
    case (bool): capitalisation flags.
    digits (bool): digit and single-letter flags.
    greek (bool): Greek letters (spelled out or symbols) and Roman numerals.
    punctuation (bool): which symbol a one-symbol token is.
    length (bool): the token length, capped at 8.
    bigrams (bool): conjunctions of neighbouring words and of brief shapes.
    dictionary (bool): mark matches of the mentions annotated in the training data.
    dictionary_folds (int): folds for jackknifing the dictionary on the training data.
    abbreviations (bool): mark "long form ( SHORT )" pairs and link their words.
    RETURNS (CrfFeatures): the extractor.
    """
    return CrfFeatures(
        window=window,
        prefix_lengths=prefix_lengths,
        suffix_lengths=suffix_lengths,
        ngram_lengths=ngram_lengths,
        window_affixes=window_affixes,
        word=word,
        shape=shape,
        case=case,
        digits=digits,
        greek=greek,
        punctuation=punctuation,
        length=length,
        bigrams=bigrams,
        dictionary=dictionary,
        dictionary_folds=dictionary_folds,
        abbreviations=abbreviations,
    )
