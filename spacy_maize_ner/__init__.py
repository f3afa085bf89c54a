"""spaCy components, corpus readers and evaluation for biomedical (maize gene) NER.

Components, tokenizers and registered functions are declared as entry points in
setup.cfg, so `spacy.load` finds them in any process without importing this package.
"""
from .about import __version__

__all__ = ["__version__"]
