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


def fail_stale_runs(*, older_than: timedelta | None = None, queued_for: timedelta | None = None) -> int:
    """Close the runs in progress that will never finish; returns how many were closed.

    A running run silent for ``older_than`` lost its worker (every stage beats while it works): failed. A
    queued run that no worker picked up within ``queued_for`` (the broker was down at enqueue, or nobody
    consumes the training queue): failed. A run whose version is already being served succeeded, whatever
    happened to its worker after the switch.
    """
    older_than = older_than if older_than is not None else timedelta(seconds=settings.TRAINING_STALE_AFTER)
    queued_for = queued_for if queued_for is not None else timedelta(seconds=settings.TRAINING_QUEUED_TIMEOUT)
    now = timezone.now()
    served = TrainingRun.objects.filter(in_progress=True, version__is_active=True)
    closed = served.update(status=Status.SUCCEEDED, in_progress=None, progress=100.0, stage="done", finished_at=now)
    closable = TrainingRun.objects.filter(in_progress=True).exclude(version__is_active=True)
    closed += closable.filter(status=Status.RUNNING, heartbeat_at__lt=now - older_than).update(
        status=Status.FAILED, in_progress=None, finished_at=now,
        error=f"no progress for {older_than.total_seconds():.0f} s: the worker was lost; nothing was activated",
    )  # fmt: skip
    closed += closable.filter(status=Status.QUEUED, started_at__isnull=True, created_at__lt=now - queued_for).update(
        status=Status.FAILED, in_progress=None, finished_at=now,
        error=(
            f"no worker picked the run up within {queued_for.total_seconds():.0f} s: is a worker consuming the "
            "'training' queue, and is the broker reachable? Nothing was activated"
        ),
    )  # fmt: skip
    return closed


def run_claim_stage(*, run_id: int, stage: str) -> bool:
    """Start a stage (compare-and-set): False when the run is over or the stage already done.

    Every delivery of a stage is counted; past ``TRAINING_MAX_DELIVERIES`` (its worker died each time) the run
    fails instead of starting the stage again.
    """
    now = timezone.now()
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run_id, in_progress=True).first()
        if run is None:
            return False
        if stage in run.stage_seconds:
            return False
        count = int(run.deliveries.get(stage, 0)) + 1
        run.deliveries = {**run.deliveries, stage: count}
        run.status, run.stage, run.heartbeat_at = Status.RUNNING, stage, now
        run.started_at = run.started_at or now
        run.save(update_fields=["deliveries", "status", "stage", "heartbeat_at", "started_at"])
    if count > settings.TRAINING_MAX_DELIVERIES:
        run_fail(run_id=run_id, error=f"stage {stage} was delivered {count} times (its worker died each time)")
        return False
    return True


def run_heartbeat(*, run_id: int) -> None:
    TrainingRun.objects.filter(pk=run_id, in_progress=True).update(heartbeat_at=timezone.now())


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


def run_fail(*, run_id: int, error: str) -> bool:
    """Mark a run in progress failed; a run whose version is being served is never failed (False then)."""
    failing = TrainingRun.objects.filter(pk=run_id, in_progress=True).exclude(version__is_active=True)
    return bool(
        failing.update(status=Status.FAILED, in_progress=None, error=error[:10_000], finished_at=timezone.now())
    )


def run_reject(*, run_id: int, reason: str) -> None:
    """The run finished but its version did not pass the quality gate: kept, not served."""
    TrainingRun.objects.filter(pk=run_id, in_progress=True).update(
        status=Status.REJECTED, in_progress=None, progress=100.0, stage="done", error=reason,
        finished_at=timezone.now(),
    )  # fmt: skip
