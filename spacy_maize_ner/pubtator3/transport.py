"""HTTP GET with a rate limit, a timeout and retries with exponential backoff.

Retried: HTTP 429 and 5xx (waiting `Retry-After` seconds when the server sends it, capped
by `max_backoff`), timeouts, dropped connections, a body shorter than its
Content-Length, and any response the caller's `check` rejects as incomplete
(`IncompleteResponse`). Not retried: other HTTP errors (400, 404, ...), which are
mistakes in the request. Every attempt, retries included, waits for the rate limiter.
"""
import http.client
import socket
import time
import urllib.error
import urllib.request
from typing import Callable, List, NamedTuple, Optional, TypeVar

from ..about import __version__
from .ratelimit import RateLimiter

T = TypeVar("T")
USER_AGENT = f"spacy-maize-ner/{__version__} (PubTator3 export client)"


class IncompleteResponse(ValueError):
    """A response that arrived but is cut off or malformed; the request is retried."""


class TransportError(RuntimeError):
    """A request that failed for good (retries exhausted, or an error not worth retrying)."""


class Attempt(NamedTuple):
    """One HTTP attempt: the URL and what came of it ("ok", "http 429", "timeout", ...)."""

    url: str
    outcome: str


class Transport:
    """GET requests through a rate limiter, with retries.

    limiter (RateLimiter): spaces request starts.
    timeout (float): seconds to wait for the server (connect and each read).
    max_retries (int): retries after the first attempt.
    backoff (float): the first retry waits this long; each further one twice as long.
    max_backoff (float): the longest wait between attempts.
    sleep (Callable[[float], None]): injectable for tests.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limiter, self.timeout = limiter, timeout
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.sleep = sleep
        self.attempts: List[Attempt] = []

    def get(self, url: str, check: Callable[[str], T]) -> T:
        """GET `url`, decode it as UTF-8 and return `check(body)`, retrying on failure.

        url (str): the full URL.
        check (Callable[[str], T]): parses the body; raises `IncompleteResponse` to retry.
        RETURNS (T): what `check` returns.
        """
        problems: List[str] = []
        retry_after: Optional[float] = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, retry_after))
            retry_after: Optional[float] = None
            self.limiter.wait()
            try:
                request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read().decode("utf8")
                result = check(body)
            except urllib.error.HTTPError as err:
                outcome = f"http {err.code}"
                if err.code != 429 and err.code < 500:
                    self.attempts.append(Attempt(url, outcome))
                    raise TransportError(
                        f"GET {url} failed with HTTP {err.code} ({err.reason}); not retried. Check the "
                        "base URL (--url / vars.pubtator_url) and the parameters."
                    ) from None
                retry_after = _retry_after(err.headers.get("Retry-After") if err.headers else None)
            except (socket.timeout, TimeoutError):
                outcome = "timeout"
            except urllib.error.URLError as err:
                if isinstance(err.reason, (socket.timeout, TimeoutError)):
                    outcome = "timeout"
                elif isinstance(err.reason, (ConnectionError, OSError)):
                    outcome = f"connection error ({err.reason})"
                else:
                    raise TransportError(f"GET {url} failed: {err.reason}. Check the base URL.") from None
            except http.client.IncompleteRead as err:
                outcome = f"truncated body ({len(err.partial)} bytes, {err.expected} more expected)"
            except (http.client.HTTPException, ConnectionError) as err:
                outcome = f"connection error ({type(err).__name__})"
            except UnicodeDecodeError:
                outcome = "body is not UTF-8"
            except IncompleteResponse as err:
                outcome = f"incomplete response ({err})"
            else:
                self.attempts.append(Attempt(url, "ok"))
                return result
            self.attempts.append(Attempt(url, outcome))
            problems.append(outcome)
        raise TransportError(
            f"GET {url} failed {len(problems)} times ({'; '.join(problems)}). Batches already "
            "fetched are cached: run the same command again later to resume, or raise "
            "--max-retries / --timeout."
        )

    def _delay(self, attempt: int, retry_after: Optional[float]) -> float:
        delay = self.backoff * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.max_backoff)


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header given in seconds; None otherwise (dates ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
