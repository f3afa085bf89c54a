"""The blank pipeline the converters tokenise with: English + BioTokenizer."""
import spacy
from spacy.language import Language

from .. import tokenizer  # noqa: F401  (registers spacy_maize_ner.BioTokenizer.v1)

BLANK_CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "spacy_maize_ner.BioTokenizer.v1"}}}


def make_blank_nlp() -> Language:
    """RETURNS (Language): `spacy.blank("en")` with the biomedical tokenizer."""
    return spacy.blank("en", config=BLANK_CONFIG)
