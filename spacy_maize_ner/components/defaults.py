"""Defaults every NER component of the package shares, in one place.

- `DEFAULT_LABEL`: the entity label of components that predict one label (the dictionary
  baseline) and of the LLM task when no labels are configured: gene mentions.
- `NER_SCORE_WEIGHTS`: what `spacy train` selects model-best by (strict entity F1) and how
  the scores are shown, the same for the CRF, HMM, dictionary and token-head components as
  for spaCy's own `ner`.
- `META_KEY`: the key of a pipeline's meta.json under which the package records how it was
  made (encoder, regime, head, PEFT settings, inference options, packaging changes).
- `HEAD_COMPONENT`: the name of a transformer pipeline's NER component, whichever head.
"""
from typing import Dict, Optional

DEFAULT_LABEL = "GENE"
NER_SCORE_WEIGHTS: Dict[str, Optional[float]] = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None}
META_KEY = "maize_ner"
HEAD_COMPONENT = "ner"
