"""Score an LLM pipeline (configs/llm_<model>.cfg) with spaCy's scorer and account its cost.

The API key is read from the environment variable the config names (api_key_env), e.g.
    export DEEPSEEK_API_KEY=...
    python scripts/evaluate_llm.py configs/llm_deepseek-v4-flash.cfg corpus/dev.spacy --name llm-deepseek-v4-flash

A local server (vLLM, Ollama, llama.cpp) through configs/llm_local.cfg:
    python scripts/evaluate_llm.py configs/llm_local.cfg corpus/dev.spacy \
        --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --api chat --stop '\n\n'

Any other config value: `--section.key value` (e.g. --components.llm.model.concurrency 2).
Zero-shot reads no training corpus. A run in which more than --max-failed-share of the
documents got no answer exits 1 and writes no row; a sample run's row name ends with
-sample<N>-s<seed>.
"""
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import srsly
import typer
from spacy.cli._util import parse_config_overrides
from wasabi import msg

from spacy_maize_ner.cli_errors import MaizeNerError, run_script
from spacy_maize_ner.study.evaluation.llm import (DEFAULT_MAX_FAILED_SHARE, check_answers, evaluate_llm, load_llm_pipeline,
                                          row_name, sample_docbin)

app = typer.Typer(add_completion=False)


def parse_stop(value: str) -> List[str]:
    """`--stop`: a JSON list (["\\n\\n", "</s>"]) or one string with backslash escapes (\\n)."""
    if value.lstrip().startswith("["):
        try:
            stops = json.loads(value)
        except ValueError as err:
            raise MaizeNerError(f"--stop {value!r} is not a JSON list of strings ({err}). "
                                "Give e.g. --stop '[\"\\n\\n\", \"</s>\"]' or one string such as --stop '\\n'.") from err
        if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
            raise MaizeNerError(f"--stop {value!r}: the JSON list must hold non-empty strings.")
        return stops
    return [value.encode("latin-1", "backslashreplace").decode("unicode_escape")]


def model_overrides(base_url: str, model: str, api: str, stop: str) -> Dict[str, Any]:
    """The [components.llm.model] values given on the command line ("" keeps the config's)."""
    if api and api not in ("chat", "completions"):
        raise MaizeNerError(f"--api {api!r}: use 'chat' (/chat/completions) or 'completions' (/completions).")
    values: Dict[str, Any] = {"base_url": base_url, "model": model, "api": api}
    out = {f"components.llm.model.{key}": value for key, value in values.items() if value}
    if stop:
        out["components.llm.model.stop"] = parse_stop(stop)
    return out


def write_row(path: Path, metrics: Dict[str, Any]) -> None:
    """Write the row atomically: an interrupted write leaves the earlier row in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".json", dir=path.parent)
    os.close(fd)
    try:
        srsly.write_json(tmp, metrics)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def main(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="LLM pipeline config, e.g. configs/llm_deepseek-v4-flash.cfg"),
    data: Path = typer.Argument(..., help="Evaluation DocBin, e.g. corpus/dev.spacy"),
    name: str = typer.Option(None, "--name", help="Row name (default: the config's stem plus -<shots>shot); a sample run appends -sample<N>-s<seed>"),
    shots: int = typer.Option(0, "--shots", help="Few-shot examples from the training split (0: zero-shot, no corpus read)"),
    train: Path = typer.Option(Path("corpus/train.spacy"), "--train", help="Training DocBin for few-shot examples (read only when --shots > 0)"),
    sample: int = typer.Option(0, "--sample", help="Score a seeded sample of this many documents (0: all)"),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample and of the few-shot draw"),
    cache: Path = typer.Option(Path("training/llm/cache"), "--cache", help="Response cache folder"),
    output: Path = typer.Option(Path("training/metrics"), "--output", help="Folder for <name>.json"),
    base_url: str = typer.Option("", "--base-url", help="Another endpoint than the config's, e.g. http://127.0.0.1:8000/v1 (vLLM), http://127.0.0.1:11434/v1 (Ollama)"),
    model: str = typer.Option("", "--model", help="Another model name than the config's (the server's id, e.g. qwen2.5:7b-instruct on Ollama)"),
    api: str = typer.Option("", "--api", help="chat (/chat/completions) or completions (/completions); empty keeps the config's"),
    stop: str = typer.Option("", "--stop", help="Stop sequences: one string with \\n escapes, or a JSON list; empty keeps the config's"),
    max_failed_share: float = typer.Option(DEFAULT_MAX_FAILED_SHARE, "--max-failed-share", help="Share of documents allowed to get no answer (0-1); above it the run fails and writes no row"),
) -> None:
    if not config.is_file():
        raise MaizeNerError(f"Config not found: {config}. The LLM configs are configs/llm_*.cfg "
                            "(configs/llm_local.cfg for a local server).")
    if not data.is_file():
        raise MaizeNerError(f"Evaluation DocBin not found: {data}. Convert the corpus first "
                            "(spacy project run fetch, then convert) or give the path of a .spacy file.")
    if shots > 0 and not train.is_file():
        raise MaizeNerError(f"--shots {shots} draws few-shot examples from {train}, which does not exist. "
                            "Convert the corpus first, give --train, or use --shots 0 (zero-shot reads no corpus).")
    if not 0.0 <= max_failed_share <= 1.0:
        raise MaizeNerError(f"--max-failed-share {max_failed_share}: give a share between 0 and 1 (e.g. 0.05).")
    name = row_name(name or config.stem.replace("_", "-") + f"-{shots}shot", sample=sample, seed=seed)
    if sample:
        data = sample_docbin(data, cache.parent / f"dev-sample{sample}-s{seed}.spacy", n=sample, seed=seed)
    overrides = {"paths.train": str(train), "paths.cache": str(cache), "llm.shots": shots, "llm.seed": seed,
                 **model_overrides(base_url, model, api, stop), **parse_config_overrides(ctx.args)}
    nlp = load_llm_pipeline(config, overrides)
    metrics = evaluate_llm(nlp, data, name=name, model_path=str(config))
    metrics["llm"].update({"sample": sample, "sample_seed": seed, "shots": shots})
    row = output / f"{name}.json"
    check_answers(metrics, max_failed_share=max_failed_share, row=row)
    write_row(row, metrics)
    cost, answers = metrics["llm"]["cost"], metrics["llm"]["answers"]
    price = cost["price_per_1k_words"]
    price_text = "price unknown (not checked)" if price is None else f"{price:.4f} {cost['currency']}"
    missing = cost.get("answers_without_usage", 0)
    msg.good(
        f"{name}: P {metrics['ents_p']:.4f}  R {metrics['ents_r']:.4f}  F {metrics['ents_f']:.4f}; "
        f"{100 * (answers.get('share_parsed') or 0):.1f}% answers parsed, {answers.get('docs_failed', 0)} documents "
        f"without an answer; answers cost {cost['tokens_per_1k_words']:,.0f} tokens and {price_text} per 1k words"
        f"{f' (at least: {missing} answers without usage)' if missing else ''}; this run: {cost['requests']} requests, "
        f"{cost['run_total_tokens']:,} tokens, {cost['retries']} retries, {cost['cache_hits']} cache hits, "
        f"{cost['seconds_per_1k_words']:.1f} s per 1k words -> {row}"
    )


if __name__ == "__main__":
    run_script(app)
