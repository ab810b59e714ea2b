"""Throttles that read their rates from the settings on each request, so that a test or a deployment can change
them (DRF's own read them once, at import)."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _SettingsRate:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Per client address, for requests without credentials."""


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Per user, for authenticated requests."""


class TokenEndpointThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Per client address on the token endpoint, whoever asks: limits password guessing."""

    scope = "auth_token"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
