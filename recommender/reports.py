"""Text and JSON renderings of a run's timings and metrics, for the commands."""

from typing import Any

from .models import ModelVersion, TrainingRun

METRIC_KEYS = ("hr@10", "ndcg@10", "hr@10_full", "ndcg@10_full", "precision@10", "recall@10")


def format_stage_seconds(stage_seconds: dict[str, float]) -> str:
    done = [stage for stage in TrainingRun.STAGES if stage in stage_seconds]  # JSON on PostgreSQL keeps no order
    stages = "  ".join(f"{stage} {stage_seconds[stage]:.1f}s" for stage in done)
    return f"stage seconds: {stages}  (total {sum(stage_seconds.values()):.1f}s)"


def format_metrics(metrics: dict[str, Any]) -> str:
    lines = [f"{'metric':14s} {'model':>8s} {'popularity':>11s}"]
    for key in METRIC_KEYS:
        if key in metrics:
            lines.append(f"{key:14s} {metrics[key]:8.4f} {metrics.get(f'baseline_{key}', float('nan')):11.4f}")
    if "rmse" in metrics:
        lines.append(f"{'rmse':14s} {metrics['rmse']:8.4f}   (explicit-rating model, held-out ratings)")
    if "best_epoch" in metrics:
        speed = metrics.get("samples_per_second") or 0
        lines.append(
            f"training: best epoch {metrics.get('best_epoch')} of {metrics.get('epochs_trained')}"
            + (f", {speed:,.0f} samples/s" if speed else "")
        )
    return "\n".join(lines)


def gate_line(run: TrainingRun) -> str:
    if "gate" not in run.metrics:
        return "quality gate: not applied (the run predates it or did not reach activation)"
    verdict = "passed" if run.metrics.get("gate_passed") else "REJECTED"
    return f"quality gate: {verdict}: {run.metrics['gate']}"


def version_metrics_json(version: ModelVersion) -> dict[str, Any]:
    """One flat object: the model's metrics, the popularity baseline's under "baseline", and timings."""
    metrics = version.run.metrics
    model = {k: v for k, v in metrics.items() if not k.startswith("baseline_") and k not in ("gate", "gate_passed")}
    baseline = {key.removeprefix("baseline_"): value for key, value in metrics.items() if key.startswith("baseline_")}
    return {
        "version": version.pk,
        "run": version.run.pk,
        "activated_at": version.activated_at.isoformat() if version.activated_at else None,
        "parameters": version.run.parameters,
        **model,
        "baseline": baseline,
        "stage_seconds": version.run.stage_seconds,
        "gate": {"passed": metrics.get("gate_passed"), "reason": metrics.get("gate")},
    }
