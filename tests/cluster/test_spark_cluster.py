"""The pipeline's sample stage on a real Spark standalone cluster (a master and a worker started from the pyspark
package on free loopback ports), compared with the same stage in local mode."""

import shutil
import threading

import pytest
from django.core.management import call_command
from pyspark import SparkContext

from catalog.generation import generate_movielens
from recommender import runs, spark_cluster, store
from recommender.models import TrainingRun
from recommender.parameters import resolve_parameters
from recommender.pipeline import run_stage

# Starting two JVMs and an executor, then sampling twice, takes about a minute on an idle machine, many on a busy one.
pytestmark = [
    pytest.mark.cluster, pytest.mark.spark, pytest.mark.slow, pytest.mark.django_db, pytest.mark.timeout(1800),
]  # fmt: skip

DATA = {"n_users": 80, "n_movies": 150, "n_ratings": 3_000}
PARAMETERS = {"variant": "gmf", "epochs": 2, "negatives": 2, "eval_negatives": 20, "seed": 5}
OUTPUTS = ("train", "validation", "test", "negatives", "validation_candidates", "test_candidates")
APP_CORES, EXECUTOR_MEMORY_MB = 1, 512


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("the Spark cluster needs Java 17 on PATH")
    state = tmp_path_factory.mktemp("spark-cluster")
    ports = {"port": spark_cluster.free_port(), "webui_port": spark_cluster.free_port()}
    started = spark_cluster.start(state, worker_cores=2, worker_memory="1g", **ports)
    try:
        yield started
    finally:
        assert spark_cluster.stop(state), "the cluster was not running any more at the end of the test"
        assert spark_cluster.status(state) is None


class AppWatcher:
    """Polls the master's JSON while the stage runs and keeps what it said about the running apps."""

    def __init__(self, cluster: spark_cluster.Cluster) -> None:
        self.cluster, self.seen, self._stop = cluster, [], threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            self.seen.extend(spark_cluster.master_json(self.cluster)["activeapps"])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def sample_run() -> TrainingRun:
    """A run with the snapshot and sample stages of the pipeline done (whatever SPARK_MASTER says), then closed."""
    run = runs.run_create(trigger=TrainingRun.Trigger.COMMAND, parameters=resolve_parameters(PARAMETERS))
    assert run_stage(run_id=run.pk, stage="snapshot") and run_stage(run_id=run.pk, stage="sample")
    runs.run_fail(run_id=run.pk, error="test: only the sample stage")  # lets the next run start
    run.refresh_from_db()
    return run


def sorted_rows(run: TrainingRun, name: str):
    table = store.read_table(store.join(run.data_uri, f"{name}.parquet"))
    columns = sorted(table.column_names)
    return table.select(columns).schema, sorted(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def test_the_sample_stage_on_a_standalone_cluster_matches_local_mode(cluster, settings, tmp_path):
    assert SparkContext._active_spark_context is None, "an earlier test left a Spark session running"
    settings.ARTIFACTS_DIR, settings.ARTIFACTS_URI = tmp_path / "runs", ""
    settings.SPARK_SHUFFLE_PARTITIONS = 2
    settings.TRAINING_HEARTBEAT_SECONDS = 3600  # the heartbeat thread cannot write while this test's transaction does
    generate_movielens(out_dir=tmp_path / "ml-1m", seed=11, **DATA)
    call_command("import_movielens", str(tmp_path / "ml-1m"), verbosity=0)

    settings.SPARK_MASTER, settings.SPARK_CORES_MAX = cluster.master_url, APP_CORES
    settings.SPARK_EXECUTOR_MEMORY, settings.SPARK_DRIVER_MEMORY = f"{EXECUTOR_MEMORY_MB}m", "1g"
    with AppWatcher(cluster) as watcher:
        on_cluster = sample_run()

    # The stage ran as an app of the cluster that asked for a bounded share: 1 of the worker's 2 cores.
    apps = [app for app in watcher.seen if app["name"] == "moviesite"]
    assert apps, f"the master never listed the app as running: {watcher.seen}"
    assert {app["cores"] for app in apps} <= {0, APP_CORES} and max(app["cores"] for app in apps) == APP_CORES
    assert {app["memoryperexecutor"] for app in apps} == {EXECUTOR_MEMORY_MB}
    # ...and stopped its session when the stage ended: no context here, the app finished on the master.
    assert SparkContext._active_spark_context is None
    status = spark_cluster.master_json(cluster)
    assert status["activeapps"] == [] and status["coresused"] == 0
    assert [(app["name"], app["state"]) for app in status["completedapps"]] == [("moviesite", "FINISHED")]

    settings.SPARK_MASTER = "local[2]"
    local = sample_run()

    # Sampling hashes column values only, so every output holds the same rows (in any order) on any master.
    assert on_cluster.metrics["train_positives"] == local.metrics["train_positives"] > 0
    assert on_cluster.metrics["test_users"] == local.metrics["test_users"] == DATA["n_users"]
    for name in OUTPUTS:
        cluster_schema, cluster_rows = sorted_rows(on_cluster, name)
        local_schema, local_rows = sorted_rows(local, name)
        assert cluster_schema == local_schema, name
        assert len(cluster_rows) > 0 and cluster_rows == local_rows, name
    assert store.uri(on_cluster.directory) == on_cluster.data_uri  # the default store: the local run folder
