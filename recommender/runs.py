"""The life of a TrainingRun row: one in progress at a time, claimed stage by stage, failed on any error."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import TrainingRun

Status = TrainingRun.Status


class RetrainInProgress(Exception):
    """A retrain is already queued or running; a second one is refused, not queued behind it."""

    def __init__(self, run: TrainingRun) -> None:
        self.run = run
        super().__init__(
            f"a retrain is already {run.status} (run {run.pk}, stage {run.stage or 'not started'}, "
            f"{run.progress:.0f}%); wait for it to finish"
        )


def run_create(*, trigger: str, parameters: dict, triggered_by=None) -> TrainingRun:
    """A new queued run, unless one is in progress; a run whose worker went silent is failed first."""
    fail_stale_runs()
    try:
        with transaction.atomic():
            return TrainingRun.objects.create(trigger=trigger, parameters=parameters, triggered_by=triggered_by)
    except IntegrityError:
        current = TrainingRun.objects.filter(in_progress=True).first()
        if current is None:  # it finished between the insert and this read
            return run_create(trigger=trigger, parameters=parameters, triggered_by=triggered_by)
        raise RetrainInProgress(current) from None


def fail_stale_runs(*, older_than: timedelta | None = None) -> int:
    """Mark failed the runs in progress with no heartbeat for a while (their worker died)."""
    older_than = older_than if older_than is not None else timedelta(seconds=settings.TRAINING_STALE_AFTER)
    cutoff = timezone.now() - older_than
    stale = TrainingRun.objects.filter(in_progress=True, status=Status.RUNNING, heartbeat_at__lt=cutoff)
    return stale.update(
        status=Status.FAILED,
        in_progress=None,
        finished_at=timezone.now(),
        error=f"no progress for {older_than.total_seconds():.0f} s: the worker was lost; nothing was activated",
    )


def run_claim_stage(*, run_id: int, stage: str) -> bool:
    """Start a stage (compare-and-set): False when the run is over or the stage already done."""
    now = timezone.now()
    claimed = TrainingRun.objects.filter(pk=run_id, in_progress=True).update(
        status=Status.RUNNING, stage=stage, heartbeat_at=now
    )
    if claimed:
        TrainingRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
    done = TrainingRun.objects.filter(pk=run_id, stage_seconds__has_key=stage).exists()
    return bool(claimed) and not done


def run_report_progress(*, run_id: int, percent: float) -> None:
    TrainingRun.objects.filter(pk=run_id, in_progress=True).update(
        progress=round(percent, 1), heartbeat_at=timezone.now()
    )


def run_finish_stage(*, run_id: int, stage: str, seconds: float, percent: float, metrics: dict | None = None) -> None:
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run_id)
        run.stage_seconds = {**run.stage_seconds, stage: round(seconds, 2)}
        run.metrics = {**run.metrics, **(metrics or {})}
        run.progress, run.heartbeat_at = percent, timezone.now()
        run.save(update_fields=["stage_seconds", "metrics", "progress", "heartbeat_at"])


def run_succeed(*, run_id: int) -> None:
    TrainingRun.objects.filter(pk=run_id).update(
        status=Status.SUCCEEDED, in_progress=None, progress=100.0, stage="done", finished_at=timezone.now()
    )


def run_fail(*, run_id: int, error: str) -> None:
    TrainingRun.objects.filter(pk=run_id, in_progress=True).update(
        status=Status.FAILED, in_progress=None, error=error[:10_000], finished_at=timezone.now()
    )
