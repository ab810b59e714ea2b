"""/movies/ and /movies/<id>/: search, filters, sorting, pagination, a movie's figures, for every role."""

import pytest

from catalog.models import Rating
from catalog.services import rating_set
from tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [movie.title for movie, _ in response.context["rows"]]


def test_it_lists_movies_most_rated_first_for_anyone(client, movies):
    response = client.get("/movies/")
    assert response.status_code == 200
    assert titles(response)[:2] == ["Fargo (1996)", "Star Wars: Episode IV - A New Hope (1977)"]
    assert response.context["page"].paginator.count == len(movies)
    assert "Log in to rate" in response.text


def test_it_finds_amelie_without_the_accent(client, movies):
    response = client.get("/movies/", {"q": "amelie"})
    assert titles(response) == ["Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)"]
    assert client.get("/movies/", {"q": "AMÉLIE"}).context["rows"][0][0].movielens_id == 4973


def test_it_filters_by_genre_and_decade_and_sorts(client, movies):
    response = client.get("/movies/", {"genre": "Sci-Fi", "decade": "1980", "sort": "year"})
    assert titles(response) == ["Aliens (1986)", "Star Wars: Episode VI - Return of the Jedi (1983)"]
    by_title = titles(client.get("/movies/", {"genre": "Comedy", "sort": "title"}))
    assert by_title == sorted(by_title)


def test_it_says_which_filter_is_wrong(client, movies):
    response = client.get("/movies/", {"sort": "loudest", "decade": "abc"})
    assert response.status_code == 400
    assert "Select a valid choice. loudest is not one of the available choices." in response.text
    assert "abc is not one of the available choices" in response.text
    assert "Traceback" not in response.text


def test_it_paginates_and_keeps_the_filters(client, movies):
    first = client.get("/movies/", {"genre": "Drama", "sort": "title"})
    assert first.context["page"].paginator.count == 28  # 25 fillers + Fargo, Breakfast Club, Ryan
    assert 'href="?genre=Drama&amp;sort=title&amp;page=2"' in first.text
    second = client.get("/movies/", {"genre": "Drama", "sort": "title", "page": 2})
    assert titles(second) == ["Filler Drama 23 (1990)", "Filler Drama 24 (1990)", "Saving Private Ryan (1998)"]
    assert 'href="?genre=Drama&amp;sort=title&amp;page=1"' in second.text


def test_it_shows_the_users_own_rating_on_each_row(movies, owner):
    rating_set(user=owner, movie=movies[608], stars=5)
    response = client_for(owner).get("/movies/")
    rows = dict((movie.movielens_id, stars) for movie, stars in response.context["rows"])
    assert rows[608] == 5 and rows[260] is None
    assert 'aria-label="Remove your rating of Fargo (1996)"' in response.text


def test_it_lists_in_a_fixed_number_of_queries(movies, owner, django_assert_num_queries):
    client = client_for(owner)
    for movie in list(movies.values())[:20]:
        rating_set(user=owner, movie=movie, stars=3)
    # session, user, genres and decades for the filters, count, page of movies, their genres, the person's stars,
    # the catalogue's star scale (for the rating controls)
    with django_assert_num_queries(9):
        response = client.get("/movies/", {"sort": "title"})
    assert len(response.context["rows"]) == 25
    with django_assert_num_queries(9):
        client.get("/movies/", {"q": "fargo"})


def test_anonymous_list_needs_no_session_or_rating_query(client, movies, django_assert_num_queries):
    with django_assert_num_queries(5):  # genres, decades, count, movies, their genres
        client.get("/movies/", {"genre": "Drama", "decade": "1990"})


def test_movie_page_shows_figures_histogram_and_empty_similar(client, movies):
    response = client.get("/movies/608/")
    assert response.status_code == 200
    assert response.context["movie"].ratings_count == 5
    assert [count for _, count, _ in response.context["histogram"]] == [0, 0, 0, 3, 2]
    assert "No similar movies yet" in response.text
    assert "sign up" in response.text


def test_movie_page_shows_the_users_rating_and_controls(movies, owner, other):
    rating_set(user=owner, movie=movies[608], stars=2)
    assert "You rated it <strong>2 stars</strong>" in client_for(owner).get("/movies/608/").text
    assert "You have not rated it." in client_for(other).get("/movies/608/").text


def test_unknown_movie_is_the_sites_404(client, movies):
    response = client.get("/movies/999999/")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "owner", "staff"])
def test_every_role_can_browse(who, movies, owner, staff):
    user = {"anonymous": None, "owner": owner, "staff": staff}[who]
    client = client_for(user)
    assert client.get("/movies/").status_code == 200
    assert client.get("/movies/4973/").status_code == 200


def test_rating_counts_shown_match_the_database(client, movies):
    response = client.get("/movies/", {"q": "fargo"})
    movie = response.context["rows"][0][0]
    assert movie.ratings_count == Rating.objects.filter(movie=movie).count()
