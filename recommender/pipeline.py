"""The retrain pipeline, one stage at a time:
snapshot -> sample -> train -> evaluate -> refit -> precompute -> activate.

Each stage reads what the previous ones left in the run folder, so the stages can run in one process
(`manage.py train`) or as a Celery chain on different workers. The run's data (snapshot, samples, sequences) lives
at `run.data_uri` in the artefact store, its model files in the local `run.directory`; a Spark stage holds its
session (and so its cluster cores) only while it runs. A stage that fails marks the run failed and
leaves the active version as it was; a version that does not pass the quality gate is kept but not served.
While a stage works, a thread reports a heartbeat, so a long Spark job is never taken for a lost worker.
"""

import contextlib
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import runs, versions
from .artifacts import load_model, save_model
from .evaluation import evaluate_run, read_columns, rmse
from .gate import gate_verdict
from .models import ModelVersion, TrainingRun
from .parameters import is_sequence, model_config, sasrec_config, sasrec_train_config, train_config
from .precompute import STARS_FILE, export_star_model, similar_movies, user_lists
from .refit import refit_explicit, refit_implicit
from .sampling import split_and_sample
from .sasrec_artifacts import load_any
from .scoring import model_score_fn
from .snapshot import load_id_maps, snapshot_ratings
from .spark import spark_session
from .store import join, remove
from .training import train_explicit, train_implicit

STAGES = TrainingRun.STAGES
_WEIGHTS = {"snapshot": 3, "sample": 20, "train": 40, "evaluate": 7, "refit": 18, "precompute": 10, "activate": 2}
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
        with heartbeat(run_id):
            metrics = _STAGE_FUNCTIONS[stage](run, report) or {}
    except BaseException as exc:  # Ctrl-C and SIGTERM too: the run must not stay "running"
        error = f"{stage} failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            error = f"{stage} interrupted ({type(exc).__name__}): the run was stopped; nothing was activated"
        if runs.run_fail(run_id=run_id, error=error):
            versions.remove_unused_run_folders()
        raise
    if stage == "activate":
        return True  # the activation closed the run in its own transaction
    runs.run_finish_stage(
        run_id=run_id, stage=stage, seconds=time.perf_counter() - started, percent=start + weight, metrics=metrics
    )
    return True


@contextlib.contextmanager
def heartbeat(run_id: int) -> Iterator[None]:
    """Beat every TRAINING_HEARTBEAT_SECONDS from a thread while the body works."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.TRAINING_HEARTBEAT_SECONDS):
                runs.run_heartbeat(run_id=run_id)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-run-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _stage_start(stage: str) -> float:
    return float(sum(_WEIGHTS[s] for s in STAGES[: STAGES.index(stage)]))


def _snapshot(run: TrainingRun, report: Progress) -> dict[str, Any]:
    taken_at = timezone.now()
    snapshot = snapshot_ratings(run_dir=run.data_uri)
    return {
        "n_users": snapshot.n_users, "n_movies": snapshot.n_movies, "n_ratings": snapshot.n_ratings,
        "snapshot_at": taken_at.isoformat(),
    }  # fmt: skip


def _sample(run: TrainingRun, report: Progress) -> dict[str, Any]:
    p, sequence = run.parameters, is_sequence(run.parameters)
    with spark_session() as spark:
        summary = split_and_sample(
            spark=spark,
            run_dir=run.data_uri,
            epochs=1 if sequence else min(int(p["epochs"]), int(p.get("negative_epochs", p["epochs"]))),
            negatives_per_positive=1 if sequence else int(p["negatives"]),
            eval_negatives=int(p["eval_negatives"]),
            seed=int(p["seed"]),
            with_negatives=not sequence,
        )
        if sequence:
            from .sequences import write_run_sequences

            write_run_sequences(spark=spark, run_dir=run.data_uri, max_len=int(p["max_len"]))
    return {"test_users": summary.test_rows, "train_positives": summary.train_rows}


def _train(run: TrainingRun, report: Progress) -> dict[str, Any]:
    p, threads = run.parameters, settings.TORCH_THREADS
    epochs = int(p["epochs"]) + int(p["explicit_epochs"])
    implicit = _train_ranking_model(run, threads, progress=lambda epoch, total, info: report(epoch / epochs))
    explicit = train_explicit(
        run_dir=run.data_uri,
        model_config=model_config(p, objective="explicit"),
        train_config=train_config(p, threads=threads, epochs=int(p["explicit_epochs"])),
        progress=lambda epoch, total, info: report((int(p["epochs"]) + epoch) / epochs),
    )
    save_model(run.directory / "explicit", explicit.model, explicit.model_config, extra=explicit.to_dict())
    remove(join(run.data_uri, "negatives.parquet"))  # the largest file; seed remakes it
    return {
        "best_epoch": implicit.best_epoch,
        "epochs_trained": len(implicit.history),
        "explicit_best_epoch": explicit.best_epoch,
        "samples_per_second": round(getattr(implicit, "samples_per_second", 0)),
        "train_seconds": round(implicit.seconds, 2),
        "explicit_train_seconds": round(explicit.seconds, 2),
    }


def _train_ranking_model(run: TrainingRun, threads: int, progress):
    """The held-out run's ranking model, saved as the run folder's ``model``."""
    p = run.parameters
    if is_sequence(p):
        from .sasrec_artifacts import save_sasrec
        from .sasrec_training import train_sasrec

        result = train_sasrec(run_dir=run.data_uri, model_config=sasrec_config(p),
                              train_config=sasrec_train_config(p, threads=threads), progress=progress)  # fmt: skip
        save_sasrec(run.directory / "model", result.model, extra=result.to_dict())
        return result
    result = train_implicit(run_dir=run.data_uri, model_config=model_config(p),
                            train_config=train_config(p, threads=threads), progress=progress)  # fmt: skip
    save_model(run.directory / "model", result.model, result.model_config, extra=result.to_dict())
    return result


def _evaluate(run: TrainingRun, report: Progress) -> dict[str, Any]:
    if is_sequence(run.parameters):
        from .sasrec_artifacts import load_sasrec
        from .sasrec_training import evaluate_sasrec_run

        metrics = evaluate_sasrec_run(run_dir=run.data_uri, model=load_sasrec(run.directory / "model")[0], k=TOP_K)
    else:
        model, _, _ = load_model(run.directory / "model")
        metrics = evaluate_run(run_dir=run.data_uri, model=model, k=TOP_K)
    report(0.8)
    explicit, _, _ = load_model(run.directory / "explicit")
    users, movies, ratings = read_columns(join(run.data_uri, "test.parquet"), ("user_idx", "movie_idx", "rating"))
    metrics["rmse"] = rmse(model_score_fn(explicit)(users, movies), ratings)
    return {key: round(float(value), 5) for key, value in metrics.items()}


def _refit(run: TrainingRun, report: Progress) -> dict[str, Any]:
    """Train the chosen configuration again on every rating, for the epochs the held-out run chose."""
    p, threads = run.parameters, settings.TORCH_THREADS
    if not p.get("refit", True):  # serve the held-out run's models as they are
        shutil.copytree(run.directory / "model", run.directory / "serving", dirs_exist_ok=True)
        shutil.copytree(run.directory / "explicit", run.directory / "serving_explicit", dirs_exist_ok=True)
        return {"refit_epochs": 0}
    epochs = max(int(run.metrics.get("best_epoch") or 1), 1)
    explicit_epochs = max(int(run.metrics.get("explicit_best_epoch") or 1), 1)
    total = epochs + explicit_epochs
    serving = _refit_ranking_model(run, threads, epochs, progress=lambda epoch, _total, info: report(epoch / total))
    stars = refit_explicit(
        run_dir=run.data_uri, model_config=model_config(p, objective="explicit"),
        train_config=train_config(p, threads=threads, epochs=explicit_epochs),
        progress=lambda epoch, _total, info: report((epochs + epoch) / total),
    )  # fmt: skip
    save_model(run.directory / "serving_explicit", stars.model, stars.model_config, extra=stars.to_dict())
    return {
        "refit_epochs": epochs,
        "refit_explicit_epochs": explicit_epochs,
        "refit_seconds": round(serving.seconds, 2),
    }


def _refit_ranking_model(run: TrainingRun, threads: int, epochs: int, progress):
    p = run.parameters
    if is_sequence(p):
        from .sasrec_artifacts import save_sasrec
        from .sasrec_training import refit_sasrec

        result = refit_sasrec(run_dir=run.data_uri, model_config=sasrec_config(p), epochs=epochs,
                              train_config=sasrec_train_config(p, threads=threads), progress=progress)  # fmt: skip
        save_sasrec(run.directory / "serving", result.model, extra=result.to_dict())
        return result
    result = refit_implicit(
        run_dir=run.data_uri, model_config=model_config(p), negatives=int(p["negatives"]),
        train_config=train_config(p, threads=threads, epochs=epochs), progress=progress,
    )  # fmt: skip
    save_model(run.directory / "serving", result.model, result.model_config, extra=result.to_dict())
    return result


def _precompute(run: TrainingRun, report: Progress) -> dict[str, Any]:
    model, _, _ = load_any(run.directory / "serving")
    star_model, _, _ = load_model(run.directory / "serving_explicit")
    users, movies, stars = read_columns(join(run.data_uri, "ratings.parquet"), ("user_idx", "movie_idx", "rating"))
    user_pks, movie_pks = load_id_maps(run.data_uri)
    sequences = None
    if is_sequence(run.parameters):
        from .sasrec_training import load_train_sequences

        sequences = load_train_sequences(run.data_uri, model.config.max_len, all_ratings=True)
    lists = user_lists(
        model=model, star_model=star_model, users=np.arange(len(user_pks)), rated=(users, movies, stars),
        n_users=len(user_pks), k=settings.RECOMMENDER_LIST_LENGTH, sequences=sequences,
    )  # fmt: skip
    report(0.5)
    neighbours, sims = similar_movies(model)
    export_star_model(star_model, run.directory / "serving" / STARS_FILE, user_ids=user_pks, movie_ids=movie_pks)
    report(0.6)
    popularity = np.bincount(movies, minlength=len(movie_pks))
    popular = movie_pks[np.argsort(-popularity, kind="stable")[:POPULAR_LIST_LENGTH]]
    to_pk = _index_to_pk(movie_pks)
    version = versions.version_write(
        run=run, model_path=str(run.directory / "serving"), user_ids=user_pks, movie_ids=to_pk(lists.movies),
        scores=lists.scores, popular_movie_ids=[int(m) for m in popular], because_ids=to_pk(lists.because),
        predicted_stars=lists.stars, similar=(movie_pks, to_pk(neighbours), sims),
        computed_at=_snapshot_time(run),
    )  # fmt: skip
    return {"version_id": version.pk, "recommended_users": len(user_pks)}


def _index_to_pk(movie_pks: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    return lambda idx: np.where(idx >= 0, movie_pks[np.maximum(idx, 0)], -1)


def _snapshot_time(run: TrainingRun):
    stamp = run.metrics.get("snapshot_at")
    return timezone.datetime.fromisoformat(stamp) if stamp else run.started_at


def _activate(run: TrainingRun, report: Progress) -> dict[str, Any]:
    """Serve the run's version if it passes the quality gate; activation, pruning and the run's end in one
    transaction (a worker lost after it leaves a succeeded run). A rejected version stays for staff."""
    version = ModelVersion.objects.get(run=run)
    active = versions.active_version()
    verdict = gate_verdict(metrics=run.metrics, active_metrics=active.run.metrics if active else None)
    started = time.perf_counter()
    with transaction.atomic():
        if verdict.passed:
            versions.version_activate(version_id=version.pk)
            versions.version_prune()
        gate = {"gate": verdict.reason, "gate_passed": verdict.passed}
        seconds = time.perf_counter() - started
        runs.run_finish_stage(run_id=run.pk, stage="activate", seconds=seconds, percent=100.0, metrics=gate)
        if verdict.passed:
            runs.run_succeed(run_id=run.pk)
        else:
            runs.run_reject(run_id=run.pk, reason=f"not activated by the quality gate: {verdict.reason}")
    versions.remove_unused_run_folders()
    if verdict.passed:
        _refresh_changed_since_snapshot(run)
    return {}


def _refresh_changed_since_snapshot(run: TrainingRun) -> None:
    """Users who rated after the snapshot get their list refreshed against the new version at once."""
    from .refresh import refresh_stale_users

    refresh_stale_users()


_STAGE_FUNCTIONS: dict[str, Callable[[TrainingRun, Progress], dict[str, Any] | None]] = {
    "snapshot": _snapshot,
    "sample": _sample,
    "train": _train,
    "evaluate": _evaluate,
    "refit": _refit,
    "precompute": _precompute,
    "activate": _activate,
}
