"""The blank pipeline the converters tokenise with: English, BioTokenizer, maize_sentencizer."""
import spacy
from spacy.language import Language

from .. import tokenizer  # noqa: F401  (registers spacy_maize_ner.BioTokenizer.v1)
from ..components import sentences  # noqa: F401  (registers maize_sentencizer)

BLANK_CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "spacy_maize_ner.BioTokenizer.v1"}}}


def make_blank_nlp(lang: str = "en") -> Language:
    """A blank pipeline with the biomedical tokenizer and `maize_sentencizer`.

    The trained pipelines (configs/*.cfg) use the same tokenizer and sentence rule.

    lang (str): the language code; English unless you have a reason.
    RETURNS (Language): `spacy.blank(lang)` whose config names
        `spacy_maize_ner.BioTokenizer.v1`, so `nlp.to_disk` and `spacy.load` keep it.
    """
    nlp = spacy.blank(lang, config=BLANK_CONFIG)
    nlp.add_pipe("maize_sentencizer")
    return nlp
