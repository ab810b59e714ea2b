"""catalog.services.rating_create: a new rating, or AlreadyRated with nothing changed."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from catalog.models import Movie, Rating
from catalog.services import AlreadyRated, rating_create, rating_set


@pytest.mark.django_db
def test_it_creates_and_counts_the_rating(movies, owner):
    before = movies[608]
    rating = rating_create(user=owner, movie=before, stars=4, timestamp=1_000)
    assert (rating.stars, rating.timestamp) == (4, 1_000)
    movie = Movie.objects.get(pk=before.pk)
    assert (movie.ratings_count, movie.stars_sum) == (before.ratings_count + 1, before.stars_sum + 4)


@pytest.mark.django_db
def test_a_second_rating_of_the_same_movie_changes_nothing(movies, owner):
    rating_set(user=owner, movie=movies[608], stars=2, timestamp=1_000)
    counted = Movie.objects.values_list("ratings_count", "stars_sum").get(pk=movies[608].pk)
    with pytest.raises(AlreadyRated) as raised:
        rating_create(user=owner, movie=movies[608], stars=5)
    assert (raised.value.rating.stars, raised.value.rating.timestamp) == (2, 1_000)
    assert list(Rating.objects.filter(user=owner).values_list("stars", "timestamp")) == [(2, 1_000)]
    assert Movie.objects.values_list("ratings_count", "stars_sum").get(pk=movies[608].pk) == counted


@pytest.mark.django_db
def test_bad_stars_are_refused_before_any_write(movies, owner):
    with pytest.raises(ValidationError):
        rating_create(user=owner, movie=movies[608], stars=6)
    assert not Rating.objects.filter(user=owner).exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_rating(movies, owner):
    """Each thread has its own connection: the unique constraint, not a read before the write, decides."""
    outcomes, barrier = [], threading.Barrier(2)

    def rate(stars: int) -> None:
        barrier.wait()
        try:
            rating_create(user=owner, movie=movies[608], stars=stars)
            outcomes.append("created")
        except AlreadyRated:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=rate, args=(stars,)) for stars in (3, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "created"]
    assert Rating.objects.filter(user=owner, movie=movies[608]).count() == 1
    assert _counters_match_the_ratings(movies[608])


def _counters_match_the_ratings(movie: Movie) -> bool:
    counted = Movie.objects.values_list("ratings_count", "stars_sum").get(pk=movie.pk)
    ratings = list(Rating.objects.filter(movie=movie).values_list("stars", flat=True))
    return counted == (len(ratings), sum(ratings))


@pytest.mark.django_db
def test_the_movie_counters_follow_every_kind_of_change(movies, owner, other):
    fargo = movies[608]
    rating_create(user=owner, movie=fargo, stars=1)  # counted by an increment
    assert _counters_match_the_ratings(fargo)
    rating_set(user=other, movie=fargo, stars=5)
    rating_set(user=owner, movie=fargo, stars=3)  # a change: recounted
    assert _counters_match_the_ratings(fargo)
    Rating.objects.get(user=owner, movie=fargo).delete()
    assert _counters_match_the_ratings(fargo)
