"""Lists: each item's fields, staff reading anyone's, the cache and its invalidation."""

from django.core.cache import cache

from recommender.cache import invalidate_all_lists, invalidate_user_lists, list_cache_key
from recommender.models import Recommendation

from .conftest import assert_error


def test_my_list_has_movie_rank_score_stars_reason_and_version(world):
    body = world.client("owner").get("/api/v1/me/recommendations/").json()
    assert body["user_id"] == world.owner.pk and body["version_id"] == world.version.pk
    first = body["items"][0]
    assert first["rank"] == 1 and first["movie"]["title"].startswith("Amélie")
    assert first["score"] == 0.9 and first["predicted_stars"] == 4.0 and first["version_id"] == world.version.pk
    assert first["reason"] == "because you rated Fargo (1996) 5 stars" and first["reason_kind"] == "rated"
    titles = [item["movie"]["title"] for item in body["items"]]
    assert titles[:3] == [world.movies["amelie"].title, "Heat (1995)", "Casino (1995)"]
    assert "Fargo (1996)" not in titles and "Toy Story (1995)" not in titles  # rated: never recommended


def test_staff_read_anyones_list_users_only_their_own(world):
    owner_list = world.client("staff").get(f"/api/v1/users/{world.owner.pk}/recommendations/").json()
    assert owner_list["user_id"] == world.owner.pk and owner_list["items"][0]["movie"]["id"] == 4973
    assert world.client("owner").get(f"/api/v1/users/{world.owner.pk}/recommendations/").status_code == 200
    assert_error(world.client("other").get(f"/api/v1/users/{world.owner.pk}/recommendations/"), 404)
    assert_error(world.client("staff").get("/api/v1/users/999999/recommendations/"), 404)


def test_a_cached_list_costs_no_query(world, django_assert_num_queries):
    client = world.client("owner")
    client.get("/api/v1/me/recommendations/")
    with django_assert_num_queries(0):  # the token's user and the list both come from the cache
        assert client.get("/api/v1/me/recommendations/").json()["items"][0]["rank"] == 1


def test_rating_a_listed_movie_drops_it_at_once(world, django_capture_on_commit_callbacks):
    client = world.client("owner")
    assert client.get("/api/v1/me/recommendations/").json()["items"][0]["movie"]["id"] == 4973
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": 5}, format="json")
    assert client.get("/api/v1/me/recommendations/").json()["items"][0]["movie"]["id"] == 6


def test_invalidation_hooks_drop_cached_lists(world):
    client = world.client("owner")
    client.get("/api/v1/me/recommendations/")
    assert cache.get(list_cache_key(world.owner.pk)) is not None
    Recommendation.objects.filter(user=world.owner, rank=1).update(score=0.95)  # as a refresh would write it
    assert client.get("/api/v1/me/recommendations/").json()["items"][0]["score"] == 0.9  # cached
    invalidate_user_lists([world.owner.pk])
    assert client.get("/api/v1/me/recommendations/").json()["items"][0]["score"] == 0.95
    Recommendation.objects.filter(user=world.owner, rank=1).update(score=0.5)
    invalidate_all_lists()
    assert cache.get(list_cache_key(world.owner.pk)) is not None  # still there, but of an older generation
    assert client.get("/api/v1/me/recommendations/").json()["items"][0]["score"] == 0.5


def test_activating_another_version_drops_every_list(world, django_capture_on_commit_callbacks):
    client = world.client("owner")
    assert client.get("/api/v1/me/recommendations/").json()["version_id"] == world.version.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("staff").post(f"/api/v1/model-versions/{world.old_version.pk}/activate/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    body = client.get("/api/v1/me/recommendations/").json()
    assert body["items"][0]["reason_kind"] == "popular"  # the old version has no list for this user
    assert body["version_id"] == world.old_version.pk


def test_anonymous_visitors_get_no_list(world):
    assert_error(world.client("anonymous").get("/api/v1/me/recommendations/"), 401, "not_authenticated")
