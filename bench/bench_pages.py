"""Page benchmark: server time of the main pages with ML-1M-size data, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_pages.py                       # both databases (PostgreSQL on 127.0.0.1)
    .venv/bin/python bench/bench_pages.py --databases sqlite    # SQLite only
    .venv/bin/python bench/bench_pages.py --data var/data/ml-1m # existing ml-1m files instead of generated ones

Generated data of ML-1M size (6,040 users, 3,883 movies, 1,000,209 ratings) is imported into a fresh database;
a person with 200 ratings is added, and an active model version with a stored list of 100 movies (with
reasons) for that person and 20 similar movies for the movie measured, so that "For you" and the movie page
read what they read in production. Each page is then requested 200 times in-process with Django's test client
(production settings: DEBUG off, hashed static files), after 10 warm-up requests; the figures are the wall
time of each request (the server's work: middleware, view, queries, template). Target (issue 7): p95 <= 150 ms.
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
from bench_import import PG_ADMIN_URL, _fresh_database, _generate, _run  # noqa: E402  (same data, same dbs)

REQUESTS, WARM_UP, TARGET_MS = 200, 10, 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an ml-1m folder (default: generate one of ML-1M size)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL server to create the bench db on")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the child process that measures
    args = parser.parse_args()
    if args.measure:
        return _measure(args.measure)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or _generate(Path(scratch) / "ml-1m")
        for database in args.databases.split(","):
            url = _fresh_database(database, Path(scratch), args.pg_url)
            _run(["migrate", "--verbosity", "0"], url)
            started = time.perf_counter()
            _run(["import_movielens", str(data), "--verbosity", "0"], url)
            print(f"{database}: imported in {time.perf_counter() - started:.0f} s", flush=True)
            env = _production_env(url, Path(scratch) / f"var-{database}")
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], env=env,
                           check=True, cwd=ROOT)  # fmt: skip
            result = subprocess.run([sys.executable, __file__, "--measure", database], env=env, check=True,
                                    cwd=ROOT, stdout=subprocess.PIPE, text=True)  # fmt: skip
            rows += [line.split("\t") for line in result.stdout.splitlines() if line.count("\t") == 4]
    print(f"\n{'database':10s} {'page':52s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}  target p95 <= {TARGET_MS} ms")
    for database, page, p50, p95, peak in rows:
        flag = "ok" if float(p95) <= TARGET_MS else "OVER"
        print(f"{database:10s} {page:52s} {float(p50):8.1f} {float(p95):8.1f} {float(peak):8.1f}  {flag}")


def _production_env(url: str, var_dir: Path) -> dict[str, str]:
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false", "MOVIESITE_VAR_DIR": str(var_dir),
        "REDIS_URL": "", "LOG_LEVEL": "WARNING",
    }  # fmt: skip


def _measure(database: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moviesite.settings")
    django.setup()
    from django.test import Client

    person, movie, query, genre = _prepare()
    client = Client()
    client.force_login(person)
    pages = {
        f"/movies/?q={query}&genre={genre}": f"/movies/?q={query}&genre={genre}",
        "/movies/?genre=Drama&decade=1990&sort=average&page=3": "/movies/?genre=Drama&decade=1990&sort=average&page=3",
        f"movie page /movies/{movie.movielens_id}/": f"/movies/{movie.movielens_id}/",
        "/ (For you, 200 ratings)": "/",
        "/me/ratings/ (200 ratings)": "/me/ratings/",
    }
    for label, url in pages.items():
        times = []
        for i in range(WARM_UP + REQUESTS):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if i >= WARM_UP:
                times.append(elapsed)
        times.sort()
        p95 = times[int(0.95 * len(times)) - 1]
        print(f"{database}\t{label}\t{statistics.median(times):.2f}\t{p95:.2f}\t{times[-1]:.2f}", flush=True)


def _prepare():
    """A person with 200 ratings (the most rated movies), an active version with their list and similar movies."""
    from django.utils import timezone

    from catalog.models import Movie, Rating, User
    from catalog.stats import movie_stats_refresh
    from recommender.models import ModelVersion, Recommendation, SimilarMovie, TrainingRun, UserList

    person = User.objects.create_user(username="bench", password=None)
    popular = list(Movie.objects.order_by("-ratings_count", "pk")[:400])
    Rating.objects.bulk_create(
        [Rating(user=person, movie=m, stars=1 + i % 5, timestamp=1_000_000 + i) for i, m in enumerate(popular[:200])]
    )
    movie_stats_refresh(movie_ids=[m.pk for m in popular[:200]])
    run = TrainingRun.objects.create(status=TrainingRun.Status.SUCCEEDED, in_progress=None)
    version = ModelVersion.objects.create(run=run, is_active=True, model_path="bench.pt")
    Recommendation.objects.bulk_create(
        Recommendation(version=version, user=person, rank=r, movie=m, score=1 / r, because_of=popular[r % 200],
                       predicted_stars=3.5 + (r % 3) / 2)
        for r, m in enumerate(popular[200:300], 1)
    )  # fmt: skip
    UserList.objects.create(version=version, user=person, computed_at=timezone.now())
    movie = popular[0]
    SimilarMovie.objects.bulk_create(
        SimilarMovie(version=version, movie=movie, rank=r, similar=m, similarity=1 - r / 40)
        for r, m in enumerate(popular[1:21], 1)
    )
    word = next(w for w in movie.title.lower().replace(",", " ").split() if len(w) >= 4)
    genre = movie.genres.order_by("name").first().name
    return person, movie, word, genre


if __name__ == "__main__":
    main()
