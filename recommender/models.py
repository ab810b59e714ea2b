"""Training runs, the model versions they produce, each version's ranked lists per user and similar movies."""

from pathlib import Path

from django.conf import settings
from django.db import models


class TrainingRun(models.Model):
    STAGES = ("snapshot", "sample", "train", "evaluate", "refit", "precompute", "activate")  # in order

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        REJECTED = "rejected"  # finished, but did not pass the quality gate: its version is not served
        FAILED = "failed"

    class Trigger(models.TextChoices):
        ADMIN = "admin"
        API = "api"
        SCHEDULE = "schedule"
        COMMAND = "command"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # True while queued or running, NULL after: the unique constraint lets only one run hold it.
    in_progress = models.BooleanField(null=True, default=True, editable=False)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.COMMAND)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    stage = models.CharField(max_length=32, blank=True)
    progress = models.FloatField(default=0.0, help_text="percent of the whole run")
    parameters = models.JSONField(default=dict, blank=True)
    stage_seconds = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # How often each stage was delivered to a worker: a redelivery after a lost worker counts again.
    deliveries = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["in_progress"], name="one_training_run_in_progress")]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def directory(self) -> Path:
        """The run's local folder: its model files."""
        return Path(settings.ARTIFACTS_DIR) / f"run-{self.pk}"

    @property
    def data_uri(self) -> str:
        """Where the run's data lives in the artefact store (ARTIFACTS_URI): the snapshot, the samples and the
        sequences that Spark writes; by default the same folder as ``directory``, as a ``file://`` URI."""
        from .store import artifacts_root, join

        return join(artifacts_root(), f"run-{self.pk}")


class ModelVersion(models.Model):
    run = models.OneToOneField(TrainingRun, on_delete=models.PROTECT, related_name="version")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    model_path = models.CharField(max_length=500)
    # Most popular movie ids at training time, best first: the list for users the model does not know.
    popular_movie_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version"
            )
        ]

    def __str__(self) -> str:
        return f"version {self.pk}{' (active)' if self.is_active else ''}"


class Recommendation(models.Model):
    """One movie of a user's ranked list under a version (``LIST_LENGTH`` per user, so reads can drop what
    the user rated since and still show ten)."""

    # (version, user, rank) leads with version and user: no separate indexes for them.
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="recommendations", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    rank = models.PositiveSmallIntegerField()
    movie = models.ForeignKey("catalog.Movie", on_delete=models.CASCADE, related_name="+", db_index=False)
    score = models.FloatField()
    # The user's rated movie closest to this one in the model's movie space: "because you rated ...".
    because_of = models.ForeignKey(
        "catalog.Movie", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    predicted_stars = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["version", "user", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user", "rank"], name="one_movie_per_rank"),
            models.UniqueConstraint(fields=["version", "user", "movie"], name="one_rank_per_movie"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} #{self.rank}: {self.movie_id}"


class UserList(models.Model):
    """When a user's list under a version was computed, and when their ratings last changed.

    ``requested_at`` later than ``computed_at`` means a refresh is on its way ("updating..." on the pages).
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="user_lists", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    requested_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, default="precompute")  # "precompute" or "refresh"
    # The explicit-rating model's user vector folded in by the refresh (float32 bytes): predicted stars.
    star_vector = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="one_list_per_user_and_version")]

    def __str__(self) -> str:
        return f"list of {self.user_id} under {self.version_id}"


class RatingChange(models.Model):
    """The latest moment each user's ratings changed (one row per user): what ``--stale`` and the
    "updating..." state compare against, whatever version is active."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", primary_key=True)
    changed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} changed at {self.changed_at}"


class SimilarMovie(models.Model):
    """The nearest movies to a movie in a version's movie space (cosine), best first."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+", db_index=False)
    movie = models.ForeignKey("catalog.Movie", on_delete=models.CASCADE, related_name="+", db_index=False)
    rank = models.PositiveSmallIntegerField()
    similar = models.ForeignKey("catalog.Movie", on_delete=models.CASCADE, related_name="+", db_index=False)
    similarity = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "movie", "rank"], name="one_similar_movie_per_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.movie_id} ~ {self.similar_id} ({self.similarity:.2f})"
