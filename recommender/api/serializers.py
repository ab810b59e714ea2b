"""Shapes of the recommender's API."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.api.serializers import PATH_SCHEMA, MovieSerializer
from recommender.models import ModelVersion, TrainingRun


class RecommendationSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1-based position in the list.")
    movie = MovieSerializer()
    score = serializers.FloatField(allow_null=True, help_text="The model's score; null for a popular fallback.")
    predicted_stars = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(help_text='A sentence, e.g. "because you rated Fargo (1996) 5 stars".')
    reason_kind = serializers.ChoiceField(choices=["rated", "neighbours", "popular"])
    version_id = serializers.IntegerField(allow_null=True, help_text="The model version that ranked it.")


class RecommendationListSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    version_id = serializers.IntegerField(allow_null=True, help_text="The active model version (null: none yet).")
    computed_at = serializers.DateTimeField(allow_null=True, help_text="When the stored list was computed.")
    updating = serializers.BooleanField(help_text="Your ratings changed since: a refreshed list is on its way.")
    items = RecommendationSerializer(many=True)


class TrainingRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    triggered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    stage_seconds = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    baseline = serializers.SerializerMethodField()
    version_id = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = [
            "id", "url", "status", "trigger", "triggered_by", "stage", "progress", "parameters", "stage_seconds",
            "metrics", "baseline", "error", "version_id", "created_at", "started_at", "finished_at", "heartbeat_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(PATH_SCHEMA)
    def get_url(self, run: TrainingRun) -> str:
        return reverse("api:training-run-detail", kwargs={"pk": run.pk})

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "number"}})
    def get_stage_seconds(self, run: TrainingRun) -> dict:
        """In pipeline order (PostgreSQL's JSON keeps none)."""
        return {stage: run.stage_seconds[stage] for stage in TrainingRun.STAGES if stage in run.stage_seconds}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "number"}})
    def get_metrics(self, run: TrainingRun) -> dict:
        """The model's test metrics (hr@10, ndcg@10, ..., rmse) and training figures."""
        return {key: value for key, value in run.metrics.items() if not key.startswith("baseline_")}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "number"}})
    def get_baseline(self, run: TrainingRun) -> dict:
        """The popularity baseline's metrics on the same split, under the same names as ``metrics``."""
        return {k.removeprefix("baseline_"): v for k, v in run.metrics.items() if k.startswith("baseline_")}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version_id(self, run: TrainingRun) -> int | None:
        return getattr(getattr(run, "version", None), "pk", None)


class TrainingRunCreateSerializer(serializers.Serializer):
    parameters = serializers.DictField(
        required=False,
        default=dict,
        help_text="Overrides of the retrain defaults (e.g. variant, factors, epochs, lr, batch_size, negatives); "
        "unknown names or invalid values are refused with 400.",
    )


class ModelVersionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    run = TrainingRunSerializer(read_only=True)

    class Meta:
        model = ModelVersion
        fields = ["id", "url", "is_active", "created_at", "activated_at", "run"]
        read_only_fields = fields

    @extend_schema_field(PATH_SCHEMA)
    def get_url(self, version: ModelVersion) -> str:
        return reverse("api:model-version-detail", kwargs={"pk": version.pk})
