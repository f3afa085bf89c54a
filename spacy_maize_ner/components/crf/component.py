"""The `maize_crf_ner` factory: a CRF NER baseline as a spaCy component.

The component is the shared `SequenceTaggerNER`: it fits a `CrfTagger` on every
training sentence in `initialize()` and sets `doc.ents`. Defaults live in
DEFAULT_CONFIG_STR and were tuned on BC2GM devel (benchmarks/notes/crf.md).
"""
from typing import Callable, Optional

from spacy.language import Language
from thinc.api import Config

from ..defaults import NER_SCORE_WEIGHTS
from ..sequence_tagger import SequenceTaggerNER
from .features import CrfFeatures
from .model import Algorithm, CrfTagger

DEFAULT_CONFIG_STR = """
[crf_ner]
algorithm = "lbfgs"
c1 = 0.05
c2 = 0.3
max_iterations = 200
all_possible_transitions = true
min_freq = 0.0
scheme = "BILUO"
verbose = false

[crf_ner.features]
@misc = "spacy_maize_ner.CrfFeatures.v1"
window = 2
prefix_lengths = [1, 2, 3, 4]
suffix_lengths = [1, 2, 3, 4]
ngram_lengths = [2, 3, 4]
window_affixes = []
word = true
shape = true
case = true
digits = true
greek = true
punctuation = true
length = true
bigrams = true
dictionary = true
dictionary_folds = 5
abbreviations = false

[crf_ner.scorer]
@scorers = "spacy.ner_scorer.v1"
"""
DEFAULT_CONFIG = Config().from_str(DEFAULT_CONFIG_STR)["crf_ner"]


@Language.factory(
    "maize_crf_ner",
    assigns=["doc.ents"],
    default_config=DEFAULT_CONFIG,
    default_score_weights=NER_SCORE_WEIGHTS,
)
def make_crf_ner(
    nlp: Language,
    name: str,
    *,
    features: CrfFeatures,
    algorithm: Algorithm,
    c1: float,
    c2: float,
    max_iterations: int,
    all_possible_transitions: bool,
    min_freq: float,
    scheme: str,
    verbose: bool,
    scorer: Optional[Callable],
    encoding: Optional[str] = None,
) -> SequenceTaggerNER:
    """A linear-chain CRF over `features`, fitted in `initialize()`.

    nlp (Language): the pipeline.
    name (str): the component name.
    features (CrfFeatures): token features (spacy_maize_ner.CrfFeatures.v1).
    algorithm (str): crfsuite's training algorithm ("lbfgs", "l2sgd", "ap", "pa", "arow").
    c1 (float): L1 regularisation (lbfgs only); sparsifies and speeds up the model.
    c2 (float): L2 regularisation (lbfgs and l2sgd).
    max_iterations (int): optimiser iterations.
    all_possible_transitions (bool): also weigh label transitions unseen in training.
    min_freq (float): ignore attributes seen fewer times than this in training.
    scheme (str): "BILUO" or "BIO" labels inside the CRF (spacy_maize_ner/tags.py); output is always BIO.
    verbose (bool): print crfsuite's training log (one line per iteration).
    scorer (Optional[Callable]): scores the component's output (spacy.ner_scorer.v1).
    encoding (Optional[str]): the setting's name in configs written before 2026-12-03
        ("bioes" or "iob"); when a config still has it, it wins over `scheme`.
    RETURNS (SequenceTaggerNER): the component.
    """
    model = CrfTagger(
        features,
        algorithm=algorithm,
        c1=c1,
        c2=c2,
        max_iterations=max_iterations,
        all_possible_transitions=all_possible_transitions,
        min_freq=min_freq,
        scheme=encoding or scheme,
        verbose=verbose,
    )
    return SequenceTaggerNER(nlp.vocab, model, name, scorer=scorer)
