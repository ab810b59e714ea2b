"""What the rest of the site asks of the recommender: trigger a retrain, read a user's list, roll back."""

from dataclasses import dataclass

from django.db import transaction

from catalog.models import Movie, Rating

from . import runs, versions
from .models import ModelVersion, Recommendation, TrainingRun
from .parameters import resolve_parameters

RetrainInProgress = runs.RetrainInProgress


@dataclass(frozen=True)
class RecommendedMovie:
    movie: Movie
    rank: int
    score: float | None
    reason: str  # "model" (the active version's list) or "popular" (the model does not know the user yet)


def trigger_retrain(*, trigger: str, triggered_by=None, parameters: dict | None = None) -> TrainingRun:
    """Queue a retrain on the workers' training queue; RetrainInProgress if one is queued or running."""
    from worker.tasks.training import retrain_chain  # brings Spark and PyTorch: only when triggering

    run = runs.run_create(trigger=trigger, parameters=resolve_parameters(parameters), triggered_by=triggered_by)
    transaction.on_commit(lambda: retrain_chain(run.pk).apply_async())
    return run


def retrain_in_process(*, parameters: dict | None = None, on_stage=None, on_progress=None) -> TrainingRun:
    """Run the whole pipeline here, without a worker (``manage.py train``); raises what a stage raised."""
    from .pipeline import STAGES, run_stage  # Spark and PyTorch: only for whoever trains

    run = runs.run_create(trigger=TrainingRun.Trigger.COMMAND, parameters=resolve_parameters(parameters))
    for stage in STAGES:
        if on_stage:
            on_stage(stage)
        run_stage(run_id=run.pk, stage=stage, on_progress=on_progress)
    run.refresh_from_db()
    return run


def recommendations_for(*, user, limit: int = 10) -> list[RecommendedMovie]:
    """The active version's list for ``user``; popular unseen movies when the model does not know them."""
    version = versions.active_version()
    if version is None:
        return []
    rows = (
        Recommendation.objects.filter(version=version, user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by("rank")[:limit]
    )
    listed = [RecommendedMovie(r.movie, r.rank, r.score, "model") for r in rows]
    return listed or _popular_unseen(version, user, limit)


def _popular_unseen(version: ModelVersion, user, limit: int) -> list[RecommendedMovie]:
    rated = set(Rating.objects.filter(user=user).values_list("movie_id", flat=True)) if user.pk else set()
    wanted = [pk for pk in version.popular_movie_ids if pk not in rated][:limit]
    movies = Movie.objects.in_bulk(wanted)
    return [RecommendedMovie(movies[pk], rank, None, "popular") for rank, pk in enumerate(wanted, 1) if pk in movies]


def rollback_to(*, version_id: int) -> ModelVersion:
    """Serve an earlier version again (its lists are kept for the last few versions)."""
    return versions.version_activate(version_id=version_id)
