"""What the rest of the site asks of the recommender to do: trigger a retrain, serve another version.

Reads (lists, similar movies, predicted stars) are in ``recommender.selectors``.
"""

from django.db import transaction

from . import runs, versions
from .models import ModelVersion, TrainingRun
from .parameters import resolve_parameters

RetrainInProgress = runs.RetrainInProgress


def trigger_retrain(*, trigger: str, triggered_by=None, parameters: dict | None = None) -> TrainingRun:
    """Queue a retrain on the workers' training queue; RetrainInProgress if one is queued or running."""
    from worker.celery import stage_chain  # by task name: the web process never imports Spark

    run = runs.run_create(trigger=trigger, parameters=resolve_parameters(parameters), triggered_by=triggered_by)
    transaction.on_commit(lambda: stage_chain(run.pk, TrainingRun.STAGES).apply_async())
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


def rollback_to(*, version_id: int) -> ModelVersion:
    """Serve an earlier version again (its lists are kept for the last few versions)."""
    return versions.version_activate(version_id=version_id)
