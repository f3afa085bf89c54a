"""A tokenizer that splits biomedical text the way BC2GM's tokens are split.

It is spaCy's own tokenizer with the language's defaults (English for
`spacy.blank("en")`) plus infixes that split inside a token:

- around hyphens and dashes: `S-100` -> `S - 100`, `HMB-45`, `IL-2R` -> `IL - 2R`;
- around slashes: `ZmCCT9/Vgt1` -> `ZmCCT9 / Vgt1`;
- around brackets inside words: `IL-2R(alpha)` -> `IL - 2R ( alpha )`,
  `(Ca2+)ATPase` -> `( Ca2 + ) ATPase` (which also separates a closing bracket from
  the letters after it);
- around `+`, `:`, `;`, `,` and `=` inside a token.

Decimals and dotted gene names stay whole (`0.2`, `ZmRAP2.7`), and so do gene symbols
that end in a unit-like letter (`PI3K`, `Hnf3g`: the English unit suffix rule is left
out). Special cases are whitespace and a short list of abbreviations (`e.g.`, `i.e.`,
`vs.`); spaCy's English exceptions are not used (emoticons such as `8)` would glue
`(8)` into `( 8)`, and `Id` would become `I d`). Only strings that start with a scheme
or `www.` are kept whole as URLs (spaCy's URL pattern keeps `E.coli/ZmCCT9` whole).
It is a plain `spacy.tokenizer.Tokenizer` built from regular expressions, so
`nlp.to_disk` and `spacy.load` round-trip it.
"""
import re
from typing import Callable, Dict, List

import spacy
from spacy.lang.char_classes import ALPHA_UPPER, UNITS
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

# Infixes added to the language's own. Each is a single character class, so a token
# like "p53+/-" splits into "p53 + / -".
BIO_INFIXES: List[str] = [
    r"[\-\u2010\u2011\u2012\u2013\u2014\u2015]",  # hyphen and dashes
    r"[/\\]",  # slashes
    r"[()\[\]{}]",  # brackets
    r"[+:;,=]",
]
# A hyphen or dash opening a token: `(+)-cibenzoline` -> `( + ) - cibenzoline` (spaCy
# never splits an infix at the very start of what the prefixes leave).
BIO_PREFIXES: List[str] = [r"[\-\u2010\u2011\u2012\u2013\u2014\u2015]"]
# A period after a capital letter ends a sentence: `vitamin D.`, `hepatitis C.`
BIO_SUFFIXES: List[str] = [r"(?<=[{au}])\.".format(au=ALPHA_UPPER)]
# Abbreviations kept whole, so that neither the tokenizer nor the sentencizer splits
# them. spaCy's English exceptions would also keep `Ala.` or `Co.` whole at the end of
# a sentence and split `Id` as if it were `I'd`.
ABBREVIATIONS = (
    "e.g.", "E.g.", "E.G.", "i.e.", "I.e.", "I.E.", "vs.", "v.s.", "cf.", "al.", "ca.",
    "approx.", "cv.", "spp.", "Fig.", "Figs.", "Dr.", "Prof.", "Ph.D.", "a.m.", "p.m.",
    "U.S.", "U.K.",
)
# Only explicit URLs are kept whole. The inline flag travels with the pattern string,
# which is all that `Tokenizer.to_disk` stores.
URL_PATTERN = r"(?i)^(?:(?:https?|ftp)://|www\.)\S+$"


def bio_tokenizer_exceptions(exceptions: Dict[str, list]) -> Dict[str, list]:
    """The special cases of the biomedical tokenizer.

    exceptions (Dict[str, list]): the language's tokenizer exceptions; only the
        whitespace ones (" ", "\\n", ...) are kept.
    RETURNS (Dict[str, list]): whitespace and ABBREVIATIONS, each one token.
    """
    rules = {orth: value for orth, value in exceptions.items() if orth and not orth.strip()}
    rules.update({orth: [{ORTH: orth}] for orth in ABBREVIATIONS})
    return rules


def bio_suffixes(suffixes: List[str]) -> List[str]:
    """The language's suffixes without the unit rule (`10mg` -> `10 mg`), which also
    splits gene symbols (`PI3K` -> `PI3 K`, `Hnf3g` -> `Hnf3 g`), plus BIO_SUFFIXES.

    suffixes (List[str]): the language's suffix patterns.
    RETURNS (List[str]): the suffixes of the biomedical tokenizer.
    """
    units = r"(?<=[0-9])(?:{u})".format(u=UNITS)
    return [suffix for suffix in suffixes if suffix != units] + BIO_SUFFIXES


@spacy.registry.tokenizers("spacy_maize_ner.BioTokenizer.v1")
def create_bio_tokenizer() -> Callable[[Language], Tokenizer]:
    """Register the biomedical tokenizer; use it as `[nlp.tokenizer]` in a config.

    RETURNS (Callable[[Language], Tokenizer]): builds the tokenizer for a pipeline.
    """

    def make_tokenizer(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        infixes = list(defaults.infixes or []) + BIO_INFIXES
        return Tokenizer(
            nlp.vocab,
            rules=bio_tokenizer_exceptions(dict(defaults.tokenizer_exceptions)),
            prefix_search=compile_prefix_regex(list(defaults.prefixes or []) + BIO_PREFIXES).search,
            suffix_search=compile_suffix_regex(bio_suffixes(list(defaults.suffixes or []))).search,
            infix_finditer=compile_infix_regex(infixes).finditer,
            token_match=defaults.token_match,
            url_match=re.compile(URL_PATTERN).match,
        )

    return make_tokenizer
