"""Celery tasks: thin wrappers that take ids and call one service each."""

from .maintenance import ping

__all__ = ["ping"]
