import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from recommender.evaluation import evaluate_run, evaluate_sampled, read_pairs
from recommender.ncf import ModelConfig
from recommender.scoring import model_score_fn, top_k_unseen
from recommender.training import (
    DEFAULT_MODEL_CONFIG,
    DEFAULT_TRAIN_CONFIG,
    NegativeEpochs,
    TrainConfig,
    train_explicit,
    train_implicit,
)
from tests.recommender.helpers import block_ratings, seeded_rng, synthetic_run, write_run_folder

FAST = TrainConfig(epochs=3, batch_size=512, lr=0.01, seed=5, threads=1, patience=0)
SMALL_GMF = ModelConfig(variant="gmf", embedding_dim=16)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    return synthetic_run(tmp_path_factory.mktemp("small"), n_users=200, n_movies=150, median_per_user=30)


@pytest.mark.parametrize(
    ("config", "train"),
    [
        (ModelConfig(variant="ncf", embedding_dim=16, mlp_layers=(32, 16, 8)), train_implicit),
        (ModelConfig(variant="gmf", embedding_dim=16), train_implicit),
        (ModelConfig(variant="neumf", embedding_dim=16, mlp_layers=(32, 16, 8), dropout=0.1), train_implicit),
        (ModelConfig(variant="ncf", embedding_dim=16, mlp_layers=(32, 16), objective="explicit"), train_explicit),
    ],
    ids=["ncf", "gmf", "neumf", "explicit"],
)
def test_each_variant_trains_and_its_loss_goes_down(small_run, config, train):
    result = train(run_dir=small_run, model_config=config, train_config=replace(FAST, l2=1e-4))
    losses = [epoch.loss for epoch in result.history]
    assert len(losses) == FAST.epochs
    assert losses[-1] < losses[0]
    assert result.samples_per_second > 0 and result.seconds > 0
    assert not result.model.training


def test_same_seed_gives_identical_weights_and_recommendations(small_run):
    first = train_implicit(run_dir=small_run, model_config=SMALL_GMF, train_config=FAST)
    second = train_implicit(run_dir=small_run, model_config=SMALL_GMF, train_config=FAST)
    other = train_implicit(run_dir=small_run, model_config=SMALL_GMF, train_config=replace(FAST, seed=6))
    state, again = first.model.state_dict(), second.model.state_dict()
    assert all(torch.equal(state[name], again[name]) for name in state)
    assert not torch.equal(state["user_embedding.weight"], other.model.state_dict()["user_embedding.weight"])
    seen = read_pairs(small_run / "train.parquet")
    lists = [top_k_unseen(model=r.model, n_users=200, n_movies=150, seen=seen)[0] for r in (first, second)]
    assert np.array_equal(*lists)


def test_training_leaves_global_torch_state_alone(small_run):
    threads, rng_state = torch.get_num_threads(), torch.get_rng_state()
    train_implicit(run_dir=small_run, model_config=SMALL_GMF, train_config=replace(FAST, epochs=1))
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert not torch.are_deterministic_algorithms_enabled()


def test_the_best_epochs_weights_are_restored(small_run):
    # A high learning rate and many factors overfit this small run: validation HR peaks, then falls.
    config = replace(FAST, epochs=12, lr=0.03)
    model_config = ModelConfig("gmf", 64)
    result = train_implicit(run_dir=small_run, model_config=model_config, train_config=config)
    keys = [(e.metrics["hr@10"], e.metrics["ndcg@10"]) for e in result.history]
    assert result.best_epoch == 1 + keys.index(max(keys))
    assert result.best_epoch < len(result.history)
    shorter = train_implicit(
        run_dir=small_run, model_config=model_config, train_config=replace(config, epochs=result.best_epoch)
    )
    state, expected = result.model.state_dict(), shorter.model.state_dict()
    assert all(torch.equal(state[name], expected[name]) for name in state)
    validation = read_pairs(small_run / "validation.parquet")
    candidates = read_pairs(small_run / "validation_candidates.parquet")
    assert evaluate_sampled(model_score_fn(result.model), validation, candidates) == result.best_metrics


def test_training_stops_after_patience_epochs_without_improvement(small_run):
    config = replace(FAST, epochs=30, lr=0.03, patience=2)
    result = train_implicit(run_dir=small_run, model_config=ModelConfig("gmf", 64), train_config=config)
    assert result.stopped_early
    assert len(result.history) == result.best_epoch + 2


def test_explicit_training_keeps_the_lowest_validation_rmse(small_run):
    config = ModelConfig(variant="ncf", embedding_dim=16, mlp_layers=(32, 16), objective="explicit")
    result = train_explicit(run_dir=small_run, model_config=config, train_config=replace(FAST, epochs=5))
    errors = [epoch.metrics["rmse"] for epoch in result.history]
    assert result.best_metrics["rmse"] == min(errors)
    assert result.best_epoch == 1 + errors.index(min(errors))


def test_progress_is_reported_after_every_epoch(small_run):
    calls = []
    train_implicit(
        run_dir=small_run,
        model_config=SMALL_GMF,
        train_config=FAST,
        progress=lambda epoch, epochs, info: calls.append((epoch, epochs, info)),
    )
    assert [(epoch, epochs) for epoch, epochs, _ in calls] == [(1, 3), (2, 3), (3, 3)]
    assert {"loss", "hr@10", "ndcg@10", "seconds", "samples_per_second", "best_epoch"} <= set(calls[-1][2])


def test_negative_epochs_are_cycled(small_run):
    negatives = NegativeEpochs(small_run / "negatives.parquet")
    assert len(negatives) == 3
    assert torch.equal(negatives.epoch(4)[1], negatives.epoch(1)[1])
    assert not torch.equal(negatives.epoch(0)[1], negatives.epoch(1)[1])
    result = train_implicit(run_dir=small_run, model_config=SMALL_GMF, train_config=replace(FAST, epochs=4))
    assert len(result.history) == 4


def test_objective_must_match_the_loop(small_run):
    with pytest.raises(ValueError):
        train_explicit(run_dir=small_run, model_config=SMALL_GMF, train_config=FAST)


def test_known_answer_each_group_is_recommended_its_own_block(tmp_path):
    ratings = block_ratings(seeded_rng(), users_per_group=20, movies_per_block=10)
    run = write_run_folder(tmp_path, ratings, seeded_rng(1), candidates=15)
    config = TrainConfig(epochs=40, batch_size=64, lr=0.01, seed=1, threads=1, patience=0)
    result = train_implicit(run_dir=run, model_config=ModelConfig("gmf", 8), train_config=config)
    seen = read_pairs(run / "train.parquet")
    top, _ = top_k_unseen(model=result.model, n_users=40, n_movies=20, seen=seen, k=1)
    group_a = np.arange(40) < 20
    assert np.all(top[group_a, 0] < 10) and np.all(top[~group_a, 0] >= 10)


def test_default_model_beats_popularity_by_a_clear_margin(tmp_path):
    # Defaults are sized for MovieLens-1M (~1,200 batches an epoch); a smaller batch gives this small run
    # a comparable number of steps.
    run = synthetic_run(tmp_path, n_users=600, n_movies=400, median_per_user=50)
    config = replace(DEFAULT_TRAIN_CONFIG, batch_size=512, threads=1)
    result = train_implicit(run_dir=run, model_config=DEFAULT_MODEL_CONFIG, train_config=config)
    metrics = evaluate_run(run_dir=run, model=result.model)
    assert metrics["hr@10"] > metrics["baseline_hr@10"] + 0.15
    assert metrics["hr@10_full"] > metrics["baseline_hr@10_full"] + 0.1


def test_results_and_configs_are_plain_json(small_run):
    result = train_implicit(run_dir=small_run, model_config=SMALL_GMF, train_config=replace(FAST, epochs=1))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["best_epoch"] == 1 and len(data["history"]) == 1
    assert TrainConfig.from_dict(data["train_config"]) == replace(FAST, epochs=1)
    assert ModelConfig.from_dict(data["model_config"]) == SMALL_GMF


def test_without_validation_rows_the_last_epoch_is_kept(tmp_path):
    rng = seeded_rng(2)
    run = write_run_folder(tmp_path, block_ratings(rng), rng, hold_out=False, negative_epochs=1)
    result = train_implicit(run_dir=run, model_config=SMALL_GMF, train_config=FAST)
    assert result.best_epoch == FAST.epochs and result.best_metrics == {}


def test_train_config_refuses_nonsense():
    with pytest.raises(ValueError):
        TrainConfig(epochs=0, batch_size=1, lr=0.1)
    with pytest.raises(ValueError):
        TrainConfig(epochs=1, batch_size=1, lr=0.1, l2=-1)
    with pytest.raises(ValueError):
        TrainConfig.from_dict({"epochs": 1, "batch_size": 1, "lr": 0.1, "momentum": 0.9})
