import json

import numpy as np
import pytest
import torch

from recommender.artifacts import load_model, save_model
from recommender.ncf import ModelConfig, build_model
from recommender.scoring import top_k_unseen


@pytest.mark.parametrize("variant", ["ncf", "gmf", "neumf"])
def test_save_load_score_gives_identical_numbers(tmp_path, variant):
    config = ModelConfig(variant=variant, embedding_dim=8, mlp_layers=(16, 8))
    torch.manual_seed(0)
    model = build_model(config, n_users=20, n_movies=15)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_()
    extra = {"user_ids": list(range(100, 120)), "run": 7}
    save_model(tmp_path / "artefact", model, config, 20, 15, extra)

    loaded, loaded_config, meta = load_model(tmp_path / "artefact")

    assert loaded_config == config and not loaded.training
    assert meta["extra"] == extra and (meta["n_users"], meta["n_movies"]) == (20, 15)
    seen = (np.array([0, 1, 1]), np.array([3, 4, 5]))
    before = top_k_unseen(model=model, n_users=20, n_movies=15, seen=seen, k=5)
    after = top_k_unseen(model=loaded, n_users=20, n_movies=15, seen=seen, k=5)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])


def test_saving_again_replaces_the_artefact_and_leaves_no_temp_files(tmp_path):
    config = ModelConfig(variant="gmf", embedding_dim=4)
    for seed in (1, 2):
        torch.manual_seed(seed)
        model = build_model(config, 3, 3)
        save_model(tmp_path, model, config, 3, 3, {"seed": seed})
    loaded, _, meta = load_model(tmp_path)
    assert meta["extra"] == {"seed": 2}
    torch.testing.assert_close(loaded.user_embedding.weight, model.user_embedding.weight)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.json", "weights.pt"]


def test_weights_that_do_not_match_their_config_are_refused(tmp_path):
    config = ModelConfig(variant="gmf", embedding_dim=4)
    save_model(tmp_path / "a", build_model(config, 3, 3), config, 3, 3)
    save_model(tmp_path / "b", build_model(config, 3, 3), config, 3, 3)
    (tmp_path / "a" / "weights.pt").replace(tmp_path / "b" / "weights.pt")
    with pytest.raises(ValueError, match="does not match"):
        load_model(tmp_path / "b")


def test_config_is_plain_json(tmp_path):
    config = ModelConfig(variant="neumf", embedding_dim=4, mlp_layers=(8, 4))
    save_model(tmp_path, build_model(config, 2, 2), config, 2, 2)
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["model_config"]["mlp_layers"] == [8, 4]


def test_sizes_default_to_the_models(tmp_path):
    config = ModelConfig(variant="gmf", embedding_dim=4)
    save_model(tmp_path, build_model(config, 7, 5), config, extra={"note": "sizes from the model"})
    loaded, _, meta = load_model(tmp_path)
    assert (meta["n_users"], meta["n_movies"]) == (7, 5) == (loaded.n_users, loaded.n_movies)
