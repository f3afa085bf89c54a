"""Transformer encoders: name resolution, the spaCy architecture, training regimes, DAPT."""
