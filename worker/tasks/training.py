"""Retrain tasks on the `training` queue: one task per pipeline stage, chained."""

from celery import chain
from django.conf import settings

from recommender import pipeline
from worker.celery import app, stage_chain


@app.task(
    name="worker.tasks.training.run_stage",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.TRAINING_HARD_TIME_LIMIT,
    soft_time_limit=settings.TRAINING_HARD_TIME_LIMIT - 60,
)
def run_stage(run_id: int, stage: str) -> bool:
    """One stage of one run; a redelivered stage that already finished is skipped."""
    return pipeline.run_stage(run_id=run_id, stage=stage)


@app.task(name="worker.tasks.training.scheduled_retrain")
def scheduled_retrain() -> int | None:
    """Celery beat's retrain; skipped (None) while another one is in progress."""
    from recommender.services import RetrainInProgress, trigger_retrain

    try:
        return trigger_retrain(trigger="schedule").pk
    except RetrainInProgress:
        return None


def retrain_chain(run_id: int) -> chain:
    return stage_chain(run_id, pipeline.STAGES)
