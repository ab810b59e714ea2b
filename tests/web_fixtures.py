"""Fixtures for the page tests: a small catalogue, and the people every view is checked for (owner, other
user, staff; anonymous is the plain client). Loaded by tests/catalog/conftest.py and tests/recommender/conftest.py."""

import pytest
from django.test import Client

from catalog.models import Genre, Movie, MovieGenre, Rating, User

# (MovieLens id, title, year, genres); enough movies for two pages of the list.
MOVIES = [
    (4973, "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", 2001, ["Comedy", "Romance"]),
    (608, "Fargo (1996)", 1996, ["Crime", "Drama", "Thriller"]),
    (1968, "Breakfast Club, The (1985)", 1985, ["Comedy", "Drama"]),
    (2150, "Gods Must Be Crazy, The (1980)", 1980, ["Comedy"]),
    (260, "Star Wars: Episode IV - A New Hope (1977)", 1977, ["Action", "Adventure", "Sci-Fi"]),
    (1, "Toy Story (1995)", 1995, ["Animation", "Children's", "Comedy"]),
    (2028, "Saving Private Ryan (1998)", 1998, ["Action", "Drama", "War"]),
    (1200, "Aliens (1986)", 1986, ["Action", "Sci-Fi", "Thriller"]),
    (1210, "Star Wars: Episode VI - Return of the Jedi (1983)", 1983, ["Action", "Adventure", "Sci-Fi"]),
    (2997, "Being John Malkovich (1999)", 1999, ["Comedy"]),
] + [(10_000 + i, f"Filler Drama {i:02d} (1990)", 1990, ["Drama"]) for i in range(25)]


@pytest.fixture
def movies(db) -> dict[int, Movie]:
    """The catalogue above, with ratings counts that make Fargo the most rated movie."""
    genres = {name: Genre.objects.get_or_create(name=name)[0] for _, _, _, names in MOVIES for name in names}
    made = {}
    for movielens_id, title, year, names in MOVIES:
        movie = Movie.objects.create(movielens_id=movielens_id, title=title, year=year)
        MovieGenre.objects.bulk_create([MovieGenre(movie=movie, genre=genres[name]) for name in names])
        made[movielens_id] = movie
    raters = [User.objects.create_user(username=f"rater{i}", password=None) for i in range(5)]
    for count, movielens_id in enumerate([608, 260, 4973, 1, 1968]):
        for position, rater in enumerate(raters[: 5 - count]):
            Rating.objects.create(user=rater, movie=made[movielens_id], stars=4 + position % 2, timestamp=1)
    for movie in made.values():
        movie.refresh_from_db()
    return made


@pytest.fixture
def owner(db) -> User:
    return User.objects.create_user(username="alice", password="a long enough password 1")


@pytest.fixture
def other(db) -> User:
    return User.objects.create_user(username="bob", password="a long enough password 2")


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user(username="staffer", password="a long enough password 3", is_staff=True)


def client_for(user: User | None, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def csrf_token(client: Client, url: str) -> str:
    """GET ``url`` and return the CSRF token its form carries (as a browser would submit it)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.context["csrf_token"] if response.context else client.cookies["csrftoken"].value


@pytest.fixture
def owner_client(owner) -> Client:
    return client_for(owner)


@pytest.fixture
def other_client(other) -> Client:
    return client_for(other)


@pytest.fixture
def staff_client(staff) -> Client:
    return client_for(staff)
