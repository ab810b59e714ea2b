"""REST API load benchmark: gunicorn and its workers on PostgreSQL with ML-1M-size data, load from wrk.

    .venv/bin/python bench/bench_api.py                  # build the database (generate, import, train), 60 s rows
    .venv/bin/python bench/bench_api.py --reuse --seconds 20   # the database of the previous run, shorter rows

Setup: a fresh PostgreSQL database, generated data of ML-1M size (generate_movielens + import_movielens), a model
trained with `manage.py train --epochs 2` (real lists for every user), a token for every user. Then gunicorn
(--workers, sync by default, DEBUG off) with Django's cache on Redis (CACHE_URL; the lists and throttle counters
are shared by the workers and invalidations reach them all), a Celery worker on the `default` queue, and wrk on
this machine (Debian's `wrk` package) with 20 connections, each a client that sends its next request when the
answer arrives. Throttle rates are raised for the bench (every request still goes through the throttles).

Rows (targets of issue 8):
- GET /api/v1/me/recommendations/ with a random user's token: >= 1,000 req/s, p99 <= 40 ms, 0 errors;
- POST /api/v1/me/ratings/ (a random user rates a movie they have not rated): p99 <= 100 ms; then the time until
  that user's recommendations no longer show the rated movie and are not "updating" (<= 3 s);
- GET /api/v1/movies/?search=<a word of a title> anonymously: p99 <= 60 ms.
A fourth row is the mixed load: --raters of the clients POST ratings while the others read recommendations
(the rating row above has every client rating back to back, which no site sees).
Errors are non-2xx answers and socket errors.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "moviesite_bench_api"
STATE = ROOT / "var" / "bench_api"  # the prepared data set (kept for --reuse)

PREPARE = """
import json, random
from rest_framework.authtoken.models import Token
from catalog.models import Movie, Rating, User
from recommender.versions import active_version

users = list(User.objects.values_list("pk", flat=True))
have = set(Token.objects.values_list("user_id", flat=True))
Token.objects.bulk_create([Token(user_id=pk, key=Token.generate_key()) for pk in users if pk not in have])
tokens = dict(Token.objects.values_list("user_id", "key"))
movies = dict(Movie.objects.values_list("pk", "movielens_id"))
rng = random.Random({seed})
rated = set(Rating.objects.values_list("user_id", "movie_id"))
pairs, seen, movie_pks = [], set(), list(movies)
while len(pairs) < {pairs}:
    pair = (rng.choice(users), rng.choice(movie_pks))
    if pair not in rated and pair not in seen:
        seen.add(pair)
        pairs.append([tokens[pair[0]], movies[pair[1]]])
words = set()
for title in Movie.objects.values_list("search_title", flat=True):
    words.update(w for w in title.split() if w.isascii() and w.isalpha() and len(w) >= 4)
version = active_version()
json.dump({{"tokens": list(tokens.values()), "pairs": pairs, "terms": sorted(words),
           "version": version.pk if version else None}}, open("{out}", "w"))
"""

ROWS = [
    ("GET me/recommendations/ (token, random users)", "recommendations"),
    ("POST me/ratings/ (random user, unrated movie)", "rate"),
    ("GET movies/?search=<word> (anonymous)", "search"),
    ("POST me/ratings/ (mixed: raters among readers)", "mixed"),
    ("GET me/recommendations/ (mixed: the readers)", "mixed-readers"),
]

LUA_READ = r"""
local function read(name)
  local items = {}
  for line in io.lines("%(state)s/" .. name) do
    local a, b = line:match("^(%%S+) (%%S+)$")
    items[#items + 1] = a and {a, b} or line
  end
  return items
end
"""  # a data file of the state folder, one item (or "a b" pair) a line

LUA = LUA_READ + r"""
local data = {tokens = read("tokens.txt"), pairs = read("pairs.txt"), terms = read("terms.txt")}
local mode = "%(mode)s"
local threads, index, step = 0, 0, 1
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  id = id or 0  -- set by setup() in this thread's Lua state
  math.randomseed(1000 + id)
  step = tonumber(args[1]) or 1
  index = id + 1 + (tonumber(args[2]) or 0)  -- past the pairs an earlier row rated
end
function request()
  if mode == "recommendations" then
    local token = data.tokens[math.random(#data.tokens)]
    return wrk.format("GET", "/api/v1/me/recommendations/", {["Authorization"] = "Token " .. token})
  elseif mode == "rate" then
    local pair = data.pairs[index]
    index = index + step
    if index > #data.pairs then index = id + 1 end
    local body = '{"movie": ' .. pair[2] .. ', "stars": ' .. math.random(5) .. '}'
    return wrk.format("POST", "/api/v1/me/ratings/",
      {["Authorization"] = "Token " .. pair[1], ["Content-Type"] = "application/json"}, body)
  else
    return wrk.format("GET", "/api/v1/movies/?search=" .. data.terms[math.random(#data.terms)])
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, ' ..
    '"errors": %%d, "status_errors": %%d, "timeouts": %%d}\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout, e.status, e.timeout))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="per row (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument("--raters", type=int, default=2, help="of the clients, those rating in the mixed row")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1: sync)")
    parser.add_argument("--reuse", action="store_true", help="keep the database and data of the previous run")
    parser.add_argument("--warm-seconds", type=int, default=300, help="at most, to read every user's list once")
    parser.add_argument("--data", type=Path, help="an ml-1m folder (default: generate one of ML-1M size)")
    parser.add_argument("--train-args", default="--epochs 2", help="for manage.py train (default --epochs 2)")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL server to create the bench db on")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server (dbs 11 and 12 are used)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    env = _environment(args)
    if not args.reuse:
        _build(args, env)
    else:
        _manage(["migrate", "--verbosity", "0"], env)  # the kept database may predate the code's last migration
    _analyze(env["DATABASE_URL"])
    # Lists left "updating" by an interrupted earlier run (its queued refreshes were flushed with Redis) would be
    # rebuilt from the database on every read: bring them up to date first, as the site's catch-up command does.
    _manage(["refresh_recommendations", "--stale", "--verbosity", "0"], env)
    # Tokens, search words and (user, movie) pairs not rated yet: anew each run, as the last run rated some.
    out = STATE / "data.json"
    _manage(["shell", "-v", "0", "-c", PREPARE.format(pairs=100_000, out=out, seed=time.time_ns())], env)
    data = json.loads(out.read_text())
    print(f"model version {data['version']}, {len(data['tokens']):,} users with tokens, {len(data['terms'])} words")
    _write_lua_data(data)
    _flush_redis(args.redis)
    with _Processes() as processes:
        celery = ["-m", "celery", "-A", "worker", "worker", "-Q", "default", "-c", "1", "-l", "warning"]
        processes.start("worker", [sys.executable, *celery, "--without-mingle", "--without-gossip"], env)
        port = _free_port()
        worker_class = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
        gunicorn = ["-m", "gunicorn", "moviesite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
        processes.start("gunicorn", [sys.executable, *gunicorn, *worker_class], env)
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/api/v1/genres/")
        print(f"gunicorn: {args.workers} workers x {args.threads} thread(s); wrk: {args.clients} connections")
        rows = {}
        warm = _warm(base, data["tokens"], args.clients, args.warm_seconds)  # every user's list: cache misses
        covered = warm["requests"] / len(data["tokens"])
        print(
            f"warm-up (cache misses, the lists built from the database): {warm['rps']:,.0f} req/s, "
            f"p50 {warm['p50']:.0f} ms, p99 {warm['p99']:.0f} ms; {covered:.0%} of the users' lists cached"
        )
        for name, mode in ROWS:
            if mode in ("recommendations", "search"):
                rows[name] = _wrk(base, mode, args.seconds, args.clients)
        fresh = _freshness(base, data, samples=20)  # before the rating load: refreshes queue behind its backlog
        name = next(name for name, mode in ROWS if mode == "rate")
        left_over = _stale_lists(env["DATABASE_URL"])  # from an interrupted earlier run: nothing will refresh them
        rows[name] = _wrk(base, "rate", args.seconds, args.clients)
        backlog = _backlog(env["DATABASE_URL"], seconds=args.seconds, left_over=left_over)
        mix = {"rate": args.raters, "recommendations": args.clients - args.raters}
        mixed = _wrk_together(base, args.seconds, mix, skip_pairs=rows[name]["requests"] + args.clients)
        rows[ROWS[3][0]], rows[ROWS[4][0]] = mixed["rate"], mixed["recommendations"]
    rows = [(name, rows[name]) for name, _ in ROWS]
    _print_table(rows)
    print(
        f"\nrating -> refreshed list readable (rated movie gone, not 'updating'), one rating at a time: "
        f"median {fresh[len(fresh) // 2]:.0f} ms, max {fresh[-1]:.0f} ms over {len(fresh)} ratings"
    )
    print(
        f"after the rating load: {backlog[0]:,} lists waiting for their refresh; {backlog[1]:,} still waiting "
        f"{backlog[2]:.0f} s later"
    )


def _environment(args) -> dict[str, str]:
    STATE.mkdir(parents=True, exist_ok=True)
    database = args.pg_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
    return {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": f"{args.redis}/12",
        "CACHE_URL": f"{args.redis}/11",
        "MOVIESITE_VAR_DIR": str(STATE / "var"),
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "API_THROTTLE_ANON": "10000000/min",
        "API_THROTTLE_USER": "10000000/min",
    }


def _build(args, env: dict[str, str]) -> None:
    """A fresh database (env's DATABASE_URL, on args.pg_url's server), ML-1M-size data imported, a model trained.
    bench_site.py builds its own with it."""
    import psycopg

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(args.pg_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    _manage(["migrate", "--verbosity", "0"], env)
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or Path(scratch) / "ml-1m"
        if not args.data:
            _manage(["generate_movielens", str(data), "--seed", "0"], env)
        _manage(["import_movielens", str(data)], env)
    started = time.perf_counter()
    _manage(["train", *args.train_args.split()], env)
    print(f"trained in {time.perf_counter() - started:.0f} s")


STALE_LISTS = """
SELECT count(*) FROM recommender_ratingchange rc
LEFT JOIN recommender_userlist ul ON ul.user_id = rc.user_id
 AND ul.version_id = (SELECT id FROM recommender_modelversion WHERE is_active)
WHERE ul.computed_at IS NULL OR rc.changed_at > ul.computed_at
"""


def _stale_lists(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return conn.execute(STALE_LISTS).fetchone()[0]


def _backlog(database_url: str, seconds: float, left_over: int) -> tuple[int, int, float]:
    """Lists whose refresh is due right after the rating load, and after at most ``seconds`` more."""
    before = _stale_lists(database_url) - left_over
    started, after = time.perf_counter(), before
    while after > 0 and time.perf_counter() - started < seconds:
        time.sleep(1)
        after = _stale_lists(database_url) - left_over
    return before, max(after, 0), time.perf_counter() - started


def _analyze(database_url: str) -> None:
    """Planner statistics after the bulk loads (autovacuum would get there too, later): without them PostgreSQL
    scans the whole list table for one user's list."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("ANALYZE")


def _write_lua_data(data: dict) -> None:
    """Plain text files, one item a line, that the wrk script reads (Lua limits the constants of a chunk)."""
    (STATE / "tokens.txt").write_text("\n".join(data["tokens"]) + "\n")
    (STATE / "pairs.txt").write_text("".join(f"{token} {movie}\n" for token, movie in data["pairs"]))
    (STATE / "terms.txt").write_text("\n".join(data["terms"]) + "\n")


def _wrk(base: str, mode: str, seconds: int, clients: int) -> dict:
    return _wrk_together(base, seconds, {mode: clients})[mode]


def _wrk_together(base: str, seconds: int, clients: dict[str, int], skip_pairs: int = 0) -> dict[str, dict]:
    """One wrk per mode, all at once (``clients`` connections each); each mode's figures. The rating clients
    start ``skip_pairs`` into the (user, movie) pairs."""
    running = {}
    for mode, count in clients.items():
        script = STATE / f"{mode}.lua"
        script.write_text(LUA % {"state": STATE, "mode": mode})
        threads = min(2, count)
        command = ["wrk", "-t", str(threads), "-c", str(count), "-d", f"{seconds}s", "--timeout", "5s", "-s",
                   str(script), base, "--", str(threads), str(skip_pairs)]  # fmt: skip
        running[mode] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    results = {}
    for mode, process in running.items():
        output, _ = process.communicate()
        if process.returncode:
            sys.exit(f"wrk ({mode}) failed with exit status {process.returncode}")
        line = next(line for line in output.splitlines() if line.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        result["rps"] = result["requests"] / result["seconds"]
        results[mode] = result
    return results


def _warm(base: str, tokens: list[str], clients: int, seconds: float) -> dict:
    """Read every user's list once with ``clients`` concurrent clients (at most ``seconds``): fills the cache."""
    from concurrent.futures import ThreadPoolExecutor

    deadline, started = time.monotonic() + seconds, time.perf_counter()

    def read(token: str) -> float | None:
        if time.monotonic() > deadline:
            return None
        began = time.perf_counter()
        _request(f"{base}/api/v1/me/recommendations/", {"Authorization": f"Token {token}"})
        return (time.perf_counter() - began) * 1000

    with ThreadPoolExecutor(max_workers=clients) as pool:
        times = sorted(t for t in pool.map(read, tokens) if t is not None)
    elapsed = time.perf_counter() - started
    return {"requests": len(times), "rps": len(times) / elapsed, "p50": times[len(times) // 2],
            "p99": times[int(len(times) * 0.99)]}  # fmt: skip


def _freshness(base: str, data: dict, samples: int) -> list[float]:
    """Rate each user's first recommended movie, then poll the list until it is gone and the list not updating."""
    rng, times = random.Random(3), []
    for token in rng.sample(data["tokens"], samples):
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        first = _request(f"{base}/api/v1/me/recommendations/", headers)["items"][0]["movie"]["id"]
        started = time.perf_counter()
        _request(f"{base}/api/v1/me/ratings/", headers, json.dumps({"movie": first, "stars": 4}).encode())
        while time.perf_counter() - started < 30:
            body = _request(f"{base}/api/v1/me/recommendations/", headers)
            if not body["updating"] and first not in [item["movie"]["id"] for item in body["items"]]:
                break
            time.sleep(0.02)
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def _request(url: str, headers: dict, body: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _print_table(rows: list[tuple[str, dict]]) -> None:
    print(f"\n| {'request':46s} | {'req/s':>7s} | {'p50 ms':>7s} | {'p95 ms':>7s} | {'p99 ms':>7s} | {'errors':>6s} |")
    print(f"|{'-' * 48}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}|")
    for name, r in rows:
        figures = f"{r['rps']:7,.0f} | {r['p50']:7.1f} | {r['p95']:7.1f} | {r['p99']:7.1f} | {r['errors']:6d}"
        print(f"| {name:46s} | {figures} |")
    for name, r in rows:
        if r["errors"]:
            print(f"{name}: {r['status_errors']} non-2xx, {r['timeouts']} timeouts (5 s), the rest socket errors")


def _flush_redis(url: str) -> None:
    import redis

    for db in (11, 12):
        redis.Redis.from_url(f"{url}/{db}").flushdb()


def _manage(arguments: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments], env=env, cwd=ROOT, check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"{url} not answering after {timeout:.0f} s")


class _Processes:
    """Child processes (each in its own session) stopped on exit, whatever happens."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (STATE / f"{name}.log").open("wb")
        self.children.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )

    def __enter__(self) -> "_Processes":
        return self

    def __exit__(self, *exc) -> None:
        for child in self.children:
            if child.poll() is None:
                os.killpg(child.pid, 15)
        for child in self.children:
            child.wait(timeout=30)


if __name__ == "__main__":
    main()
