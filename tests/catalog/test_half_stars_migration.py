"""The half-star migration keeps every rating and every movie's counters, on SQLite and PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalog", "0003_favourite_genre")]
AFTER = [("catalog", "0004_half_stars_and_release")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_rating_and_then_holds_half_stars():
    try:
        old = _migrate(BEFORE)
        User, Movie, Rating = (old.get_model("catalog", name) for name in ("User", "Movie", "Rating"))
        movie = Movie.objects.create(movielens_id=1, title="Fargo (1996)", ratings_count=5, stars_sum=15)
        users = [User.objects.create(username=f"ml{i}", movielens_id=i) for i in range(1, 6)]
        for stars, user in enumerate(users, 1):
            Rating.objects.create(user=user, movie=movie, stars=stars, timestamp=1000 + stars)
        before = sorted(Rating.objects.values_list("id", "user_id", "movie_id", "stars", "timestamp"))

        new = _migrate(AFTER)

        Rating, Movie = new.get_model("catalog", "Rating"), new.get_model("catalog", "Movie")
        after = sorted(Rating.objects.values_list("id", "user_id", "movie_id", "stars", "timestamp"))
        assert after == before and all(isinstance(row[3], int | float) for row in after)
        assert Movie.objects.values_list("ratings_count", "stars_sum").get() == (5, 15)
        user = users[0]
        Rating.objects.filter(user_id=user.pk).update(stars=4.5)
        assert Rating.objects.get(user_id=user.pk).stars == 4.5
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.filter(user_id=user.pk).update(stars=4.25)
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.filter(user_id=user.pk).update(stars=0)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
