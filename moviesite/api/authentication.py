"""DRF's token authentication with each token's user kept in Django's cache for API_TOKEN_CACHE_SECONDS.

A request then costs one cache read instead of a database query (the one query the cached recommendations
read would otherwise make). The entry goes as soon as the token is deleted (revoked through the API or the
admin, or with its user) and whenever its user is saved (deactivated, password changed), through the signals
below; only a change made around the ORM (raw SQL, ``QuerySet.update``) waits for the entry to expire.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_cache_key(key: str) -> str:
    return "api:token:" + hashlib.sha256(key.encode()).hexdigest()  # the key itself stays out of the cache


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        cache_key = token_cache_key(key)
        user = cache.get(cache_key)
        if user is not None:
            return user, Token(key=key, user=user)
        user, token = super().authenticate_credentials(key)  # AuthenticationFailed for unknown or inactive
        cache.set(cache_key, user, timeout=settings.API_TOKEN_CACHE_SECONDS)
        return user, token


@receiver(post_delete, sender=Token, dispatch_uid="api.token_deleted")
def _token_deleted(sender, instance: Token, **kwargs) -> None:
    cache.delete(token_cache_key(instance.key))


@receiver(post_save, sender=get_user_model(), dispatch_uid="api.user_saved")
def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created:
        cache.delete_many(
            [token_cache_key(key) for key in Token.objects.filter(user=instance).values_list("key", flat=True)]
        )
