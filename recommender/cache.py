"""Each user's serialized recommendation list, kept in Django's cache so that reading it costs no query.

Whoever changes a list says so here:
- ``invalidate_user_lists(user_ids)`` after a refresh wrote those users' lists, and (connected below) whenever
  their ratings change (the list drops what they just rated);
- ``invalidate_all_lists()`` when another version becomes active: it bumps a generation number stored with
  every entry, so the old entries are never served again and expire on their own.

With the default local-memory cache every process has its own copy and an invalidation reaches only the process
that made it; with several web processes set ``CACHE_URL`` to Redis so that it reaches them all. An entry lives at
most ``RECOMMENDATIONS_CACHE_SECONDS``, and only ``UPDATING_SECONDS`` while a refresh is on its way, so a list
that someone forgot to invalidate still turns up soon.
"""

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver

from catalog.signals import ratings_changed

GENERATION_KEY = "recommender:lists:generation"
UPDATING_SECONDS = 1


def _new_generation() -> int:
    """Never a number used before (the key may have been evicted): nanoseconds since the epoch."""
    return time.time_ns()


def list_cache_key(user_id: int) -> str:
    """The user's entry: (generation it was stored under, serialized list)."""
    return f"recommender:list:{user_id}"


def invalidate_user_lists(user_ids: Iterable[int]) -> None:
    cache.delete_many([list_cache_key(int(pk)) for pk in user_ids])


def invalidate_all_lists() -> None:
    """Every entry stored under an older generation is a miss from now on (and expires on its own)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # evicted: any fresh number will do
        cache.set(GENERATION_KEY, _new_generation(), timeout=None)


def cached_list(user_id: int, build: Callable[[], dict]) -> dict:
    """The cached serialized list of ``user_id``, built (and stored) when missing or of an older generation.

    One round trip to the cache for a hit: the generation and the entry are read together.
    """
    key = list_cache_key(user_id)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = build()  # stored under the generation read before building: a switch meanwhile makes it a miss
    seconds = UPDATING_SECONDS if value.get("updating") else settings.RECOMMENDATIONS_CACHE_SECONDS
    cache.set(key, (generation, value), timeout=seconds)
    return value


@receiver(ratings_changed, dispatch_uid="recommender.cache.ratings_changed")
def _ratings_changed(sender, user_ids: frozenset[int], **kwargs) -> None:
    invalidate_user_lists(user_ids)
