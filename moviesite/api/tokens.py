"""API tokens for programs: DRF's own ``rest_framework.authtoken``.

Why these rather than Knox or JWT: they come with DRF (no further dependency, maintained with it), a token is one
row per user that ``Authorization: Token <key>`` names, and revoking is deleting that row, effective on the very
next request. JWTs cannot be revoked before they expire without a deny-list kept on the server, which gives back
their one advantage (no lookup); Knox adds per-device tokens, hashing and expiry, which this site does not need
yet. The trade-off accepted: the key is stored as is in the database and does not expire (DELETE it to revoke).
"""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .schema import error
from .throttling import AnonThrottle, TokenEndpointThrottle, UserThrottle


class LockedOut(Throttled):
    """Too many failed sign-ins for this user name from this address (the site's django-axes lockout)."""

    default_code = "locked_out"
    default_detail = "Too many failed sign-ins for this user name from this address."


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as the header "Authorization: Token <token>".')


class AuthToken(APIView):
    """POST a user name and password to get your token (the same one until you revoke it); DELETE revokes it."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, UserThrottle, TokenEndpointThrottle]

    @extend_schema(
        tags=["auth"],
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: error("The user name or password is missing."),
            401: error("The user name and password do not match an active account."),
            429: error(
                "Too many requests from this address, or too many failed sign-ins for this user name "
                "(`locked_out`): wait for the seconds in `Retry-After`."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(request._request, **credentials.validated_data)  # django-axes counts failures
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                request._request.axes_locked_out = False  # the API answers with its own body, not axes' page
                raise LockedOut(wait=settings.AXES_COOLOFF_TIME.total_seconds())
            raise AuthenticationFailed("The user name and password do not match an active account.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        tags=["auth"],
        responses={204: OpenApiResponse(None, description="Revoked: the token no longer works.")},
    )
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
