"""Writes to the catalogue that people make: rate a movie, change the rating, remove it.

The site, the API and the admin all call these; each write announces ``ratings_changed`` (see
``catalog.signals``), so the recommender refreshes the user's list whatever the path.
"""

import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Movie, Rating, User, plain_stars
from .scale import WHOLE_STARS, StarScale, current_scale

STARS = range(1, 6)  # ML-1M's whole stars; catalog.scale has the scale of the release the catalogue holds


def validate_stars(stars: object, *, scale: StarScale = WHOLE_STARS) -> int | float:
    """The stars as one of ``scale``'s values (an int where whole, 4.5 for a half), or ValidationError."""
    message = f"stars must be {scale.describe()}, not {stars!r}"
    if isinstance(stars, bool):
        raise ValidationError(message, code="invalid")
    text = str(stars).strip()
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValidationError(message, code="invalid") from None
    # "4", "4.0" and "4.5" are stars; "4.50", "4e0" and " nan" are not what a person or a client means.
    if value not in scale.choices or text not in {str(plain_stars(value)), f"{value:.1f}"}:
        raise ValidationError(message, code="out_of_range")
    return plain_stars(value)


@transaction.atomic
def rating_set(*, user: User, movie: Movie, stars: object, timestamp: int | None = None) -> tuple[Rating, bool]:
    """Rate ``movie`` for ``user`` (or change the rating); returns (rating, created)."""
    value = validate_stars(stars, scale=current_scale())
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
    value = validate_stars(stars, scale=current_scale())
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
