"""The Celery app, configured from Django settings (the CELERY_ names)."""

import logging
import os

from celery import Celery, chain
from celery.schedules import crontab
from celery.signals import worker_process_init
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moviesite.settings")

app = Celery("moviesite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=[Queue("default"), Queue("training")],
    task_default_queue="default",
    task_routes={"worker.tasks.training.run_stage": {"queue": "training"}},  # STAGE_TASK
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged only when done, and handed back if its worker process dies mid-way.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=5 * 60,
    task_soft_time_limit=4 * 60,
    task_track_started=True,
    result_expires=24 * 60 * 60,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks(["worker"], related_name="tasks")
STAGE_TASK = "worker.tasks.training.run_stage"


def stage_chain(run_id: int, stages: tuple[str, ...]) -> chain:
    """The retrain as a chain of stage tasks, built from the task's name (no training code imported)."""
    return chain(*(app.signature(STAGE_TASK, args=(run_id, stage), immutable=True) for stage in stages))


@app.on_after_finalize.connect
def schedule_retrains(sender: Celery, **kwargs) -> None:
    """Celery beat retrains on RETRAIN_SCHEDULE (a crontab line such as "0 3 * * *"); off when it is empty."""
    from django.conf import settings

    if settings.RETRAIN_SCHEDULE:
        minute, hour, day_of_month, month_of_year, day_of_week = settings.RETRAIN_SCHEDULE.split()
        sender.add_periodic_task(
            crontab(minute, hour, day_of_week, day_of_month, month_of_year),
            sender.signature("worker.tasks.training.scheduled_retrain"),
            name="scheduled retrain",
        )


@worker_process_init.connect
def load_serving_models(**kwargs) -> None:
    """Each pool process loads the active version's models as it starts, so the first refresh is quick."""
    try:
        from recommender.refresh import serving_models
        from recommender.versions import active_version

        version = active_version()
        if version is not None:
            serving_models(version)
    except Exception:  # no database yet, no version, a missing folder: the first refresh loads (or fails) then
        logging.getLogger(__name__).warning("could not preload the serving models", exc_info=True)
