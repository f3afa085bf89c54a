"""The `maize_hmm_ner` factory: a supervised HMM NER baseline as a spaCy component."""
from typing import Callable, Optional

from spacy.language import Language
from thinc.api import Config

from ..defaults import NER_SCORE_WEIGHTS
from ..sequence_tagger import SequenceTaggerNER
from .model import HmmTagger

DEFAULT_CONFIG_STR = """
[hmm_ner]
order = 2
suffix_length = 3
prefix_length = 0
rare_threshold = 5
word_weight = 1.0
lexical_states = 200
lexical_min_count = 50
state_shapes = true
lowercase = true
scheme = "BILUO"

[hmm_ner.scorer]
@scorers = "spacy.ner_scorer.v1"
"""
DEFAULT_CONFIG = Config().from_str(DEFAULT_CONFIG_STR)["hmm_ner"]


@Language.factory(
    "maize_hmm_ner",
    assigns=["doc.ents"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=NER_SCORE_WEIGHTS,
)
def make_hmm_ner(
    nlp: Language,
    name: str,
    *,
    order: int,
    suffix_length: int,
    prefix_length: int,
    rare_threshold: int,
    word_weight: float,
    lexical_states: int,
    lexical_min_count: int,
    state_shapes: bool,
    lowercase: bool,
    scheme: str,
    scorer: Optional[Callable],
    encoding: Optional[str] = None,
) -> SequenceTaggerNER:
    """A second-order HMM (TnT-style) fitted in `initialize()` (see `HmmTagger`).

    order (int): 2 for trigram transitions P(t3 | t1, t2), 1 for bigram ones.
    suffix_length (int): longest suffix in the unknown-word model.
    prefix_length (int): longest prefix in the unknown-word model; 0 uses suffixes only.
    rare_threshold (int): words seen at most this often train the unknown-word model.
    word_weight (float): pseudo-count of the unknown-word model in P(tag | word).
    lexical_states (int): the most frequent (word, tag) pairs that get a state of their own.
    lexical_min_count (int): occurrences a pair needs to get its own state.
    state_shapes (bool): split the other states by the word's shape (x, Xx, X, 9, X9, punct).
    lowercase (bool): key the lexicon on lower-cased words.
    scheme (str): "BILUO" or "BIO" states (spacy_maize_ner/tags.py); the output is always BIO.
    scorer (Optional[Callable]): scores `doc.ents` in `nlp.evaluate`.
    encoding (Optional[str]): the setting's name in configs written before 2026-12-03
        ("bioes" or "iob"); when a config still has it, it wins over `scheme`.
    RETURNS (SequenceTaggerNER): the component, untrained until `initialize()`.
    """
    model = HmmTagger(
        order=order,
        suffix_length=suffix_length,
        prefix_length=prefix_length,
        rare_threshold=rare_threshold,
        word_weight=word_weight,
        lexical_states=lexical_states,
        lexical_min_count=lexical_min_count,
        state_shapes=state_shapes,
        lowercase=lowercase,
        scheme=encoding or scheme,
    )
    return SequenceTaggerNER(nlp.vocab, model, name, scorer=scorer)
