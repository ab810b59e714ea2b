import json

import pytest
import torch

from recommender.ncf import ModelConfig, build_model

CONFIGS = [
    ModelConfig(variant="ncf", embedding_dim=8, mlp_layers=(16, 8)),
    ModelConfig(variant="gmf", embedding_dim=8),
    ModelConfig(variant="neumf", embedding_dim=8, mlp_layers=(16, 8, 4), dropout=0.2),
    ModelConfig(variant="ncf", embedding_dim=8, mlp_layers=(16, 8), objective="explicit"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.variant}-{c.objective}")
def test_config_survives_json(config):
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize(
    "bad",
    [
        {"variant": "svd"},
        {"objective": "pairwise"},
        {"embedding_dim": 0},
        {"dropout": 1.0},
        {"variant": "ncf", "mlp_layers": ()},
    ],
)
def test_config_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        ModelConfig(**({"variant": "gmf", "embedding_dim": 8} | bad))


def test_config_refuses_unknown_keys():
    with pytest.raises(ValueError):
        ModelConfig.from_dict({"variant": "gmf", "embedding_dim": 8, "factors": 8})


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.variant}-{c.objective}")
def test_scoring_all_movies_matches_scoring_pairs(config):
    torch.manual_seed(0)
    model = build_model(config, n_users=12, n_movies=9).eval()
    with torch.no_grad():
        for parameter in model.parameters():  # lift the tiny initial weights so the check has teeth
            parameter.normal_()
    users = torch.tensor([0, 5, 11])
    pairs = model(users.repeat_interleave(9), torch.arange(9).repeat(3)).reshape(3, 9)
    torch.testing.assert_close(model.score_all_movies(users), pairs, rtol=1e-5, atol=1e-5)


def test_explicit_models_predict_inside_the_rating_scale():
    model = build_model(CONFIGS[3], n_users=5, n_movies=5)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(100)
        ratings = model.score_all_movies(torch.arange(5))
    assert ratings.min() >= 1.0 and ratings.max() <= 5.0


def test_penalty_is_the_mean_squared_norm_of_the_rows_used():
    model = build_model(ModelConfig(variant="gmf", embedding_dim=4), n_users=3, n_movies=3)
    users, movies = torch.tensor([0, 0, 2]), torch.tensor([1, 2, 2])
    _, penalty = model.forward_with_penalty(users, movies)
    rows = model.user_embedding.weight[users].pow(2).sum(1) + model.movie_embedding.weight[movies].pow(2).sum(1)
    torch.testing.assert_close(penalty, rows.mean())


def test_embeddings_start_small():
    model = build_model(ModelConfig(variant="neumf", embedding_dim=32), n_users=500, n_movies=500)
    assert 0.008 < model.gmf_user_embedding.weight.std().item() < 0.012
