"""Token buckets and the budgets a websocket connection reads under (R15, R40, R41).

A bucket refills at ``rate`` up to ``burst``. The wire never drops what a peer sent: when a
budget is spent it stops reading that socket until the bucket has refilled (TCP makes the peer
wait), so these buckets only ever decide *when* something is read.
"""

from __future__ import annotations

import time

# R15, messages per connection: a phone dragging a note sends about 30 frames/s; typing and
# clicking far fewer.
RATE_PER_S = 60.0
BURST = 120.0
# Reading resumes once this many messages may be read again: a flood is read in steps of a
# tenth of a second, not woken for every single token.
MESSAGES_TO_RESUME = 6.0

# R40, frames per connection: data, continuation, ping and pong frames alike. A browser sends
# a message in one frame and a pong every 20 s; 200/s leaves room for a client that catches up.
FRAMES_PER_S = 200.0
FRAME_BURST = 400.0
FRAMES_TO_RESUME = 16.0
# R40, bytes per connection: above what 60 messages of 1,000 characters a second take, below
# what would let one connection keep the JSON parser busy.
BYTES_PER_S = 1024.0 * 1024
BYTE_BURST = 2 * BYTES_PER_S
BYTES_TO_RESUME = 16 * 1024.0
# R40: a connection that spends more than this much of the last STRAIN_WINDOW_S waiting for
# its frame or byte budget does not just send a burst now and then: it is closed (1008).
STRAIN_WINDOW_S = 10
STRAIN_MAX_S = 5.0
# R41: the write budget of one client address lets its bursts be this many seconds long.
ADDRESS_BURST_S = 2.0


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float = RATE_PER_S, burst: float = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def level(self) -> float:
        """The tokens there are now (below zero while a debt is paid off)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens

    def take(self, cost: float = 1.0) -> bool:
        if self.level() >= cost:
            self.tokens -= cost
            return True
        return False

    def spend(self, cost: float) -> None:
        """Take ``cost`` whatever there is: what was already read is paid for afterwards."""
        self.level()
        self.tokens -= cost

    def wait(self, tokens: float) -> float:
        """Seconds until there are ``tokens`` (capped at the burst)."""
        return max(0.0, (min(tokens, self.burst) - self.level()) / self.rate)


class Strain:
    """Seconds spent waiting for a budget over the last ``window`` seconds, in one-second bins
    (a fixed few floats per connection, however often it pauses)."""

    __slots__ = ("bins", "second")

    def __init__(self, window: int = STRAIN_WINDOW_S) -> None:
        self.bins = [0.0] * window
        self.second = int(time.monotonic())

    def _advance(self, now: float) -> None:
        second, n = int(now), len(self.bins)
        if second - self.second >= n:
            self.bins = [0.0] * n
        else:
            for s in range(self.second + 1, second + 1):
                self.bins[s % n] = 0.0
        self.second = max(self.second, second)

    def add(self, start: float, end: float) -> None:
        """A wait from ``start`` to ``end`` (monotonic seconds), split over the seconds it
        spans (only those still in the window)."""
        self._advance(end)
        n = len(self.bins)
        first = max(int(start), int(end) - n + 1)
        for s in range(first, int(end) + 1):
            piece = min(end, s + 1.0) - max(start, float(s))
            if piece > 0:
                self.bins[s % n] += piece

    def total(self, now: float | None = None) -> float:
        self._advance(time.monotonic() if now is None else now)
        return sum(self.bins)
