"""A tokenizer that splits biomedical text the way BC2GM and most BioNLP corpora do.

Every run of letters and digits is one token and every other visible character is a
token of its own: `S-100` -> `S - 100`, `IL-2R(alpha)` -> `IL - 2R ( alpha )`,
`0.2` -> `0 . 2`. Gene symbols stay whole (`ZmCCT9`, `tb1`). Matching the corpus's own
tokenization means gold mentions line up with tokens and entity boundaries never fall
inside a token. It is spaCy's own `Tokenizer` with single-character prefix, suffix and
infix rules and no exceptions, so it serializes like any spaCy tokenizer.
"""
import re
from typing import Callable

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer

# Any character that is neither a letter/digit nor whitespace; `_` counts as a symbol.
SYMBOL = r"(?:[^\w\s]|_)"


@spacy.registry.tokenizers("spacy_maize_ner.BioTokenizer.v1")
def create_bio_tokenizer() -> Callable[[Language], Tokenizer]:
    """RETURNS (Callable[[Language], Tokenizer]): builds the tokenizer for a pipeline."""

    def make_tokenizer(nlp: Language) -> Tokenizer:
        return Tokenizer(
            nlp.vocab,
            rules={},
            prefix_search=re.compile(f"^{SYMBOL}").search,
            suffix_search=re.compile(f"{SYMBOL}$").search,
            infix_finditer=re.compile(SYMBOL).finditer,
        )

    return make_tokenizer
