"""`spacy_maize_ner.OpenAICompatible.v1`: any OpenAI-compatible endpoint as a spacy-llm model.

spacy-llm's OpenAI models check the key against OpenAI's own model list and accept only
OpenAI's model names, and drop the `usage` block; this model talks to any server that
speaks `/chat/completions` or `/completions` (DeepSeek, DashScope, Moonshot, vLLM,
llama.cpp's server, Ollama) and keeps what each request cost.

    [components.llm.model]
    @llm_models = "spacy_maize_ner.OpenAICompatible.v1"
    base_url = "https://api.deepseek.com"
    model = "deepseek-chat"
    api_key_env = "DEEPSEEK_API_KEY"

The key is read from the environment variable named by `api_key_env` when the first
request is sent (a warm cache needs no key), and is kept nowhere: not in the config, the
cache, the logs or the pipeline saved to disk.

A failure that retrying cannot fix (401/403: the key; 404/400: model, endpoint or
parameters; the key's variable unset) raises `RequestError` (a `MaizeNerError`, so the
scripts print its message alone) and is never retried. Until the endpoint has accepted
one request, requests go one at a time, so a wrong key costs one request, not one per
thread; after such a failure no further request of the batch is sent.
"""
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import requests

from .cache import ResponseCache, request_key
from .cost import PriceTable, UsageStats
from .response import LLMResponse
from .retry import RetryPolicy
from .transport import Api, RequestError, RetryableError, build_payload, endpoint_url, send

logger = logging.getLogger("spacy_maize_ner.llm")


class OpenAICompatible:
    """Send prompts to an OpenAI-compatible endpoint, at most `concurrency` at a time.

    Called by spacy-llm with the prompts of a batch of docs (one list of shard prompts per
    doc) and RETURNS one list of `LLMResponse` per doc, in order. Built by
    `make_openai_compatible`, which documents the arguments and holds their defaults.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api: Api,
        api_key_env: str,
        system: str,
        temperature: float,
        max_tokens: int,
        stop: Optional[List[str]],
        seed: Optional[int],
        extra_params: Optional[Dict[str, Any]],
        timeout: float,
        concurrency: int,
        retry: RetryPolicy,
        cache_dir: Optional[Path],
        context_length: Optional[int],
        price: PriceTable,
        progress_bar: bool,
    ) -> None:
        # No defaults here: `make_openai_compatible` (the registered function) holds them, once.
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}. Set [components.llm.model] concurrency.")
        if api_key_env and (api_key_env.startswith(("sk-", "Bearer")) or len(api_key_env) > 64):
            raise ValueError(
                "api_key_env takes the NAME of the environment variable that holds the key "
                "(e.g. \"DEEPSEEK_API_KEY\"), not the key itself: never put a key in a config."
            )
        self.base_url = base_url
        self.model = model
        self.api: Api = api
        self.url = endpoint_url(base_url, api)
        self.api_key_env = api_key_env
        self.system = system
        self.params: Dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if stop:
            self.params["stop"] = list(stop)
        if seed is not None:
            self.params["seed"] = seed
        self.params.update(extra_params or {})
        self.timeout = timeout
        self.concurrency = concurrency
        self.retry = retry
        self.cache = ResponseCache(cache_dir) if cache_dir else None
        self._context_length = context_length
        self.price = price
        self.progress_bar = progress_bar
        self.stats = UsageStats()
        self._local = threading.local()
        # Bounds requests in flight across calls and threads, not only within one batch.
        self._slots = threading.BoundedSemaphore(concurrency)
        # Until one request has succeeded, one at a time (a wrong key or model costs one request).
        self._probe = threading.Lock()
        self._accepted = threading.Event()
        self._fatal: Optional[RequestError] = None
        self._bar = None

    @property
    def context_length(self) -> Optional[int]:
        """Tokens the model takes in (prompt and answer); None: unknown, never shard."""
        return self._context_length

    def __call__(self, prompts: Iterable[Iterable[Any]]) -> Iterable[Iterable[Any]]:
        self._fatal = None  # a refused request stops its batch; a new call may try again
        nested = [list(doc_prompts) for doc_prompts in prompts]
        flat = [p for doc_prompts in nested for p in doc_prompts]
        if self.concurrency == 1 or len(flat) <= 1:
            answers = [self.ask(p) for p in flat]
        else:
            with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="llm") as pool:
                answers = list(pool.map(self.ask, flat))
        out, i = [], 0
        for doc_prompts in nested:
            out.append(answers[i : i + len(doc_prompts)])
            i += len(doc_prompts)
        return out

    def key_for(self, prompt: str) -> str:
        return request_key(self.url, self.model, {"system": self.system, "prompt": prompt}, self.params)

    def ask(self, prompt: str) -> LLMResponse:
        """One prompt: from the cache, else from the endpoint with retries.

        RETURNS (LLMResponse): the answer, or one with `error` set when every try failed.
        """
        key = self.key_for(prompt) if self.cache is not None else None
        if self.cache is not None:
            entry = self.cache.get(key)
            if entry is not None and isinstance(entry.get("response"), dict):
                response = LLMResponse.from_json(entry["response"], cached=True)
                self.stats.add_answer(response.usage, cached=True)  # what producing it cost
                self._tick()
                return response
        payload = build_payload(self.api, self.model, prompt, self.params, self.system)
        session = self._session()
        api_key = self._api_key()
        attempt = 0
        while True:
            start = time.perf_counter()
            try:
                response = self._send(session, payload, api_key)
            except RetryableError as err:
                self.stats.add(request_seconds=time.perf_counter() - start)
                if attempt >= self.retry.max_retries:
                    self.stats.add(failed=1)
                    logger.warning("No answer after %d tries (%s); the document gets no entities", attempt + 1, err)
                    self._tick()
                    return LLMResponse(text="", error=str(err))
                wait = self.retry.delay(attempt, err.retry_after)
                self.stats.note_retry(err.reason)
                logger.info("Retry %d in %.2f s: %s", attempt + 1, wait, err)
                time.sleep(wait)
                attempt += 1
                continue
            break
        self.stats.add(request_seconds=time.perf_counter() - start)
        self.stats.add_answer(response.usage, cached=False)
        if self.cache is not None:
            self.cache.put(key, {"endpoint": self.url, "model": self.model, "params": self.params,
                                 "prompt": prompt, "system": self.system, "response": response.to_json()})
        self._tick()
        return response

    def _send(self, session: requests.Session, payload: Dict[str, Any], api_key: Optional[str]) -> LLMResponse:
        """One request within the concurrency bound; one at a time until one has succeeded.
        A RequestError stops this model: later calls raise it without sending anything."""
        if self._accepted.is_set():
            return self._send_now(session, payload, api_key)
        with self._probe:
            return self._send_now(session, payload, api_key)

    def _send_now(self, session: requests.Session, payload: Dict[str, Any], api_key: Optional[str]) -> LLMResponse:
        if self._fatal is not None:
            raise RequestError(str(self._fatal))
        try:
            with self._slots:
                self.stats.add(requests=1)
                response = send(session, self.url, payload, api=self.api, api_key=api_key,
                                timeout=self.timeout, key_env=self.api_key_env)
        except RequestError as err:
            self._fatal = err
            raise
        self._accepted.set()
        return response

    def _api_key(self) -> Optional[str]:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise RequestError(
                f"The environment variable {self.api_key_env} is not set; it must hold the API key for "
                f"{self.base_url}. Set it (export {self.api_key_env}=...) or, for a server without "
                "authentication, set api_key_env = \"\" in [components.llm.model]."
            )
        return key

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def _tick(self) -> None:
        if not self.progress_bar:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(desc=f"{self.model} prompts", unit="prompt", leave=False, dynamic_ncols=True)
        stats = self.stats
        self._bar.set_postfix(tokens=stats.run_prompt_tokens + stats.run_completion_tokens, cached=stats.cache_hits,
                              retries=stats.retries, failed=stats.failed, refresh=False)
        self._bar.update(1)

    def close_progress(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def make_openai_compatible(
    *,
    base_url: str,
    model: str,
    api: Api = "chat",
    api_key_env: str = "",
    system: str = "",
    temperature: float = 0.0,
    max_tokens: int = 512,
    stop: Optional[List[str]] = None,
    seed: Optional[int] = None,
    extra_params: Optional[Dict[str, Any]] = None,
    timeout: float = 60.0,
    concurrency: int = 4,
    max_retries: int = 5,
    retry_base_delay: float = 1.0,
    retry_max_delay: float = 60.0,
    cache_dir: Optional[str] = None,
    context_length: Optional[int] = None,
    price: Optional[Dict[str, Any]] = None,
    progress_bar: bool = True,
) -> OpenAICompatible:
    """An OpenAI-compatible chat or completions endpoint (spacy_maize_ner.OpenAICompatible.v1).

    base_url (str): up to the API version, e.g. "https://api.deepseek.com" or
        "http://127.0.0.1:8080/v1"; "/chat/completions" or "/completions" is appended.
    model (str): the provider's model name, e.g. "deepseek-chat".
    api (str): "chat" (/chat/completions) or "completions" (/completions, plain continuation,
        for base models that are not instruction-tuned).
    api_key_env (str): NAME of the environment variable holding the key; "" sends none.
    system (str): optional system message (chat only).
    temperature, max_tokens, stop, seed: generation parameters sent with every request.
    extra_params (Optional[Dict]): further body fields for the provider (e.g. {"enable_thinking": false}).
    timeout (float): seconds to wait for one answer.
    concurrency (int): requests in flight at most.
    max_retries, retry_base_delay, retry_max_delay: exponential backoff with jitter on 429
        (honouring Retry-After), 5xx, timeouts and dropped connections.
    cache_dir (Optional[str]): folder of the response cache; None: no cache.
    context_length (Optional[int]): the model's context in tokens; longer docs are split by sentence.
    price (Optional[Dict]): {"input_per_million": .., "output_per_million": .., "currency": "USD"};
        a price left out or null is unknown ("price not checked"): the cost is then shown
        as unknown, never as 0. A local model states 0.0 and currency "".
    progress_bar (bool): show a progress bar of answered prompts on stderr.
    RETURNS (OpenAICompatible): the model callable.
    """
    return OpenAICompatible(
        base_url=base_url, model=model, api=api, api_key_env=api_key_env, system=system,
        temperature=temperature, max_tokens=max_tokens, stop=stop, seed=seed, extra_params=extra_params,
        timeout=timeout, concurrency=concurrency,
        retry=RetryPolicy(max_retries=max_retries, base_delay=retry_base_delay, max_delay=retry_max_delay),
        cache_dir=Path(cache_dir) if cache_dir else None, context_length=context_length,
        price=PriceTable(**(price or {})), progress_bar=progress_bar,
    )
