"""Recommender endpoints: thin views over recommender.selectors, .services and .versions."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import User
from moviesite.api.errors import Conflict
from moviesite.api.schema import error
from recommender import cache, selectors, versions
from recommender.models import ModelVersion, TrainingRun

from . import serializers as s


def recommendation_list(user: User) -> dict:
    """The user's current list, serialized, from the cache (built from the selectors when missing)."""

    def build() -> dict:
        status_ = selectors.list_status(user=user)
        items = selectors.recommendations_for(user=user)
        return s.RecommendationListSerializer(
            {
                "user_id": user.pk,
                "version_id": status_.version_id,
                "computed_at": status_.computed_at,
                "updating": status_.updating,
                "items": items,
            }
        ).data

    return cache.cached_list(user.pk, build)


@extend_schema(tags=["recommendations"], responses={200: s.RecommendationListSerializer})
class MyRecommendations(APIView):
    """Your current top 10: each movie with its rank, score, predicted stars, the reason and the model version."""

    def get(self, request: Request) -> Response:
        return Response(recommendation_list(request.user))


@extend_schema(
    tags=["recommendations"],
    responses={
        200: s.RecommendationListSerializer,
        404: error("No such user, or not yours to see (only staff read other people's lists)."),
    },
)
class UserRecommendations(APIView):
    """A user's current list: staff may read anyone's, other users only their own (anyone else's is a 404, which
    does not tell whether the user exists)."""

    def get(self, request: Request, user_id: int) -> Response:
        users = User.objects.all() if request.user.is_staff else User.objects.filter(pk=request.user.pk)
        user = users.filter(pk=user_id).first()
        if user is None:
            raise NotFound(f"No user {user_id} whose recommendations you may read.")
        return Response(recommendation_list(user))


class TrainingRuns(generics.ListAPIView):
    """Retrains, newest first (staff)."""

    permission_classes = [IsAdminUser]
    serializer_class = s.TrainingRunSerializer
    queryset = TrainingRun.objects.select_related("triggered_by", "version").order_by("-created_at", "-pk")

    @extend_schema(tags=["training"], operation_id="training_runs_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["training"],
        operation_id="training_runs_create",
        request=s.TrainingRunCreateSerializer,
        responses={
            202: OpenApiResponse(s.TrainingRunSerializer, description="Queued on the training workers."),
            400: error("A parameter is unknown or not valid."),
            409: error("A retrain is queued or running: `location` is its address."),
        },
    )
    def post(self, request: Request) -> Response:
        from recommender.services import RetrainInProgress, trigger_retrain  # brings PyTorch: only when used

        body = s.TrainingRunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                run = trigger_retrain(
                    trigger=TrainingRun.Trigger.API,
                    triggered_by=request.user,
                    parameters=body.validated_data["parameters"],
                )
        except RetrainInProgress as exc:
            path = reverse("api:training-run-detail", kwargs={"pk": exc.run.pk})
            raise Conflict(str(exc), location=path) from None
        except (ValueError, TypeError) as exc:  # resolve_parameters says which and why
            raise ValidationError({"parameters": [str(exc)]}) from None
        path = reverse("api:training-run-detail", kwargs={"pk": run.pk})
        return Response(
            s.TrainingRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(path)},
        )


class TrainingRunDetail(generics.RetrieveAPIView):
    """One retrain: status, stage, progress, seconds per stage, metrics beside the popularity baseline, error."""

    permission_classes = [IsAdminUser]
    serializer_class = s.TrainingRunSerializer
    queryset = TrainingRun.objects.select_related("triggered_by", "version")

    @extend_schema(tags=["training"], operation_id="training_runs_retrieve")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["training"])
class ModelVersions(generics.ListAPIView):
    """Model versions still kept (their lists can be served again), newest first (staff)."""

    permission_classes = [IsAdminUser]
    serializer_class = s.ModelVersionSerializer
    queryset = ModelVersion.objects.select_related("run__triggered_by").order_by("-created_at", "-pk")


@extend_schema(tags=["training"])
class ModelVersionDetail(generics.RetrieveAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = s.ModelVersionSerializer
    queryset = ModelVersions.queryset


@extend_schema(
    tags=["training"],
    request=None,
    responses={200: OpenApiResponse(s.ModelVersionSerializer, description="Now the version being served.")},
)
class ModelVersionActivate(APIView):
    """Serve this version (roll back or forward): one transaction; every cached list is dropped."""

    permission_classes = [IsAdminUser]

    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(ModelVersion, pk=pk)
        version = versions.version_activate(version_id=pk)  # drops every cached list once committed
        version = ModelVersions.queryset.get(pk=version.pk)
        return Response(s.ModelVersionSerializer(version).data)
