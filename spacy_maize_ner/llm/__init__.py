"""LLM pipelines for gene NER through spacy-llm, with exact character spans and costs.

- `model.py`: `spacy_maize_ner.OpenAICompatible.v1` (@llm_models), any OpenAI-compatible
  chat-completions or completions endpoint (DeepSeek, DashScope, Moonshot, vLLM,
  llama.cpp's server, Ollama), with retries, bounded concurrency, a response cache and
  token usage per request.
- `task.py`: `spacy_maize_ner.ExactNER.v1` (@llm_tasks), zero- or few-shot NER whose
  answers are aligned back to exact character offsets (`align.py`, `parser.py`).
- `cost.py`: tokens, requests, retries, cache hits, wall time and price per 1,000 words.

Registered through setup.cfg entry points (`thinc_llm_models`, `thinc_llm_tasks`,
`spacy_misc`; registry.py says why "thinc"), so `spacy.load` finds them in any process.
spacy-llm is the `llm` extra.
"""
