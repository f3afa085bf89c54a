"""Token features for the CRF baseline, configurable from the training config.

Feature families (each switchable in `[components.crf_ner.features]`):

- word: the token as written and lower-cased (`w=ZmCCT9`, `lw=zmcct9`).
- shape: the word shape, upper-case -> X, lower-case -> x, digit -> d, other kept
  (`ZmCCT9` -> `XxXXXd`), and the brief shape with repeats collapsed (`XxXd`).
- affixes: prefixes and suffixes of the lower-cased word, of the lengths given.
- case: initial capital, all capitals, mixed case inside the word, all lower.
- digits: has a digit, is a number, letters and digits mixed, ends in a digit.
- greek: the word is or contains a Greek letter, spelled out (alpha, beta, kappa ...)
  or as a symbol; gene names often carry one (`TNF-alpha`, `PKC beta`).
- punctuation: the token is a single symbol, and which one (hyphen, bracket ...).
- char n-grams: lower-cased character n-grams of the given lengths, with boundaries.
- window: the lower-cased word and brief shape of the tokens up to `window` positions
  left and right, and the word bigrams with the left and right neighbour.

Features of a word type are computed once and cached, so a sentence costs only list
concatenation per token; this keeps tagging fast with feature extraction included.
"""
import re
from typing import Dict, List, Sequence, Tuple

import spacy

GREEK = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
)
GREEK_SYMBOLS = set("αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ")
GREEK_RE = re.compile("(" + "|".join(GREEK) + ")", re.IGNORECASE)
ROMAN_RE = re.compile(r"^(?=[IVX])X{0,3}(IX|IV|V?I{0,3})$")


def word_shape(word: str) -> str:
    out = []
    for char in word:
        if char.isupper():
            out.append("X")
        elif char.islower():
            out.append("x")
        elif char.isdigit():
            out.append("d")
        else:
            out.append(char)
    return "".join(out)


def brief_shape(shape: str) -> str:
    out = []
    for char in shape:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)


class CrfFeatures:
    """Map a sentence (token texts) to crfsuite attribute lists."""

    def __init__(
        self,
        *,
        window: int,
        prefix_lengths: Sequence[int],
        suffix_lengths: Sequence[int],
        ngram_lengths: Sequence[int],
        word: bool,
        shape: bool,
        case: bool,
        digits: bool,
        greek: bool,
        punctuation: bool,
        bigrams: bool,
    ) -> None:
        if window < 0:
            raise ValueError(f"window must be >= 0, got {window}.")
        for name, lengths in (("prefix_lengths", prefix_lengths), ("suffix_lengths", suffix_lengths),
                              ("ngram_lengths", ngram_lengths)):
            if any(n < 1 for n in lengths):
                raise ValueError(f"{name} must hold positive lengths, got {list(lengths)}.")
        self.window = window
        self.prefix_lengths = tuple(prefix_lengths)
        self.suffix_lengths = tuple(suffix_lengths)
        self.ngram_lengths = tuple(ngram_lengths)
        self.word = word
        self.shape = shape
        self.case = case
        self.digits = digits
        self.greek = greek
        self.punctuation = punctuation
        self.bigrams = bigrams
        self._own: Dict[str, List[str]] = {}
        self._context: Dict[str, Tuple[str, str]] = {}

    def token_features(self, word: str) -> List[str]:
        """Features of a word type, independent of its context."""
        cached = self._own.get(word)
        if cached is not None:
            return cached
        lower = word.lower()
        feats = ["bias"]
        if self.word:
            feats += [f"w={word}", f"lw={lower}"]
        if self.shape:
            shape = word_shape(word)
            feats += [f"sh={shape if len(shape) <= 12 else shape[:12] + '~'}", f"bs={brief_shape(shape)}"]
        feats += [f"p{n}={lower[:n]}" for n in self.prefix_lengths if len(lower) >= n]
        feats += [f"s{n}={lower[-n:]}" for n in self.suffix_lengths if len(lower) >= n]
        if self.ngram_lengths:
            padded = f"<{lower}>"
            for n in self.ngram_lengths:
                feats += [f"g{n}={padded[i:i + n]}" for i in range(len(padded) - n + 1)]
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
            if has_digit:
                feats.append("hasdigit")
            if word.isdigit():
                feats.append("number" if len(word) < 5 else "longnumber")
            if has_digit and any(c.isalpha() for c in word):
                feats.append("alnum")
            if word[-1:].isdigit() and any(c.isalpha() for c in word):
                feats.append("enddigit")
        if self.greek:
            match = GREEK_RE.search(word)
            if match:
                feats.append("greek" if len(match.group(0)) == len(word) else "hasgreek")
            elif any(c in GREEK_SYMBOLS for c in word):
                feats.append("greeksym")
            if ROMAN_RE.match(word):
                feats.append("roman")
        if self.punctuation and len(word) == 1 and not word.isalnum():
            feats.append(f"punct={word}")
        feats.append(f"len={min(len(word), 8)}")
        self._own[word] = feats
        return feats

    def _context_of(self, word: str) -> Tuple[str, str]:
        cached = self._context.get(word)
        if cached is None:
            cached = (word.lower(), brief_shape(word_shape(word)))
            self._context[word] = cached
        return cached

    def __call__(self, words: Sequence[str]) -> List[List[str]]:
        """RETURNS (List[List[str]]): one attribute list per token."""
        context = [self._context_of(w) for w in words]
        n = len(words)
        out = []
        for i, word in enumerate(words):
            feats = list(self.token_features(word))
            for offset in range(1, self.window + 1):
                if i - offset >= 0:
                    lw, bs = context[i - offset]
                    feats += [f"-{offset}lw={lw}", f"-{offset}bs={bs}"]
                else:
                    feats.append(f"-{offset}BOS")
                if i + offset < n:
                    lw, bs = context[i + offset]
                    feats += [f"+{offset}lw={lw}", f"+{offset}bs={bs}"]
                else:
                    feats.append(f"+{offset}EOS")
            if self.bigrams and self.window:
                here = context[i][0]
                if i > 0:
                    feats.append(f"-1|0={context[i - 1][0]}|{here}")
                if i + 1 < n:
                    feats.append(f"0|+1={here}|{context[i + 1][0]}")
            out.append(feats)
        return out

    def to_dict(self) -> dict:
        return {
            "window": self.window, "prefix_lengths": list(self.prefix_lengths),
            "suffix_lengths": list(self.suffix_lengths), "ngram_lengths": list(self.ngram_lengths),
            "word": self.word, "shape": self.shape, "case": self.case, "digits": self.digits,
            "greek": self.greek, "punctuation": self.punctuation, "bigrams": self.bigrams,
        }


@spacy.registry.misc("spacy_maize_ner.CrfFeatures.v1")
def create_crf_features(
    *,
    window: int = 2,
    prefix_lengths: List[int] = [1, 2, 3, 4],
    suffix_lengths: List[int] = [1, 2, 3, 4],
    ngram_lengths: List[int] = [],
    word: bool = True,
    shape: bool = True,
    case: bool = True,
    digits: bool = True,
    greek: bool = True,
    punctuation: bool = True,
    bigrams: bool = True,
) -> CrfFeatures:
    """Build the CRF's feature extractor (see the module docstring for each family).

    window (int): neighbouring tokens on each side whose word and shape are features.
    prefix_lengths (List[int]): prefix lengths of the lower-cased word.
    suffix_lengths (List[int]): suffix lengths of the lower-cased word.
    ngram_lengths (List[int]): character n-gram lengths ([] for none).
    RETURNS (CrfFeatures): the extractor.
    """
    return CrfFeatures(
        window=window, prefix_lengths=prefix_lengths, suffix_lengths=suffix_lengths,
        ngram_lengths=ngram_lengths, word=word, shape=shape, case=case, digits=digits,
        greek=greek, punctuation=punctuation, bigrams=bigrams,
    )
