"""The staff pages (retrain, a run's live page and its JSON, runs and versions, activate): who may see them,
what they show, the retrain form's validation, CSRF on every form, and queries that do not grow with runs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommender.models import ModelVersion, TrainingRun
from recommender.versions import active_version
from tests.web_fixtures import client_for, csrf_token

pytestmark = pytest.mark.django_db

METRICS = {"hr@10": 0.43, "baseline_hr@10": 0.41, "ndcg@10": 0.22, "baseline_ndcg@10": 0.21, "hr@10_full": 0.05,
           "baseline_hr@10_full": 0.04, "rmse": 0.91, "gate": "hr@10 0.4300 beats popularity 0.4100: passes",
           "gate_passed": True}  # fmt: skip


def make_run(*, status="succeeded", active=False, version=True, **fields) -> TrainingRun:
    now = timezone.now()
    defaults = {"metrics": METRICS, "started_at": now, "finished_at": now, "in_progress": None, "stage": "done",
                "progress": 100.0, "stage_seconds": {"snapshot": 1.5, "train": 10.25},
                "parameters": {"variant": "gmf"}}  # fmt: skip
    run = TrainingRun.objects.create(status=status, **{**defaults, **fields})
    if version:
        ModelVersion.objects.create(run=run, model_path="x", is_active=active, activated_at=now if active else None)
    return run


@pytest.fixture
def served() -> TrainingRun:
    return make_run(active=True)


def page_urls(run: TrainingRun) -> list[str]:
    return ["/staff/retrain/", "/staff/runs/", f"/staff/runs/{run.pk}/", f"/staff/versions/{run.version.pk}/activate/"]


def test_anonymous_visitors_go_to_the_login_page(client, served):
    for url in page_urls(served):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    status = client.get(f"/staff/runs/{served.pk}/status/")
    assert status.status_code == 401 and status["Content-Type"] == "application/json"


def test_plain_users_are_refused(owner, served):
    plain = client_for(owner)
    for url in page_urls(served):
        assert plain.get(url).status_code == 403, url
    assert plain.post("/staff/retrain/", {"variant": "gmf"}).status_code == 403
    assert plain.post(f"/staff/versions/{served.version.pk}/activate/").status_code == 403
    status = plain.get(f"/staff/runs/{served.pk}/status/")
    assert status.status_code == 403 and status.json() == {"error": "staff only"}
    assert not TrainingRun.objects.exclude(pk=served.pk).exists()


def test_staff_see_every_page(staff_client, served):
    for url in page_urls(served):
        assert staff_client.get(url).status_code == 200, url
    assert staff_client.get(f"/staff/runs/{served.pk}/status/").status_code == 200


def test_the_menu_links_the_staff_pages_for_staff_only(owner_client, staff_client, client):
    assert 'href="/dashboard/"' in staff_client.get("/").text
    for visitor in (owner_client, client):
        page = visitor.get("/").text
        assert "/staff/" not in page and "/dashboard/" not in page


def test_the_retrain_form_shows_the_defaults(staff_client):
    page = staff_client.get("/staff/retrain/").text
    for name in ("variant", "epochs", "factors", "lr", "negatives", "seed"):
        assert f'name="{name}"' in page
    assert "gmf 20" in page and "sasrec 15" in page  # epochs: each variant's default
    assert 'placeholder="0.003"' in page  # the default variant's (sasrec) learning rate


def test_staff_start_a_retrain_and_land_on_its_page(staff_client, staff):
    response = staff_client.post("/staff/retrain/", {"variant": "neumf", "epochs": "3", "factors": "16", "lr": "0.01",
                                                     "negatives": "4", "seed": "7"})  # fmt: skip
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/runs/{run.pk}/"
    assert run.trigger == "admin" and run.triggered_by == staff and run.status == "queued"
    p = run.parameters
    assert (p["variant"], p["epochs"], p["embedding_dim"], p["lr"], p["negatives"], p["seed"]) == (
        "neumf",
        3,
        16,
        0.01,
        4,
        7,
    )
    assert p["batch_size"] == 4096  # what the form leaves out keeps the variant's default
    page = staff_client.get(response["Location"]).text
    assert f"Run {run.pk} queued" in page and "<progress" in page and 'data-in-progress="true"' in page


def test_blank_fields_take_the_variants_defaults(staff_client):
    staff_client.post("/staff/retrain/", {"variant": "sasrec"})
    p = TrainingRun.objects.get().parameters
    assert (p["variant"], p["epochs"], p["lr"], p["seed"]) == ("sasrec", 15, 0.003, 2018)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"variant": "bert"}, "variant", "Select a valid choice"),
        ({"variant": "gmf", "epochs": "0"}, "epochs", "greater than or equal to 1"),
        ({"variant": "gmf", "epochs": "many"}, "epochs", "Enter a whole number"),
        ({"variant": "gmf", "lr": "-1"}, "lr", "greater than or equal to"),
        ({"variant": "sasrec", "negatives": "4"}, "negatives", "does not apply to sasrec"),
    ],
)
def test_bad_parameters_get_clear_messages_and_start_nothing(staff_client, data, field, message):
    response = staff_client.post("/staff/retrain/", data)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field]), response.context["form"].errors
    assert message in response.text.replace("&#x27;", "'")
    assert not TrainingRun.objects.exists()


def test_a_second_retrain_is_refused_with_a_link_to_the_running_one(staff_client):
    running = TrainingRun.objects.create(status="running", stage="train", progress=40, heartbeat_at=timezone.now(),
                                         started_at=timezone.now())  # fmt: skip
    page = staff_client.get("/staff/retrain/").text
    assert f"Run {running.pk} is running" in page and f'href="/staff/runs/{running.pk}/"' in page
    response = staff_client.post("/staff/retrain/", {"variant": "gmf"})
    assert response.status_code == 409
    assert f"Not started: run {running.pk} is already running" in response.text
    assert f'href="/staff/runs/{running.pk}/"' in response.text
    assert TrainingRun.objects.count() == 1


def test_the_forms_need_their_csrf_token(staff, served):
    older = make_run()
    client = client_for(staff, csrf=True)
    assert client.post("/staff/retrain/", {"variant": "gmf"}).status_code == 403
    assert client.post(f"/staff/versions/{older.version.pk}/activate/").status_code == 403
    assert not TrainingRun.objects.filter(status="queued").exists() and active_version().pk == served.version.pk
    token = csrf_token(client, "/staff/retrain/")
    assert client.post("/staff/retrain/", {"variant": "gmf", "csrfmiddlewaretoken": token}).status_code == 302
    token = csrf_token(client, f"/staff/versions/{older.version.pk}/activate/")
    response = client.post(f"/staff/versions/{older.version.pk}/activate/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and active_version().pk == older.version.pk


def test_the_progress_endpoint_follows_a_running_run(staff_client):
    now = timezone.now()
    run = TrainingRun.objects.create(status="running", stage="train", progress=42.5, started_at=now,
                                     stage_seconds={"snapshot": 2.0, "sample": 30.5}, heartbeat_at=now)  # fmt: skip
    state = staff_client.get(f"/staff/runs/{run.pk}/status/").json()
    assert state["status"] == "running" and state["stage"] == "train" and state["progress"] == 42.5
    assert state["in_progress"] is True and state["finished"] is False
    assert state["stage_seconds"] == {"snapshot": 2.0, "sample": 30.5}
    assert "sample done in 30.5 s" in state["log"] and "train running, 42% of the run" in state["log"]
    TrainingRun.objects.filter(pk=run.pk).update(stage="evaluate", progress=80.0)
    assert staff_client.get(f"/staff/runs/{run.pk}/status/").json()["progress"] == 80.0
    page = staff_client.get(f"/staff/runs/{run.pk}/").text
    assert 'value="80.0"' in page and "evaluate" in page and "staff/run.js" in page
    missing = staff_client.get("/staff/runs/999999/status/")
    assert missing.status_code == 404 and missing.json() == {"error": "no run 999999"}


def test_a_finished_run_shows_its_metrics_beside_popularity(staff_client, served):
    state = staff_client.get(f"/staff/runs/{served.pk}/status/").json()
    assert state["finished"] and state["metrics"]["HR@10"] == {"model": 0.43, "popularity": 0.41}
    assert state["metrics"]["RMSE (stars)"] == {"model": 0.91, "popularity": None}
    assert state["version"] == {"id": served.version.pk, "active": True}
    page = staff_client.get(f"/staff/runs/{served.pk}/").text
    assert "0.4300" in page and "0.4100" in page and "is being served" in page


def test_a_failed_run_shows_the_last_lines_of_its_error(staff_client):
    error = (
        "train failed: RuntimeError: out of memory\nTraceback (most recent call last):\n"
        + "\n".join(f"  line {i}" for i in range(40))
        + "\nRuntimeError: out of memory"
    )
    run = make_run(status="failed", version=False, metrics={}, error=error)
    state = staff_client.get(f"/staff/runs/{run.pk}/status/").json()
    assert state["error"] == "RuntimeError: out of memory" and state["log"][-2] == "RuntimeError: out of memory"
    assert "line 0" not in "\n".join(state["log"])  # only the last lines
    assert "Failed: RuntimeError: out of memory" in staff_client.get(f"/staff/runs/{run.pk}/").text


def test_the_runs_page_lists_runs_versions_reasons_and_a_chart(staff_client, staff, served):
    worse = {**METRICS, "hr@10": 0.30, "gate": "hr@10 0.3000 is below popularity", "gate_passed": False}
    rejected = make_run(status="rejected", metrics=worse, triggered_by=staff)
    failed = make_run(status="failed", version=False, metrics={}, error="sample failed: Spark died")
    page = staff_client.get("/staff/runs/")
    text = page.text
    assert "hr@10 0.3000 is below popularity" in text and "sample failed: Spark died" in text
    assert "staffer" in text and "0.4300" in text and "(0.4100)" in text and "0.9100" in text
    chart = page.context["chart"]
    assert chart["labels"] == [f"run {served.pk}", f"run {rejected.pk}"] and chart["hr"] == [0.43, 0.30]
    assert 'id="runs-chart-data"' in text and "chart.umd.min.js" in text
    assert f'href="/staff/versions/{rejected.version.pk}/activate/"' in text  # a rejected version can be served
    assert f'href="/staff/versions/{served.version.pk}/activate/"' not in text  # the active one has no button
    assert f'href="/staff/runs/{failed.pk}/"' in text


def test_the_runs_page_costs_the_same_queries_whatever_the_number_of_runs(staff_client, served):
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get("/staff/runs/").status_code == 200
    for _ in range(6):
        make_run(status="rejected")
        make_run(status="failed", version=False)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get("/staff/runs/").status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_activate_asks_first_then_serves_at_once(staff_client, served):
    older = make_run(status="rejected")
    confirm = staff_client.get(f"/staff/versions/{older.version.pk}/activate/")
    assert confirm.status_code == 200 and f"Serve version {older.version.pk}?" in confirm.text
    assert f"instead of version {served.version.pk}" in confirm.text
    assert active_version().pk == served.version.pk  # a GET changes nothing
    response = staff_client.post(f"/staff/versions/{older.version.pk}/activate/", follow=True)
    assert f"Version {older.version.pk} is now served to everyone." in response.text
    assert active_version().pk == older.version.pk
    assert ModelVersion.objects.filter(is_active=True).count() == 1
    again = staff_client.post(f"/staff/versions/{older.version.pk}/activate/", follow=True)
    assert "is already being served" in again.text
    assert staff_client.get("/staff/versions/999999/activate/").status_code == 404


def test_an_activation_shows_in_users_lists_at_once(staff_client, owner, movies, django_capture_on_commit_callbacks):
    from recommender.models import Recommendation, UserList

    served, older = make_run(active=True), make_run(status="rejected")
    for version, movie in ((served.version, movies[608]), (older.version, movies[2997])):
        Recommendation.objects.create(version=version, user=owner, rank=1, movie=movie, score=1.0)
        UserList.objects.create(version=version, user=owner, computed_at=timezone.now())
    person = client_for(owner)
    before = person.get("/").context["items"]
    assert before[0].movie.movielens_id == 608 and before[0].version_id == served.version.pk
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/staff/versions/{older.version.pk}/activate/")
    after = person.get("/").context["items"]
    assert after[0].movie.movielens_id == 2997 and after[0].version_id == older.version.pk
