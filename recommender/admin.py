"""Staff's view of the learning: runs (with "Retrain now"), versions (with "Activate") and the stored lists,
all read-only: the pipeline writes them, staff only start runs and choose which version is served."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from . import versions
from .models import ModelVersion, Recommendation, TrainingRun
from .parameters import VARIANTS
from .reports import METRIC_KEYS
from .services import RetrainInProgress, trigger_retrain


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def metrics_table(metrics: dict) -> str:
    rows = [
        (key, f"{metrics[key]:.4f}", f"{metrics.get(f'baseline_{key}', float('nan')):.4f}")
        for key in METRIC_KEYS
        if key in metrics
    ]
    if "rmse" in metrics:
        rows.append(("rmse (explicit model)", f"{metrics['rmse']:.4f}", "-"))
    if not rows:
        return "-"
    body = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>", rows)
    gate = metrics.get("gate", "")
    return format_html(
        "<table><thead><tr><th>metric</th><th>model</th><th>popularity</th></tr></thead><tbody>{}</tbody></table>"
        "<p>{}</p>",
        body,
        f"Quality gate: {gate}" if gate else "",
    )


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "stage", "progress", "trigger", "triggered_by", "created_at", "hr_at_10"]
    list_filter = ["status", "trigger"]
    exclude = ["metrics"]
    readonly_fields = ["metrics_beside_popularity"] + [f.name for f in TrainingRun._meta.fields if f.name != "metrics"]
    change_list_template = "admin/recommender/trainingrun/change_list.html"

    @admin.display(description="HR@10")
    def hr_at_10(self, run: TrainingRun):
        return run.metrics.get("hr@10")

    @admin.display(description="metrics (held-out split)")
    def metrics_beside_popularity(self, run: TrainingRun) -> str:
        return metrics_table(run.metrics)

    def get_urls(self):
        retrain = path(
            "retrain/", self.admin_site.admin_view(self.retrain_view), name="recommender_trainingrun_retrain"
        )
        return [retrain, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra = {"variants": VARIANTS, "running": TrainingRun.objects.filter(in_progress=True).first()}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def retrain_view(self, request: HttpRequest):
        back = HttpResponseRedirect(reverse("admin:recommender_trainingrun_changelist"))
        if request.method != "POST":
            return back
        if not request.user.is_staff:  # admin_view already demands staff; keep the rule next to the action
            return back
        parameters = {"variant": request.POST.get("variant") or None, "epochs": request.POST.get("epochs") or None}
        try:
            if parameters["epochs"] is not None:
                parameters["epochs"] = int(parameters["epochs"])
            run = trigger_retrain(trigger=TrainingRun.Trigger.ADMIN, triggered_by=request.user, parameters=parameters)
        except RetrainInProgress as exc:
            self.message_user(request, f"Not started: {exc}.", messages.ERROR)
        except (TypeError, ValueError) as exc:
            self.message_user(request, f"Not started: {exc}.", messages.ERROR)
        else:
            self.message_user(request, f"Run {run.pk} queued on the training workers.", messages.SUCCESS)
        return back


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["id", "is_active", "run", "run_status", "hr_at_10", "created_at", "activated_at"]
    list_filter = ["is_active"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields if f.name != "popular_movie_ids"] + ["metrics"]
    exclude = ["popular_movie_ids"]
    list_select_related = ["run"]
    actions = ["activate"]

    @admin.display(description="run status")
    def run_status(self, version: ModelVersion) -> str:
        return version.run.status

    @admin.display(description="HR@10")
    def hr_at_10(self, version: ModelVersion):
        return version.run.metrics.get("hr@10")

    @admin.display(description="metrics (held-out split)")
    def metrics(self, version: ModelVersion) -> str:
        return metrics_table(version.run.metrics)

    @admin.action(description="Activate: serve the selected version (roll back, or override the gate)")
    def activate(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to serve.", messages.ERROR)
            return
        version = versions.version_activate(version_id=queryset.get().pk)
        self.message_user(request, f"Now serving {version}.", messages.SUCCESS)


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ["version", "user", "rank", "movie", "score", "predicted_stars", "because_of"]
    list_filter = ["version"]
    search_fields = ["user__username", "movie__title"]
    list_select_related = ["user", "movie", "because_of"]
    raw_id_fields = ["user", "movie", "version", "because_of"]
    show_full_result_count = False
