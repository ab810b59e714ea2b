from datetime import timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def duration_words(value: timedelta) -> str:
    """15 minutes, 1 hour, 90 seconds."""
    seconds = int(value.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@register.filter
def from_now(value: timedelta):
    """The moment ``value`` from now (for "try again after 17:05")."""
    return timezone.now() + value
