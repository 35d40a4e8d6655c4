"""A token bucket per connection (R15): steady rate with a burst allowance."""

from __future__ import annotations

import time

# A phone dragging a note sends about 30 frames/s; typing and clicking far fewer.
RATE_PER_S = 60.0
BURST = 120.0


class TokenBucket:
    def __init__(self, rate: float = RATE_PER_S, burst: float = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False
