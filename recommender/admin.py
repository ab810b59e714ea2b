from django.contrib import admin, messages

from . import versions
from .models import ModelVersion, Recommendation, TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "stage", "progress", "trigger", "triggered_by", "created_at", "hr_at_10"]
    list_filter = ["status", "trigger"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="HR@10")
    def hr_at_10(self, run: TrainingRun):
        return run.metrics.get("hr@10")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["id", "is_active", "run", "created_at", "activated_at"]
    list_filter = ["is_active"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["activate"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Serve the selected version (roll back or forward)")
    def activate(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to serve.", messages.ERROR)
            return
        version = versions.version_activate(version_id=queryset.get().pk)
        self.message_user(request, f"Now serving {version}.", messages.SUCCESS)


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["version", "user", "rank", "movie", "score"]
    list_filter = ["version"]
    search_fields = ["user__username", "movie__title"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie", "version"]
    show_full_result_count = False
