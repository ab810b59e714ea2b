"""Celery tasks: thin wrappers that take ids and call one service each."""

from .maintenance import ping
from .recommendations import refresh_user_list, refresh_user_lists
from .training import run_stage, scheduled_retrain

__all__ = ["ping", "refresh_user_list", "refresh_user_lists", "run_stage", "scheduled_retrain"]
