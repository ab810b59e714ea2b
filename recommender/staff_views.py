"""Staff pages: retrain with live progress, runs and versions (activate after a confirmation), the dashboard
and the hits explorer. Anonymous visitors are sent to the login page, signed-in users who are not staff get
403; the JSON endpoints answer JSON in every case."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from . import dashboard as dashboard_selectors
from . import staff
from .models import ModelVersion, TrainingRun
from .services import RetrainInProgress, rollback_to, trigger_retrain
from .staff_forms import RetrainForm, defaults_by_variant


def staff_required(view: Callable) -> Callable:
    """Login page for anonymous visitors, 403 for users who are not staff."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return wrapped


def staff_json(view: Callable) -> Callable:
    """Like staff_required, but JSON errors (401, 403) instead of a login redirect or an HTML page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "sign in as staff to see this"}, status=401)
        if not request.user.is_staff:
            return JsonResponse({"error": "staff only"}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


@staff_required
@require_http_methods(["GET", "POST"])
def retrain(request: HttpRequest) -> HttpResponse:
    running = staff.run_in_progress()
    form = RetrainForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = trigger_retrain(
                    trigger=TrainingRun.Trigger.ADMIN, triggered_by=request.user, parameters=form.parameters
                )
            except RetrainInProgress as exc:
                running = exc.run
                messages.error(request, f"Not started: run {exc.run.pk} is already {exc.run.status}; wait for it.")
                status = 409
            else:
                messages.success(request, f"Run {run.pk} queued on the training workers.")
                return redirect("recommender:staff_run", run_id=run.pk)
        else:
            status = 400
    context = {"form": form, "running": running, "defaults": defaults_by_variant()}
    return render(request, "recommender/staff/retrain.html", context, status=status)


@staff_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(TrainingRun.objects.select_related("triggered_by"), pk=run_id)
    context = {
        "run": run,
        "state": staff.run_state(run),
        "stages": staff.ordered_stage_seconds(run),
        "pairs": staff.metric_pairs(run),
        "duration": staff.run_duration(run),
    }
    return render(request, "recommender/staff/run_detail.html", context)


@staff_json
@require_GET
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is None:
        return JsonResponse({"error": f"no run {run_id}"}, status=404)
    return JsonResponse(staff.run_state(run))


@staff_required
@require_GET
def runs(request: HttpRequest) -> HttpResponse:
    run_rows = list(staff.runs_list())
    rows = [
        {
            "run": run,
            "duration": staff.run_duration(run),
            "pairs": staff.metric_pairs(run, tuple(key for key, _ in staff.TABLE_METRICS)),
            "rmse": run.metrics.get("rmse"),
        }
        for run in run_rows
    ]
    context = {
        "rows": rows,
        "metric_labels": [label for _, label in staff.TABLE_METRICS],
        "versions": [(version, version.run.metrics.get("hr@10")) for version in staff.versions_list()],
        "chart": staff.runs_chart_data(run_rows),
        "running": next((run for run in run_rows if run.in_progress), None),
    }
    return render(request, "recommender/staff/runs.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, version_id: int) -> HttpResponse:
    """GET: what will change, and a button to confirm; POST: serve the version."""
    version = get_object_or_404(ModelVersion.objects.select_related("run"), pk=version_id)
    if request.method == "POST":
        if version.is_active:
            messages.info(request, f"Version {version.pk} is already being served.")
        else:
            rollback_to(version_id=version.pk)
            messages.success(request, f"Version {version.pk} is now served to everyone.")
        return redirect(reverse("recommender:staff_runs") + "#versions")
    from .versions import active_version

    current = active_version()
    context = {"version": version, "current": current, "pairs": staff.metric_pairs(version.run)}
    if current is not None and current.pk != version.pk:
        context["current_pairs"] = staff.metric_pairs(current.run)
    return render(request, "recommender/staff/activate_confirm.html", context)


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    data = dashboard_selectors.dashboard_data()
    context = {
        "data": data,
        "clouds": {kind: dashboard_selectors.wordcloud_words(kind) for kind in dashboard_selectors.WORDCLOUD_KINDS},
        "boxplot_rows": list(zip(*(data["boxplot"][key] for key in ("labels", "stats", "counts")), strict=True)),
        "rows": {name: _pairs(data[name]) for name in ("genres", "ratings_by_genre", "per_user")},
        "busiest": max(_pairs(data["over_time"]), key=lambda pair: pair[1], default=None),
    }
    return render(request, "recommender/staff/dashboard.html", context)


@staff_required
@require_GET
def wordcloud(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in dashboard_selectors.WORDCLOUD_KINDS:
        raise Http404(f"No word cloud of {kind}.")
    response = HttpResponse(dashboard_selectors.wordcloud_png(kind), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _pairs(chart: dict) -> list[tuple]:
    return list(zip(chart["labels"], chart["values"], strict=True))


HIT_SECTIONS = (
    ("age", "Hit rate by age", "age bucket"),
    ("gender", "Hit rate by gender", "gender"),
    ("ratings", "Hit rate by number of ratings (cold users first)", "ratings by the user"),
)


@staff_required
@require_GET
def hits_explorer(request: HttpRequest) -> HttpResponse:
    from .hit_groups import group_hit_rates
    from .versions import active_version

    version = active_version()
    context: dict = {"version": version}
    if version is not None:
        try:
            rates = group_hit_rates(version)
            context["rates"] = rates
            context["sections"] = [
                (dimension, title, axis, rates["groups"][dimension]) for dimension, title, axis in HIT_SECTIONS
            ]
        except (FileNotFoundError, OSError):
            context["error"] = "The active model's files cannot be read on this server."
    return render(request, "recommender/staff/hits_explorer.html", context)
