"""Half stars on the site: the catalogue's release decides the scale the rating controls offer and accept."""

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Rating, Release
from catalog.scale import HALF_STARS, WHOLE_STARS, current_scale, record_release
from catalog.services import rating_set, validate_stars
from tests.web_fixtures import client_for, csrf_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_stars():
    return Release.objects.update_or_create(pk=1, defaults=dict(name="ml-10m", format="ml-10m", half_stars=True))[0]


def test_whole_stars_unless_the_release_has_halves():
    assert current_scale() == WHOLE_STARS
    record_release(name="ml-1m", format="ml-1m", half_stars=False)
    assert current_scale() == WHOLE_STARS
    record_release(name="ml-10m", format="ml-10m", half_stars=True)
    assert current_scale() == HALF_STARS
    record_release(name="ml-1m", format="ml-1m", half_stars=False)  # the halves already there stay valid
    assert current_scale() == HALF_STARS and Release.objects.get().name == "ml-1m"


@pytest.mark.parametrize(("given", "value"), [("4", 4), (4, 4), (4.0, 4), ("4.0", 4), ("4.5", 4.5), (0.5, 0.5)])
def test_validate_stars_on_the_half_scale(given, value):
    result = validate_stars(given, scale=HALF_STARS)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("given", ["4.50", "4.25", "0", "5.5", "nan", "", None, True])
def test_validate_stars_refuses_the_rest(given):
    with pytest.raises(ValidationError, match="a number from 0.5 to 5 in half steps"):
        validate_stars(given, scale=HALF_STARS)


def test_ml_1m_keeps_whole_stars(movies, owner):
    with pytest.raises(ValidationError, match="a whole number from 1 to 5, not '4.5'"):
        rating_set(user=owner, movie=movies[608], stars="4.5")
    response = client_for(owner).post("/movies/608/rate/", {"stars": "4.5"}, follow=True)
    assert "was not rated: stars must be a whole number from 1 to 5" in response.text
    assert not Rating.objects.filter(user=owner).exists()
    page = client_for(owner).get("/movies/608/").text
    assert '<option value="4" >4 stars</option>' in page and 'value="4.5"' not in page


def test_a_half_star_release_rates_in_halves_on_the_site(movies, owner, half_stars):
    client = client_for(owner, csrf=True)
    token = csrf_token(client, "/movies/608/")
    page = client.get("/movies/608/").text
    assert '<option value="0.5" >0.5 stars</option>' in page and '<option value="4.5" >4.5 stars</option>' in page

    response = client.post("/movies/608/rate/", {"stars": "4.5", "csrfmiddlewaretoken": token}, follow=True)

    assert Rating.objects.get(user=owner, movie=movies[608]).stars == 4.5
    assert "Rated Fargo (1996): 4.5 stars." in response.text
    assert "You rated it <strong>4.5 stars</strong>" in response.text
    assert '<option value="4.5" selected>4.5 stars</option>' in response.text
    assert "4.5 ★" in client.get("/me/ratings/").text
    response = client.post("/movies/608/rate/", {"stars": "1", "csrfmiddlewaretoken": token}, follow=True)
    assert "Changed your rating of Fargo (1996): 1 star." in response.text


@pytest.mark.parametrize(("release_half", "stars", "saved"), [(False, "4.5", False), (False, "4", True),
                                                              (True, "4.5", True), (True, "4.25", False)])  # fmt: skip
def test_the_admin_checks_stars_against_the_scale(admin_client, movies, owner, release_half, stars, saved):
    Release.objects.update_or_create(
        pk=1, defaults={"name": "x", "format": "csv" if release_half else "ml-1m", "half_stars": release_half}
    )
    data = {"user": owner.pk, "movie": movies[608].pk, "stars": stars, "timestamp": 5}
    response = admin_client.post("/admin/catalog/rating/add/", data)
    assert Rating.objects.filter(user=owner).exists() == saved
    if not saved:
        assert response.status_code == 200 and "stars must be" in response.text
