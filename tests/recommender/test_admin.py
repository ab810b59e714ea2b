"""The recommender's admin: "Retrain now" for staff only, read-only runs/versions/lists, metrics as a table."""

import pytest
from django.test import Client
from django.utils import timezone

from recommender.models import ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/recommender/trainingrun/"
RETRAIN = "/admin/recommender/trainingrun/retrain/"


@pytest.fixture
def finished_run() -> TrainingRun:
    metrics = {"hr@10": 0.43, "baseline_hr@10": 0.41, "ndcg@10": 0.22, "baseline_ndcg@10": 0.21, "rmse": 0.91,
               "gate": "hr@10 0.4300, popularity 0.4100: passes"}  # fmt: skip
    run = TrainingRun.objects.create(status="succeeded", in_progress=None, metrics=metrics, finished_at=timezone.now())
    ModelVersion.objects.create(run=run, model_path="x", is_active=True)
    return run


def test_staff_see_the_retrain_form_and_no_add_button(admin_client, finished_run):
    page = admin_client.get(CHANGELIST).text
    assert "Retrain now" in page and 'name="variant"' in page and 'name="epochs"' in page
    assert "/admin/recommender/trainingrun/add/" not in page


def test_staff_start_a_retrain_with_parameters(admin_client, admin_user):
    response = admin_client.post(RETRAIN, {"variant": "neumf", "epochs": "3"}, follow=True)
    run = TrainingRun.objects.get()
    assert run.trigger == "admin" and run.triggered_by == admin_user
    assert run.parameters["variant"] == "neumf" and run.parameters["epochs"] == 3
    assert f"Run {run.pk} queued" in response.text


def test_a_second_retrain_is_refused_with_a_message(admin_client):
    running = TrainingRun.objects.create(status="running", stage="train", progress=40, heartbeat_at=timezone.now())
    response = admin_client.post(RETRAIN, {"variant": "", "epochs": ""}, follow=True)
    assert "Not started: a retrain is already running" in response.text
    assert TrainingRun.objects.get() == running
    assert f'Run <a href="/admin/recommender/trainingrun/{running.pk}/change/">{running.pk}</a>' in response.text


def test_bad_parameters_are_refused_with_a_message(admin_client):
    response = admin_client.post(RETRAIN, {"variant": "svd", "epochs": "3"}, follow=True)
    assert "Not started:" in response.text and "variant" in response.text
    assert not TrainingRun.objects.exists()


def test_a_run_shows_its_metrics_beside_popularity_and_cannot_be_edited(admin_client, finished_run):
    page = admin_client.get(f"{CHANGELIST}{finished_run.pk}/change/").text
    assert "<th>popularity</th>" in page and "<td>0.4300</td><td>0.4100</td>" in page
    assert "Quality gate: hr@10 0.4300" in page
    assert 'name="_save"' not in page


def test_versions_and_lists_are_read_only_with_an_activate_action(admin_client, finished_run):
    page = admin_client.get("/admin/recommender/modelversion/").text
    assert "Activate: serve the selected version" in page
    assert "/admin/recommender/modelversion/add/" not in page
    assert admin_client.get("/admin/recommender/recommendation/add/").status_code == 403


def test_staff_activate_an_older_version(admin_client, finished_run):
    older = TrainingRun.objects.create(status="rejected", in_progress=None)
    version = ModelVersion.objects.create(run=older, model_path="y")
    admin_client.post("/admin/recommender/modelversion/",
                      {"action": "activate", "_selected_action": [version.pk]})  # fmt: skip
    assert ModelVersion.objects.get(is_active=True) == version


@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_only_staff_may_retrain(client, django_user_model, who):
    if who == "user":
        client.force_login(django_user_model.objects.create_user("plain", password="x"))
    response = client.post(RETRAIN, {"variant": "gmf"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not TrainingRun.objects.exists()


def test_the_retrain_form_needs_its_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(RETRAIN, {"variant": "gmf"}).status_code == 403
    assert not TrainingRun.objects.exists()
