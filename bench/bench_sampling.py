"""Benchmark the Spark split and negative sampling at MovieLens-1M size.

    .venv/bin/python bench/bench_sampling.py --users 6040 --movies 3706 --ratings 1000209 --epochs 20
    .venv/bin/python bench/bench_sampling.py --master cluster --variants full   # on a standalone cluster

Builds an ML-1M-shaped run folder (long-tail movie popularity, >= 20 ratings per user, heavy users up to ~2,300),
then runs each variant in a fresh Python + JVM process so that timings and peak memory do not leak between them:
(a) negatives for all epochs in one Spark job, (b) one Spark job per epoch, and the full `split_and_sample`.
Peak memory is VmHWM from /proc for this Python process and every descendant (the JVM). No Django needed.

`--master` picks the Spark master: `local[*]` (default), a `spark://host:port` URL of a running cluster, or
`cluster`: a standalone master and worker (recommender.spark_cluster, as `bin/spark-cluster`) started on free
loopback ports for the benchmark and stopped after it. On a cluster the app asks for `--cores-max` cores and
`--executor-memory`; the executors run under the worker, so their memory is not in the "JVM" figure (driver only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VARIANTS = ("one_job", "per_epoch", "full")


def user_counts(rng: np.random.Generator, users: int, movies: int, ratings: int) -> np.ndarray:
    """Ratings per user: 20 + a log-normal tail, capped at 62% of the catalogue, summing to `ratings`."""
    floor, cap = 20, min(int(movies * 0.62), movies - 1)
    tail = rng.lognormal(mean=0.0, sigma=1.0, size=users)
    tail[0] = tail.max() * 4  # make sure one user sits at the cap
    extra = np.minimum(np.floor(tail / tail.sum() * (ratings - floor * users)), cap - floor).astype(np.int64)
    while (missing := ratings - floor * users - int(extra.sum())) > 0:
        room = np.flatnonzero(extra < cap - floor)
        extra[rng.choice(room, size=min(missing, room.size), replace=False)] += 1
    return floor + extra


def build_ratings(run_dir: Path, *, users: int, movies: int, ratings: int, seed: int = 0) -> None:
    """Write run_dir/ratings.parquet and meta.json (the snapshot contract) with numpy and pyarrow."""
    rng = np.random.default_rng(seed)
    counts = user_counts(rng, users, movies, ratings)
    log_popularity = -1.1 * np.log(np.arange(movies) + 10.0)  # Zipf-like long tail
    log_popularity = log_popularity[rng.permutation(movies)]
    movie_parts, ts_parts = [], []
    for n in counts:  # Gumbel top-k: n distinct movies, weighted by popularity
        keys = log_popularity + rng.gumbel(size=movies)
        movie_parts.append(np.argpartition(-keys, n - 1)[:n])
        ts_parts.append(956_000_000 + rng.integers(0, 10**7) + np.cumsum(rng.integers(0, 600, size=n)))
    table = pa.table(
        {
            "user_idx": pa.array(np.repeat(np.arange(users), counts), pa.int32()),
            "movie_idx": pa.array(np.concatenate(movie_parts), pa.int32()),
            "rating": pa.array(rng.integers(1, 6, size=ratings).astype(np.float32), pa.float32()),
            "ts": pa.array(np.concatenate(ts_parts), pa.int64()),
        }
    )
    pq.write_table(table, run_dir / "ratings.parquet")
    (run_dir / "meta.json").write_text(json.dumps({"n_users": users, "n_movies": movies}))


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the Spark JVM is a child of this Python process)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], list(children.get(pid, []))
    while stack:
        found.append(stack.pop())
        stack.extend(children.get(found[-1], []))
    return found


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, ... (utime and stime at 11 and 12)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def peak_rss_mb() -> dict[str, float]:
    """VmHWM of this process and the sum over its descendants (the Spark JVM), in MiB."""
    jvm = sum(_vm_hwm_mb(pid) for pid in descendants(os.getpid()))
    return {"python_mb": _vm_hwm_mb(os.getpid()), "jvm_mb": jvm}


def _vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds() -> float:
    """CPU time used so far by this process and the JVM: unlike wall time, it ignores other load on the box."""
    ticks = 0
    for pid in descendants(os.getpid()):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    own = os.times()
    return ticks / os.sysconf("SC_CLK_TCK") + own.user + own.system


def timed(results: dict, name: str, action) -> object:
    started, cpu_started = time.perf_counter(), cpu_seconds()
    value = action()
    results[f"{name}_s"] = round(time.perf_counter() - started, 2)
    results[f"{name}_cpu_s"] = round(cpu_seconds() - cpu_started, 1)
    return value


def run_split(spark, run_dir: Path, results: dict, eval_negatives: int = 99):
    """The split on its own: profiles, checks and train/validation/test writes."""
    from recommender import sampling

    ratings = sampling.read_ratings(spark, run_dir)
    n_movies = sampling.read_n_movies(run_dir)
    profiles = sampling.user_profiles(ratings, n_movies=n_movies).persist()
    labelled = sampling.label_split(ratings).persist()

    def split_and_write():
        stats = sampling.profile_stats(profiles, n_movies=n_movies, eval_negatives=eval_negatives)
        split = sampling.split_frames(labelled)
        for name, frame in zip(sampling.Split._fields, split, strict=True):
            frame.write.mode("overwrite").parquet(str(run_dir / f"{name}.parquet"))
        return stats, split

    stats, split = timed(results, "split", split_and_write)
    return profiles, stats, split


def run_variant(variant: str, run_dir: Path, epochs: int, cluster: dict) -> dict:
    """One variant in this (fresh) process; returns timings, row counts and a checksum of the negatives."""
    from recommender import sampling
    from recommender.spark import build_spark_session

    spark = build_spark_session(app_name=f"bench-{variant}", **cluster)
    results: dict = {"variant": variant}
    if variant == "full":
        summary = timed(
            results, "total", lambda: sampling.split_and_sample(spark=spark, run_dir=run_dir, epochs=epochs)
        )
        results["negatives"] = summary.negative_rows
    else:
        profiles, stats, split = run_split(spark, run_dir, results)
        timed(
            results,
            "negatives",
            lambda: sampling.write_negatives(
                split.train,
                profiles,
                run_dir / "negatives.parquet",
                epochs=epochs,
                per_positive=4,
                seed=0,
                max_rated=stats.max_rated,
                one_job=variant == "one_job",
            ),
        )
        results["negatives"] = (stats.ratings - stats.test_users - stats.validation_users) * epochs * 4
        results["rows_per_s"] = round(results["negatives"] / results["negatives_s"])
    results["checksum"] = checksum(spark, run_dir / "negatives.parquet")
    results.update(peak_rss_mb())
    spark.stop()
    return results


def checksum(spark, path: Path) -> list[int]:
    """Row count and an order-free hash sum of the negatives, to show both variants write the same rows."""
    from pyspark.sql import functions as F

    negatives = spark.read.parquet(str(path))
    row = negatives.agg(F.count(F.lit(1)), F.sum(F.xxhash64("user_idx", "movie_idx", "epoch") % 1_000_003)).first()
    return [int(row[0]), int(row[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=6040)
    parser.add_argument("--movies", type=int, default=3706)
    parser.add_argument("--ratings", type=int, default=1_000_209)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--master", default="local[*]", help="local[*], spark://host:port, or 'cluster' (started here)")
    parser.add_argument("--cores-max", type=int, default=2, help="spark.cores.max on a cluster")
    parser.add_argument("--executor-memory", default="2g", help="spark.executor.memory on a cluster")
    parser.add_argument("--worker-cores", type=int, default=2, help="cores of the worker that --master cluster starts")
    parser.add_argument("--worker-memory", default="3g", help="memory of the worker that --master cluster starts")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        spark = {"master": args.master, "cores_max": args.cores_max, "executor_memory": args.executor_memory}
        print(json.dumps(run_variant(args.variant, args.run_dir, args.epochs, spark)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-sampling-") as tmp, standalone(args) as master:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        started = time.perf_counter()
        build_ratings(run_dir, users=args.users, movies=args.movies, ratings=args.ratings)
        print(f"built {args.ratings:,} ratings in {time.perf_counter() - started:.1f}s in {run_dir}")
        print(f"Spark master: {master}" + (f" (cores.max {args.cores_max})" if not master.startswith("local") else ""))
        results = [run_child(variant, run_dir, args, master) for variant in args.variants.split(",")]
    for result in results:
        print(describe(result))
    print(json.dumps(results))


def describe(result: dict) -> str:
    memory = f"peak RSS python {result['python_mb']:.0f} MiB + JVM {result['jvm_mb']:.0f} MiB"
    if result["variant"] == "full":
        return (
            f"full split_and_sample: {result['total_s']:.1f}s ({result['total_cpu_s']:.0f} CPU-s) "
            f"for {result['negatives']:,} negatives, {memory}"
        )
    return (
        f"{result['variant']}: split {result['split_s']:.1f}s ({result['split_cpu_s']:.0f} CPU-s), "
        f"negatives {result['negatives_s']:.1f}s ({result['negatives_cpu_s']:.0f} CPU-s, "
        f"{result['rows_per_s'] / 1e6:.2f}M rows/s), {memory}"
    )


@contextlib.contextmanager
def standalone(args: argparse.Namespace) -> Iterator[str]:
    """The master URL to use; with `--master cluster`, a standalone cluster started for the benchmark."""
    if args.master != "cluster":
        yield args.master
        return
    from recommender import spark_cluster

    with tempfile.TemporaryDirectory(prefix="bench-spark-cluster-") as state:
        started = time.perf_counter()
        cluster = spark_cluster.start(
            state, port=spark_cluster.free_port(), webui_port=spark_cluster.free_port(),
            worker_cores=args.worker_cores, worker_memory=args.worker_memory,
        )  # fmt: skip
        print(f"started a standalone cluster in {time.perf_counter() - started:.1f}s: {cluster.master_url}, "
              f"one worker with {args.worker_cores} cores and {args.worker_memory}")  # fmt: skip
        try:
            yield cluster.master_url
        finally:
            spark_cluster.stop(state)


def run_child(variant: str, run_dir: Path, args: argparse.Namespace, master: str) -> dict:
    command = [sys.executable, __file__, "--variant", variant, "--run-dir", str(run_dir), "--epochs", str(args.epochs)]
    command += ["--master", master, "--cores-max", str(args.cores_max), "--executor-memory", args.executor_memory]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
