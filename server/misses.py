"""Misses per client address: join codes and sign-ins that did not match (R34).

After ``limit`` misses within a minute an address is told to wait (HTTP 429 with
``Retry-After``) until its oldest miss is a minute old. Hits cost nothing. IPv6 addresses count
per /64, the block one household or phone gets; memory is bounded by forgetting the
longest-quiet addresses first.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict, deque

WINDOW_S = 60.0
MAX_ADDRESSES = 50_000


def address_key(host: str | None) -> str:
    """The unit a limit counts: an IPv4 address, or an IPv6 /64."""
    if not host:
        return "?"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


class Misses:
    def __init__(self, limit: int, window_s: float = WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, host: str | None, now: float | None = None) -> float:
        """Seconds this address must wait before it may try again (0: it may now)."""
        t = time.monotonic() if now is None else now
        times = self._seen.get(address_key(host))
        if times is None:
            return 0.0
        while times and times[0] <= t - self.window_s:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window_s - t)

    def miss(self, host: str | None, now: float | None = None) -> None:
        t = time.monotonic() if now is None else now
        key = address_key(host)
        times = self._seen.pop(key, None) or deque(maxlen=max(self.limit, 1))
        times.append(t)
        self._seen[key] = times  # most recent last
        while len(self._seen) > MAX_ADDRESSES:
            self._seen.popitem(last=False)
