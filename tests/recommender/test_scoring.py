import numpy as np
import pytest
import torch

from recommender.ncf import ModelConfig, build_model
from recommender.scoring import SeenIndex, model_score_fn, top_k_unseen
from tests.recommender.helpers import seeded_rng

N_USERS, N_MOVIES = 37, 23


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(1)
    model = build_model(ModelConfig(variant="neumf", embedding_dim=8, mlp_layers=(16, 8)), N_USERS, N_MOVIES)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_()
    return model


@pytest.fixture(scope="module")
def seen():
    rng = seeded_rng(1)
    users = rng.integers(0, N_USERS, 300)
    movies = rng.integers(0, N_MOVIES, 300)
    return users, movies


def test_batched_top_k_equals_one_user_at_a_time(model, seen):
    batched_movies, batched_scores = top_k_unseen(model=model, n_users=N_USERS, n_movies=N_MOVIES, seen=seen)
    for user in range(N_USERS):
        movies, scores = top_k_unseen(
            model=model, n_users=N_USERS, n_movies=N_MOVIES, seen=seen, users=np.array([user])
        )
        assert movies[0].tolist() == batched_movies[user].tolist()
        np.testing.assert_allclose(scores[0], batched_scores[user], rtol=1e-5, atol=1e-5)


def test_top_k_never_returns_a_seen_movie(model, seen):
    movies, scores = top_k_unseen(model=model, n_users=N_USERS, n_movies=N_MOVIES, seen=seen, batch_users=5)
    seen_pairs = set(zip(*(column.tolist() for column in seen), strict=True))
    for user in range(N_USERS):
        assert not {(user, movie) for movie in movies[user]} & seen_pairs
        assert np.all(np.diff(scores[user]) <= 0)


def test_model_path_and_pairwise_path_agree(model, seen):
    fast, _ = top_k_unseen(model=model, n_users=N_USERS, n_movies=N_MOVIES, seen=seen)
    slow, _ = top_k_unseen(score_fn=model_score_fn(model), n_users=N_USERS, n_movies=N_MOVIES, seen=seen)
    assert (fast == slow).mean() > 0.99


def test_users_with_few_unseen_movies_get_padding():
    seen = (np.zeros(N_MOVIES - 2, dtype=int), np.arange(N_MOVIES - 2))
    scorer = lambda users, movies: np.asarray(movies, dtype=np.float32)  # noqa: E731
    movies, scores = top_k_unseen(score_fn=scorer, n_users=2, n_movies=N_MOVIES, seen=seen, k=4)
    assert movies[0].tolist() == [N_MOVIES - 1, N_MOVIES - 2, -1, -1]
    assert np.isneginf(scores[0, 2:]).all()
    assert movies[1].tolist() == [N_MOVIES - 1 - i for i in range(4)]


def test_seen_index_blocks():
    index = SeenIndex.from_pairs(np.array([2, 0, 2, 2]), np.array([5, 1, 6, 7]), n_users=4)
    rows, movies = index.block(np.array([3, 2, 0]))
    assert sorted(zip(rows.tolist(), movies.tolist(), strict=True)) == [(1, 5), (1, 6), (1, 7), (2, 1)]


def test_needs_exactly_one_scorer(model):
    with pytest.raises(ValueError):
        top_k_unseen(n_users=1, n_movies=1, seen=(np.zeros(0), np.zeros(0)))
