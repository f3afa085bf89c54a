"""A minimum interval between request starts: at most `rate` requests per second."""
import threading
import time
from typing import Callable


class RateLimiter:
    """Space calls to `wait()` at least `1 / rate` seconds apart.

    Every request (first tries and retries alike) calls `wait()` right before it starts,
    so no window of length `k / rate` holds more than `k` request starts.

    rate (float): requests per second, > 0 (PubTator3 asks for at most 3).
    clock (Callable[[], float]): monotonic seconds; injectable for tests.
    sleep (Callable[[float], None]): sleeps that many seconds; injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"Invalid request rate {rate!r}: give requests per second > 0, e.g. 3.")
        self.interval = 1.0 / rate
        self.clock, self.sleep = clock, sleep
        self._last = None  # start time of the previous request
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may start, and note its start.

        RETURNS (float): the start time granted, by `clock`.
        """
        with self._lock:
            now = self.clock()
            if self._last is not None:
                due = self._last + self.interval
                while now < due:
                    self.sleep(due - now)
                    now = self.clock()
            self._last = now
            return now
