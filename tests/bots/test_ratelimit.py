"""Token buckets: a burst, then the sustained rate; a user's flood does not spend the workspace's tokens for others."""
from __future__ import annotations

from assistant.bots.ratelimit import Limit, RateLimiter


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill():
    clock = Clock()
    rl = RateLimiter(Limit(per_min=6, burst=2), Limit(per_min=0, burst=0), clock=clock)
    assert rl.allow("u", "t") == 0 and rl.allow("u", "t") == 0
    wait = rl.allow("u", "t")
    assert 9.9 < wait <= 10.0  # 6 a minute: one token every 10 s
    clock.now += 10
    assert rl.allow("u", "t") == 0


def test_users_are_separate_and_the_workspace_caps_them_all():
    clock = Clock()
    rl = RateLimiter(Limit(per_min=60, burst=1), Limit(per_min=60, burst=2), clock=clock)
    assert rl.allow("a", "t") == 0
    assert rl.allow("a", "t") > 0  # a's bucket is empty
    assert rl.allow("b", "t") == 0  # b has its own
    assert rl.allow("c", "t") > 0  # the workspace's two are spent
    assert rl.allow("c", "other") == 0


def test_a_refused_request_spends_nothing():
    clock = Clock()
    rl = RateLimiter(Limit(per_min=60, burst=5), Limit(per_min=60, burst=1), clock=clock)
    assert rl.allow("a", "t") == 0
    assert rl.allow("a", "t") > 0  # refused by the workspace bucket: a's own bucket keeps its tokens
    clock.now += 1
    assert rl.allow("a", "t") == 0


def test_zero_rate_means_unlimited():
    rl = RateLimiter(Limit(0, 0), Limit(0, 0))
    assert all(rl.allow("u", "t") == 0 for _ in range(1000))
