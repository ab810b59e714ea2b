"""Import benchmark: generated data of ML-1M size into a fresh SQLite file and a fresh PostgreSQL database.

    .venv/bin/python bench/bench_import.py                       # SQLite and PostgreSQL on 127.0.0.1
    .venv/bin/python bench/bench_import.py --databases sqlite    # SQLite only

Each import runs as its own `manage.py import_movielens` process; the figures are its wall time, rows/s and
peak resident memory (the child's ru_maxrss). A second import of the same files measures the no-change path.
Targets (issue 2): at most 30 s and 2 GB for the full import on each database, on a 2-core machine.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "moviesite_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an ml-1m folder (default: generate one of ML-1M size)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL server to create the bench db on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or _generate(Path(scratch) / "ml-1m")
        rows = sum(_count_lines(data / name) for name in ("movies.dat", "users.dat", "ratings.dat"))
        for database in args.databases.split(","):
            url = _fresh_database(database, Path(scratch), args.pg_url)
            _run(["migrate", "--verbosity", "0"], url)
            for label in ("first import", "same files again"):
                seconds, peak_mb = _timed_import(data, url)
                rate = rows / seconds
                print(f"{database:10s} {label:17s} {seconds:6.1f} s  {rate:10,.0f} rows/s  peak {peak_mb:,.0f} MB")


def _generate(target: Path) -> Path:
    started = time.perf_counter()
    _run(["generate_movielens", str(target), "--seed", "0"], "sqlite:///:memory:")
    print(f"generated ML-1M-size data in {time.perf_counter() - started:.1f} s: {target}")
    return target


def _fresh_database(database: str, scratch: Path, pg_url: str) -> str:
    if database == "sqlite":
        path = scratch / "bench.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(pg_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    return pg_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"


def _timed_import(data: Path, url: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    _run(["import_movielens", str(data)], url)
    seconds = time.perf_counter() - started
    peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return seconds, peak_kb / 1024


def _run(arguments: list[str], database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments], env=env, check=True, cwd=ROOT)


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))


if __name__ == "__main__":
    main()
