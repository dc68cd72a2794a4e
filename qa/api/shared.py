"""Rate limits shared by every worker process: token buckets kept in Redis (``QA_REDIS_URL``).

With several workers (``QA_WORKERS``) each process has its own memory, so an in-process bucket
would let a client through N times its limit: the kernel spreads new connections over the
workers. The buckets therefore live in Redis, one hash per identity (API key id or client IP).

Why a token bucket in a Lua script rather than INCR + EXPIRE in fixed windows: the script runs
atomically in Redis (no read-modify-write race between workers), keeps exactly the in-process
semantics (``QA_RATE_LIMIT_BURST`` at once, then ``QA_RATE_LIMIT_PER_MIN`` spread evenly, a
precise ``Retry-After``), and has no window edge where a client gets two windows' worth in a
moment. Redis's own clock (``TIME``) is used, so workers on hosts with skewed clocks agree.
Each bucket expires once it would be full again, so Redis holds only clients seen recently.

The call is synchronous, from the event loop (the middleware and the failed-key charge are
synchronous): one round trip per request, and ``SOCKET_TIMEOUT_S`` bounds a stalled Redis.
When Redis cannot be reached the check falls back to this worker's own bucket (a warning is
logged, at most every ``WARN_EVERY_S``): limits become per worker rather than the service
refusing everyone.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from qa.api.limits import RateLimiter
from qa.config import Settings

log = logging.getLogger("qa.api")
KEY_PREFIX = "qa:rate:"
WARN_EVERY_S = 60.0
SOCKET_TIMEOUT_S = 0.5  # a Redis on another host that stalls must not stall the event loop long

# KEYS[1]: the bucket. ARGV: rate (tokens/s), capacity, cost. Returns the wait in seconds as a
# string (Redis truncates Lua numbers to integers), "0" when granted, "inf" when it never refills.
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(saved[1]) or capacity
local stamp = tonumber(saved[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
if now > stamp then stamp = now end
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
elseif rate > 0 then
  wait = (cost - tokens) / rate
else
  wait = -1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(stamp))
local ttl = 60000
if rate > 0 then ttl = math.ceil((capacity - tokens) / rate * 1000) + 1000 end
redis.call('PEXPIRE', KEYS[1], ttl)
if wait < 0 then return 'inf' end
return tostring(wait)
"""


def connect(url: str) -> Any:
    """A Redis client for ``url`` (imported here: nothing heavy at import time, and the package
    is needed only when ``QA_REDIS_URL`` is set)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S)


class RedisRateLimiter(RateLimiter):
    """The same interface and semantics as :class:`RateLimiter`, with the buckets in Redis."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        client: Any,
        *,
        prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(per_minute, burst, clock=clock)
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(TOKEN_BUCKET_LUA)
        self._warned_at = -math.inf

    def wait_for(self, identity: str) -> float:
        """Take a token of ``identity``'s shared bucket: 0.0 when granted, else the seconds until one
        would be there. Raises redis's errors (the caller falls back)."""
        reply = self._script(keys=[self.prefix + identity], args=[self.rate, self.burst, 1])
        return float(reply.decode() if isinstance(reply, bytes) else reply)

    def check(self, identity: str) -> None:
        if not self.enabled:
            return
        import redis

        try:
            wait = self.wait_for(identity)
        except redis.RedisError as exc:
            now = self.clock()
            if now - self._warned_at >= WARN_EVERY_S:
                self._warned_at = now
                log.warning("rate limit: Redis unreachable (%s); limiting per worker meanwhile", exc)
            super().check(identity)
            return
        self._refuse_if(wait)


def make_rate_limiter(settings: Settings) -> RateLimiter:
    """The shared limiter when ``QA_REDIS_URL`` is set, else the per-process one."""
    if settings.redis_url and settings.rate_limit_per_min > 0:
        return RedisRateLimiter(
            settings.rate_limit_per_min, settings.rate_limit_burst, connect(settings.redis_url)
        )
    return RateLimiter(settings.rate_limit_per_min, settings.rate_limit_burst)
