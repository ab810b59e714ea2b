"""Predicted stars for the pages and the API: the active version's explicit-rating model (the seed's MLP),
read from the plain arrays the precompute exported, so that a web process never imports torch.

A user's vector is the one the refresh folded in from their current ratings when there is one (stored with
their list), else the one the model was trained with; a user with neither gets no prediction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .models import ModelVersion, UserList

RATING_MIN, RATING_MAX = 1.0, 5.0
_lock = threading.Lock()


@dataclass(frozen=True)
class StarModel:
    user_index: dict[int, int]
    movie_index: dict[int, int]
    users: np.ndarray
    movies: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]  # (weight [out, in], bias) of each ReLU layer
    head: tuple[np.ndarray, np.ndarray]

    def predict(self, user_vector: np.ndarray, movie_ids: list[int]) -> dict[int, float]:
        known = [pk for pk in movie_ids if pk in self.movie_index]
        if not known:
            return {}
        movie_rows = self.movies[[self.movie_index[pk] for pk in known]]
        hidden = np.concatenate([np.broadcast_to(user_vector, (len(known), len(user_vector))), movie_rows], axis=1)
        for weight, bias in self.layers:
            hidden = np.maximum(hidden @ weight.T + bias, 0.0)
        raw = hidden @ self.head[0].T + self.head[1]
        stars = RATING_MIN + (RATING_MAX - RATING_MIN) / (1.0 + np.exp(-raw[:, 0]))
        return {pk: round(float(value), 2) for pk, value in zip(known, stars, strict=True)}


@lru_cache(maxsize=2)
def _load(path: str) -> StarModel | None:
    file = Path(path)
    if not file.exists():
        return None
    data = np.load(file)
    layer_names = sorted(
        {name.rsplit("__", 1)[0] for name in data.files if name.startswith("tower__layers__")},
        key=lambda name: int(name.rsplit("__", 1)[1]),
    )
    return StarModel(
        user_index={int(pk): i for i, pk in enumerate(data["user_ids"])},
        movie_index={int(pk): i for i, pk in enumerate(data["movie_ids"])},
        users=data["user_embedding__weight"],
        movies=data["movie_embedding__weight"],
        layers=[(data[f"{name}__weight"], data[f"{name}__bias"]) for name in layer_names],
        head=(data["predict__weight"], data["predict__bias"]),
    )


def star_model_for(version: ModelVersion) -> StarModel | None:
    with _lock:
        return _load(str(Path(version.model_path) / "stars.npz"))


def predict_stars(*, user_id: int, movie_ids: list[int]) -> dict[int, float]:
    """{movie pk: predicted stars} for ``user_id`` under the active version ({} without a model or a vector)."""
    version = ModelVersion.objects.filter(is_active=True).only("pk", "model_path").first()
    model = star_model_for(version) if version else None
    if model is None:
        return {}
    folded = UserList.objects.filter(version=version, user_id=user_id).values_list("star_vector", flat=True).first()
    if folded:
        vector = np.frombuffer(bytes(folded), dtype=np.float32)
    elif user_id in model.user_index:
        vector = model.users[model.user_index[user_id]]
    else:
        return {}
    return model.predict(vector, list(movie_ids))
