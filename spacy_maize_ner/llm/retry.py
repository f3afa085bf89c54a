"""When to retry a request and how long to wait: exponential backoff with full jitter."""
import email.utils
import random
import time
from dataclasses import dataclass
from typing import Mapping, Optional

# 408 Request Timeout, 409 (some gateways), 425 Too Early, 429 Too Many Requests, and every 5xx.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def is_retryable_status(status: int) -> bool:
    """status (int): HTTP status. RETURNS (bool): whether trying again may succeed."""
    return status in RETRYABLE_STATUS or 500 <= status <= 599


def parse_retry_after(headers: Mapping[str, str]) -> Optional[float]:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), None if absent."""
    value = None
    for key, val in headers.items():
        if key.lower() == "retry-after":
            value = val
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class RetryPolicy:
    """Retries with exponential backoff and full jitter (AWS architecture blog's "full jitter").

    max_retries (int): retries after the first try (0: no retry).
    base_delay (float): seconds; the n-th retry waits uniform(0, min(max_delay, base * 2**n)).
    max_delay (float): cap on one wait, in seconds; also caps a server's Retry-After.
    seed (Optional[int]): seeds the jitter (tests); None draws from the system.
    """

    max_retries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    seed: Optional[int] = None

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(
                f"Invalid retry settings max_retries={self.max_retries}, base_delay={self.base_delay}, "
                f"max_delay={self.max_delay}: all must be >= 0."
            )
        self._random = random.Random(self.seed)

    def delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based).

        A server's Retry-After is honoured (never waiting less than it asks, up to max_delay).
        """
        backoff = self._random.uniform(0, min(self.max_delay, self.base_delay * (2 ** attempt)))
        if retry_after is not None:
            return min(self.max_delay, max(retry_after, backoff))
        return backoff
