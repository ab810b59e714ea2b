"""The retrain pipeline, one stage at a time: snapshot -> sample -> train -> evaluate -> precompute -> activate.

Each stage reads what the previous ones left in the run folder, so the stages can run in one process
(`manage.py train`) or as a Celery chain on different workers. A stage that fails marks the run failed and
leaves the active version as it was.
"""

import shutil
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from django.conf import settings

from . import runs, versions
from .artifacts import load_model, save_model
from .evaluation import evaluate_run, read_columns, rmse
from .models import TrainingRun
from .parameters import model_config, train_config
from .sampling import split_and_sample
from .scoring import model_score_fn, top_k_unseen
from .snapshot import load_id_maps, snapshot_ratings
from .spark import get_spark
from .training import train_explicit, train_implicit

STAGES = TrainingRun.STAGES
_WEIGHTS = {"snapshot": 4, "sample": 20, "train": 55, "evaluate": 10, "precompute": 9, "activate": 2}
TOP_K = 10
POPULAR_LIST_LENGTH = 100

Progress = Callable[[float], None]  # fraction of the current stage done


def run_stage(*, run_id: int, stage: str, on_progress: Progress | None = None) -> bool:
    """Run one stage of a run; False if it was skipped (run over, or stage already done)."""
    if not runs.run_claim_stage(run_id=run_id, stage=stage):
        return False
    run = TrainingRun.objects.get(pk=run_id)
    start, weight = _stage_start(stage), _WEIGHTS[stage]

    def report(fraction: float) -> None:
        runs.run_report_progress(run_id=run_id, percent=start + weight * min(max(fraction, 0.0), 1.0))
        if on_progress:
            on_progress(fraction)

    started = time.perf_counter()
    try:
        metrics = _STAGE_FUNCTIONS[stage](run, report) or {}
    except Exception as exc:
        runs.run_fail(run_id=run_id, error=f"{stage} failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        raise
    runs.run_finish_stage(
        run_id=run_id, stage=stage, seconds=time.perf_counter() - started, percent=start + weight, metrics=metrics
    )
    if stage == STAGES[-1]:
        runs.run_succeed(run_id=run_id)
    return True


def _stage_start(stage: str) -> float:
    return float(sum(_WEIGHTS[s] for s in STAGES[: STAGES.index(stage)]))


def _snapshot(run: TrainingRun, report: Progress) -> dict[str, Any]:
    snapshot = snapshot_ratings(run_dir=run.directory)
    return {"n_users": snapshot.n_users, "n_movies": snapshot.n_movies, "n_ratings": snapshot.n_ratings}


def _sample(run: TrainingRun, report: Progress) -> dict[str, Any]:
    p = run.parameters
    summary = split_and_sample(
        spark=get_spark(),
        run_dir=run.directory,
        epochs=int(p["epochs"]),
        negatives_per_positive=int(p["negatives"]),
        eval_negatives=int(p["eval_negatives"]),
        seed=int(p["seed"]),
    )
    return {"test_users": summary.test_rows, "train_positives": summary.train_rows}


def _train(run: TrainingRun, report: Progress) -> dict[str, Any]:
    p, threads = run.parameters, settings.TORCH_THREADS
    epochs = int(p["epochs"]) + int(p["explicit_epochs"])

    def implicit_progress(epoch: int, total: int, info: dict) -> None:
        report(epoch / epochs)

    implicit = train_implicit(
        run_dir=run.directory, model_config=model_config(p), train_config=train_config(p, threads=threads),
        progress=implicit_progress,
    )  # fmt: skip
    save_model(run.directory / "model", implicit.model, implicit.model_config, extra=implicit.to_dict())
    explicit = train_explicit(
        run_dir=run.directory,
        model_config=model_config(p, objective="explicit"),
        train_config=train_config(p, threads=threads, epochs=int(p["explicit_epochs"])),
        progress=lambda epoch, total, info: report((int(p["epochs"]) + epoch) / epochs),
    )
    save_model(run.directory / "explicit", explicit.model, explicit.model_config, extra=explicit.to_dict())
    shutil.rmtree(run.directory / "negatives.parquet", ignore_errors=True)  # the largest file; seed remakes it
    return {
        "best_epoch": implicit.best_epoch,
        "epochs_trained": len(implicit.history),
        "samples_per_second": round(implicit.samples_per_second),
        "train_seconds": round(implicit.seconds, 2),
        "explicit_train_seconds": round(explicit.seconds, 2),
    }


def _evaluate(run: TrainingRun, report: Progress) -> dict[str, Any]:
    model, _, _ = load_model(run.directory / "model")
    metrics = evaluate_run(run_dir=run.directory, model=model, k=TOP_K)
    report(0.8)
    explicit, _, _ = load_model(run.directory / "explicit")
    users, movies, ratings = read_columns(run.directory / "test.parquet", ("user_idx", "movie_idx", "rating"))
    metrics["rmse"] = rmse(model_score_fn(explicit)(users, movies), ratings)
    return {key: round(float(value), 5) for key, value in metrics.items()}


def _precompute(run: TrainingRun, report: Progress) -> dict[str, Any]:
    model, _, meta = load_model(run.directory / "model")
    ratings = pq.read_table(run.directory / "ratings.parquet", columns=["user_idx", "movie_idx"])
    seen_users = ratings.column("user_idx").to_numpy()
    seen_movies = ratings.column("movie_idx").to_numpy()
    user_pks, movie_pks = load_id_maps(run.directory)
    top_movies, top_scores = top_k_unseen(
        model=model, n_users=len(user_pks), n_movies=len(movie_pks), seen=(seen_users, seen_movies), k=TOP_K
    )
    report(0.6)
    movie_ids = np.where(top_movies >= 0, movie_pks[np.maximum(top_movies, 0)], -1)
    popularity = np.bincount(seen_movies, minlength=len(movie_pks))
    popular = movie_pks[np.argsort(-popularity, kind="stable")[:POPULAR_LIST_LENGTH]]
    version = versions.version_write(
        run=run, model_path=str(run.directory / "model"), user_ids=user_pks, movie_ids=movie_ids,
        scores=top_scores, popular_movie_ids=[int(m) for m in popular],
    )  # fmt: skip
    return {"version_id": version.pk, "recommended_users": len(user_pks)}


def _activate(run: TrainingRun, report: Progress) -> dict[str, Any]:
    version = versions.version_activate(version_id=run.version.pk)
    versions.version_prune()
    return {"version_id": version.pk}


_STAGE_FUNCTIONS: dict[str, Callable[[TrainingRun, Progress], dict[str, Any] | None]] = {
    "snapshot": _snapshot,
    "sample": _sample,
    "train": _train,
    "evaluate": _evaluate,
    "precompute": _precompute,
    "activate": _activate,
}
