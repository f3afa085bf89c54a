"""What an LLM pipeline cost: tokens, requests, retries, cache hits, wall time and price.

`UsageStats` is filled by the model (thread-safe) as answers come in; `cost_summary`
turns it into the figures written beside the metrics and shown in the report (per 1,000
words of evaluated text, as in the reference study's Table 5).

Two costs are kept apart. The row's cost (`prompt_tokens`, `completion_tokens`, `price`,
`*_per_1k_words`) is what producing the answers it scores cost: the `usage` of every
answer, whether it came from the endpoint now or from the response cache (each cache
entry stores the usage of its request), so a resumed or fully cached rerun reports the
same cost as the first run. What this run spent (`run_prompt_tokens`, `run_price`, ...)
counts only the requests it sent (0 for a fully cached rerun). Answers whose server sent
no `usage` are counted (`answers_without_usage`): the tokens are then a lower bound and
the price is shown as such. A price table with a value not checked (null) gives the
price as unknown (None), never 0.
"""
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional


@dataclass
class PriceTable:
    """Price of one model in `currency` per million tokens (from the config; a price not
    given is unknown, a local model states 0.0 and currency "").

    input_per_million (Optional[float]): prompt tokens not served from the provider's prompt
        cache; None: the price was not checked (the cost is then unknown, not 0).
    output_per_million (Optional[float]): completion tokens; None: not checked.
    currency (str): e.g. "USD"; "" for a local model with no price.
    """

    input_per_million: Optional[float] = None
    output_per_million: Optional[float] = None
    currency: str = "USD"

    @property
    def known(self) -> bool:
        """Whether both prices are known (a local model's zero prices are known)."""
        return self.input_per_million is not None and self.output_per_million is not None

    def price(self, prompt_tokens: int, completion_tokens: int) -> Optional[float]:
        """RETURNS (Optional[float]): the price of these tokens, None when a price is unknown."""
        if not self.known:
            return None
        return (prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million) / 1e6


@dataclass
class UsageStats:
    """Counters of one model instance (see the module docstring for the two costs)."""

    requests: int = 0  # HTTP requests sent, retries included
    answers: int = 0  # prompts answered by the endpoint in this run (not from the cache)
    retries: int = 0
    cache_hits: int = 0
    failed: int = 0  # prompts with no answer after all retries
    # The cost of producing the answers used (fresh and cached, from each answer's usage).
    prompt_tokens: int = 0
    completion_tokens: int = 0
    answers_without_usage: int = 0  # answers used whose server sent no `usage` block
    # What this run spent: the answers of the requests it sent.
    run_prompt_tokens: int = 0
    run_completion_tokens: int = 0
    run_answers_without_usage: int = 0
    request_seconds: float = 0.0  # summed over requests (they may overlap)
    retry_reasons: Dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, **counts: Any) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)

    def add_answer(self, usage: Dict[str, Any], *, cached: bool) -> None:
        """Account one answer used: its usage (as stored or as received) and, when it was
        not served from the cache, what this run spent on it."""
        prompt = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens")
        complete = isinstance(prompt, (int, float)) and isinstance(completion, (int, float))
        prompt, completion = int(prompt or 0), int(completion or 0)
        with self._lock:
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.answers_without_usage += 0 if complete else 1
            if cached:
                self.cache_hits += 1
            else:
                self.answers += 1
                self.run_prompt_tokens += prompt
                self.run_completion_tokens += completion
                self.run_answers_without_usage += 0 if complete else 1

    def note_retry(self, reason: str) -> None:
        with self._lock:
            self.retries += 1
            self.retry_reasons[reason] = self.retry_reasons.get(reason, 0) + 1

    def to_dict(self) -> Dict[str, Any]:
        with self._lock:
            data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        return data

    def reset(self) -> None:
        with self._lock:
            for key, value in asdict(UsageStats()).items():
                setattr(self, key, value)


def cost_summary(
    usage: Dict[str, Any],
    *,
    words: int,
    wall_seconds: float,
    price: Optional[PriceTable] = None,
) -> Dict[str, Any]:
    """Totals and per-1,000-word figures of one evaluation run.

    usage (Dict[str, Any]): `UsageStats.to_dict()` of the run.
    words (int): words (tokens of the pipeline's tokenizer) of the evaluated texts.
    wall_seconds (float): wall time of the run (includes waiting for the server).
    RETURNS (Dict[str, Any]): usage plus total_tokens, price (None: unknown), price_known,
        usage_complete (False: some answers had no usage, tokens and price are lower
        bounds), the same for this run (run_*) and *_per_1k_words of the answers' cost.
    """
    price = price or PriceTable()
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    run_prompt, run_completion = usage.get("run_prompt_tokens", 0), usage.get("run_completion_tokens", 0)
    total = prompt + completion
    cost = price.price(prompt, completion)
    per_1k = 1000.0 / words if words else 0.0
    return {
        **usage,
        "total_tokens": total,
        "run_total_tokens": run_prompt + run_completion,
        "words": words,
        "wall_seconds": wall_seconds,
        "price": cost,
        "run_price": price.price(run_prompt, run_completion),
        "price_known": price.known,
        "usage_complete": not usage.get("answers_without_usage", 0),
        "currency": price.currency,
        "price_table": asdict(price),
        "tokens_per_1k_words": total * per_1k,
        "prompt_tokens_per_1k_words": prompt * per_1k,
        "completion_tokens_per_1k_words": completion * per_1k,
        "seconds_per_1k_words": wall_seconds * per_1k,
        "price_per_1k_words": None if cost is None else cost * per_1k,
    }
