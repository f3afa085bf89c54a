"""The study: training runs, regimes, budgets, seeds, curves, evaluation, analysis and report.

It sits above the plugin (components, heads, encoders as architectures, peft, llm, corpus
readers, tags, tokenizer): it imports the plugin, never the other way round, and nothing
that `spacy.load` or a packaged pipeline needs lives here. `runs.RunId` names every run.
"""
