"""The signed-in user's ratings: list, create (409 on a second POST), read, change, delete; CSRF for sessions."""

from catalog.models import Rating
from catalog.signals import ratings_changed

from .conftest import PASSWORD, assert_error


def test_it_lists_my_ratings_newest_first(world):
    body = world.client("owner").get("/api/v1/me/ratings/").json()
    assert body["count"] == 2
    assert [(r["movie"]["id"], r["stars"], r["url"]) for r in body["results"]] == [
        (1, 3, "/api/v1/me/ratings/1/"),
        (608, 5, "/api/v1/me/ratings/608/"),
    ]


def test_it_creates_a_rating_and_says_where(world):
    client = world.client("owner")
    response = client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": 4}, format="json")
    assert response.status_code == 201
    assert response["Location"] == "http://testserver/api/v1/me/ratings/4973/"
    assert response.json()["stars"] == 4 and response.json()["movie"]["id"] == 4973
    assert Rating.objects.get(user=world.owner, movie=world.movies["amelie"]).stars == 4
    assert client.get("/api/v1/me/ratings/4973/").json()["stars"] == 4


def test_a_second_post_for_the_same_movie_is_409_with_the_address(world):
    client = world.client("owner")
    error = assert_error(client.post("/api/v1/me/ratings/", {"movie": 608, "stars": 1}, format="json"), 409)
    assert error["code"] == "conflict" and error["location"] == "/api/v1/me/ratings/608/"
    assert Rating.objects.get(user=world.owner, movie=world.movies["fargo"]).stars == 5  # unchanged


def test_it_refuses_bad_stars_and_unknown_movies(world):
    client = world.client("owner")
    for stars in (0, 6, 2.5, "4", None, True):
        error = assert_error(client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": stars}, format="json"), 400)
        assert list(error["fields"]) == ["stars"], (stars, error)
    error = assert_error(client.post("/api/v1/me/ratings/", {"movie": 31337, "stars": 3}, format="json"), 400)
    assert error["fields"] == {"movie": ["No movie with id 31337."]}
    error = assert_error(client.post("/api/v1/me/ratings/", {}, format="json"), 400)
    assert set(error["fields"]) == {"movie", "stars"}
    assert not Rating.objects.filter(user=world.owner, movie=world.movies["amelie"]).exists()


def test_it_changes_and_deletes_a_rating(world):
    client = world.client("owner")
    assert client.put("/api/v1/me/ratings/608/", {"stars": 2}, format="json").json()["stars"] == 2
    assert client.patch("/api/v1/me/ratings/608/", {"stars": 3}, format="json").json()["stars"] == 3
    assert_error(client.put("/api/v1/me/ratings/608/", {"stars": 9}, format="json"), 400)
    assert client.delete("/api/v1/me/ratings/608/").status_code == 204
    assert_error(client.get("/api/v1/me/ratings/608/"), 404)
    assert_error(client.delete("/api/v1/me/ratings/608/"), 404)
    assert_error(client.put("/api/v1/me/ratings/4973/", {"stars": 2}, format="json"), 404)  # not rated: POST it


def test_a_rating_change_announces_it_like_the_site(world, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, user_ids, **kwargs):
        heard.append(set(user_ids))

    ratings_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            world.client("owner").post("/api/v1/me/ratings/", {"movie": 16, "stars": 4}, format="json")
        with django_capture_on_commit_callbacks(execute=True):
            world.client("owner").delete("/api/v1/me/ratings/16/")
    finally:
        ratings_changed.disconnect(listener)
    assert heard == [{world.owner.pk}, {world.owner.pk}]


def test_a_session_needs_its_csrf_token(world):
    client = world.client("anonymous", csrf=True)
    assert client.login(username="owner", password=PASSWORD)
    refused = client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": 4}, format="json")
    assert "CSRF" in assert_error(refused, 403, "permission_denied")["message"]
    assert client.get("/api/v1/me/ratings/").status_code == 200  # reading needs none
    client.get("/admin/login/")  # any page that sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": 4}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_me(world):
    body = world.client("owner").get("/api/v1/me/").json()
    assert body["username"] == "owner" and body["ratings_count"] == 2 and body["is_staff"] is False
