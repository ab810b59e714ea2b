import numpy as np
import pytest

from recommender.evaluation import (
    PopularityScorer,
    evaluate_full_catalogue,
    evaluate_run,
    evaluate_sampled,
    full_catalogue_ranks,
    sampled_ranks,
)
from recommender.ncf import ModelConfig, build_model
from recommender.scoring import top_k_unseen
from tests.recommender.helpers import synthetic_run


def by_movie(scores):
    """A score_fn that ignores the user: movie m scores scores[m]."""
    table = np.asarray(scores, dtype=np.float32)
    return lambda users, movies: table[np.asarray(movies)]


def test_sampled_rank_counts_candidates_scored_above():
    score_fn = by_movie([0.0, 1.0, 2.0, 3.0, 4.0])
    test = (np.array([0, 1]), np.array([2, 4]))
    candidates = (np.array([0, 0, 0, 1, 1]), np.array([1, 3, 4, 0, 1]))
    assert sampled_ranks(score_fn, test, candidates).tolist() == [2, 0]


def test_ties_are_pessimistic():
    constant = by_movie(np.ones(100))
    test = (np.array([0]), np.array([0]))
    candidates = (np.zeros(99, dtype=int), np.arange(1, 100))
    assert sampled_ranks(constant, test, candidates).tolist() == [99]
    assert evaluate_sampled(constant, test, candidates) == {"hr@10": 0.0, "ndcg@10": 0.0}


def test_nan_scores_rank_last():
    score_fn = by_movie([np.nan, 0.0, 1.0])
    ranks = sampled_ranks(score_fn, (np.array([0]), np.array([0])), (np.array([0, 0]), np.array([1, 2])))
    assert ranks.tolist() == [2]


def test_candidates_of_users_without_a_test_movie_are_ignored():
    score_fn = by_movie([0.0, 1.0, 2.0])
    ranks = sampled_ranks(score_fn, (np.array([1]), np.array([0])), (np.array([0, 1]), np.array([2, 1])))
    assert ranks.tolist() == [1]


def test_full_catalogue_excludes_everything_rated_but_the_test_movie():
    score_fn = by_movie([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    train = (np.array([0, 0]), np.array([0, 2]))
    validation = (np.array([0]), np.array([1]))
    test = (np.array([0]), np.array([4]))
    # unrated movies are 3 (score 2) and 5 (score 0): only movie 3 is ahead of movie 4
    ranks = full_catalogue_ranks(score_fn, 6, train, test, exclude=validation)
    assert ranks.tolist() == [1]
    metrics = evaluate_full_catalogue(score_fn, 6, train, test, k=1, exclude=validation)
    assert metrics == {"hr@1_full": 0.0, "ndcg@1_full": 0.0, "precision@1": 0.0, "recall@1": 0.0}
    metrics = evaluate_full_catalogue(score_fn, 6, train, test, k=2, exclude=validation)
    assert metrics["hr@2_full"] == 1.0 and metrics["precision@2"] == 0.5 and metrics["recall@2"] == 1.0


def test_full_catalogue_agrees_between_score_paths():
    rng = np.random.default_rng(3)
    model = build_model(ModelConfig(variant="neumf", embedding_dim=8, mlp_layers=(16, 8)), 30, 40)
    train = (rng.integers(0, 30, 200), rng.integers(0, 40, 200))
    test = (np.arange(30), rng.integers(0, 40, 30))
    from recommender.scoring import model_score_fn

    by_pairs = full_catalogue_ranks(model_score_fn(model), 40, train, test, batch_users=7)
    by_blocks = full_catalogue_ranks(model, 40, train, test)
    assert np.abs(by_pairs - by_blocks).max() <= 1  # float rounding may swap near-ties


def test_popularity_scorer_ranks_the_most_rated_movie_first():
    movies = np.array([3, 3, 3, 1, 1, 0, 2, 3])
    scorer = PopularityScorer.from_ratings(movies, 5)
    assert scorer(np.zeros(5, dtype=int), np.arange(5)).tolist() == [1, 2, 1, 4, 0]
    top, _ = top_k_unseen(score_fn=scorer, n_users=2, n_movies=5, seen=(np.array([1]), np.array([3])), k=2)
    assert top[0].tolist() == [3, 1]
    assert top[1].tolist() == [1, 0] or top[1].tolist() == [1, 2]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return synthetic_run(tmp_path_factory.mktemp("run"), n_users=60, n_movies=80, median_per_user=25)


def test_evaluate_run_reports_model_and_baseline_side_by_side(run_dir):
    model = build_model(ModelConfig(variant="gmf", embedding_dim=8), 60, 80)
    metrics = evaluate_run(run_dir=run_dir, model=model)
    keys = ["hr@10", "ndcg@10", "hr@10_full", "ndcg@10_full", "precision@10", "recall@10"]
    assert set(keys + [f"baseline_{key}" for key in keys]) <= set(metrics)
    assert metrics["test_users"] == 60
    assert all(0.0 <= metrics[key] <= 1.0 for key in keys)
    assert metrics["baseline_precision@10"] == pytest.approx(metrics["baseline_hr@10_full"] / 10)


def test_evaluate_run_adds_rmse_for_rating_models(run_dir):
    model = build_model(ModelConfig(variant="ncf", embedding_dim=8, objective="explicit"), 60, 80)
    assert 0.0 < evaluate_run(run_dir=run_dir, model=model)["rmse"] < 4.0
