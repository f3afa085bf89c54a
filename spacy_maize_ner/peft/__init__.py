"""Parameter-efficient fine-tuning inside spaCy: LoRA, prompt and prefix tuning.

- methods.py: the config blocks (`spacy_maize_ner.lora.v1`, `.prompt_tuning.v1`, `.prefix_tuning.v1`).
- module.py: the torch module that runs the prompt and strips it from the hidden states.
- shim.py: `PeftShim`, which owns save and load (adapter-only or self-contained).
- architecture.py: `spacy_maize_ner.PeftEncoder.v1`.
- export.py: adapter-only and merged exports, trainable-parameter counts, artifact sizes.

The registered functions are declared as entry points in setup.cfg.
"""
