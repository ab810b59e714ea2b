"""A small catalogue made by hand, three people (owner, other, staff) with tokens, and an active model version."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog import services
from catalog.models import Genre, Movie, User
from recommender.models import ModelVersion, Recommendation, SimilarMovie, TrainingRun

PASSWORD = "correct horse battery staple"
ROLES = ("anonymous", "owner", "other", "staff")


@dataclass
class World:
    owner: User
    other: User
    staff: User
    movies: dict[str, Movie]
    version: ModelVersion
    old_version: ModelVersion

    def client(self, role: str, *, csrf: bool = False) -> APIClient:
        """A client with the role's token (no credentials for "anonymous")."""
        client = APIClient(enforce_csrf_checks=csrf)
        if role != "anonymous":
            token, _ = Token.objects.get_or_create(user=getattr(self, role))
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """PBKDF2's many rounds are the point in production and only slowness here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters and cached lists do not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


def _movie(movielens_id: int, title: str, year: int, *genres: Genre) -> Movie:
    movie = Movie.objects.create(movielens_id=movielens_id, title=title, year=year)
    movie.genres.set(genres)
    return movie


def _run(**metrics: float) -> TrainingRun:
    return TrainingRun.objects.create(
        status=TrainingRun.Status.SUCCEEDED,
        in_progress=None,
        stage="done",
        progress=100.0,
        stage_seconds={"activate": 0.1, "snapshot": 1.5, "train": 30.0},
        metrics=metrics,
    )


@pytest.fixture
def world(db) -> World:
    drama, comedy, crime = (Genre.objects.create(name=name) for name in ("Drama", "Comedy", "Crime"))
    movies = {
        "amelie": _movie(4973, "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", 2001, comedy),
        "fargo": _movie(608, "Fargo (1996)", 1996, crime, drama),
        "toy": _movie(1, "Toy Story (1995)", 1995, comedy),
        "heat": _movie(6, "Heat (1995)", 1995, crime),
        "casino": _movie(16, "Casino (1995)", 1995, crime, drama),
    }
    owner = User.objects.create_user("owner", "owner@example.org", PASSWORD)
    other = User.objects.create_user("other", "other@example.org", PASSWORD)
    staff = User.objects.create_user("staff", "staff@example.org", PASSWORD, is_staff=True)
    services.rating_set(user=owner, movie=movies["fargo"], stars=5, timestamp=1_000)
    services.rating_set(user=owner, movie=movies["toy"], stars=3, timestamp=2_000)
    services.rating_set(user=other, movie=movies["toy"], stars=4, timestamp=1_500)
    services.rating_set(user=other, movie=movies["heat"], stars=2, timestamp=1_600)

    old = ModelVersion.objects.create(run=_run(**{"hr@10": 0.6}), model_path="old", is_active=False)
    version = ModelVersion.objects.create(
        run=_run(**{"hr@10": 0.7, "baseline_hr@10": 0.45, "rmse": 0.9}),
        model_path="current",
        is_active=True,
        activated_at=timezone.now(),
    )
    for user, picks in ((owner, ["amelie", "heat", "casino"]), (other, ["fargo", "casino"])):
        for rank, name in enumerate(picks, 1):
            Recommendation.objects.create(
                version=version, user=user, rank=rank, movie=movies[name], score=1.0 - rank / 10,
                because_of=movies["fargo"] if user == owner else None, predicted_stars=4.0,
            )  # fmt: skip
    for rank, (name, similarity) in enumerate([("heat", 0.8), ("casino", 0.6)], 1):
        SimilarMovie.objects.create(
            version=version, movie=movies["fargo"], rank=rank, similar=movies[name], similarity=similarity
        )
    return World(owner, other, staff, movies, version, old)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The answer has ``status`` and the one error body (with ``code`` when given)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert set(body) >= {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error
