"""Refresh a user's stored list from the active version and their current ratings, within seconds of a change.

The serving model's movie side stays frozen; the user's vectors are folded in again from all their ratings
(``recommender.foldin``), for the ranking model and for the explicit-rating model that predicts stars. A user
the model was trained on starts from their trained vectors; a user who joined later starts from the average
user and turns personal from their first rating.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Rating

from . import cache
from .artifacts import load_model
from .foldin import fold_in, known_user_parts, mean_user_parts
from .models import ModelVersion, RatingChange, Recommendation, UserList
from .ncf import PairModel
from .precompute import because_of, normalised_movie_space
from .sasrec_artifacts import load_any
from .snapshot import load_id_maps


@dataclass
class ServingModels:
    version_id: int
    model: PairModel
    star_model: PairModel
    user_index: dict[int, int]
    movie_index: dict[int, int]
    movie_pks: np.ndarray
    space: torch.Tensor
    mean_parts: tuple[torch.Tensor, ...] | None  # None for a sequence model (no user vectors to fold in)
    star_mean_parts: tuple[torch.Tensor, ...]

    @property
    def sequential(self) -> bool:
        return self.mean_parts is None


@dataclass(frozen=True)
class RefreshResult:
    user_id: int
    version_id: int
    listed: int
    seconds: float  # compute only (fold-in, scoring, reasons), not the database write


_loaded: dict[int, ServingModels] = {}
_lock = threading.Lock()


def serving_models(version: ModelVersion) -> ServingModels:
    """The version's serving models, loaded once per process (the last two versions are kept)."""
    with _lock:
        if settings.TORCH_THREADS > 0:  # as for training: two threads stall whenever the other core is busy
            torch.set_num_threads(settings.TORCH_THREADS)
        if version.pk not in _loaded:
            folder = Path(version.model_path)
            model, _, _ = load_any(folder)
            star_model, _, _ = load_model(folder.parent / "serving_explicit")
            user_pks, movie_pks = load_id_maps(folder.parent)
            for stale in sorted(_loaded)[:-1]:
                del _loaded[stale]
            _loaded[version.pk] = ServingModels(
                version_id=version.pk, model=model, star_model=star_model,
                user_index={int(pk): i for i, pk in enumerate(user_pks)},
                movie_index={int(pk): i for i, pk in enumerate(movie_pks)}, movie_pks=movie_pks,
                space=normalised_movie_space(model),
                mean_parts=None if getattr(model, "variant", "") == "sasrec" else mean_user_parts(model),
                star_mean_parts=mean_user_parts(star_model),
            )  # fmt: skip
            _warm_up(_loaded[version.pk])
        return _loaded[version.pk]


def _warm_up(models: ServingModels) -> None:
    """Pay torch's first-call costs (about 2 s for L-BFGS) at load time, not on the first user's refresh."""
    compute_user_list(models, user_id=-1, ratings=[(int(models.movie_pks[0]), 4, 0)], length=1)


def compute_user_list(models: ServingModels, *, user_id: int, ratings: list[tuple[int, int, int]], length: int):
    """(movie pks, scores, because pks, predicted stars, star vector) for a user with ``ratings`` (movie pk,
    stars, timestamp); None when none of the rated movies is known to the model."""
    known_ratings = [(models.movie_index[pk], stars, ts) for pk, stars, ts in ratings if pk in models.movie_index]
    if not known_ratings:
        return None
    movies = np.array([m for m, _, _ in known_ratings], dtype=np.int64)
    stars = np.array([s for _, s, _ in known_ratings], dtype=np.float32)
    stamps = np.array([t for _, _, t in known_ratings], dtype=np.int64)
    known = models.user_index.get(user_id)
    if models.sequential:
        top, values, because = _next_movies(models, movies, stamps, length)
    else:
        top, values, because = _folded_in_top(models, known, movies, stars, length)
    with torch.no_grad():
        star_start = known_user_parts(models.star_model, known) if known is not None else None
    star_parts = fold_in(models.star_model, movies, stars=stars, start=star_start,
                         prior_center=models.star_mean_parts)  # fmt: skip
    with torch.no_grad():
        predicted = models.star_model.score_all_from(star_parts)[0][torch.from_numpy(top)].numpy()
    to_pk = models.movie_pks
    because_pks = np.where(because >= 0, to_pk[np.maximum(because, 0)], -1)
    return to_pk[top], values, because_pks, predicted, star_parts[0].numpy().astype(np.float32).tobytes()


def _folded_in_top(models: ServingModels, known: int | None, movies: np.ndarray, stars: np.ndarray, length: int):
    with torch.no_grad():
        start = known_user_parts(models.model, known) if known is not None else None
    parts = fold_in(models.model, movies, start=start, prior_center=models.mean_parts)
    with torch.no_grad():
        scores = models.model.score_all_from(parts)[0]
        scores[torch.from_numpy(movies)] = -torch.inf
        values, top = torch.topk(scores, min(length, len(scores)))
        keep = ~torch.isneginf(values)
        values, top = values[keep].numpy(), top[keep].numpy()
    return top, values, because_of(models.space, top, movies, stars)


def _next_movies(models: ServingModels, movies: np.ndarray, stamps: np.ndarray, length: int):
    """A sequence model's list: one forward pass over the user's latest ratings, in time order."""
    from .sasrec import closest_recent, top_next
    from .sequences import user_sequence

    sequence = user_sequence(movies, stamps, models.model.config.max_len)
    top, values = top_next(models.model, sequence, exclude=movies, k=length)
    return top, values, closest_recent(models.model, sequence, top)


def refresh_user(*, user_id: int) -> RefreshResult | None:
    """Recompute and store ``user_id``'s list under the active version (None when no version is active)."""
    version = ModelVersion.objects.filter(is_active=True).only("pk", "model_path").first()
    if version is None:
        return None
    models = serving_models(version)
    stamp = timezone.now()  # before the ratings are read: a rating made during the compute triggers another
    ratings = list(Rating.objects.filter(user_id=user_id).values_list("movie_id", "stars", "timestamp"))
    started = time.perf_counter()
    computed = compute_user_list(models, user_id=user_id, ratings=ratings, length=settings.RECOMMENDER_LIST_LENGTH)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        Recommendation.objects.filter(version=version, user_id=user_id).delete()
        rows = []
        if computed is not None:
            movie_pks, scores, because_pks, predicted, _ = computed
            rows = [
                Recommendation(
                    version=version,
                    user_id=user_id,
                    rank=rank,
                    movie_id=int(movie),
                    score=float(score),
                    because_of_id=int(because) if because >= 0 else None,
                    predicted_stars=round(float(stars), 3),
                )  # fmt: skip
                for rank, (movie, score, because, stars) in enumerate(
                    zip(movie_pks, scores, because_pks, predicted, strict=True), 1
                )
            ]
            Recommendation.objects.bulk_create(rows)
        UserList.objects.update_or_create(
            version=version, user_id=user_id,
            defaults={"computed_at": stamp, "source": "refresh", "star_vector": computed[4] if computed else None},
        )  # fmt: skip
        transaction.on_commit(lambda: cache.invalidate_user_lists([user_id]))
    return RefreshResult(user_id, version.pk, len(rows), seconds)


def refresh_due(*, user_id: int, now=None) -> bool:
    """Whether a scheduled refresh should run now: the user's ratings changed after their list was computed,
    and either they have been quiet for REFRESH_DEBOUNCE seconds or the list is REFRESH_MAX_WAIT seconds old
    (a long burst of ratings gets one refresh on its way and one at its end)."""
    now = now or timezone.now()
    changed = RatingChange.objects.filter(user_id=user_id).values_list("changed_at", flat=True).first()
    if changed is None:
        return False
    computed = (
        UserList.objects.filter(version__is_active=True, user_id=user_id).values_list("computed_at", flat=True).first()
    )
    if computed is not None and computed >= changed:
        return False  # an earlier refresh already saw this change
    quiet = now - changed >= timedelta(seconds=settings.REFRESH_DEBOUNCE * 0.9)
    overdue = computed is None or now - computed >= timedelta(seconds=settings.REFRESH_MAX_WAIT)
    return quiet or overdue


def stale_user_ids() -> list[int]:
    """Users whose ratings changed after their list under the active version was computed (or who have none)."""
    version = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
    if version is None:
        return []
    computed = dict(UserList.objects.filter(version_id=version).values_list("user_id", "computed_at"))
    return sorted(
        user for user, changed in RatingChange.objects.values_list("user_id", "changed_at")
        if user not in computed or changed > computed[user]
    )  # fmt: skip


def refresh_stale_users() -> int:
    count = 0
    for user_id in stale_user_ids():
        count += refresh_user(user_id=user_id) is not None
    return count
