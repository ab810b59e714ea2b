"""Staff: training runs (list, detail, start with parameters, 409 while one runs) and model versions."""

from recommender.models import ModelVersion, TrainingRun

from .conftest import assert_error


def test_run_detail_has_status_stages_in_order_and_metrics_beside_the_baseline(world):
    body = world.client("staff").get(f"/api/v1/training-runs/{world.version.run.pk}/").json()
    assert body["status"] == "succeeded" and body["stage"] == "done" and body["progress"] == 100.0
    assert list(body["stage_seconds"]) == ["snapshot", "train", "activate"]
    assert body["metrics"] == {"hr@10": 0.7, "rmse": 0.9} and body["baseline"] == {"hr@10": 0.45}
    assert body["version_id"] == world.version.pk and body["error"] == ""


def test_runs_are_listed_newest_first(world):
    body = world.client("staff").get("/api/v1/training-runs/").json()
    assert [run["id"] for run in body["results"]] == [world.version.run.pk, world.old_version.run.pk]


def test_starting_a_retrain_queues_it_and_a_second_is_409(world, django_capture_on_commit_callbacks):
    client = world.client("staff")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = client.post("/api/v1/training-runs/", {"parameters": {"epochs": 3}}, format="json")
    assert started.status_code == 202, started.content
    run = TrainingRun.objects.get(pk=started.json()["id"])
    assert run.status == "queued" and run.parameters["epochs"] == 3 and run.trigger == "api"
    assert run.triggered_by == world.staff and started.json()["triggered_by"] == "staff"
    assert started["Location"].endswith(f"/api/v1/training-runs/{run.pk}/")
    assert len(callbacks) == 1  # the chain is sent to the training queue once the transaction commits

    error = assert_error(client.post("/api/v1/training-runs/", {}, format="json"), 409, "conflict")
    assert error["location"] == f"/api/v1/training-runs/{run.pk}/"


def test_bad_parameters_are_400(world):
    client = world.client("staff")
    error = assert_error(client.post("/api/v1/training-runs/", {"parameters": {"speed": 11}}, format="json"), 400)
    assert "speed" in error["fields"]["parameters"][0]
    assert_error(client.post("/api/v1/training-runs/", {"parameters": [1]}, format="json"), 400)
    assert not TrainingRun.objects.filter(in_progress=True).exists()


def test_versions_and_rollback(world):
    client = world.client("staff")
    listed = client.get("/api/v1/model-versions/").json()["results"]
    assert [(v["id"], v["is_active"]) for v in listed] == [(world.version.pk, True), (world.old_version.pk, False)]
    assert listed[0]["run"]["metrics"]["hr@10"] == 0.7
    assert client.post(f"/api/v1/model-versions/{world.old_version.pk}/activate/").json()["is_active"] is True
    assert ModelVersion.objects.get(is_active=True) == world.old_version
    assert client.post(f"/api/v1/model-versions/{world.version.pk}/activate/").status_code == 200  # forward again
    assert ModelVersion.objects.get(is_active=True) == world.version
    assert_error(client.post("/api/v1/model-versions/999999/activate/"), 404)
