"""A real worker process round-trips a task through the real broker."""

import os

import pytest
from celery import Celery

from worker.celery import app
from worker.tasks import ping

pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="REDIS_URL is not set to a Redis server")
@pytest.mark.django_db(transaction=True)
def test_it_round_trips_a_task_through_redis(start_worker):
    worker = start_worker({"REDIS_URL": REDIS_URL})

    result = ping.delay("over redis").get(timeout=60)

    assert result["payload"] == "over redis"
    assert result["pid"] not in (os.getpid(), worker.process.pid)  # ran in the worker's child process


def test_it_routes_training_tasks_to_the_training_queue():
    assert app.amqp.router.route({}, "worker.tasks.training.run_stage")["queue"].name == "training"
    assert app.amqp.router.route({}, "worker.tasks.maintenance.ping")["queue"].name == "default"


@pytest.mark.django_db(transaction=True)
def test_it_round_trips_a_task_without_a_broker_server(start_worker, tmp_path):
    """With no REDIS_URL, the filesystem transport still runs a separate worker process."""
    var = tmp_path / "var"
    worker = start_worker({"REDIS_URL": "", "MOVIESITE_VAR_DIR": str(var)})
    # Not the current app: tasks sent later in this process must still go through the project's app.
    client = Celery(
        "client", broker="filesystem://", backend=f"file://{var / 'celery' / 'results'}", set_as_current=False
    )
    folder = str(var / "celery" / "queue")
    client.conf.broker_transport_options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "control_folder": str(var / "celery" / "control"),
    }

    result = client.send_task("worker.tasks.maintenance.ping", args=["over files"], queue="default")

    assert result.get(timeout=60)["payload"] == "over files"
    assert worker.process.poll() is None
