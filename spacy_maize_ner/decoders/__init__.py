"""Decoder LLMs (Gemma 3, Qwen2, Llama, Mistral) as the encoder of a spaCy NER pipeline (issue 26).

- tokenizer.py: a fast tokenizer built from a GGUF file's own vocabulary, as llama.cpp tokenizes;
- alignment.py: spaCy tokens to pieces by character offsets (no <bos>, no pads);
- architecture.py: `spacy_maize_ner.Decoder.v1` and `PeftDecoder.v1` (LoRA), causal or
  bidirectional attention, self-contained serialization.

Providing a decoder folder from GGUF parts is a workflow step (`study/workflow/decoders.py`).
"""
