"""The Redis cache backend the settings pick for a redis:// CACHE_URL: Django's, with one client per server."""

import os
import subprocess
import sys

import environ
from django.core.cache import caches

from moviesite.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def test_a_redis_cache_url_gets_the_backend_that_keeps_its_client(settings):
    config = environ.Env.cache_url_config(REDIS_URL)
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"  # what the settings replace
    settings.CACHES = {"default": {**config, "BACKEND": "moviesite.redis_cache.RedisCache", "KEY_PREFIX": "rc"}}
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    cache.set("answer", {"list": [1, 2, 3]}, timeout=30)
    assert cache.get_many(["answer", "missing"]) == {"answer": {"list": [1, 2, 3]}}
    assert cache.add("answer-count", 1) and cache.incr("answer-count") == 2
    first = cache._cache.get_client(None, write=True)
    assert cache._cache.get_client("another key") is first  # one server: reads and writes share one client
    cache.delete_many(["answer", "answer-count"])
    assert cache.get("answer") is None


def test_the_settings_use_it_for_a_redis_cache_url():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {**os.environ, "CACHE_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "moviesite.settings"}
    backend = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert backend.stdout.strip() == "moviesite.redis_cache.RedisCache"
