"""/api/ and /api/v1/: where things are, for a person or program arriving with nothing else."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

V1_ENDPOINTS = {
    "token": "api:auth-token",
    "health": "api:health",
    "movies": "api:movie-list",
    "genres": "api:genre-list",
    "me": "api:me",
    "my_ratings": "api:my-ratings",
    "my_recommendations": "api:my-recommendations",
    "training_runs": "api:training-run-list",
    "model_versions": "api:model-version-list",
}
_LINKS = {"schema": serializers.CharField(), "docs": serializers.CharField()}


@extend_schema(
    tags=["root"],
    responses={
        200: inline_serializer("ApiIndex", {"versions": serializers.DictField(child=serializers.CharField()), **_LINKS})
    },
)
class ApiIndex(APIView):
    """The API versions, the schema and its documentation."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"versions": {"v1": reverse("api:root")}, **_links()})


@extend_schema(
    tags=["root"],
    responses={
        200: inline_serializer("ApiRoot", {"endpoints": serializers.DictField(child=serializers.CharField()), **_LINKS})
    },
)
class ApiRoot(APIView):
    """Every collection of version 1, the schema and its documentation."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"endpoints": {name: reverse(url) for name, url in V1_ENDPOINTS.items()}, **_links()})


def _links() -> dict[str, str]:
    return {"schema": reverse("api:schema"), "docs": reverse("api:docs")}
