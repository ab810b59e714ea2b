"""The recommender's side of ``catalog.signals.ratings_changed``: note when each user's ratings changed and
schedule a refresh of their list on the ``default`` queue (coalesced: see ``recommender.refresh.refresh_due``).

Runs in whatever process changed the ratings (a web request, the importer, a shell): it writes one row per
user and enqueues small tasks; the model is only ever loaded by the worker.
"""

import logging

from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone

from catalog.signals import ratings_changed

from .models import ModelVersion, RatingChange

log = logging.getLogger(__name__)
REFRESH_ONE = "worker.tasks.recommendations.refresh_user_list"
REFRESH_MANY = "worker.tasks.recommendations.refresh_user_lists"
BULK_USERS = 50  # above this, one task per chunk of users instead of one debounced task per user
CHUNK_USERS = 500


@receiver(ratings_changed, dispatch_uid="recommender.ratings_changed")
def on_ratings_changed(sender, user_ids: frozenset[int], **kwargs) -> None:
    now = timezone.now()
    RatingChange.objects.bulk_create(
        [RatingChange(user_id=pk, changed_at=now) for pk in user_ids],
        update_conflicts=True, unique_fields=["user"], update_fields=["changed_at"], batch_size=2000,
    )  # fmt: skip
    if not ModelVersion.objects.filter(is_active=True).exists():
        return  # nothing to refresh against; the first retrain covers them
    try:
        schedule_refresh(sorted(user_ids))
    except Exception:  # the broker is down: the ratings are saved; `refresh_recommendations --stale` catches up
        log.exception("could not schedule the refresh of %d user(s)' lists", len(user_ids))


def schedule_refresh(user_ids: list[int]) -> None:
    """Enqueue by task name: importing the task modules would bring Spark and PyTorch into the web process."""
    from worker.celery import app

    if len(user_ids) > BULK_USERS:
        for start in range(0, len(user_ids), CHUNK_USERS):
            app.send_task(REFRESH_MANY, args=(user_ids[start : start + CHUNK_USERS],), queue="default")
        return
    for pk in user_ids:
        app.send_task(REFRESH_ONE, args=(pk,), countdown=settings.REFRESH_DEBOUNCE, queue="default")
