"""Model versions: write a version's lists, switch the active version in one transaction, roll back, prune."""

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import bulk

from .models import ModelVersion, Recommendation, TrainingRun


@transaction.atomic
def version_write(
    *,
    run: TrainingRun,
    model_path: str,
    user_ids: np.ndarray,
    movie_ids: np.ndarray,
    scores: np.ndarray,
    popular_movie_ids: list[int],
) -> ModelVersion:
    """Store a run's top-k lists (rows of ``movie_ids``/``scores`` per user) under an inactive version.

    Safe to rerun: a rerun replaces the lists it wrote before. Movies of -1 (no candidate left) are dropped.
    """  # fmt: skip
    version, _ = ModelVersion.objects.update_or_create(
        run=run, defaults={"model_path": model_path, "popular_movie_ids": popular_movie_ids, "is_active": False}
    )
    version.recommendations.all().delete()
    k = movie_ids.shape[1]
    frame = pd.DataFrame(
        {
            "version_id": version.pk,
            "user_id": np.repeat(user_ids, k),
            "rank": np.tile(np.arange(1, k + 1), len(user_ids)),
            "movie_id": movie_ids.ravel(),
            "score": scores.ravel().astype(np.float64),
        }
    )
    bulk.insert_rows(Recommendation._meta.db_table, frame[frame["movie_id"] >= 0])
    return version


@transaction.atomic
def version_activate(*, version_id: int) -> ModelVersion:
    """Make one version the one being served; the previous one stays, inactive, for a rollback."""
    version = ModelVersion.objects.select_for_update().get(pk=version_id)
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active, version.activated_at = True, timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    return version


def version_prune(*, keep: int | None = None) -> int:
    """Delete the lists of all but the newest ``keep`` versions (the active one is always kept)."""
    keep = keep if keep is not None else settings.RECOMMENDER_KEEP_VERSIONS
    old = ModelVersion.objects.filter(is_active=False).order_by("-created_at")[max(keep - 1, 0) :]
    old_ids = list(old.values_list("pk", flat=True))
    deleted, _ = Recommendation.objects.filter(version_id__in=old_ids).delete()
    ModelVersion.objects.filter(pk__in=old_ids).delete()
    return len(old_ids)


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).select_related("run").first()
