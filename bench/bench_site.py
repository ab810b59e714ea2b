"""The whole site under load, without and during a retrain: bin/site (the Procfile under honcho: gunicorn, a worker
on `default`, one on `training`, beat) on PostgreSQL and Redis with ML-1M-size data, load from wrk.

    .venv/bin/python bench/bench_site.py                  # build the database (generate, import, train), 30 s rows
    .venv/bin/python bench/bench_site.py --reuse          # the database of the previous run

Setup as bench_api.py's (its build: generated data of ML-1M size, `manage.py train --epochs 2`), in a database of
its own. Then bin/site with its defaults (gunicorn 2 processes x 4 threads, 2 refresh processes, 1 training
process), throttles raised for the bench. Every user's recommendation list is read once (the cache filled), then
each row runs with wrk for --seconds: first without a retrain, then again while a retrain runs (POST
/api/v1/training-runs/ as staff, the default variant with its default parameters); the run must still be going at
the end of each row, or the script says so. Page rows are signed in (a session per user, random users); API rows
use random users' tokens. Errors are non-2xx/3xx answers and socket errors.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench_api import LUA_READ, _analyze, _build, _free_port, _manage, _request, _warm, _write_lua_data

ROOT = Path(__file__).resolve().parent.parent
PG_BENCH_DB = "moviesite_bench_site"
STATE = ROOT / "var" / "bench_site"

# Sessions of random users for the page rows, a staff token, movie ids; bench_api's PREPARE gives the rest.
# The retrain is stopped with the site unless --wait-retrain: a stopped run is marked failed by the next run.
PREPARE_SITE = """
import json, random
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from catalog.models import Movie, User
from recommender.models import TrainingRun

# A retrain left over by an interrupted run of this bench would refuse the new one (409).
TrainingRun.objects.filter(in_progress=True).update(status="failed", in_progress=None, error="bench: left over")
rng = random.Random({seed})
sessions = []
for user in rng.sample(list(User.objects.filter(is_staff=False, ratings__isnull=False).distinct()[:2000]), {users}):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions.append(session.session_key)
staff, _ = User.objects.get_or_create(username="bench-staff", defaults={{"is_staff": True}})
token, _ = Token.objects.get_or_create(user=staff)
movies = list(Movie.objects.values_list("movielens_id", flat=True))
json.dump({{"sessions": sessions, "staff_token": token.key, "movies": movies}}, open("{out}", "w"))
"""

ROWS = [
    ("page / (for you, signed in)", "home"),
    ("page /movies/<id>/ (signed in)", "movie"),
    ("page /movies/?q=<word> (signed in)", "search"),
    ("API GET me/recommendations/ (token)", "recommendations"),
    ("API POST me/ratings/ (token)", "rate"),
]

LUA = LUA_READ + r"""
local data = {tokens = read("tokens.txt"), pairs = read("pairs.txt"), terms = read("terms.txt"),
              sessions = read("sessions.txt"), movies = read("movies.txt")}
local mode = "%(mode)s"
local threads, index, step = 0, 0, 1
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  id = id or 0
  math.randomseed(%(seed)d + id)
  step = tonumber(args[1]) or 1
  index = tonumber(args[2]) + id + 1  -- the rate rows: each pair once over both runs of the row
end
local function pick(items) return items[math.random(#items)] end
function request()
  local cookie = {["Cookie"] = "sessionid=" .. pick(data.sessions)}
  if mode == "home" then
    return wrk.format("GET", "/", cookie)
  elseif mode == "movie" then
    return wrk.format("GET", "/movies/" .. pick(data.movies) .. "/", cookie)
  elseif mode == "search" then
    return wrk.format("GET", "/movies/?q=" .. pick(data.terms), cookie)
  elseif mode == "recommendations" then
    return wrk.format("GET", "/api/v1/me/recommendations/", {["Authorization"] = "Token " .. pick(data.tokens)})
  else
    local pair = data.pairs[index]
    index = index + step
    if index > #data.pairs then index = id + 1 end
    local body = '{"movie": ' .. pair[2] .. ', "stars": ' .. math.random(5) .. '}'
    return wrk.format("POST", "/api/v1/me/ratings/",
      {["Authorization"] = "Token " .. pair[1], ["Content-Type"] = "application/json"}, body)
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, ' ..
    '"errors": %%d}\n', summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30, help="per row (default 30)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent connections (default 10)")
    parser.add_argument("--reuse", action="store_true", help="keep the database of the previous run")
    parser.add_argument("--wait-retrain", action="store_true", help="then wait for the retrain, print its stages")
    parser.add_argument("--warm-seconds", type=int, default=180, help="at most, to read every user's list once")
    parser.add_argument("--data", type=Path, help="an ml-1m folder (default: generate one of ML-1M size)")
    parser.add_argument("--train-args", default="--epochs 2", help="for the first model's manage.py train")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres", help="PostgreSQL server")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server")
    parser.add_argument("--broker-db", type=int, default=9, help="Redis database of the broker (default 9)")
    parser.add_argument("--cache-db", type=int, default=10, help="Redis database of the cache (default 10)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    env = _environment(args)
    if not args.reuse:
        _build(args, env)
    _analyze(env["DATABASE_URL"])
    data = _prepare(env)
    import redis

    for db in (args.broker_db, args.cache_db):
        redis.Redis.from_url(f"{args.redis}/{db}").flushdb()
    base = f"http://127.0.0.1:{env['PORT']}"
    log = (STATE / "site.log").open("wb")
    site = subprocess.Popen([str(ROOT / "bin" / "site")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    try:
        _wait_healthy(base, site)
        print(f"bin/site up: {base}; load average {_load()}")
        _check_signed_in(env["PORT"], data["sessions"][0])
        warm = _warm(base, data["tokens"], args.clients, args.warm_seconds)
        print(f"warm-up: {warm['requests'] / len(data['tokens']):.0%} of the users' lists read once "
              f"(p99 {warm['p99']:.0f} ms); load average {_load()}")  # fmt: skip
        without = {mode: _wrk(base, mode, args, offset=0) for _, mode in ROWS}
        print(f"without a retrain: done; load average {_load()}")
        run = _start_retrain(base, data["staff_token"])
        print(f"retrain queued: run {run['id']} (default variant, default parameters)")
        run = _wait_running(base, data["staff_token"], run["id"])
        print(f"retrain running: stage {run['stage']}; load average {_load()}")
        during, stages = {}, {}
        for _, mode in ROWS:
            during[mode] = _wrk(base, mode, args, offset=len(data["pairs"]) // 2)
            run = _request(f"{base}/api/v1/training-runs/{run['id']}/", _staff(data["staff_token"]))
            stages[mode] = run["stage"] if run["status"] in ("queued", "running") else f"ENDED: {run['status']}"
        print(f"during the retrain: done; load average {_load()}")
        _print_table(without, during, stages)
        if not args.wait_retrain:
            return
        run = _wait_finished(base, data["staff_token"], run["id"])
        seconds = ", ".join(f"{stage} {s:.0f}" for stage, s in (run["stage_seconds"] or {}).items())
        print(f"\nthe retrain: {run['status']} ({seconds} s); load average {_load()}")
    finally:
        if site.poll() is None:
            os.kill(site.pid, signal.SIGTERM)  # honcho stops every process of the Procfile
        site.wait(timeout=60)


def _environment(args) -> dict[str, str]:
    (STATE / "var").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DATABASE_URL": args.pg_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}",
        "REDIS_URL": f"{args.redis}/{args.broker_db}",
        "CACHE_URL": f"{args.redis}/{args.cache_db}",
        "MOVIESITE_VAR_DIR": str(STATE / "var"),
        "PORT": str(_free_port()),
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",  # the sessions'
        "LOG_LEVEL": "WARNING",
        "CELERY_LOG_LEVEL": "warning",
        "API_THROTTLE_ANON": "10000000/min",
        "API_THROTTLE_USER": "10000000/min",
    }


def _prepare(env: dict[str, str]) -> dict:
    """Tokens, (user, unrated movie) pairs and search words (bench_api's), sessions, a staff token, movie ids."""
    from bench_api import PREPARE

    out_api, out_site = STATE / "data-api.json", STATE / "data-site.json"
    seed = time.time_ns()
    _manage(["shell", "-v", "0", "-c", PREPARE.format(pairs=100_000, out=out_api, seed=seed)], env)
    _manage(["shell", "-v", "0", "-c", PREPARE_SITE.format(users=200, out=out_site, seed=seed)], env)
    data = {**json.loads(out_api.read_text()), **json.loads(out_site.read_text())}
    print(f"model version {data['version']}, {len(data['tokens']):,} users with tokens, "
          f"{len(data['sessions'])} signed-in sessions, {len(data['terms'])} search words")  # fmt: skip
    import bench_api

    bench_api.STATE = STATE  # its writer puts tokens.txt, pairs.txt and terms.txt there
    _write_lua_data(data)
    (STATE / "sessions.txt").write_text("\n".join(data["sessions"]) + "\n")
    (STATE / "movies.txt").write_text("\n".join(map(str, data["movies"])) + "\n")
    return data


def _wrk(base: str, mode: str, args, offset: int) -> dict:
    script = STATE / f"{mode}.lua"
    script.write_text(LUA % {"state": STATE, "mode": mode, "seed": offset})
    threads = 2
    command = ["wrk", "-t", str(threads), "-c", str(args.clients), "-d", f"{args.seconds}s", "--timeout", "10s",
               "-s", str(script), base, "--", str(threads), str(offset)]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT ")).split(" ", 1)[1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def _staff(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


def _start_retrain(base: str, token: str) -> dict:
    return _request(f"{base}/api/v1/training-runs/", _staff(token), json.dumps({}).encode())


def _wait_running(base: str, token: str, run_id: int, timeout: float = 600) -> dict:
    """Until the training worker has taken the run (a queued run leaves the machine idle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _request(f"{base}/api/v1/training-runs/{run_id}/", _staff(token))
        if run["status"] != "queued":
            return run
        time.sleep(1)
    sys.exit(f"run {run_id} still queued after {timeout:.0f} s: is the training worker up? see {STATE}/site.log")


def _wait_finished(base: str, token: str, run_id: int, timeout: float = 3600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _request(f"{base}/api/v1/training-runs/{run_id}/", _staff(token))
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(5)
    return run


def _wait_healthy(base: str, site: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if site.poll() is not None:
            sys.exit(f"bin/site exited ({site.returncode}): see {STATE}/site.log")
        try:
            if _request(f"{base}/api/v1/health/", {})["status"] == "ok":
                return
        except (OSError, ValueError):
            pass
        time.sleep(1)
    sys.exit(f"the site is not healthy after {timeout:.0f} s: see {STATE}/site.log")


def _check_signed_in(port: str, session: str) -> None:
    """The page rows must measure pages, not redirects to the login page."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    conn.request("GET", "/", headers={"Cookie": f"sessionid={session}"})
    response = conn.getresponse()
    if response.status != 200:
        sys.exit(f"GET / with a bench session answered {response.status} {response.getheader('Location')}")


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _print_table(without: dict, during: dict, stages: dict) -> None:
    """Milliseconds; "-" columns without a retrain, "+" columns during it; the run's stage when the row ended."""
    figures = ["p50", "p95", "p99", "req/s", "errors"]
    head = [f"-{f}" for f in figures] + [f"+{f}" for f in figures]
    print(f"\n| {'row':36s} | " + " | ".join(f"{h:>7s}" for h in head) + " | retrain stage at the row's end |")
    print(f"|{'-' * 38}|" + "|".join("-" * 9 for _ in head) + f"|{'-' * 32}|")
    for name, mode in ROWS:
        cells = [
            f"{value:7,.0f}" if key != "errors" else f"{value:7d}"
            for r in (without[mode], during[mode])
            for key, value in ((k, r["rps" if k == "req/s" else k]) for k in figures)
        ]
        print(f"| {name:36s} | " + " | ".join(cells) + f" | {stages[mode]:30s} |")


if __name__ == "__main__":
    main()
