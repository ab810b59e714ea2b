"""Half stars through the API: refused where the catalogue is ML-1M, kept exactly where its release has them."""

import pytest

from catalog.models import Rating, Release

from .conftest import assert_error


@pytest.fixture
def half_stars(db):
    return Release.objects.update_or_create(pk=1, defaults=dict(name="ml-25m", format="csv", half_stars=True))[0]


def test_ml_1m_refuses_half_stars(world):
    client = world.client("owner")
    error = assert_error(client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": 4.5}, format="json"), 400)
    assert error["fields"]["stars"] == ["stars must be a whole number from 1 to 5, not 4.5"]
    assert_error(client.put("/api/v1/me/ratings/608/", {"stars": 3.5}, format="json"), 400)
    assert not Rating.objects.filter(user=world.owner, movie=world.movies["amelie"]).exists()
    assert Rating.objects.get(user=world.owner, movie=world.movies["fargo"]).stars == 5


def test_a_half_star_release_takes_and_returns_half_stars(world, half_stars):
    client = world.client("owner")
    created = client.post("/api/v1/me/ratings/", {"movie": 4973, "stars": 4.5}, format="json")
    assert created.status_code == 201 and created.json()["stars"] == 4.5
    assert Rating.objects.get(user=world.owner, movie=world.movies["amelie"]).stars == 4.5
    assert client.get("/api/v1/me/ratings/4973/").json()["stars"] == 4.5
    assert client.patch("/api/v1/me/ratings/4973/", {"stars": 0.5}, format="json").json()["stars"] == 0.5
    assert client.put("/api/v1/me/ratings/4973/", {"stars": 3}, format="json").json()["stars"] == 3
    client.put("/api/v1/me/ratings/4973/", {"stars": 3.5}, format="json")
    detail = client.get("/api/v1/movies/4973/").json()
    assert detail["my_stars"] == 3.5 and detail["average_stars"] == 3.5
    assert list(detail["histogram"]) == ["0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"]
    assert detail["histogram"]["3.5"] == 1


@pytest.mark.parametrize("stars", [0, 0.25, 4.75, 5.5, 6, "4.5"])
def test_a_half_star_release_still_refuses_what_is_not_a_half_step(world, half_stars, stars):
    response = world.client("owner").post("/api/v1/me/ratings/", {"movie": 4973, "stars": stars}, format="json")
    assert list(assert_error(response, 400)["fields"]) == ["stars"]
