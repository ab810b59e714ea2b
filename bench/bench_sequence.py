"""Order-aware against order-blind: popularity, GMF, NeuMF and SASRec under the project's protocol.

    .venv/bin/python bench/bench_sequence.py [--data generated sample] [--methods gmf neumf sasrec]
        [--sasrec-epochs 30] [--max-len 50] [--threads 1]

Data: generated ML-1M size (``catalog.generation``, seed 0) and the real ``../shared/data/ml-1m-sample`` (users
with 3 or more ratings). Each goes through the pipeline's own stages: a run folder (ratings.parquet + meta.json),
``recommender.sampling.split_and_sample`` on Spark (leave-one-out: latest rating = test, ties by higher movie id;
second latest = validation; 99 sampled never-rated candidates each), ``recommender.sequences`` on Spark, then
GMF / NeuMF through ``recommender.training.train_implicit`` + ``evaluation.evaluate_run`` and SASRec through
``recommender.sasrec_training``. Printed: HR@10 / NDCG@10 with the test movie among 1 + 99 and among all unrated
movies, and training seconds. For SASRec also: one user's refresh (numpy sequence + one forward pass) p50/p95
over 300 users, and the seconds to score every user against every movie and keep a top 100 (the precompute).
The machine's load average is printed with each figure: the 2 cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moviesite.settings")

from catalog.generation import generate_movielens  # noqa: E402
from catalog.structure import read_movielens_folder  # noqa: E402
from recommender.evaluation import evaluate_run, read_columns  # noqa: E402
from recommender.sampling import split_and_sample  # noqa: E402
from recommender.sasrec import SequenceScorer, encode_sequences  # noqa: E402
from recommender.sasrec_training import (  # noqa: E402
    DEFAULT_SASREC_CONFIG,
    DEFAULT_SASREC_TRAIN_CONFIG,
    evaluate_sasrec_run,
    train_sasrec,
)
from recommender.scoring import top_k_unseen  # noqa: E402
from recommender.sequences import SEQUENCES, read_sequences, user_sequence, write_run_sequences  # noqa: E402
from recommender.spark import build_spark_session  # noqa: E402
from recommender.training import DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, train_implicit  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "ml-1m-sample"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def run_folder(ratings: np.ndarray, root: Path) -> Path:
    """ratings.parquet and meta.json, as recommender.snapshot writes them, for users with >= 3 ratings."""
    ratings = ratings[np.bincount(ratings[:, 0])[ratings[:, 0]] >= 3]
    _, users = np.unique(ratings[:, 0], return_inverse=True)
    movie_ids, movies = np.unique(ratings[:, 1], return_inverse=True)
    root.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "user_idx": pa.array(users, pa.int32()),
            "movie_idx": pa.array(movies, pa.int32()),
            "rating": pa.array(ratings[:, 2], pa.float32()),
            "ts": pa.array(ratings[:, 3], pa.int64()),
        }
    )
    pq.write_table(table, root / "ratings.parquet")
    meta = {"n_users": int(users.max() + 1), "n_movies": len(movie_ids), "n_ratings": len(ratings)}
    (root / "meta.json").write_text(json.dumps(meta))
    return root


def row(name: str, metrics: dict[str, float], seconds: float | None, prefix: str = "") -> None:
    took = f"{seconds:7.1f}" if seconds is not None else "      -"
    print(
        f"| {name:<34} | {metrics[prefix + 'hr@10']:.3f} | {metrics[prefix + 'ndcg@10']:.3f} | "
        f"{metrics[prefix + 'hr@10_full']:.3f} | {metrics[prefix + 'ndcg@10_full']:.3f} | {took} | {load()} |",
        flush=True,
    )


def refresh_times(model, run: Path, users: int = 300) -> tuple[float, float]:
    """p50, p95 ms of one user's refresh compute: sequence from their ratings (numpy) + one forward pass."""
    all_users, movies, stamps = read_columns(run / "ratings.parquet", ("user_idx", "movie_idx", "ts"))
    order = np.argsort(all_users, kind="stable")
    starts = np.searchsorted(all_users[order], np.arange(all_users.max() + 2))
    picked = np.random.default_rng(0).choice(all_users.max() + 1, min(users, all_users.max() + 1), replace=False)
    times = []
    with torch.no_grad():
        for user in picked:
            rows = order[starts[user] : starts[user + 1]]
            started = time.perf_counter()
            sequence = user_sequence(movies[rows], stamps[rows], model.config.max_len)
            scores = model.score_next(encode_sequences([sequence], model.config.max_len))[0]
            scores[torch.from_numpy(movies[rows].astype(np.int64))] = -torch.inf
            torch.topk(scores, 100)
            times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def precompute_seconds(model, run: Path) -> float:
    """Every user scored against every movie from their full sequence, rated movies masked, top 100 kept."""
    started = time.perf_counter()
    sequences = read_sequences(run / SEQUENCES)
    users, movies = read_columns(run / "ratings.parquet", ("user_idx", "movie_idx"))
    n_users, n_movies = int(users.max() + 1), int(json.loads((run / "meta.json").read_text())["n_movies"])
    with torch.no_grad():
        top_k_unseen(
            n_users=n_users,
            n_movies=n_movies,
            seen=(users, movies),
            score_fn=SequenceScorer(model, sequences),
            k=100,
            batch_users=256,
        )
    return time.perf_counter() - started


def bench(name: str, ratings: np.ndarray, args: argparse.Namespace, spark) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = run_folder(ratings, Path(tmp) / "run")
        meta = json.loads((run / "meta.json").read_text())
        print(f"\n### {name}: {meta['n_users']} users, {meta['n_ratings']} ratings ({load()})\n", flush=True)
        started = time.perf_counter()
        split_and_sample(spark=spark, run_dir=run, epochs=args.negative_epochs, seed=0)
        sampled = time.perf_counter() - started
        started = time.perf_counter()
        write_run_sequences(spark=spark, run_dir=run, max_len=args.max_len)
        sequenced = time.perf_counter() - started
        print(
            f"Spark: split + {args.negative_epochs} epochs of negatives + candidates {sampled:.1f} s, "
            f"sequences {sequenced:.1f} s ({load()})\n"
        )
        print(
            "| method | HR@10 (1+99) | NDCG@10 (1+99) | HR@10 (all unrated) | NDCG@10 (all unrated) | train s | load |"
        )
        print("|---|---|---|---|---|---|---|")
        popularity_done = False
        train_config = replace(DEFAULT_TRAIN_CONFIG, threads=args.threads)
        for method in args.methods:
            if method in ("gmf", "neumf"):
                config = DEFAULT_MODEL_CONFIG if method == "gmf" else replace(DEFAULT_MODEL_CONFIG, variant="neumf")
                result = train_implicit(run_dir=run, model_config=config, train_config=train_config)
                metrics = evaluate_run(run_dir=run, model=result.model)
                if not popularity_done:
                    row("popularity", metrics, None, prefix="baseline_")
                    popularity_done = True
                row(f"{method} (best epoch {result.best_epoch})", metrics, result.seconds)
            elif method == "sasrec":
                sasrec_config = replace(DEFAULT_SASREC_CONFIG, max_len=args.max_len)
                sasrec_train = replace(DEFAULT_SASREC_TRAIN_CONFIG, epochs=args.sasrec_epochs, threads=args.threads)
                result = train_sasrec(run_dir=run, model_config=sasrec_config, train_config=sasrec_train)
                started = time.perf_counter()
                metrics = evaluate_sasrec_run(run_dir=run, model=result.model)
                evaluated = time.perf_counter() - started
                if not popularity_done:
                    row("popularity", metrics, None, prefix="baseline_")
                    popularity_done = True
                label = f"sasrec (L={args.max_len}, best epoch {result.best_epoch}/{len(result.history)})"
                row(label, metrics, result.seconds)
                torch.set_num_threads(max(args.threads, 1))
                p50, p95 = refresh_times(result.model, run)
                every = precompute_seconds(result.model, run)
                total = sampled + sequenced + result.seconds + evaluated + every
                print(
                    f"\nSASRec retrain, no snapshot or activation: {total:.0f} s (Spark {sampled + sequenced:.0f}, "
                    f"train {result.seconds:.0f}, evaluate {evaluated:.0f}, precompute {every:.0f})."
                    f"\nSASRec serving ({args.threads} thread): one user's refresh p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
                    f"every user's top 100 in {every:.1f} s ({load()}); per-epoch train s: "
                    + ", ".join(f"{stats['train_seconds']:.0f}" for stats in result.history)
                    + "\n",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", choices=("generated", "sample"), default=["generated", "sample"])
    parser.add_argument("--methods", nargs="+", choices=("gmf", "neumf", "sasrec"), default=["gmf", "neumf", "sasrec"])
    parser.add_argument("--sasrec-epochs", type=int, default=DEFAULT_SASREC_TRAIN_CONFIG.epochs)
    parser.add_argument("--max-len", type=int, default=DEFAULT_SASREC_CONFIG.max_len)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--negative-epochs",
        type=int,
        default=DEFAULT_TRAIN_CONFIG.epochs,
        help="epochs of training negatives Spark draws (GMF/NeuMF need them; SASRec alone: 1, the minimum)",
    )
    args = parser.parse_args()
    spark = build_spark_session(master="local[2]", app_name="bench-sequence", shuffle_partitions=4)
    for data in args.data:
        if data == "generated":
            with tempfile.TemporaryDirectory() as tmp:
                generate_movielens(out_dir=Path(tmp), seed=0)
                ratings, _ = read_movielens_folder(Path(tmp))
            bench("generated ML-1M size, seed 0", ratings, args, spark)
        elif SAMPLE.is_dir():
            bench("real ml-1m-sample (users with >= 3 ratings)", read_movielens_folder(SAMPLE)[0], args, spark)
        else:
            print(f"(no real sample at {SAMPLE})")
    spark.stop()


if __name__ == "__main__":
    main()
