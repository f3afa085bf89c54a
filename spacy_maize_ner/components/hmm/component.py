"""The `maize_hmm_ner` factory: a supervised HMM NER baseline as a spaCy component."""
from typing import Callable, Optional

from spacy.language import Language
from thinc.api import Config

from ..sequence_tagger import SequenceTaggerNER
from .model import HmmTagger

DEFAULT_CONFIG_STR = """
[hmm_ner]
suffix_length = 5
rare_threshold = 5
word_weight = 1.0
lowercase = false
encoding = "bioes"

[hmm_ner.scorer]
@scorers = "spacy.ner_scorer.v1"
"""
DEFAULT_CONFIG = Config().from_str(DEFAULT_CONFIG_STR)["hmm_ner"]


@Language.factory(
    "maize_hmm_ner",
    assigns=["doc.ents"],
    default_config=DEFAULT_CONFIG,
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_hmm_ner(
    nlp: Language,
    name: str,
    *,
    suffix_length: int,
    rare_threshold: int,
    word_weight: float,
    lowercase: bool,
    encoding: str,
    scorer: Optional[Callable],
) -> SequenceTaggerNER:
    """A second-order HMM fitted in `initialize()` (see `HmmTagger`).

    suffix_length (int): longest suffix in the unknown-word model.
    rare_threshold (int): words seen at most this often train the unknown-word model.
    word_weight (float): pseudo-count of the unknown-word model in P(tag | word).
    lowercase (bool): count words lower-cased in the lexicon.
    encoding (str): "bioes" or "iob" states; output is always IOB2.
    """
    model = HmmTagger(
        suffix_length=suffix_length,
        rare_threshold=rare_threshold,
        word_weight=word_weight,
        lowercase=lowercase,
        encoding=encoding,
    )
    return SequenceTaggerNER(nlp.vocab, model, name, scorer=scorer)
