"""What an LLM pipeline cost: tokens, requests, retries, cache hits, wall time and price.

`UsageStats` is filled by the model (thread-safe) as requests complete; `cost_summary`
turns it into the figures written beside the metrics and shown in the report (per 1,000
words of evaluated text, as in the reference study's Table 5).
"""
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional


@dataclass
class PriceTable:
    """Price of one model in `currency` per million tokens (from the config).

    input_per_million (float): prompt tokens not served from the provider's prompt cache.
    output_per_million (float): completion tokens.
    currency (str): e.g. "USD"; "" for a local model with no price.
    """

    input_per_million: float = 0.0
    output_per_million: float = 0.0
    currency: str = "USD"

    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million) / 1e6


@dataclass
class UsageStats:
    """Counters of one model instance. Cache hits cost no tokens and make no request."""

    requests: int = 0  # HTTP requests sent, retries included
    answers: int = 0  # prompts answered by the endpoint (not from the cache)
    retries: int = 0
    cache_hits: int = 0
    failed: int = 0  # prompts with no answer after all retries
    prompt_tokens: int = 0
    completion_tokens: int = 0
    answers_without_usage: int = 0  # the server sent no `usage` block
    request_seconds: float = 0.0  # summed over requests (they may overlap)
    retry_reasons: Dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, **counts: Any) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)

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
    RETURNS (Dict[str, Any]): usage plus total_tokens, wall_seconds, price and *_per_1k_words.
    """
    price = price or PriceTable()
    total = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
    cost = price.price(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
    per_1k = 1000.0 / words if words else 0.0
    return {
        **usage,
        "total_tokens": total,
        "words": words,
        "wall_seconds": wall_seconds,
        "price": cost,
        "currency": price.currency,
        "price_table": asdict(price),
        "tokens_per_1k_words": total * per_1k,
        "prompt_tokens_per_1k_words": usage.get("prompt_tokens", 0) * per_1k,
        "completion_tokens_per_1k_words": usage.get("completion_tokens", 0) * per_1k,
        "seconds_per_1k_words": wall_seconds * per_1k,
        "price_per_1k_words": cost * per_1k,
    }
