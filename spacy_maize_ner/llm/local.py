"""Zero- and few-shot runs of a local model end to end: start the server, score, stop.

`run_local` serves the Gemma 3 270M GGUF with llama-cpp-python, runs the LLM pipeline of
`configs/llm_local.cfg` on a fixed sample of the evaluation DocBin for each (api, shots)
asked for, scores each run with spaCy's scorer (`evaluate_llm`) and writes
`<output>/<name>.json`. The server is stopped whatever happens.
"""
import logging
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import srsly

from .evaluate import DEFAULT_MAX_FAILED_SHARE, check_answers, evaluate_llm, load_llm_pipeline, sample_docbin
from .server import LocalServer, gemma_gguf

logger = logging.getLogger("spacy_maize_ner.llm")


def run_name(prefix: str, api: str, shots: int) -> str:
    """e.g. llm-gemma3-270m-completions-5shot, llm-gemma3-270m-chat-0shot (zero-shot)."""
    return f"{prefix}-{api}-{shots}shot"


def run_local(
    config: Path,
    dev: Path,
    train: Path,
    output: Path,
    *,
    sample: int = 300,
    seed: int = 0,
    apis: Iterable[str] = ("completions", "chat"),
    shots: Iterable[int] = (0, 5),
    model_dir: Path = Path("assets/llm"),
    work_dir: Path = Path("training/llm"),
    port: int = 8080,
    n_ctx: int = 2048,
    n_threads: Optional[int] = None,
    fresh_cache: bool = False,
    prefix: str = "llm-gemma3-270m",
    overrides: Optional[Dict[str, Any]] = None,
    max_failed_share: float = DEFAULT_MAX_FAILED_SHARE,
) -> List[Dict[str, Any]]:
    """Run and score every (api, shots) combination against one local server.

    sample (int): documents drawn (seeded) from `dev`; 0 takes all.
    n_threads (Optional[int]): the server's CPU threads (default: all cores). On a shared,
        loaded machine 1 is much faster than 2: llama.cpp's threads wait for each other.
    fresh_cache (bool): empty the response cache first (for timing); else a rerun resumes.
    max_failed_share (float): a run with more documents without an answer stops here with
        TooManyFailuresError, writing no row (see `check_answers`).
    RETURNS (List[Dict[str, Any]]): the metrics of each run (also written to `output`).
    """
    work_dir, output = Path(work_dir), Path(output)
    data = sample_docbin(Path(dev), work_dir / f"dev-sample{sample}-s{seed}.spacy", n=sample, seed=seed)
    cache = work_dir / "cache-local"
    if fresh_cache and cache.exists():
        shutil.rmtree(cache)
    output.mkdir(parents=True, exist_ok=True)
    results = []
    gguf = gemma_gguf(model_dir)
    with LocalServer(gguf, port=port, n_ctx=n_ctx, n_threads=n_threads, log_path=work_dir / "llama-server.log") as server:
        for api in apis:
            for k in shots:
                name = run_name(prefix, api, k)
                nlp = load_llm_pipeline(config, {
                    "paths.train": str(train), "paths.cache": str(cache), "llm.shots": k, "llm.seed": seed,
                    "components.llm.model.base_url": server.base_url, "components.llm.model.model": server.alias,
                    "components.llm.model.api": api, "components.llm.model.context_length": n_ctx,
                    # A chat answer may open with a newline: stop only at a blank line there.
                    **({"components.llm.model.stop": ["\n\n"]} if api == "chat" else {}),
                    **(overrides or {}),
                })
                metrics = evaluate_llm(nlp, data, name=name, model_path=str(config))
                metrics["split"] = "dev"
                metrics["llm"].update({"sample": sample, "sample_seed": seed, "shots": k, "server": "llama-cpp-python",
                                       "gguf": gguf.name})
                check_answers(metrics, max_failed_share=max_failed_share, row=output / f"{name}.json")
                srsly.write_json(output / f"{name}.json", metrics)
                logger.info("%s: F %.4f, %.0f%% parsed", name, metrics["ents_f"] or 0.0,
                            100 * (metrics["llm"]["answers"].get("share_parsed") or 0.0))
                results.append(metrics)
    return results
