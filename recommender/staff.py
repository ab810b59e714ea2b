"""Reads for the staff pages: runs with their versions, a run's live state, the versions one can serve."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import ModelVersion, TrainingRun
from .reports import METRIC_KEYS

# The columns of the runs table, model beside popularity ("hr@10_full": the full-catalogue protocol).
TABLE_METRICS = (("hr@10", "HR@10"), ("ndcg@10", "NDCG@10"), ("hr@10_full", "full HR@10"))
LOG_LINES = 15


@dataclass(frozen=True)
class MetricPair:
    label: str
    model: float | None
    baseline: float | None


def runs_list(*, limit: int = 200) -> QuerySet[TrainingRun]:
    """Newest first, with who started each and its version (one query)."""
    return TrainingRun.objects.select_related("triggered_by", "version").order_by("-created_at")[:limit]


def run_in_progress() -> TrainingRun | None:
    return TrainingRun.objects.filter(in_progress=True).first()


def run_duration(run: TrainingRun) -> float | None:
    if run.started_at is None:
        return None
    if run.finished_at is not None:
        return (run.finished_at - run.started_at).total_seconds()
    return sum(float(s) for s in run.stage_seconds.values()) or None


def metric_pairs(run: TrainingRun, keys: tuple[str, ...] | None = None) -> list[MetricPair]:
    """The model's metrics beside the popularity baseline's, in the reports' order; RMSE has no baseline."""
    labels = {**dict(TABLE_METRICS), "ndcg@10_full": "full NDCG@10", "precision@10": "Precision@10",
              "recall@10": "Recall@10"}  # fmt: skip
    pairs = [
        MetricPair(labels.get(key, key), run.metrics.get(key), run.metrics.get(f"baseline_{key}"))
        for key in (keys or METRIC_KEYS)
        if key in run.metrics
    ]
    if keys is None and "rmse" in run.metrics:
        pairs.append(MetricPair("RMSE (stars)", run.metrics["rmse"], None))
    return pairs


def ordered_stage_seconds(run: TrainingRun) -> list[tuple[str, float | None]]:
    """Every stage in order with its seconds (None: not done yet)."""
    return [(stage, run.stage_seconds.get(stage)) for stage in TrainingRun.STAGES]


def run_log_lines(run: TrainingRun) -> list[str]:
    """What the run has said so far, one line per event: queued, each stage done, the gate, the error's last
    lines (the traceback's end says where it failed)."""
    lines = [f"{run.created_at:%Y-%m-%d %H:%M:%S} queued by {run.trigger}"]
    if run.started_at:
        lines.append(f"{run.started_at:%Y-%m-%d %H:%M:%S} started")
    for stage, seconds in ordered_stage_seconds(run):
        if seconds is not None:
            lines.append(f"{stage} done in {float(seconds):.1f} s")
    if run.in_progress and run.stage and run.stage not in run.stage_seconds:
        lines.append(f"{run.stage} running, {run.progress:.0f}% of the run")
    if "gate" in run.metrics:
        verdict = "passed" if run.metrics.get("gate_passed") else "rejected"
        lines.append(f"quality gate {verdict}: {run.metrics['gate']}")
    if run.error:
        lines.extend(line for line in run.error.strip().splitlines()[-LOG_LINES:])
    if run.finished_at:
        lines.append(f"{run.finished_at:%Y-%m-%d %H:%M:%S} {run.status}")
    return lines[-LOG_LINES * 2 :]


def run_state(run: TrainingRun) -> dict[str, Any]:
    """The run's live state as the progress endpoint answers it."""
    version = run.version if _has_version(run) else None
    return {
        "id": run.pk,
        "status": run.status,
        "in_progress": bool(run.in_progress),
        "stage": run.stage,
        "progress": round(float(run.progress), 1),
        "stage_seconds": {stage: seconds for stage, seconds in ordered_stage_seconds(run) if seconds is not None},
        "log": run_log_lines(run),
        "error": run.error.strip().splitlines()[-1] if run.error.strip() else "",
        "metrics": {pair.label: {"model": pair.model, "popularity": pair.baseline} for pair in metric_pairs(run)},
        "version": {"id": version.pk, "active": version.is_active} if version else None,
        "finished": not run.in_progress,
    }


def _has_version(run: TrainingRun) -> bool:
    try:
        run.version  # noqa: B018  (reverse one-to-one: raises when absent)
    except ModelVersion.DoesNotExist:
        return False
    return True


def versions_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("run").order_by("-created_at")


def runs_chart_data(runs: list[TrainingRun]) -> dict[str, Any]:
    """HR@10 and NDCG@10 across the finished runs, oldest first, with popularity's HR@10 for reference."""
    done = [run for run in reversed(runs) if "hr@10" in run.metrics]
    return {
        "labels": [f"run {run.pk}" for run in done],
        "hr": [run.metrics.get("hr@10") for run in done],
        "ndcg": [run.metrics.get("ndcg@10") for run in done],
        "baseline_hr": [run.metrics.get("baseline_hr@10") for run in done],
    }
