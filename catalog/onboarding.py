"""Onboarding a new account: the genres a person likes, and a short, varied, popular set of movies to rate.

MovieLens found that asking newcomers for many ratings before anything happens loses them (Rashid et al.,
"Getting to know you", IUI 2002; Drenner et al. 2006): the set is short, popular movies are ones people
can rate at all, and taking them in turn from each picked genre keeps it varied.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Prefetch

from .models import FavouriteGenre, Genre, Movie, User

ONBOARDING_SIZE = 12
CANDIDATES_PER_GENRE = 40


def favourite_genres(*, user: User) -> list[Genre]:
    return list(Genre.objects.filter(pk__in=FavouriteGenre.objects.filter(user=user).values("genre_id")))


@transaction.atomic
def favourite_genres_set(*, user: User, genres: Iterable[Genre]) -> list[Genre]:
    """Replace ``user``'s favourite genres with ``genres``."""
    chosen = {genre.pk: genre for genre in genres}
    FavouriteGenre.objects.filter(user=user).exclude(genre_id__in=chosen).delete()
    FavouriteGenre.objects.bulk_create([FavouriteGenre(user=user, genre_id=pk) for pk in chosen], ignore_conflicts=True)
    return sorted(chosen.values(), key=lambda genre: genre.name)


def onboarding_movies(*, genres: Iterable[Genre], limit: int = ONBOARDING_SIZE) -> list[Movie]:
    """Popular movies taken in turn from each genre (the most popular overall without genres), no repeats.

    Movies a person rates along the way stay in the set, so the page keeps its shape and shows their stars.
    """
    genre_ids = [genre.pk for genre in genres]
    by_genre = _popular_per_genre(genre_ids) if genre_ids else [_popular(Movie.objects.all(), limit)]
    picked: dict[int, Movie] = {}
    decades_seen: dict[int | None, int] = {}
    # Round-robin over the genres; a decade already used twice waits for a later round (variety in age too).
    for strict in (True, False):
        for position in range(CANDIDATES_PER_GENRE):
            for movies in by_genre:
                if len(picked) >= limit:
                    return list(picked.values())
                if position >= len(movies) or movies[position].pk in picked:
                    continue
                movie = movies[position]
                decade = movie.year // 10 if movie.year else None
                if strict and decades_seen.get(decade, 0) >= max(2, limit // 4):
                    continue
                decades_seen[decade] = decades_seen.get(decade, 0) + 1
                picked[movie.pk] = movie
    return list(picked.values())


def _popular(movies, limit: int) -> list[Movie]:
    genres = Prefetch("genres", queryset=Genre.objects.order_by("name"))
    return list(movies.order_by("-ratings_count", "pk").prefetch_related(genres)[:limit])


def _popular_per_genre(genre_ids: list[int]) -> list[list[Movie]]:
    return [_popular(Movie.objects.filter(genres=pk), CANDIDATES_PER_GENRE) for pk in genre_ids]
