"""Throttles that count requests per fixed window with one atomic increment, reading their rates from the
settings on each request (so that a test or a deployment can change them; DRF's own read them once, at import).

DRF's ``SimpleRateThrottle`` keeps every request's time of the last window in one cache entry and reads and
rewrites it on each request: the cost grows with the rate (an anonymous client at 100 requests a second rewrites
6,000 timestamps each time) and concurrent requests overwrite each other's history. A counter per window costs
one round trip whatever the rate, and two requests at once both count. A fixed window lets a client spend its
allowance at the end of one window and again at the start of the next; that burst is bounded (twice the rate)
and is what most public APIs accept for this simplicity.
"""

import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache  # moviesite.redis_cache subclasses it
from rest_framework import throttling
from rest_framework.settings import api_settings


def count_request(key: str, window_seconds: int) -> int:
    """Add one to ``key``'s counter (created, expiring after the window, when missing); the new count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)  # Django's cache API has no atomic add-or-incr
        with client.pipeline(transaction=False) as pipe:
            pipe.incr(full_key)
            pipe.expire(full_key, window_seconds + 1)
            return int(pipe.execute()[0])
    if cache.add(key, 1, timeout=window_seconds + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=window_seconds + 1)
        return 1


class _WindowCounter(throttling.SimpleRateThrottle):
    timer = time.time

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return count_request(f"{ident}:{window}", self.duration) <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class AnonThrottle(_WindowCounter, throttling.AnonRateThrottle):
    """Per client address, for requests without credentials."""


class UserThrottle(_WindowCounter, throttling.UserRateThrottle):
    """Per user, for authenticated requests (DRF's counts anonymous ones too, per address, which AnonThrottle
    already does at its own rate)."""

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class TokenEndpointThrottle(_WindowCounter):
    """Per client address on the token endpoint, whoever asks: limits password guessing."""

    scope = "auth_token"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
