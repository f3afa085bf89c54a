"""Optimizers: Adam with parameter groups, each with its own learning-rate schedule."""
