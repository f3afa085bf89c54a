"""Score an LLM pipeline (configs/llm_<model>.cfg) with spaCy's scorer and account its cost.

The API key is read from the environment variable the config names (api_key_env), e.g.
    export DEEPSEEK_API_KEY=...
    python scripts/evaluate_llm.py configs/llm_deepseek-v3.2.cfg corpus/dev.spacy --name llm-deepseek-v3.2
"""
from pathlib import Path

import srsly
import typer
from wasabi import msg

from spacy_maize_ner.llm.evaluate import evaluate_llm, load_llm_pipeline, sample_docbin
from spacy_maize_ner.cli_errors import run_script


def main(
    config: Path = typer.Argument(..., help="LLM pipeline config, e.g. configs/llm_deepseek-v3.2.cfg"),
    data: Path = typer.Argument(..., help="Evaluation DocBin, e.g. corpus/dev.spacy"),
    name: str = typer.Option(None, "--name", help="Row name (default: the config's stem plus -<shots>shot, e.g. llm-deepseek-v3.2-0shot)"),
    shots: int = typer.Option(0, "--shots", help="Few-shot examples from the training split (0: zero-shot)"),
    train: Path = typer.Option(Path("corpus/train.spacy"), "--train", help="Training DocBin for few-shot examples"),
    sample: int = typer.Option(0, "--sample", help="Score a seeded sample of this many documents (0: all)"),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample and of the few-shot draw"),
    cache: Path = typer.Option(Path("training/llm/cache"), "--cache", help="Response cache folder"),
    output: Path = typer.Option(Path("training/metrics"), "--output", help="Folder for <name>.json"),
    base_url: str = typer.Option("", "--base-url", help="Another endpoint than the config's (e.g. a vLLM server)"),
) -> None:
    if not config.is_file():
        msg.fail(f"Config not found: {config}. The LLM configs are configs/llm_*.cfg.", exits=1)
    name = name or config.stem.replace("_", "-") + f"-{shots}shot"
    if sample:
        data = sample_docbin(data, cache.parent / f"dev-sample{sample}-s{seed}.spacy", n=sample, seed=seed)
    nlp = load_llm_pipeline(config, {"paths.train": str(train), "paths.cache": str(cache), "llm.shots": shots,
                                     "llm.seed": seed,
                                     **({"components.llm.model.base_url": base_url} if base_url else {})})
    metrics = evaluate_llm(nlp, data, name=name, model_path=str(config))
    metrics["llm"].update({"sample": sample, "sample_seed": seed, "shots": shots})
    output.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output / f"{name}.json", metrics)
    cost, answers = metrics["llm"]["cost"], metrics["llm"]["answers"]
    msg.good(
        f"{name}: P {metrics['ents_p']:.4f}  R {metrics['ents_r']:.4f}  F {metrics['ents_f']:.4f}; "
        f"{100 * (answers.get('share_parsed') or 0):.1f}% answers parsed; {cost['tokens_per_1k_words']:,.0f} tokens, "
        f"{cost['seconds_per_1k_words']:.1f} s, {cost['price_per_1k_words']:.4f} {cost['currency']} per 1k words; "
        f"{cost['requests']} requests, {cost['retries']} retries, {cost['cache_hits']} cache hits -> {output / f'{name}.json'}"
    )


if __name__ == "__main__":
    run_script(main)
