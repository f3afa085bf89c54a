"""NER heads on a transformer listener: the token-classification head `maize_token_ner`."""
