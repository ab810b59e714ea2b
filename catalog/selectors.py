"""Reads of the catalogue the pages and the API share: search and filter movies, a movie's figures, ratings."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, ExpressionWrapper, F, FloatField, Prefetch, QuerySet, Value

from .models import Genre, Movie, Rating, User, search_key
from .scale import WHOLE_STARS, StarScale

SORTS = {
    "popularity": "most rated",
    "average": "highest average stars",
    "year": "newest",
    "title": "title",
}
DEFAULT_SORT = "popularity"
# The "average" sort pulls the mean of a movie with few ratings toward a typical mean (a Bayesian average),
# so that a film rated 5 once does not outrank one rated 4.5 by two thousand people.
PRIOR_RATINGS, PRIOR_MEAN = 10, 3.5


@dataclass(frozen=True)
class MovieFilters:
    query: str = ""
    genre: str = ""  # a genre name, as in movies.dat
    decade: int | None = None  # 1990 means 1990-1999
    year: int | None = None
    sort: str = DEFAULT_SORT

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")


def movie_list(*, filters: MovieFilters = MovieFilters()) -> QuerySet[Movie]:
    """Movies matching ``filters``, sorted as asked, with their genres prefetched."""
    movies = Movie.objects.all()
    for term in search_key(filters.query).split():
        movies = movies.filter(search_title__contains=term)
    if filters.genre:
        movies = movies.filter(genres__name=filters.genre)
    if filters.decade is not None:
        movies = movies.filter(year__gte=filters.decade, year__lt=filters.decade + 10)
    if filters.year is not None:
        movies = movies.filter(year=filters.year)
    return _sorted(movies, filters.sort).prefetch_related(_genres_prefetch())


def _sorted(movies: QuerySet[Movie], sort: str) -> QuerySet[Movie]:
    if sort == "popularity":
        return movies.order_by("-ratings_count", "title", "pk")
    if sort == "average":
        damped = ExpressionWrapper(
            (F("stars_sum") + Value(PRIOR_RATINGS * PRIOR_MEAN)) / (F("ratings_count") + Value(PRIOR_RATINGS)),
            output_field=FloatField(),
        )
        return movies.annotate(damped_average=damped).order_by("-damped_average", "-ratings_count", "pk")
    if sort == "year":
        return movies.order_by(F("year").desc(nulls_last=True), "title", "pk")
    return movies.order_by("title", "pk")


def _genres_prefetch() -> Prefetch:
    return Prefetch("genres", queryset=Genre.objects.order_by("name"))


def movie_get(*, movielens_id: int) -> Movie:
    """One movie by its MovieLens id, genres prefetched; Movie.DoesNotExist otherwise."""
    return Movie.objects.prefetch_related(_genres_prefetch()).get(movielens_id=movielens_id)


def star_histogram(*, movie: Movie, scale: StarScale = WHOLE_STARS) -> dict[int | float, int]:
    """How many ratings gave each of the scale's stars (every key present: 1-5, or 0.5-5 in half steps)."""
    counts = dict(
        Rating.objects.filter(movie=movie)
        .order_by()
        .values_list("stars")
        .annotate(n=Count("pk"))
        .values_list("stars", "n")
    )
    return {stars: counts.get(stars, 0) for stars in scale.choices}


def stars_by_movie(*, user: User, movie_ids: Iterable[int]) -> dict[int, int | float]:
    """``user``'s stars for those of ``movie_ids`` they rated (one query; empty for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(Rating.objects.filter(user=user, movie_id__in=list(movie_ids)).values_list("movie_id", "stars"))


def user_ratings(*, user: User) -> QuerySet[Rating]:
    """``user``'s ratings, newest first, each with its movie and the movie's genres."""
    return (
        Rating.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related(Prefetch("movie__genres", queryset=Genre.objects.order_by("name")))
        .order_by("-timestamp", "-pk")
    )


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.order_by("name")


def decades() -> list[int]:
    """The decades that have movies, oldest first."""
    years = Movie.objects.exclude(year__isnull=True).values_list("year", flat=True).distinct()
    return sorted({year // 10 * 10 for year in years})
