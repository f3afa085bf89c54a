"""Start llama-cpp-python's server with Gemma 3 270M, run zero- and few-shot LLM NER on a
fixed sample of the evaluation split (chat and completions endpoints), score every run
with spaCy's scorer, stop the server. Needs the `llm-local` extra."""
import logging
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from spacy_maize_ner.llm.local import run_local
from spacy_maize_ner.cli_errors import run_script


def main(
    config: Path = typer.Argument(Path("configs/llm_local.cfg"), help="Local LLM pipeline config"),
    dev: Path = typer.Option(Path("corpus/dev.spacy"), "--dev", help="Evaluation DocBin"),
    train: Path = typer.Option(Path("corpus/train.spacy"), "--train", help="Training DocBin (few-shot examples)"),
    output: Path = typer.Option(Path("training/metrics"), "--output", help="Folder for <name>.json"),
    sample: int = typer.Option(300, "--sample", help="Documents drawn (seeded) from the evaluation split; 0: all"),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample and of the few-shot draw"),
    api: List[str] = typer.Option(["completions", "chat"], "--api", help="Endpoints: completions, chat"),
    shots: List[int] = typer.Option([0, 5], "--shots", help="Few-shot examples per run (0: zero-shot)"),
    port: int = typer.Option(8080, "--port", help="Port of the local server on 127.0.0.1"),
    threads: int = typer.Option(0, "--threads", help="Server CPU threads (0: all cores; 1 is faster on a loaded machine)"),
    fresh_cache: bool = typer.Option(False, "--fresh-cache", help="Empty the response cache first (for timing)"),
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("spacy_maize_ner.llm").setLevel(logging.INFO)
    results = run_local(config, dev, train, output, sample=sample, seed=seed, apis=api, shots=shots, port=port,
                        n_threads=threads or None, fresh_cache=fresh_cache)
    for m in results:
        cost, answers = m["llm"]["cost"], m["llm"]["answers"]
        msg.good(f"{m['pipeline']}: P {m['ents_p']:.4f} R {m['ents_r']:.4f} F {m['ents_f']:.4f}; "
                 f"{100 * (answers.get('share_parsed') or 0):.1f}% parsed; {cost['tokens_per_1k_words']:,.0f} tokens "
                 f"and {cost['seconds_per_1k_words']:.1f} s per 1k words")


if __name__ == "__main__":
    run_script(main)
