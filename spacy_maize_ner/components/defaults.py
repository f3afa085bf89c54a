"""Defaults every NER component of the package shares, in one place.

- `DEFAULT_LABEL`: the entity label of components that predict one label (the dictionary
  baseline) and of the LLM task when no labels are configured: gene mentions.
- `NER_SCORE_WEIGHTS`: what `spacy train` selects model-best by (strict entity F1) and how
  the scores are shown, the same for the CRF, HMM, dictionary and token-head components as
  for spaCy's own `ner`.
"""
from typing import Dict, Optional

DEFAULT_LABEL = "GENE"
NER_SCORE_WEIGHTS: Dict[str, Optional[float]] = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None}
