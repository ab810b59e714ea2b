"""Reads of the recommender that the pages, the API and the commands share.

A user's list is the active version's stored list (longer than what is shown) minus what the user has rated
since, topped up with popular movies they have not rated; every movie carries a reason a person can read.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Prefetch, Subquery

from catalog.models import Genre, Movie, Rating

from .models import ModelVersion, RatingChange, Recommendation, SimilarMovie, UserList

SHOWN = 10


@dataclass(frozen=True)
class RecommendedMovie:
    movie: Movie  # genres prefetched
    rank: int  # 1-based, as shown
    score: float | None  # the model's score (None for the popular fallback)
    reason: str  # a sentence: "because you rated Fargo (1996) 5 stars", "popular"
    reason_kind: str  # "rated" | "neighbours" | "popular"
    predicted_stars: float | None
    version_id: int | None  # the model version that ranked it (None for the fallback without a version)


@dataclass(frozen=True)
class ListStatus:
    version_id: int | None
    computed_at: datetime | None  # when the user's stored list was computed (None: never)
    changed_at: datetime | None  # when the user's ratings last changed
    updating: bool  # a refresh is due: the ratings changed after the list was computed


@dataclass(frozen=True)
class SimilarMovieItem:
    movie: Movie  # genres prefetched
    similarity: float  # cosine in the model's movie space, -1..1


def _genres() -> Prefetch:
    return Prefetch("movie__genres", queryset=Genre.objects.order_by("name"))


def recommendations_for(*, user, limit: int = SHOWN) -> list[RecommendedMovie]:
    """The user's current list: never a movie they rated, never shorter than ``limit`` while movies remain."""
    items: list[RecommendedMovie] = []
    if user.is_authenticated:
        rated = Rating.objects.filter(user=user).values("movie_id")
        rows = (
            Recommendation.objects.filter(version__is_active=True, user=user)
            .exclude(movie_id__in=rated)
            .select_related("movie", "because_of")
            .annotate(
                because_stars=Subquery(
                    Rating.objects.filter(user=user, movie_id=OuterRef("because_of_id")).values("stars")[:1]
                )
            )
            .prefetch_related(_genres())
            .order_by("rank")[:limit]
        )
        items = [_from_row(position, row) for position, row in enumerate(rows, 1)]
    if len(items) < limit:
        items += popular_for(user=user, limit=limit - len(items), skip={i.movie.pk for i in items}, start=len(items))
    return items


def _from_row(position: int, row: Recommendation) -> RecommendedMovie:
    if row.because_of_id and row.because_stars:
        stars = row.because_stars
        reason, kind = f"because you rated {row.because_of.title} {stars} star{'s' if stars != 1 else ''}", "rated"
    else:
        reason, kind = "popular with people who rated the same movies", "neighbours"
    return RecommendedMovie(row.movie, position, row.score, reason, kind, row.predicted_stars, row.version_id)


def popular_for(
    *, user=None, limit: int = SHOWN, skip: set[int] = frozenset(), start: int = 0
) -> list[RecommendedMovie]:
    """The most rated movies the user has not rated (anyone's, for an anonymous visitor)."""
    movies = Movie.objects.exclude(pk__in=skip).order_by("-ratings_count", "pk")
    if user is not None and user.is_authenticated:
        movies = movies.exclude(pk__in=Rating.objects.filter(user=user).values("movie_id"))
    movies = movies.prefetch_related(Prefetch("genres", queryset=Genre.objects.order_by("name")))[:limit]
    version_id = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first() if start else None
    return [
        RecommendedMovie(m, start + i, None, "popular", "popular", None, version_id) for i, m in enumerate(movies, 1)
    ]


def list_status(*, user) -> ListStatus:
    """Whether the user's list is up to date with their ratings (the pages show "updating..." otherwise)."""
    changed = RatingChange.objects.filter(user=user).values_list("changed_at", flat=True).first()
    row = UserList.objects.filter(version__is_active=True, user=user).values_list("version_id", "computed_at").first()
    version_id, computed = row if row else (None, None)
    if version_id is None:
        version_id = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
    updating = version_id is not None and changed is not None and (computed is None or changed > computed)
    return ListStatus(version_id, computed, changed, updating)


def similar_movies(*, movie: Movie, limit: int = 20) -> list[SimilarMovieItem]:
    """The nearest movies to ``movie`` in the active version's movie space, best first ([] without one)."""
    rows = (
        SimilarMovie.objects.filter(version__is_active=True, movie=movie)
        .select_related("similar")
        .prefetch_related(Prefetch("similar__genres", queryset=Genre.objects.order_by("name")))
        .order_by("rank")[:limit]
    )
    return [SimilarMovieItem(row.similar, row.similarity) for row in rows]


def predicted_stars(*, user, movie: Movie) -> float | None:
    """The stars the active version's explicit-rating model expects ``user`` to give ``movie`` (1-5), or
    None when there is no model or the user has no ratings to go on."""
    if not user.is_authenticated:
        return None
    from .stars import predict_stars  # numpy only: the web process never imports torch

    return predict_stars(user_id=user.pk, movie_ids=[movie.pk]).get(movie.pk)
