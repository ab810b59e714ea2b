"""Writes to the catalogue that people make: rate a movie, change the rating, remove it.

The site, the API and the admin all call these; each write announces ``ratings_changed`` (see
``catalog.signals``), so the recommender refreshes the user's list whatever the path.
"""

import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Movie, Rating, User

STARS = range(1, 6)


def validate_stars(stars: object) -> int:
    """The stars as an int in 1-5, or ValidationError saying what was wrong."""
    try:
        value = int(stars)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValidationError(f"stars must be a whole number from 1 to 5, not {stars!r}", code="invalid") from None
    if value not in STARS or str(stars).strip() not in {str(value), f"{value}.0"}:
        raise ValidationError(f"stars must be a whole number from 1 to 5, not {stars!r}", code="out_of_range")
    return value


@transaction.atomic
def rating_set(*, user: User, movie: Movie, stars: object, timestamp: int | None = None) -> tuple[Rating, bool]:
    """Rate ``movie`` for ``user`` (or change the rating); returns (rating, created)."""
    value = validate_stars(stars)
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    rating = Rating.objects.select_for_update().filter(user=user, movie=movie).first()
    if rating is None:
        try:
            with transaction.atomic():
                return Rating.objects.create(user=user, movie=movie, stars=value, timestamp=stamp), True
        except IntegrityError:  # a concurrent request created it first
            rating = Rating.objects.select_for_update().get(user=user, movie=movie)
    if rating.stars != value:
        rating.stars, rating.timestamp = value, stamp
        rating.save(update_fields=["stars", "timestamp"])
    return rating, False


class AlreadyRated(Exception):
    """``rating_create`` for a movie the user rated already: nothing was changed."""

    def __init__(self, rating: Rating) -> None:
        self.rating = rating
        super().__init__(f"{rating.user} rated {rating.movie_id} already")


def rating_create(*, user: User, movie: Movie, stars: object, timestamp: int | None = None) -> Rating:
    """Rate a movie ``user`` has not rated yet; AlreadyRated (and nothing changed) when they have.

    One INSERT that the unique (user, movie) constraint guards, rather than a read before the write: two
    requests at once cannot both create, and neither overwrites the other.
    """
    value = validate_stars(stars)
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    try:
        with transaction.atomic():
            return Rating.objects.create(user=user, movie=movie, stars=value, timestamp=stamp)
    except IntegrityError:
        existing = Rating.objects.filter(user=user, movie=movie).first()
        if existing is None:
            raise
        raise AlreadyRated(existing) from None


@transaction.atomic
def rating_delete(*, user: User, movie: Movie) -> bool:
    """Remove ``user``'s rating of ``movie``; False when there was none."""
    rating = Rating.objects.filter(user=user, movie=movie).first()
    if rating is None:
        return False
    rating.delete()
    return True
