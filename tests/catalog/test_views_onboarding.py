"""Onboarding: favourite genres, then a short, varied, popular set to rate (skippable, with a count)."""

import pytest

from catalog.models import FavouriteGenre, Genre
from catalog.onboarding import ONBOARDING_SIZE, onboarding_movies
from catalog.services import rating_set
from tests.web_fixtures import client_for, csrf_token

pytestmark = pytest.mark.django_db


def test_it_saves_the_picked_genres_with_csrf(movies, owner):
    client = client_for(owner, csrf=True)
    token = csrf_token(client, "/welcome/")
    comedy, scifi = Genre.objects.get(name="Comedy"), Genre.objects.get(name="Sci-Fi")
    response = client.post("/welcome/", {"genres": [comedy.pk, scifi.pk], "csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain[-1][0] == "/welcome/movies/"
    assert "Saved your genres: Comedy, Sci-Fi." in response.text
    assert set(FavouriteGenre.objects.filter(user=owner).values_list("genre__name", flat=True)) == {"Comedy", "Sci-Fi"}
    # Picking again replaces them, and the form shows what is saved.
    client.post("/welcome/", {"genres": [scifi.pk], "csrfmiddlewaretoken": token})
    assert list(FavouriteGenre.objects.filter(user=owner).values_list("genre__name", flat=True)) == ["Sci-Fi"]
    assert client.get("/welcome/").context["form"].initial["genres"] == [scifi]


def test_genres_post_without_csrf_is_refused(movies, owner):
    response = client_for(owner, csrf=True).post("/welcome/", {"genres": [Genre.objects.first().pk]})
    assert response.status_code == 403 and not FavouriteGenre.objects.exists()


def test_an_unknown_genre_is_an_error_on_the_field(movies, owner):
    response = client_for(owner).post("/welcome/", {"genres": ["99999"]})
    assert response.status_code == 200
    assert "Select a valid choice. 99999 is not one of the available choices." in response.text


def test_the_set_to_rate_is_popular_and_takes_turns_between_genres(movies, owner):
    picked = onboarding_movies(genres=[Genre.objects.get(name="Sci-Fi"), Genre.objects.get(name="Romance")])
    ids = [movie.movielens_id for movie in picked]
    assert ids[:2] == [260, 4973]  # the most rated Sci-Fi movie, then the most rated Romance one
    assert len(ids) == len(set(ids)) <= ONBOARDING_SIZE
    assert set(ids) <= {260, 1200, 1210, 4973}


def test_without_genres_the_set_is_the_most_popular(movies):
    ids = [movie.movielens_id for movie in onboarding_movies(genres=[])]
    assert ids[:3] == [608, 260, 4973] and len(ids) == ONBOARDING_SIZE


def test_the_rating_page_counts_what_was_rated_and_can_be_skipped(movies, owner):
    client = client_for(owner)
    response = client.get("/welcome/movies/")
    assert "<strong>0</strong> rated so far" in response.text
    assert "Skip: show popular movies" in response.text
    rating_set(user=owner, movie=movies[608], stars=5)
    response = client.get("/welcome/movies/")
    assert "<strong>1</strong> rated so far" in response.text
    assert "Done: show my list" in response.text
    assert 'value="/welcome/movies/"' in response.text  # each rating form comes back here


@pytest.mark.parametrize("url", ["/welcome/", "/welcome/movies/"])
def test_onboarding_needs_a_login(client, url):
    assert client.get(url)["Location"].startswith("/accounts/login/")


def test_each_person_has_their_own_genres(movies, owner, other):
    client_for(owner).post("/welcome/", {"genres": [Genre.objects.get(name="Comedy").pk]})
    assert client_for(other).get("/welcome/").context["form"].initial["genres"] == []
    assert not FavouriteGenre.objects.filter(user=other).exists()
