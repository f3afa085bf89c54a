"""Workflow steps that provide assets: corpora, encoders, decoders, GGUF files, maize texts."""
