__title__ = "spacy-maize-ner"
__version__ = "0.1.0"
