"""Dashboard benchmark: server time of the staff dashboard with ML-1M-size data, cold and warm.

    .venv/bin/python bench/bench_dashboard.py                       # SQLite and PostgreSQL (127.0.0.1)
    .venv/bin/python bench/bench_dashboard.py --databases sqlite    # SQLite only
    .venv/bin/python bench/bench_dashboard.py --data var/data/ml-1m # existing ml-1m files instead of generated ones

Generated data of ML-1M size (6,040 users, 3,883 movies, 1,000,209 ratings) is imported into a fresh database and
an active version is added with a top-10 list for every user (popular movies, shifted per user, so coverage and
Gini have something to count). In-process with Django's test client and production settings (DEBUG off, hashed
static files, local-memory cache): "cold" is the first request after the cache is cleared (every aggregate
computed), then each word cloud's first request, then "after a rating" (a rating invalidates the aggregates: the
next request recomputes them), and "warm" is the median and p95 of 100 requests. Targets (issue 10): warm <= 300 ms,
cold <= 5 s.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
import bench_import  # noqa: E402  (same data, same databases)
from bench_pages import _production_env  # noqa: E402

bench_import.PG_BENCH_DB = "moviesite_bench_dashboard"  # its own database: other benches may run meanwhile
REQUESTS, WARM_TARGET_MS, COLD_TARGET_MS = 100, 300, 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an ml-1m folder (default: generate one of ML-1M size)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=bench_import.PG_ADMIN_URL, help="a PostgreSQL server for the bench db")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the child process that measures
    args = parser.parse_args()
    if args.measure:
        return _measure(args.measure)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or bench_import._generate(Path(scratch) / "ml-1m")
        for database in args.databases.split(","):
            url = bench_import._fresh_database(database, Path(scratch), args.pg_url)
            bench_import._run(["migrate", "--verbosity", "0"], url)
            started = time.perf_counter()
            bench_import._run(["import_movielens", str(data), "--verbosity", "0"], url)
            print(f"{database}: imported in {time.perf_counter() - started:.0f} s", flush=True)
            env = _production_env(url, Path(scratch) / f"var-{database}")
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], env=env,
                           check=True, cwd=ROOT)  # fmt: skip
            result = subprocess.run([sys.executable, __file__, "--measure", database], env=env, check=True,
                                    cwd=ROOT, stdout=subprocess.PIPE, text=True)  # fmt: skip
            rows += [line.split("\t") for line in result.stdout.splitlines() if line.count("\t") == 3]
    print(f"\n{'database':10s} {'request':44s} {'ms':>9s}  target")
    for database, label, ms, target in rows:
        flag = "" if not target else ("ok" if float(ms) <= float(target) else "OVER")
        print(f"{database:10s} {label:44s} {float(ms):9.1f}  {'<= ' + target + ' ms ' + flag if target else ''}")


def _measure(database: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moviesite.settings")
    django.setup()
    from django.core.cache import cache
    from django.test import Client

    staff = _prepare()
    client = Client()
    client.force_login(staff)

    def timed(url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    cache.clear()
    client.force_login(staff)  # the session lives in the database; the cache only held aggregates
    print(f"{database}\tcold /dashboard/ (every aggregate)\t{timed('/dashboard/'):.2f}\t{COLD_TARGET_MS}", flush=True)
    for kind in ("genres", "titles"):
        print(f"{database}\tcold word cloud {kind}.png\t{timed(f'/dashboard/wordcloud/{kind}.png'):.2f}\t", flush=True)
    _rate_once(staff)
    print(f"{database}\t/dashboard/ after a rating (recomputed)\t{timed('/dashboard/'):.2f}\t{COLD_TARGET_MS}")
    times = sorted(timed("/dashboard/") for _ in range(REQUESTS))
    print(f"{database}\twarm /dashboard/ p50\t{statistics.median(times):.2f}\t{WARM_TARGET_MS}")
    print(f"{database}\twarm /dashboard/ p95\t{times[int(0.95 * len(times)) - 1]:.2f}\t{WARM_TARGET_MS}", flush=True)


def _rate_once(staff) -> None:
    from catalog.models import Movie
    from catalog.services import rating_set

    rating_set(user=staff, movie=Movie.objects.order_by("pk").first(), stars=5)  # sends ratings_changed (autocommit)


def _prepare():
    """A staff account, and an active version with a top-10 list for every user."""
    import pandas as pd

    from catalog import bulk
    from catalog.models import Movie, User
    from recommender.models import ModelVersion, Recommendation, TrainingRun

    staff = User.objects.create_user(username="bench-staff", password=None, is_staff=True)
    run = TrainingRun.objects.create(status=TrainingRun.Status.SUCCEEDED, in_progress=None)
    version = ModelVersion.objects.create(run=run, is_active=True, model_path="bench.pt")
    popular = list(Movie.objects.order_by("-ratings_count", "pk").values_list("pk", flat=True)[:600])
    users = list(User.objects.exclude(pk=staff.pk).values_list("pk", flat=True))
    rows = [(version.pk, user, rank, popular[(i % 60) * 10 // 2 + rank - 1], 1.0 / rank)
            for i, user in enumerate(users) for rank in range(1, 11)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["version_id", "user_id", "rank", "movie_id", "score"])
    bulk.insert_rows(Recommendation._meta.db_table, frame)
    return staff


if __name__ == "__main__":
    main()
