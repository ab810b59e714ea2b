"""Celery tasks: thin wrappers that take ids and call one service each."""

from .maintenance import ping
from .training import run_stage, scheduled_retrain

__all__ = ["ping", "run_stage", "scheduled_retrain"]
