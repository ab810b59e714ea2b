"""Who may start a retrain when, and what bad input gets: no Spark or training needed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from recommender.models import TrainingRun
from recommender.parameters import resolve_parameters
from recommender.runs import fail_stale_runs
from recommender.services import RetrainInProgress, trigger_retrain

pytestmark = pytest.mark.django_db


def _running(**fields) -> TrainingRun:
    return TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, stage="train", progress=42.0,
                                      heartbeat_at=timezone.now(), **fields)  # fmt: skip


def test_a_second_retrain_is_refused_while_one_runs():
    current = _running()
    with pytest.raises(RetrainInProgress, match=f"already running \\(run {current.pk}, stage train, 42%\\)"):
        trigger_retrain(trigger="api")
    assert TrainingRun.objects.count() == 1


def test_the_train_command_refuses_too():
    _running()
    with pytest.raises(CommandError, match="a retrain is already running"):
        call_command("train", stdout=StringIO())


def test_a_run_whose_worker_went_silent_is_failed_and_no_longer_blocks(settings, django_capture_on_commit_callbacks):
    settings.TRAINING_STALE_AFTER = 60
    lost = _running()
    TrainingRun.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = trigger_retrain(trigger="admin")

    lost.refresh_from_db()
    assert lost.status == TrainingRun.Status.FAILED and "the worker was lost" in lost.error
    assert run.status == TrainingRun.Status.QUEUED and run.trigger == "admin"
    assert len(callbacks) == 1  # the chain is sent only once the run row is committed


def test_a_fresh_heartbeat_is_not_stale():
    _running()
    assert fail_stale_runs(older_than=timedelta(minutes=1)) == 0


def test_finished_runs_do_not_block():
    TrainingRun.objects.create(status=TrainingRun.Status.FAILED, in_progress=None)
    TrainingRun.objects.create(status=TrainingRun.Status.SUCCEEDED, in_progress=None)
    assert resolve_parameters({})["variant"] == "sasrec"
    assert resolve_parameters({"variant": "gmf"})["negatives"] == 8
    TrainingRun.objects.create(parameters=resolve_parameters({}))
    assert TrainingRun.objects.filter(in_progress=True).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"epochs": 0}, "epochs and batch_size must be positive"),
        ({"variant": "svd"}, "variant must be one of"),
        ({"variant": "gmf", "negatives": 0}, "negatives, eval_negatives and negative_epochs must be at least 1"),
        ({"learning_rate": 0.1}, "unknown retrain parameter"),
    ],
)
def test_bad_parameters_are_refused_before_anything_runs(overrides, message):
    with pytest.raises(ValueError, match=message):
        trigger_retrain(trigger="api", parameters=overrides)
    assert not TrainingRun.objects.exists()


def test_training_on_an_empty_catalogue_fails_clearly(settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    with pytest.raises(CommandError, match="there are no ratings to train on: import MovieLens first"):
        call_command("train", stdout=StringIO())
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.FAILED and run.error.startswith("snapshot failed")


def test_evaluate_without_a_version_says_what_to_do():
    with pytest.raises(CommandError, match="run 'python manage.py train' first"):
        call_command("evaluate", stdout=StringIO())


def test_the_retrain_command_queues_a_run(django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("retrain", stdout=out)
    run = TrainingRun.objects.get()
    assert f"queued run {run.pk}" in out.getvalue()
    assert run.trigger == "command" and run.status == "queued" and len(callbacks) == 1


def test_the_retrain_command_refuses_while_one_runs():
    _running()
    with pytest.raises(CommandError, match="already running"):
        call_command("retrain", stdout=StringIO())


def test_the_scheduled_task_queues_a_run_or_skips_while_one_runs(django_capture_on_commit_callbacks):
    from worker.tasks import scheduled_retrain

    with django_capture_on_commit_callbacks(execute=False):
        run_id = scheduled_retrain.run()
    assert TrainingRun.objects.get(pk=run_id).trigger == "schedule"
    assert scheduled_retrain.run() is None


def test_old_versions_are_pruned_but_the_active_one_stays(django_user_model):
    from catalog.models import Movie
    from recommender.models import ModelVersion, Recommendation
    from recommender.versions import version_activate, version_prune

    user = django_user_model.objects.create_user("u")
    movie = Movie.objects.create(movielens_id=1, title="Heat (1995)", year=1995)
    versions = []
    for _ in range(4):
        run = TrainingRun.objects.create(status=TrainingRun.Status.SUCCEEDED, in_progress=None)
        version = ModelVersion.objects.create(run=run, model_path="x")
        Recommendation.objects.create(version=version, user=user, rank=1, movie=movie, score=1.0)
        versions.append(version)
    version_activate(version_id=versions[0].pk)  # an old one, rolled back to

    assert version_prune(keep=2) == 2

    kept = set(ModelVersion.objects.values_list("pk", flat=True))
    assert kept == {versions[0].pk, versions[3].pk}
    assert Recommendation.objects.count() == 2
    assert ModelVersion.objects.get(is_active=True) == versions[0]


def test_a_queued_run_no_worker_picked_up_stops_blocking(settings, django_capture_on_commit_callbacks):
    settings.TRAINING_QUEUED_TIMEOUT = 600
    stuck = TrainingRun.objects.create()  # queued: its chain never reached a worker
    TrainingRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False):
        run = trigger_retrain(trigger="api")
    stuck.refresh_from_db()
    assert stuck.status == TrainingRun.Status.FAILED and stuck.in_progress is None
    assert "no worker picked the run up within 600 s" in stuck.error and "'training' queue" in stuck.error
    assert run.status == TrainingRun.Status.QUEUED


def test_a_recently_queued_run_still_blocks(settings):
    settings.TRAINING_QUEUED_TIMEOUT = 600
    TrainingRun.objects.create()
    with pytest.raises(RetrainInProgress, match="already queued"):
        trigger_retrain(trigger="api")


def test_a_stage_redelivered_too_often_fails_the_run(settings):
    from recommender.runs import run_claim_stage

    settings.TRAINING_MAX_DELIVERIES = 3
    run = TrainingRun.objects.create()
    assert [run_claim_stage(run_id=run.pk, stage="train") for _ in range(3)] == [True, True, True]
    assert run_claim_stage(run_id=run.pk, stage="train") is False
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED and "stage train was delivered 4 times" in run.error


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_ctrl_c_or_sigterm_marks_an_in_process_run_failed(monkeypatch, settings, tmp_path, interruption):
    from recommender import pipeline

    settings.ARTIFACTS_DIR = tmp_path

    def interrupted(run, report):
        (run.directory).mkdir(parents=True)
        raise interruption()

    monkeypatch.setitem(pipeline._STAGE_FUNCTIONS, "snapshot", interrupted)
    with pytest.raises(interruption):
        call_command("train", stdout=StringIO())
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.FAILED and run.in_progress is None
    assert "snapshot interrupted" in run.error
    assert not list(tmp_path.glob("run-*"))  # a failed run leaves no folder behind
