"""The per-movie rating counters (``Movie.ratings_count``, ``Movie.stars_sum``), recomputed from the ratings."""

from collections.abc import Iterable

from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Movie, Rating


def movie_stats_refresh(*, movie_ids: Iterable[int] | None = None) -> int:
    """Recount the ratings of the given movies (all movies when None) in one UPDATE; returns rows updated."""
    per_movie = Rating.objects.filter(movie=OuterRef("pk")).order_by().values("movie")
    count = per_movie.annotate(n=Count("pk")).values("n")
    total = per_movie.annotate(s=Sum("stars")).values("s")
    movies = Movie.objects.all() if movie_ids is None else Movie.objects.filter(pk__in=list(movie_ids))
    zero = Value(0, output_field=IntegerField())
    return movies.update(
        ratings_count=Coalesce(Subquery(count, output_field=IntegerField()), zero),
        stars_sum=Coalesce(Subquery(total, output_field=FloatField()), Value(0.0, output_field=FloatField())),
    )


def movie_stats_add(*, movie_id: int, stars: float) -> None:
    """Count one new rating of ``movie_id`` (an atomic increment: concurrent ratings all count)."""
    Movie.objects.filter(pk=movie_id).update(ratings_count=F("ratings_count") + 1, stars_sum=F("stars_sum") + stars)
