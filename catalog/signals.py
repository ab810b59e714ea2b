"""What the catalogue tells the rest of the site: "the ratings of these users changed".

Sent after the transaction that changed them commits, whatever the path (the site, the API, the admin, the
importer, a ``Rating`` saved or deleted in code). ``catalog`` knows nothing of models; ``recommender``
listens and refreshes the lists.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from .models import Rating
from .stats import movie_stats_add, movie_stats_refresh

# keyword argument: user_ids (a frozenset of catalog.User primary keys)
ratings_changed = Signal()


def announce_ratings_changed(*, user_ids: Iterable[int]) -> None:
    """Send ``ratings_changed`` once the current transaction commits (at once outside one)."""
    ids = frozenset(int(pk) for pk in user_ids)
    if ids:
        transaction.on_commit(lambda: ratings_changed.send(sender=Rating, user_ids=ids))


@receiver(post_save, sender=Rating, dispatch_uid="catalog.rating_saved")
@receiver(post_delete, sender=Rating, dispatch_uid="catalog.rating_deleted")
def _rating_touched(sender, instance: Rating, created: bool = False, **kwargs) -> None:
    if created:  # the common case, one atomic increment; a change or a removal recounts the movie
        movie_stats_add(movie_id=instance.movie_id, stars=instance.stars)
    else:
        movie_stats_refresh(movie_ids=[instance.movie_id])
    announce_ratings_changed(user_ids=[instance.user_id])
