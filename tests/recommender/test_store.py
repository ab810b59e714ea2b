"""The artefact store (recommender.store): run data read and written by URI, here on fsspec's in-memory
filesystem (a non-local store without a server, no Spark) and on file:// URIs."""

import uuid

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender import store
from recommender.evaluation import read_columns, read_meta, read_pairs
from recommender.snapshot import load_id_maps, write_snapshot
from recommender.training import NegativeEpochs

USERS = np.array([10, 10, 20, 30, 30, 30], dtype=np.int64)  # catalogue pks, not indexes
MOVIES = np.array([7, 9, 9, 5, 7, 9], dtype=np.int64)
STARS = np.array([5, 3, 4, 1, 2, 5], dtype=np.int64)
STAMPS = np.arange(6, dtype=np.int64) + 1_000


@pytest.fixture
def memory_root():
    root = f"memory://runs-{uuid.uuid4().hex}"
    yield root
    store.remove(root)


def snapshot(run_dir):
    return write_snapshot(run_dir=run_dir, users=USERS, movies=MOVIES, stars=STARS, stamps=STAMPS)


def test_a_snapshot_written_to_a_memory_store_reads_back(memory_root):
    run_dir = store.join(memory_root, "run-1")
    result = snapshot(run_dir)

    assert (result.n_users, result.n_movies, result.n_ratings) == (3, 3, 6)
    fs, path = store.filesystem(run_dir)
    assert type(fs).__name__ == "MemoryFileSystem"
    assert sorted(name.rsplit("/", 1)[-1] for name in fs.ls(path, detail=False)) == [
        "meta.json", "movies.parquet", "ratings.parquet", "users.parquet",
    ]  # fmt: skip
    assert read_meta(run_dir) == {"n_users": 3, "n_movies": 3, "n_ratings": 6}
    user_pks, movie_pks = load_id_maps(run_dir)
    users, movies, ratings, ts = read_columns(
        store.join(run_dir, "ratings.parquet"), ("user_idx", "movie_idx", "rating", "ts")
    )
    assert user_pks[users].tolist() == USERS.tolist()
    assert movie_pks[movies].tolist() == MOVIES.tolist()
    assert ratings.tolist() == STARS.astype(np.float32).tolist() and ts.tolist() == STAMPS.tolist()


def test_spark_style_folders_and_epoch_partitions_read_from_a_memory_store(memory_root):
    """What Spark leaves (part files, _SUCCESS, .crc, epoch=E partitions) reads back without Spark."""
    fs = fsspec.filesystem("memory")
    negatives = store.join(memory_root, "run-1", "negatives.parquet")
    for epoch in (1, 0):
        part = pa.table({"user_idx": np.array([epoch, epoch], np.int32), "movie_idx": np.array([3, 4], np.int32)})
        store.write_table(part, store.join(negatives, f"epoch={epoch}", "part-00000.parquet"))
        fs.pipe(store.filesystem(store.join(negatives, f"epoch={epoch}", "_SUCCESS"))[1], b"")
        fs.pipe(store.filesystem(store.join(negatives, f"epoch={epoch}", ".part-00000.parquet.crc"))[1], b"x")

    epochs = NegativeEpochs(negatives)

    assert len(epochs) == 2
    assert epochs.epoch(0)[0].tolist() == [0, 0] and epochs.epoch(1)[0].tolist() == [1, 1]
    assert epochs.epoch(2)[0].tolist() == [0, 0]  # cycled
    assert sorted(store.read_table(negatives).column("epoch").to_pylist()) == [0, 0, 1, 1]
    with pytest.raises(FileNotFoundError, match="no epoch=E partitions"):
        NegativeEpochs(store.join(memory_root, "run-2", "negatives.parquet"))


def test_remove_and_children(memory_root):
    for run in ("run-1", "run-2", "other"):
        store.write_json({"run": run}, store.join(memory_root, run, "meta.json"))

    assert [uri.rsplit("/", 1)[-1] for uri in store.children(memory_root, prefix="run-")] == ["run-1", "run-2"]
    store.remove(store.join(memory_root, "run-1"))
    store.remove(store.join(memory_root, "run-9"))  # absent: nothing happens

    assert [uri.rsplit("/", 1)[-1] for uri in store.children(memory_root)] == ["other", "run-2"]
    assert store.read_json(store.join(memory_root, "run-2", "meta.json")) == {"run": "run-2"}


def test_local_paths_become_file_uris_and_uris_stay(tmp_path):
    assert store.uri(tmp_path) == f"file://{tmp_path.resolve()}"
    assert store.join(tmp_path, "run-1", "ratings.parquet") == f"file://{tmp_path.resolve()}/run-1/ratings.parquet"
    assert store.join("s3a://bucket/runs/", "run-1") == "s3a://bucket/runs/run-1"
    assert store.spark_uri("hdfs://namenode/runs/run-1") == "hdfs://namenode/runs/run-1"


def test_a_snapshot_at_a_file_uri_lands_in_the_local_folder(tmp_path):
    snapshot(store.uri(tmp_path / "run-1"))

    table = pq.read_table(tmp_path / "run-1" / "ratings.parquet")
    assert table.num_rows == 6 and table.schema.names == ["user_idx", "movie_idx", "rating", "ts"]
    assert read_pairs(tmp_path / "run-1" / "ratings.parquet")[0].tolist() == [0, 0, 1, 2, 2, 2]  # a plain path too


def test_artifacts_root_defaults_to_the_local_folder_and_follows_artifacts_uri(settings, tmp_path):
    settings.ARTIFACTS_DIR, settings.ARTIFACTS_URI = tmp_path / "runs", ""
    assert store.artifacts_root() == store.uri(tmp_path / "runs")
    settings.ARTIFACTS_URI = "s3a://bucket/moviesite/runs"
    assert store.artifacts_root() == "s3a://bucket/moviesite/runs"


@pytest.mark.django_db
def test_unused_run_data_is_removed_from_a_remote_store_too(settings, tmp_path, memory_root):
    from recommender.models import TrainingRun
    from recommender.versions import remove_unused_run_folders

    settings.ARTIFACTS_DIR, settings.ARTIFACTS_URI = tmp_path / "runs", memory_root
    running = TrainingRun.objects.create(trigger=TrainingRun.Trigger.COMMAND, parameters={})
    for run_id in (running.pk, running.pk + 1):
        store.write_json({}, store.join(memory_root, f"run-{run_id}", "meta.json"))
        (tmp_path / "runs" / f"run-{run_id}").mkdir(parents=True)
    assert running.data_uri == store.join(memory_root, f"run-{running.pk}")

    removed = remove_unused_run_folders()

    assert sorted(map(str, removed)) == sorted(
        [str(tmp_path / "runs" / f"run-{running.pk + 1}"), store.join(memory_root, f"run-{running.pk + 1}")]
    )
    assert [uri.rsplit("/", 1)[-1] for uri in store.children(memory_root)] == [f"run-{running.pk}"]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [f"run-{running.pk}"]
