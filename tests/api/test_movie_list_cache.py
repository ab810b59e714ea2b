"""GET /api/v1/movies/ pages are kept MOVIE_LIST_CACHE_SECONDS (the same for everyone); errors never are."""

from django.core.cache import cache

from catalog import services

from .conftest import assert_error


def _fargo_count(client) -> int:
    items = client.get("/api/v1/movies/?search=fargo").json()["results"]
    return next(item["ratings_count"] for item in items if item["id"] == 608)


def test_a_page_is_served_from_the_cache_until_it_expires(world, settings):
    settings.MOVIE_LIST_CACHE_SECONDS = 30
    anonymous, other = world.client("anonymous"), world.client("other")
    assert _fargo_count(anonymous) == 1
    services.rating_set(user=world.other, movie=world.movies["fargo"], stars=4)
    assert _fargo_count(other) == 1  # the kept page, whoever asks
    assert other.get("/api/v1/movies/608/").json()["ratings_count"] == 2  # a movie's own page is current
    cache.clear()  # what the expiry does
    assert _fargo_count(anonymous) == 2


def test_without_the_cache_every_page_is_current(world, settings):
    settings.MOVIE_LIST_CACHE_SECONDS = 0
    client = world.client("anonymous")
    assert _fargo_count(client) == 1
    services.rating_set(user=world.other, movie=world.movies["fargo"], stars=4)
    assert _fargo_count(client) == 2


def test_each_query_is_kept_apart_and_errors_are_not_kept(world, settings):
    settings.MOVIE_LIST_CACHE_SECONDS = 30
    client = world.client("anonymous")
    assert [m["id"] for m in client.get("/api/v1/movies/?search=heat").json()["results"]] == [6]
    assert [m["id"] for m in client.get("/api/v1/movies/?search=casino").json()["results"]] == [16]
    assert_error(client.get("/api/v1/movies/?year=abc"), 400)
    assert_error(client.get("/api/v1/movies/?year=abc"), 400)
    assert_error(client.get("/api/v1/movies/?page=99"), 404)


def test_anonymous_requests_count_only_against_the_anonymous_rate(world, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min", "user": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    anonymous = world.client("anonymous")
    assert [anonymous.get("/api/v1/genres/").status_code for _ in range(4)] == [200, 200, 200, 429]
