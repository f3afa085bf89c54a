"""Analyses behind the HTML report: seeds and bootstrap intervals, error analysis,
representations (t-SNE), SVD topics, co-occurrence, cost bubbles and learning curves.

Every analysis runs over "all trained pipelines found" (the metrics files of the evaluate
command and the pipelines they name), not over a fixed list. Plotting needs matplotlib and
scikit-learn: `pip install spacy-maize-ner[analysis]`.
"""
