"""The quality gate: a run's version is served only if it beats popularity and does not fall far behind the
version being served, both on the run's own held-out split (HR@10 among 1+99 sampled movies)."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings

METRIC = "hr@10"


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    reason: str


def gate_verdict(
    *,
    metrics: dict[str, Any],
    active_metrics: dict[str, Any] | None,
    margin: float | None = None,
    tolerance: float | None = None,
) -> GateVerdict:
    """Pass when HR@10 >= popularity's + ``margin`` and >= the active version's - ``tolerance``."""
    margin = settings.RECOMMENDER_GATE_MARGIN if margin is None else margin
    tolerance = settings.RECOMMENDER_GATE_TOLERANCE if tolerance is None else tolerance
    score, baseline = metrics.get(METRIC), metrics.get(f"baseline_{METRIC}")
    if score is None or baseline is None:
        return GateVerdict(False, f"no {METRIC} for the model or for popularity: the run was not evaluated")
    figures = f"{METRIC} {score:.4f}, popularity {baseline:.4f}"
    if score < baseline + margin:
        return GateVerdict(False, f"{figures}: does not beat popularity by the required {margin:+.3f}")
    current = (active_metrics or {}).get(METRIC)
    if current is not None:
        figures += f", served version {current:.4f}"
        if score < current - tolerance:
            return GateVerdict(False, f"{figures}: more than {tolerance:.3f} below the version being served")
    return GateVerdict(True, f"{figures}: passes (margin {margin:+.3f}, tolerance {tolerance:.3f})")
