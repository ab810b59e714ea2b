"""Full retrain benchmark: `manage.py train` (snapshot to activation) on generated data of ML-1M size.

    .venv/bin/python bench/bench_retrain.py                    # generate, import into a fresh SQLite, train
    .venv/bin/python bench/bench_retrain.py --data var/data/ml-1m --train-args "--variant neumf"
    .venv/bin/python bench/bench_retrain.py --compare-refit        # the same retrain with --no-refit first

With --compare-refit the same data is trained twice in one run of the script, first as before issue 6
(serving the held-out model, 4 negatives for 20 epochs, no L2) and then as by default (refit on all
ratings, 8 negatives drawn for 10 epochs, L2 0.02); target (issue 6): the default at most 1.5x the other.

Prints the command's own report (per-stage seconds, metrics beside popularity, samples/s), the wall time, and
the peak resident memory of the training process and its Spark JVM together (sampled from /proc every 0.2 s).
Targets (issue 3): at most 5 minutes in all, precompute at most 30 s, peak memory at most 6 GB.
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="an ml-1m folder (default: generate one of ML-1M size)")
    parser.add_argument("--train-args", default="", help="extra arguments for manage.py train")
    parser.add_argument("--compare-refit", action="store_true", help="also train with --no-refit, first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "MOVIESITE_VAR_DIR": scratch, "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3"}
        data = args.data or Path(scratch) / "ml-1m"
        if not args.data:
            _manage(["generate_movielens", str(data), "--seed", "0"], env)
        _manage(["migrate", "--verbosity", "0"], env)
        _manage(["import_movielens", str(data)], env)
        before = ["--no-refit", "--negatives", "4", "--l2", "0", "--negative-epochs", "20"]  # the defaults of issue 3
        runs = [before, []] if args.compare_refit else [[]]
        walls = []
        for extra in runs:
            started = time.perf_counter()
            peak = _manage(["train", *shlex.split(args.train_args), *extra], env, measure=True)
            walls.append(time.perf_counter() - started)
            label = " ".join(extra) or "default (refit on all ratings)"
            print(f"[{label}] retrain wall time {walls[-1]:.1f} s; peak RSS (process + JVM) {peak / 2**30:.2f} GiB")
        if len(walls) == 2:
            print(f"refit / no refit: {walls[1] / walls[0]:.2f}x  ({walls[1]:.1f} s vs {walls[0]:.1f} s)")


def _manage(arguments: list[str], env: dict[str, str], measure: bool = False) -> int:
    process = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *arguments], env=env, cwd=ROOT)
    peak = [0]
    if measure:
        threading.Thread(target=_sample_rss, args=(process, peak), daemon=True).start()
    if process.wait() != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed")
    return peak[0]


def _sample_rss(process: subprocess.Popen, peak: list[int]) -> None:
    while process.poll() is None:
        peak[0] = max(peak[0], sum(_rss(pid) for pid in _tree(process.pid)))
        time.sleep(0.2)


def _tree(root: int) -> list[int]:
    pids, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        pids += map(int, children)
        frontier += map(int, children)
    return pids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    main()
