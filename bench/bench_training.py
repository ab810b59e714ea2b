"""Training and precompute speed on an ML-1M-shaped run folder built with numpy.

    .venv/bin/python bench/bench_training.py                 # samples/s grid, one default training, top-k
    .venv/bin/python bench/bench_training.py --quick         # smaller grid, 3 training epochs
    .venv/bin/python bench/bench_training.py --threads 2     # grid and precompute on 2 threads
    .venv/bin/python bench/bench_training.py --lr-scaling 6  # batch 256 / lr 0.001 vs the default, 6 epochs

The run folder has 6,040 users, 3,706 movies and ~1M latent-factor ratings (see
tests/recommender/helpers.py), 4 negatives per train positive per epoch. Samples/s is measured on a fixed
slice of shuffled training samples per (variant, batch) pair, with the loop the trainer uses.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.evaluation import evaluate_run, read_meta, read_pairs  # noqa: E402
from recommender.ncf import ModelConfig, build_model  # noqa: E402
from recommender.scoring import top_k_unseen  # noqa: E402
from recommender.training import (  # noqa: E402
    DEFAULT_MODEL_CONFIG,
    DEFAULT_TRAIN_CONFIG,
    NegativeEpochs,
    make_optimizer,
    train_epoch,
    train_implicit,
)
from tests.recommender.helpers import movielens_like_run  # noqa: E402

VARIANTS = {
    "gmf": replace(DEFAULT_MODEL_CONFIG, variant="gmf"),
    "ncf": replace(DEFAULT_MODEL_CONFIG, variant="ncf"),
    "neumf": replace(DEFAULT_MODEL_CONFIG, variant="neumf"),
    "ncf-paper": ModelConfig(variant="ncf", embedding_dim=32, mlp_layers=(32, 16, 8)),
}


def main() -> None:
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = args.run_dir or Path(scratch) / "run"
        if not (run_dir / "meta.json").exists():
            started = time.perf_counter()
            movielens_like_run(run_dir, negative_epochs=args.negative_epochs)
            print(f"built run folder in {time.perf_counter() - started:.1f}s")
        describe(run_dir)
        throughput_grid(run_dir, args.variants, args.batches, args.samples)
        if not args.grid_only:
            model = default_training(run_dir, args.epochs)
            precompute(run_dir, model)
        if args.lr_scaling:
            lr_scaling(run_dir, args.lr_scaling)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="gmf and ncf at 256 and 4096, 3 epochs")
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_TRAIN_CONFIG.threads,
        help="torch threads for the grid and the precompute (0: torch's default); the training run uses its config",
    )
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the default training run")
    parser.add_argument("--samples", type=int, default=600_000, help="samples per grid measurement")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--batches", nargs="+", type=int, default=[256, 1024, 4096])
    parser.add_argument("--negative-epochs", type=int, default=20)
    parser.add_argument("--grid-only", action="store_true", help="only the samples/s grid")
    parser.add_argument("--run-dir", type=Path, default=None, help="reuse (or build) a run folder here")
    parser.add_argument(
        "--lr-scaling", type=int, default=0, metavar="EPOCHS", help="compare the default batch/lr with 256/0.001"
    )
    args = parser.parse_args()
    if args.quick:
        args.variants, args.batches, args.samples = ["gmf", "ncf"], [256, 4096], 300_000
        args.epochs = args.epochs or 3
        args.negative_epochs = min(args.negative_epochs, 3)
    return args


def describe(run_dir: Path) -> None:
    meta = read_meta(run_dir)
    positives = len(read_pairs(run_dir / "train.parquet")[0])
    negatives = NegativeEpochs(run_dir / "negatives.parquet")
    per_epoch = positives + len(negatives.epoch(0)[0])
    print(f"{meta['n_users']} users x {meta['n_movies']} movies, {positives:,} train positives")
    print(f"{per_epoch:,} samples per epoch, {len(negatives)} negative epochs")


def throughput_grid(run_dir: Path, variants: list[str], batches: list[int], samples: int) -> None:
    meta = read_meta(run_dir)
    users, movies = (torch.from_numpy(column.astype(np.int64)) for column in read_pairs(run_dir / "train.parquet"))
    neg_users, neg_movies = NegativeEpochs(run_dir / "negatives.parquet").epoch(0)
    labels = torch.cat([torch.ones(len(users)), torch.zeros(len(neg_users))])
    pool = (torch.cat([users, neg_users]), torch.cat([movies, neg_movies]), labels)
    keep = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))[:samples]
    subset = tuple(column[keep] for column in pool)
    print(f"\nsamples/s, best of 3 passes over {len(keep):,} samples (Adam, BCE with logits)")
    print(f"{'variant':<10}" + "".join(f"{f'batch {batch}':>14}" for batch in batches))
    for name in variants:
        cells = [measure(VARIANTS[name], meta, subset, batch) for batch in batches]
        print(f"{name:<10}" + "".join(f"{rate:>14,.0f}" for rate in cells), flush=True)


def measure(config: ModelConfig, meta: dict, subset: tuple, batch: int, repeats: int = 3) -> float:
    """Best of ``repeats`` passes: on a shared machine the fastest pass is the least disturbed one."""
    torch.manual_seed(0)
    model = build_model(config, meta["n_users"], meta["n_movies"])
    train_config = replace(DEFAULT_TRAIN_CONFIG, batch_size=batch)
    optimizer = make_optimizer(model, train_config)
    loss = torch.nn.functional.binary_cross_entropy_with_logits
    warmup = tuple(column[: 20 * batch] for column in subset)
    train_epoch(model, optimizer, warmup, train_config, torch.Generator(), loss)
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        train_epoch(model, optimizer, subset, train_config, torch.Generator(), loss)
        best = max(best, len(subset[0]) / (time.perf_counter() - started))
    return best


def default_training(run_dir: Path, epochs: int | None) -> torch.nn.Module:
    config = DEFAULT_TRAIN_CONFIG if epochs is None else replace(DEFAULT_TRAIN_CONFIG, epochs=epochs)
    print(f"\ndefault training: {DEFAULT_MODEL_CONFIG}\n  {config}")

    def report(epoch: int, total: int, info: dict) -> None:
        print(
            f"  epoch {epoch:>2}/{total}  loss {info['loss']:.4f}  val HR@10 {info['hr@10']:.4f}"
            f"  NDCG@10 {info['ndcg@10']:.4f}  {info['seconds']:.1f}s  {info['samples_per_second']:,.0f} samples/s",
            flush=True,
        )

    result = train_implicit(run_dir=run_dir, model_config=DEFAULT_MODEL_CONFIG, train_config=config, progress=report)
    print(
        f"  best epoch {result.best_epoch}, {result.seconds:.1f}s in all, "
        f"{result.samples_per_second:,.0f} samples/s while training"
    )
    started = time.perf_counter()
    metrics = evaluate_run(run_dir=run_dir, model=result.model)
    print(f"  test evaluation in {time.perf_counter() - started:.1f}s:")
    for key in ("hr@10", "ndcg@10", "hr@10_full", "ndcg@10_full", "precision@10", "recall@10"):
        print(f"    {key:<14} model {metrics[key]:.4f}   popularity {metrics['baseline_' + key]:.4f}")
    return result.model


def precompute(run_dir: Path, model: torch.nn.Module) -> None:
    meta = read_meta(run_dir)
    seen = read_pairs(run_dir / "train.parquet")
    started = time.perf_counter()
    movies, _ = top_k_unseen(model=model, n_users=meta["n_users"], n_movies=meta["n_movies"], seen=seen, k=10)
    seconds = time.perf_counter() - started
    print(f"\ntop-10 precompute, {meta['n_users']:,} x {meta['n_movies']:,}: {seconds:.2f}s ({movies.shape})")
    for name in ("ncf", "neumf"):
        other = build_model(VARIANTS[name], meta["n_users"], meta["n_movies"])
        started = time.perf_counter()
        top_k_unseen(model=other, n_users=meta["n_users"], n_movies=meta["n_movies"], seen=seen, k=10)
        print(f"  same for an untrained {name}: {time.perf_counter() - started:.2f}s")


def lr_scaling(run_dir: Path, epochs: int) -> None:
    """Validation HR@10 per epoch: the reference recipe (batch 256, lr 0.001) beside the default's."""
    recipes = {
        "reference 256 / 0.001": (256, 0.001),
        "default": (DEFAULT_TRAIN_CONFIG.batch_size, DEFAULT_TRAIN_CONFIG.lr),
    }
    print(
        f"\nlr scaling, {DEFAULT_MODEL_CONFIG.variant} {DEFAULT_MODEL_CONFIG.embedding_dim}: validation HR@10 per epoch"
    )
    for name, (batch, lr) in recipes.items():
        config = replace(DEFAULT_TRAIN_CONFIG, epochs=epochs, batch_size=batch, lr=lr, patience=0)
        result = train_implicit(run_dir=run_dir, model_config=DEFAULT_MODEL_CONFIG, train_config=config)
        rates = " ".join(f"{epoch.metrics['hr@10']:.3f}" for epoch in result.history)
        print(f"  {name:<22} {rates}   ({result.seconds:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
