"""Rate, change, remove (POST with CSRF), and My ratings: a person touches only their own ratings."""

import pytest

from catalog.models import Rating
from catalog.services import rating_set
from tests.web_fixtures import client_for, csrf_token

pytestmark = pytest.mark.django_db


def stars_of(user, movie) -> int | None:
    return Rating.objects.filter(user=user, movie=movie).values_list("stars", flat=True).first()


def test_it_rates_changes_and_removes_with_a_csrf_token(movies, owner):
    client = client_for(owner, csrf=True)
    token = csrf_token(client, "/movies/608/")
    response = client.post("/movies/608/rate/", {"stars": "4", "csrfmiddlewaretoken": token}, follow=True)
    assert stars_of(owner, movies[608]) == 4
    assert "Rated Fargo (1996): 4 stars." in response.text
    response = client.post("/movies/608/rate/", {"stars": "1", "csrfmiddlewaretoken": token}, follow=True)
    assert stars_of(owner, movies[608]) == 1
    assert "Changed your rating of Fargo (1996): 1 star." in response.text
    response = client.post("/movies/608/unrate/", {"csrfmiddlewaretoken": token}, follow=True)
    assert stars_of(owner, movies[608]) is None
    assert "Removed your rating of Fargo (1996)." in response.text


@pytest.mark.parametrize("url", ["/movies/608/rate/", "/movies/608/unrate/"])
def test_it_refuses_a_post_without_csrf_token(movies, owner, url):
    rating_set(user=owner, movie=movies[608], stars=3)
    response = client_for(owner, csrf=True).post(url, {"stars": "5"})
    assert response.status_code == 403
    assert stars_of(owner, movies[608]) == 3


@pytest.mark.parametrize("stars", ["0", "6", "4.5", "five", ""])
def test_bad_stars_change_nothing_and_say_why(movies, owner, stars):
    response = client_for(owner).post("/movies/608/rate/", {"stars": stars}, follow=True)
    assert stars_of(owner, movies[608]) is None
    assert "Fargo (1996) was not rated: stars must be a whole number from 1 to 5" in response.text


def test_anonymous_posts_go_to_the_login_and_change_nothing(client, movies):
    response = client.post("/movies/608/rate/", {"stars": "5"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Rating.objects.filter(movie=movies[608], stars=5, user__username="alice").exists()


def test_a_crafted_post_for_someone_else_changes_only_the_sender(movies, owner, other):
    rating_set(user=owner, movie=movies[608], stars=2)
    client = client_for(other)
    client.post("/movies/608/rate/", {"stars": "5", "user": owner.pk, "user_id": owner.pk})
    client.post("/movies/608/unrate/", {"user": owner.pk, "user_id": owner.pk})
    assert stars_of(owner, movies[608]) == 2  # the owner's rating is untouched
    assert stars_of(other, movies[608]) is None  # the sender rated, then removed, their own


def test_rating_goes_back_to_the_page_it_came_from_but_never_elsewhere(movies, owner):
    client = client_for(owner)
    response = client.post("/movies/608/rate/", {"stars": "5", "next": "/movies/?q=far"})
    assert response["Location"] == "/movies/?q=far"
    response = client.post("/movies/608/rate/", {"stars": "5", "next": "https://evil.example/"})
    assert response["Location"] == "/movies/608/"


def test_get_is_not_allowed_on_rate(movies, owner):
    assert client_for(owner).get("/movies/608/rate/?stars=5").status_code == 405
    assert stars_of(owner, movies[608]) is None


def test_rating_an_unknown_movie_is_404(movies, owner):
    assert client_for(owner).post("/movies/999999/rate/", {"stars": "5"}).status_code == 404


def test_my_ratings_newest_first_only_mine(movies, owner, other, django_assert_num_queries):
    rating_set(user=owner, movie=movies[608], stars=5, timestamp=100)
    rating_set(user=owner, movie=movies[4973], stars=4, timestamp=200)
    rating_set(user=other, movie=movies[1], stars=1, timestamp=300)
    client = client_for(owner)
    client.get("/me/ratings/")
    with django_assert_num_queries(6):  # session, user, count, ratings with movies, their genres, the star scale
        response = client.get("/me/ratings/")
    assert [r.movie.movielens_id for r in response.context["page"]] == [4973, 608]
    assert "Toy Story" not in response.text


def test_my_ratings_queries_do_not_grow_with_the_ratings(movies, owner, django_assert_num_queries):
    for movie in list(movies.values())[:30]:
        rating_set(user=owner, movie=movie, stars=3)
    client = client_for(owner)
    with django_assert_num_queries(6):
        client.get("/me/ratings/")


def test_my_ratings_empty_state(owner):
    response = client_for(owner).get("/me/ratings/")
    assert "You have not rated any movie yet." in response.text


def test_my_ratings_needs_a_login(client, staff):
    assert client.get("/me/ratings/")["Location"].startswith("/accounts/login/")
    assert client_for(staff).get("/me/ratings/").status_code == 200
