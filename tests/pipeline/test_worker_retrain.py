"""The retrain chain on a real Celery worker process over the real Redis, and a worker killed mid-run."""

import os
import time
from datetime import timedelta

import pytest
import redis

from recommender.models import ModelVersion, Recommendation, TrainingRun
from recommender.runs import fail_stale_runs
from recommender.services import trigger_retrain

from .conftest import FAST_TRAINING, SMALL

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.spark,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="REDIS_URL is not set to a Redis server"),
]


@pytest.fixture
def training_worker(start_worker, settings):
    redis.Redis.from_url(REDIS_URL).flushdb()  # the test database index: no task left from an earlier test
    return start_worker({"REDIS_URL": REDIS_URL, "ARTIFACTS_DIR": str(settings.ARTIFACTS_DIR)})


def _wait_for(run: TrainingRun, done, timeout: float = 400) -> TrainingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if done(run):
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run.pk} still {run.status} at {run.stage} {run.progress}% after {timeout}s")


def test_a_staff_trigger_runs_the_chain_on_the_training_worker(catalogue, training_worker, admin_user):
    run = trigger_retrain(trigger="admin", triggered_by=admin_user, parameters=FAST_TRAINING)

    run = _wait_for(run, lambda r: r.status in ("succeeded", "failed"))

    assert run.status == "succeeded", run.error
    assert run.triggered_by == admin_user and run.progress == 100.0
    assert set(run.stage_seconds) == set(TrainingRun.STAGES)
    assert run.metrics["hr@10"] >= run.metrics["baseline_hr@10"] + 0.01  # passed the gate
    version = ModelVersion.objects.get(is_active=True)
    assert version.run == run
    assert Recommendation.objects.filter(version=version).values("user").distinct().count() == SMALL["n_users"]


def test_killing_the_worker_mid_run_leaves_the_old_lists_served(catalogue, training_worker):
    quick = {**FAST_TRAINING, "epochs": 3, "l2": 0.0}  # quick, and past the quality gate
    first = _wait_for(trigger_retrain(trigger="api", parameters=quick), lambda r: r.status == "succeeded")
    serving = ModelVersion.objects.get(is_active=True)
    lists = list(Recommendation.objects.filter(version=serving).values_list("user_id", "rank", "movie_id"))
    long_run = trigger_retrain(trigger="api", parameters={**FAST_TRAINING, "epochs": 400, "patience": 400})
    _wait_for(long_run, lambda r: r.stage == "train" and r.progress > 25)

    training_worker.kill()

    long_run.refresh_from_db()
    assert long_run.status == "running"  # nobody is left to say otherwise...
    assert ModelVersion.objects.get(is_active=True) == serving
    assert list(Recommendation.objects.filter(version=serving).values_list("user_id", "rank", "movie_id")) == lists
    assert not ModelVersion.objects.filter(run=long_run).exists()
    assert fail_stale_runs(older_than=timedelta(0)) == 1  # ...until its silence marks it failed
    long_run.refresh_from_db()
    assert long_run.status == "failed" and "worker was lost" in long_run.error
    assert trigger_retrain(trigger="api", parameters=FAST_TRAINING).pk > first.pk  # no longer blocked
