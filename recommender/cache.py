"""Cached reads of users' lists, and their invalidation when a refresh or a new version writes them.

A generation counter in the cache is part of every key: bumping it drops every user's cached list at once
(a new version), deleting one user's key drops theirs (a refresh). With Django's local-memory cache each
process has its own copy, so invalidation reaches other processes only through a shared cache (Redis).
"""

from collections.abc import Iterable

from django.core.cache import cache

GENERATION_KEY = "recommender:lists:generation"


def _generation() -> int:
    return int(cache.get_or_set(GENERATION_KEY, 1, timeout=None))


def list_cache_key(user_id: int) -> str:
    return f"recommender:list:{_generation()}:{user_id}"


def invalidate_user_lists(user_ids: Iterable[int]) -> None:
    generation = _generation()
    cache.delete_many([f"recommender:list:{generation}:{pk}" for pk in user_ids])


def invalidate_all_lists() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)
