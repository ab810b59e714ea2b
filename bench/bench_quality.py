"""Held-out quality of the implicit models beside popularity, on MovieLens files (no database needed).

    .venv/bin/python bench/bench_quality.py                               # ../shared/data/ml-1m-sample
    .venv/bin/python bench/bench_quality.py --data var/data/ml-1m --config variant=gmf,embedding_dim=32,l2=0.01

The files are read and validated as the importer does, written as a run folder's ratings.parquet, split
leave-one-out and sampled by Spark (recommender.sampling, the pipeline's own code), then each --config (the
default parameters with the given overrides) is trained with early stopping on the validation item and
evaluated on the test item: HR@10 / NDCG@10 among 1+99 sampled movies and among all unrated movies.
The NCF variants (gmf by default here; SASRec is compared in bench/bench_sequence.py).
The table also says whether the quality gate (recommender.gate) would let the model be served.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moviesite.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ml-1m-sample")
    parser.add_argument("--config", action="append", default=[], help="k=v,k=v overrides of the defaults")
    parser.add_argument("--keep", type=Path, help="keep the run folder here (reused when it exists)")
    args = parser.parse_args()
    if not (args.data / "ratings.dat").exists():
        sys.exit(f"no ratings.dat in {args.data}")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = args.keep or Path(scratch) / "run"
        configs = [_parse(text) for text in args.config] or [{}]
        negatives = {int(c["negatives"]) for c in configs if "negatives" in c}
        if len(negatives) > 1:
            sys.exit("one --negatives per run folder: compare negative counts in separate runs of the script")
        epochs = max(int(c.get("epochs", 20)) for c in configs)
        _prepare(args.data, run_dir, epochs=epochs, negatives=negatives.pop() if negatives else None)
        rows = [_train_and_evaluate(run_dir, overrides) for overrides in configs]
    _print_table(rows)


def _parse(text: str) -> dict:
    overrides = {}
    for item in filter(None, text.split(",")):
        key, value = item.split("=", 1)
        for cast in (int, float):
            try:
                overrides[key] = cast(value)
                break
            except ValueError:
                continue
        else:
            overrides[key] = value
    return overrides


def _prepare(data: Path, run_dir: Path, *, epochs: int, negatives: int | None) -> None:
    from catalog.parsing import parse_movies, parse_ratings, parse_users
    from catalog.sources import read_movielens_source
    from recommender.parameters import default_parameters
    from recommender.sampling import split_and_sample
    from recommender.snapshot import write_snapshot
    from recommender.spark import get_spark

    if (run_dir / "test_candidates.parquet").exists():
        return
    texts = read_movielens_source(data)
    users, movies = parse_users(texts["users.dat"]), parse_movies(texts["movies.dat"])
    ratings = parse_ratings(texts["ratings.dat"], users.records["movielens_id"], movies.records["movielens_id"])
    if ratings.errors:
        sys.exit(f"{len(ratings.errors)} bad lines, first: {ratings.errors[0]}")
    r = ratings.records
    write_snapshot(run_dir=run_dir, users=r["user_ml"].to_numpy(), movies=r["movie_ml"].to_numpy(),
                   stars=r["stars"].to_numpy(), stamps=r["timestamp"].to_numpy())  # fmt: skip
    p = default_parameters("gmf")
    started = time.perf_counter()
    per_positive = negatives or int(p["negatives"])
    split_and_sample(spark=get_spark(), run_dir=run_dir, epochs=epochs, negatives_per_positive=per_positive,
                     eval_negatives=int(p["eval_negatives"]), seed=int(p["seed"]))  # fmt: skip
    print(f"split and sampled {len(r):,} ratings in {time.perf_counter() - started:.1f} s", flush=True)


def _train_and_evaluate(run_dir: Path, overrides: dict) -> dict:
    from django.conf import settings

    from recommender.evaluation import evaluate_run
    from recommender.gate import gate_verdict
    from recommender.parameters import model_config, resolve_parameters, train_config
    from recommender.training import train_implicit

    p = resolve_parameters({"variant": "gmf", **overrides})
    started = time.perf_counter()
    result = train_implicit(run_dir=run_dir, model_config=model_config(p),
                            train_config=train_config(p, threads=settings.TORCH_THREADS))  # fmt: skip
    metrics = evaluate_run(run_dir=run_dir, model=result.model)
    verdict = gate_verdict(metrics=metrics, active_metrics=None)
    label = ",".join(f"{k}={v}" for k, v in overrides.items()) or "defaults"
    print(f"{label}: best epoch {result.best_epoch}, hr@10 {metrics['hr@10']:.4f}", flush=True)
    return {"config": label, "seconds": time.perf_counter() - started, "best_epoch": result.best_epoch,
            "gate": "pass" if verdict.passed else "REJECT", **metrics}  # fmt: skip


def _print_table(rows: list[dict]) -> None:
    print(f"\ntest users: {int(rows[0]['test_users']):,}")
    header = f"{'model':48s} {'HR@10':>7s} {'NDCG@10':>8s} {'HR@10 full':>11s} {'NDCG full':>10s}"
    header += f" {'epoch':>6s} {'s':>6s} gate"
    print(header)
    base = rows[0]
    print(f"{'popularity':48s} {base['baseline_hr@10']:7.4f} {base['baseline_ndcg@10']:8.4f} "
          f"{base['baseline_hr@10_full']:11.4f} {base['baseline_ndcg@10_full']:10.4f}")  # fmt: skip
    for row in rows:
        print(f"{row['config'][:48]:48s} {row['hr@10']:7.4f} {row['ndcg@10']:8.4f} {row['hr@10_full']:11.4f} "
              f"{row['ndcg@10_full']:10.4f} {row['best_epoch']:6d} {row['seconds']:6.1f} {row['gate']}")  # fmt: skip


if __name__ == "__main__":
    main()
