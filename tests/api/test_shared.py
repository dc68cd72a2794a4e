"""The Redis-backed rate limiter (qa.api.shared) against a real redis-server: the bucket's
semantics, one bucket shared by several limiters (workers), expiry, and the fallback when
Redis is down."""

from __future__ import annotations

import time

import pytest
import redis

from qa.api.limits import RateLimiter
from qa.api.shared import KEY_PREFIX, RedisRateLimiter, connect, make_rate_limiter
from qa.config import Settings
from qa.errors import RateLimitedError
from qa.loadtest_server import free_port


@pytest.fixture
def client(redis_server):
    c = connect(redis_server.url)
    c.flushdb()
    yield c
    c.close()


def granted(limiter: RateLimiter, identity: str, n: int) -> int:
    ok = 0
    for _ in range(n):
        try:
            limiter.check(identity)
            ok += 1
        except RateLimitedError:
            pass
    return ok


def test_burst_then_429_with_the_wait_for_one_token(client):
    limiter = RedisRateLimiter(60, 5, client)  # one token a second
    assert granted(limiter, "ip:1.2.3.4", 5) == 5
    with pytest.raises(RateLimitedError) as refused:
        limiter.check("ip:1.2.3.4")
    assert 0.5 < refused.value.retry_after <= 1.0
    assert "60 requests per minute, bursts of 5" in refused.value.detail


def test_workers_share_one_bucket(client):
    """Two limiters (as in two worker processes) spend the same bucket: the burst once, not twice."""
    workers = [RedisRateLimiter(1, 10, client), RedisRateLimiter(1, 10, connect(client_url(client)))]
    ok = sum(granted(workers[n % 2], "key:abc", 1) for n in range(40))
    assert ok == 10


def test_identities_have_their_own_buckets(client):
    limiter = RedisRateLimiter(1, 3, client)
    assert granted(limiter, "key:a", 5) == 3
    assert granted(limiter, "key:b", 5) == 3


def test_tokens_come_back_at_the_rate(client):
    limiter = RedisRateLimiter(600, 1, client)  # ten a second
    limiter.check("ip:9.9.9.9")
    with pytest.raises(RateLimitedError):
        limiter.check("ip:9.9.9.9")
    time.sleep(0.25)
    limiter.check("ip:9.9.9.9")


def test_a_bucket_expires_once_it_would_be_full_again(client):
    limiter = RedisRateLimiter(60, 5, client)
    granted(limiter, "ip:5.5.5.5", 3)
    ttl_ms = client.pttl(KEY_PREFIX + "ip:5.5.5.5")
    assert 3000 < ttl_ms <= 4000  # 3 tokens to refill at 1/s, plus a second
    assert float(client.hget(KEY_PREFIX + "ip:5.5.5.5", "tokens")) == pytest.approx(2, abs=0.01)


def test_redis_down_falls_back_to_a_bucket_per_worker():
    down = connect(f"redis://127.0.0.1:{free_port()}/0")
    limiter = RedisRateLimiter(1, 4, down)
    assert granted(limiter, "ip:7.7.7.7", 10) == 4  # limited here, not refused wholesale


def test_settings_choose_the_limiter(redis_server):
    shared = make_rate_limiter(Settings(redis_url=redis_server.url, _env_file=None))
    assert isinstance(shared, RedisRateLimiter)
    local = make_rate_limiter(Settings(_env_file=None))
    assert type(local) is RateLimiter
    off = make_rate_limiter(Settings(redis_url=redis_server.url, rate_limit_per_min=0, _env_file=None))
    assert not off.enabled and type(off) is RateLimiter


def client_url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/0"
