"""Model versions: write a version's lists, switch the active version in one transaction, roll back, prune,
and delete the run folders nothing refers to any more."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import bulk

from . import store
from .models import ModelVersion, Recommendation, SimilarMovie, TrainingRun, UserList


@transaction.atomic
def version_write(
    *,
    run: TrainingRun,
    model_path: str,
    user_ids: np.ndarray,
    movie_ids: np.ndarray,
    scores: np.ndarray,
    popular_movie_ids: list[int],
    because_ids: np.ndarray | None = None,
    predicted_stars: np.ndarray | None = None,
    similar: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    computed_at=None,
) -> ModelVersion:
    """Store a run's ranked lists (rows of ``movie_ids``/``scores`` per user) under an inactive version.

    ``because_ids`` and ``predicted_stars`` align with ``movie_ids``; ``similar`` is (movie ids, neighbour ids
    [M, k], similarities [M, k]). Safe to rerun: a rerun replaces what it wrote before. Movies of -1 (no
    candidate left) are dropped.
    """
    version, _ = ModelVersion.objects.update_or_create(
        run=run, defaults={"model_path": model_path, "popular_movie_ids": popular_movie_ids, "is_active": False}
    )
    version.recommendations.all().delete()
    SimilarMovie.objects.filter(version=version).delete()
    UserList.objects.filter(version=version).delete()
    k = movie_ids.shape[1]
    frame = pd.DataFrame(
        {
            "version_id": version.pk,
            "user_id": np.repeat(user_ids, k),
            "rank": np.tile(np.arange(1, k + 1), len(user_ids)),
            "movie_id": movie_ids.ravel(),
            "score": scores.ravel().astype(np.float64),
            "because_of_id": _nullable(because_ids, movie_ids.shape),
            "predicted_stars": _nullable(predicted_stars, movie_ids.shape, integer=False),
        }
    )
    bulk.insert_rows(Recommendation._meta.db_table, frame[frame["movie_id"] >= 0])
    if similar is not None:
        _write_similar(version, *similar)
    bulk.analyze(Recommendation._meta.db_table, SimilarMovie._meta.db_table)
    stamp = computed_at or timezone.now()
    UserList.objects.bulk_create(
        [UserList(version=version, user_id=int(pk), computed_at=stamp) for pk in user_ids], batch_size=5000
    )
    return version


def _nullable(values: np.ndarray | None, shape: tuple[int, ...], *, integer: bool = True) -> pd.Series:
    if values is None:
        return pd.Series([None] * int(np.prod(shape)), dtype="object")
    flat = values.ravel()
    if integer:
        return pd.Series(flat, dtype="Int64").where(flat >= 0, None).astype("object")
    return pd.Series(flat.astype(np.float64)).round(3).where(~np.isnan(flat), None).astype("object")


def _write_similar(version: ModelVersion, movie_ids: np.ndarray, neighbours: np.ndarray, sims: np.ndarray) -> None:
    k = neighbours.shape[1]
    frame = pd.DataFrame(
        {
            "version_id": version.pk,
            "movie_id": np.repeat(movie_ids, k),
            "rank": np.tile(np.arange(1, k + 1), len(movie_ids)),
            "similar_id": neighbours.ravel(),
            "similarity": sims.ravel().astype(np.float64).round(4),
        }
    )
    bulk.insert_rows(SimilarMovie._meta.db_table, frame)


@transaction.atomic
def version_activate(*, version_id: int) -> ModelVersion:
    """Make one version the one being served; the previous one stays, inactive, for a rollback."""
    version = ModelVersion.objects.select_for_update().get(pk=version_id)
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active, version.activated_at = True, timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    _lists_changed()
    return version


def _lists_changed() -> None:
    from . import cache

    transaction.on_commit(cache.invalidate_all_lists)


def version_prune(*, keep: int | None = None) -> int:
    """Delete all but the newest ``keep`` versions with their lists (the active one is always kept)."""
    keep = keep if keep is not None else settings.RECOMMENDER_KEEP_VERSIONS
    old = ModelVersion.objects.filter(is_active=False).order_by("-created_at")[max(keep - 1, 0) :]
    old_ids = list(old.values_list("pk", flat=True))
    Recommendation.objects.filter(version_id__in=old_ids).delete()
    SimilarMovie.objects.filter(version_id__in=old_ids).delete()
    UserList.objects.filter(version_id__in=old_ids).delete()
    ModelVersion.objects.filter(pk__in=old_ids).delete()
    return len(old_ids)


def remove_unused_run_folders(*, current_run_id: int | None = None) -> list[Path | str]:
    """Delete the folders of runs that have no version any more (pruned, failed, interrupted), locally and, where
    ARTIFACTS_URI is elsewhere, their data in the artefact store; the current run's folder and every kept
    version's stay. Returns what was deleted."""
    keep = set(ModelVersion.objects.values_list("run_id", flat=True))
    keep |= set(TrainingRun.objects.filter(in_progress=True).values_list("pk", flat=True))
    if current_run_id is not None:
        keep.add(current_run_id)

    def unused(name: str) -> bool:
        number = name.removeprefix("run-")
        return number.isdigit() and int(number) not in keep

    removed: list[Path | str] = []
    root = Path(settings.ARTIFACTS_DIR)
    for folder in root.glob("run-*") if root.is_dir() else ():
        if unused(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if store.artifacts_root() != store.uri(root):
        for location in store.children(store.artifacts_root(), prefix="run-"):
            if unused(location.rsplit("/", 1)[-1]):
                store.remove(location)
                removed.append(location)
    return removed


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).select_related("run").first()
