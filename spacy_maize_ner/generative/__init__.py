"""A decoder LLM that writes one BIO tag after each word, constrained (issue 26, item 3).

- layout.py: the token sequence (instruction, sentence, then each word and its tag id);
- model.py: tag logits under teacher forcing and constrained greedy decoding with the cache;
- component.py: the `maize_generative_ner` factory (LoRA, adapter-only serialization).
"""
