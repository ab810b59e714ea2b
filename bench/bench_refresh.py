"""Refresh after a rating, at ML-1M size: compute time per user, and rating-to-new-list time with a worker.

    .venv/bin/python bench/bench_refresh.py                     # generate, import, train (default), measure
    .venv/bin/python bench/bench_refresh.py --keep var/bench/refresh   # keep (and reuse) the database and runs

1. compute: ``recommender.refresh.refresh_user`` in this process for --users random users (fold-in of the
   ranking model and of the explicit-rating model, scoring, reasons), p50/p95 of the compute alone and of the
   whole call (with the database write);
2. end to end: a real Celery worker on the `default` queue (Redis when REDIS_URL is set, else the filesystem
   broker); each of --users users rates one movie, and the time until their list is fresh is measured.
Targets (issue 6): compute at most 100 ms per user; the new list readable within 3 s of the rating.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="a folder for the database and runs, reused when present")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--train-args", default="", help="extra arguments for manage.py train")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        var = (args.keep or Path(scratch)).resolve()
        var.mkdir(parents=True, exist_ok=True)
        os.environ.update({"MOVIESITE_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var}/bench.sqlite3"})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moviesite.settings")
        _prepare(var, args.train_args)
        import django

        django.setup()
        compute, calls = _compute(args.users)
        latencies = _end_to_end(var, min(args.users, 30))
    _row("refresh compute (fold-in, scoring, reasons)", compute)
    _row("refresh call (compute + database write)", calls)
    _row("rating -> new list readable (worker running)", latencies)


def _prepare(var: Path, train_args: str) -> None:
    if (var / "prepared").exists():
        return
    data = var / "ml-1m"
    for command in (["generate_movielens", str(data), "--seed", "0"], ["migrate", "--verbosity", "0"],
                    ["import_movielens", str(data), "--verbosity", "0"], ["train", *train_args.split()]):  # fmt: skip
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *command], check=True, cwd=ROOT)
    (var / "prepared").write_text("ok")


def _compute(count: int) -> tuple[list[float], list[float]]:
    from catalog.models import User
    from recommender.models import ModelVersion
    from recommender.refresh import refresh_user, serving_models

    serving_models(ModelVersion.objects.get(is_active=True))  # loading is once per worker process
    rng = np.random.default_rng(0)
    ids = list(User.objects.filter(ratings__isnull=False).distinct().values_list("pk", flat=True))
    compute, calls = [], []
    for pk in rng.choice(ids, size=min(count, len(ids)), replace=False).tolist():
        started = time.perf_counter()
        result = refresh_user(user_id=pk)
        calls.append(time.perf_counter() - started)
        compute.append(result.seconds)
    return compute, calls


def _end_to_end(var: Path, count: int) -> list[float]:
    from catalog.models import Movie, User
    from catalog.services import rating_set
    from recommender.selectors import list_status

    log = (var / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q", "default", "-c", "1", "-l", "info",
         "--without-mingle", "--without-gossip", "-n", f"bench-{os.getpid()}@%h"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(8)  # start-up, and the first task loads the model
        rng = np.random.default_rng(1)
        users = list(User.objects.filter(ratings__isnull=False).order_by("pk")[:2000])
        latencies = []
        for user in rng.choice(users, size=count + 1, replace=False):
            movie = Movie.objects.exclude(ratings__user=user).filter(ratings_count__gt=0).order_by("?").first()
            rated = time.perf_counter()
            rating_set(user=user, movie=movie, stars=5)
            while list_status(user=user).updating and time.perf_counter() - rated < 30:
                time.sleep(0.02)
            latencies.append(time.perf_counter() - rated)
        return latencies[1:]  # the first one includes the worker's model load
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _row(label: str, seconds: list[float]) -> None:
    ms = np.array(seconds) * 1000
    print(f"{label:48s} n={len(ms):4d}  p50 {np.percentile(ms, 50):8.1f} ms  p95 {np.percentile(ms, 95):8.1f} ms  "
          f"max {ms.max():8.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
