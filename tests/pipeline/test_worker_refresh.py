"""The refresh after a rating on a real Celery worker over the real Redis: the list turns fresh, bursts coalesce.

How fast (the 3 s target) is measured by bench/bench_refresh.py, not here.
"""

import os
import re
import time

import pytest
import redis
from django.utils import timezone

from catalog.models import Movie, User
from catalog.services import rating_set
from recommender.models import UserList
from recommender.selectors import list_status, recommendations_for

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.spark,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="REDIS_URL is not set to a Redis server"),
]


@pytest.fixture
def refresh_worker(trained_catalogue, start_worker, settings):
    settings.REFRESH_DEBOUNCE, settings.REFRESH_MAX_WAIT = 1.0, 10.0
    redis.Redis.from_url(REDIS_URL).flushdb()
    return start_worker({"REDIS_URL": REDIS_URL, "REFRESH_DEBOUNCE": "1.0", "REFRESH_MAX_WAIT": "10"}, "default")


def _wait_until_fresh(user: User, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not list_status(user=user).updating:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the list of {user} was not refreshed within {timeout} s")


def _refreshes(worker) -> int:
    return len(re.findall(r"refresh_user_list\[[^\]]+\] succeeded in [0-9.]+s: True", worker.log.read_text()))


def test_a_rating_is_reflected_and_a_burst_of_ten_coalesces(refresh_worker):
    warm = User.objects.get(movielens_id=22)  # the worker's first task may still be loading the model
    rating_set(user=warm, movie=Movie.objects.exclude(ratings__user=warm).filter(ratings_count__gt=0).first(), stars=3)
    _wait_until_fresh(warm, timeout=60)
    user = User.objects.get(movielens_id=21)
    unseen = list(Movie.objects.exclude(ratings__user=user).filter(ratings_count__gt=0).order_by("pk")[:12])

    rating_set(user=user, movie=unseen[0], stars=5)
    assert list_status(user=user).updating
    _wait_until_fresh(user, timeout=30.0)  # the 3 s target is measured by bench/bench_refresh.py
    assert unseen[0].pk not in {i.movie.pk for i in recommendations_for(user=user)}
    assert _refreshes(refresh_worker) == 2

    for movie in unseen[1:11]:  # ten ratings in about five seconds
        rating_set(user=user, movie=movie, stars=4)
        time.sleep(0.5)
    last_change = timezone.now()
    _wait_until_fresh(user, timeout=30.0)
    assert UserList.objects.get(version__is_active=True, user=user).computed_at >= last_change - timezone.timedelta(
        seconds=0.6
    )
    time.sleep(1.5)  # let any straggling task run
    assert 3 <= _refreshes(refresh_worker) <= 4  # warm-up, first rating, then one or two for the burst of ten
