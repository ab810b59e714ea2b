"""Neural Collaborative Filtering models (He et al., WWW 2017, "Neural Collaborative Filtering").

Three interaction functions over a user and a movie embedding, all ending in one linear unit:

- ``ncf``: the MLP model of section 3.3 (the seed's model): user and movie embeddings concatenated, a ReLU
  tower, a final linear layer. Implicit feedback reads the output as a logit (sigmoid gives the probability).
- ``gmf``: generalized matrix factorization (section 3.2): element-wise product of the embeddings, then a
  linear layer (``h`` in the paper).
- ``neumf``: the fusion of section 3.4: a GMF path and an MLP path with separate embeddings, their last
  layers concatenated before the final linear layer.

``objective="explicit"`` trains the same trunk with squared error on star ratings (the regression reading
of section 3.2); its output is squashed into the rating scale, ``1 + 4 * sigmoid(z)``.

Every model scores pairs with ``forward(users, movies)`` and a whole block of users against every movie with
``score_all_movies(users)``; the latter reorganises the same arithmetic (one matrix product for GMF, the
first MLP layer split into a user half and a movie half) so that precomputing top-10 lists stays cheap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import Tensor, nn

VARIANTS = ("ncf", "gmf", "neumf")
OBJECTIVES = ("implicit", "explicit")
RATING_MIN, RATING_MAX = 1.0, 5.0


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of one model; stored as JSON beside its weights.

    ``embedding_dim`` is the size of each embedding table (for ``neumf``, of the GMF tables and of the MLP
    tables alike). ``mlp_layers`` are the widths of the ReLU layers after the concatenated embeddings (the
    paper's 4-layer tower by default). The tuned defaults are ``recommender.training.DEFAULT_MODEL_CONFIG``.
    """

    variant: str
    embedding_dim: int
    mlp_layers: tuple[int, ...] = (64, 32, 16, 8)
    objective: str = "implicit"
    dropout: float = 0.0
    # A learned per-movie bias added to GMF's score: popularity lives there, the factors learn taste.
    item_bias: bool = False

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {self.variant!r}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, not {self.objective!r}")
        if self.embedding_dim < 1:
            raise ValueError("embedding_dim must be positive")
        object.__setattr__(self, "mlp_layers", tuple(int(width) for width in self.mlp_layers))
        if self.variant != "gmf" and (not self.mlp_layers or min(self.mlp_layers) < 1):
            raise ValueError("mlp_layers needs at least one positive width for ncf and neumf")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mlp_layers"] = list(self.mlp_layers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {field.name for field in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)


def build_model(config: ModelConfig, n_users: int, n_movies: int) -> PairModel:
    """A freshly initialised model for ``n_users`` x ``n_movies`` contiguous indexes."""
    if n_users < 1 or n_movies < 1:
        raise ValueError("a model needs at least one user and one movie")
    classes = {"ncf": MLPModel, "gmf": GMFModel, "neumf": NeuMFModel}
    return classes[config.variant](config, n_users, n_movies)


class PairModel(nn.Module):
    """Shared plumbing: embed a batch, score it, map the score to the objective's output."""

    def __init__(self, config: ModelConfig, n_users: int, n_movies: int) -> None:
        super().__init__()
        self.config = config
        self.n_users = n_users
        self.n_movies = n_movies
        self.objective = config.objective

    def forward(self, users: Tensor, movies: Tensor) -> Tensor:
        """One score per (user, movie) pair: a logit (implicit) or a rating in [1, 5] (explicit)."""
        return self.output(self.interact(self.embed(users, movies)))

    def forward_with_penalty(self, users: Tensor, movies: Tensor) -> tuple[Tensor, Tensor]:
        """Scores plus the batch's embedding L2: mean over pairs of the summed squared embedding rows."""
        embedded = self.embed(users, movies)
        penalty = sum(vector.pow(2).reshape(len(vector), -1).sum(dim=1).mean() for vector in embedded)
        return self.output(self.interact(embedded)), penalty

    def output(self, raw: Tensor) -> Tensor:
        if self.objective == "explicit":
            return RATING_MIN + (RATING_MAX - RATING_MIN) * torch.sigmoid(raw)
        return raw

    @torch.no_grad()
    def score_all_movies(self, users: Tensor) -> Tensor:
        """Scores of each given user against every movie, shape [len(users), n_movies]."""
        return self.output(self.interact_all(users))

    def interact_all(self, users: Tensor) -> Tensor:
        return self.interact_all_from(self.user_parts(users))

    def score_all_from(self, parts: tuple[Tensor, ...]) -> Tensor:
        """Scores of users given by their user-side vectors (not their indexes) against every movie.

        With autograd on: the fold-in of a user the model was not trained on optimises these vectors.
        """
        return self.output(self.interact_all_from(parts))

    def score_from(self, parts: tuple[Tensor, ...], movies: Tensor) -> Tensor:
        """Scores of one user, given by their user-side vectors ([1, dim] each), for the given movies."""
        return self.output(self.interact(self.combine(parts, movies)))

    def combine(self, parts: tuple[Tensor, ...], movies: Tensor) -> tuple[Tensor, ...]:
        """What ``embed`` returns, with the user side taken from ``parts`` (broadcast over ``movies``)."""
        raise NotImplementedError

    # Scoring every movie costs about as much as a few hundred pairs (GMF: one matrix product).
    cheap_all_scores = False

    def embed(self, users: Tensor, movies: Tensor) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def interact(self, embedded: tuple[Tensor, ...]) -> Tensor:
        raise NotImplementedError

    def user_parts(self, users: Tensor) -> tuple[Tensor, ...]:
        """The user-side vectors of ``users`` (one table per part), each [len(users), dim]."""
        raise NotImplementedError

    def interact_all_from(self, parts: tuple[Tensor, ...]) -> Tensor:
        raise NotImplementedError

    def movie_space(self) -> Tensor:
        """One row per movie in the space the model compares movies in (for cosine neighbours), [n_movies, d]."""
        raise NotImplementedError


class GMFModel(PairModel):
    cheap_all_scores = True

    def __init__(self, config: ModelConfig, n_users: int, n_movies: int) -> None:
        super().__init__(config, n_users, n_movies)
        self.user_embedding = _embedding(n_users, config.embedding_dim)
        self.movie_embedding = _embedding(n_movies, config.embedding_dim)
        self.predict = _prediction_layer(config.embedding_dim)
        self.movie_bias = nn.Embedding(n_movies, 1) if config.item_bias else None
        if self.movie_bias is not None:
            nn.init.zeros_(self.movie_bias.weight)

    def embed(self, users: Tensor, movies: Tensor) -> tuple[Tensor, ...]:
        if self.movie_bias is not None:
            return self.user_embedding(users), self.movie_embedding(movies), self.movie_bias(movies).squeeze(-1)
        return self.user_embedding(users), self.movie_embedding(movies)

    def interact(self, embedded: tuple[Tensor, ...]) -> Tensor:
        user, movie = embedded[:2]
        score = self.predict(user * movie).squeeze(-1)
        return score + embedded[2] if len(embedded) > 2 else score

    def user_parts(self, users: Tensor) -> tuple[Tensor, ...]:
        return (self.user_embedding(users),)

    def combine(self, parts: tuple[Tensor, ...], movies: Tensor) -> tuple[Tensor, ...]:
        user = parts[0].expand(len(movies), -1)
        if self.movie_bias is not None:
            return user, self.movie_embedding(movies), self.movie_bias(movies).squeeze(-1)
        return user, self.movie_embedding(movies)

    def interact_all_from(self, parts: tuple[Tensor, ...]) -> Tensor:
        weighted = parts[0] * self.predict.weight[0]
        scores = weighted @ self.movie_embedding.weight.T + self.predict.bias
        return scores + self.movie_bias.weight[:, 0] if self.movie_bias is not None else scores

    def movie_space(self) -> Tensor:
        # The score is (h * p_u) . q_i: the movie side as the prediction layer weighs it.
        return self.movie_embedding.weight * self.predict.weight[0]


class MLPModel(PairModel):
    def __init__(self, config: ModelConfig, n_users: int, n_movies: int) -> None:
        super().__init__(config, n_users, n_movies)
        self.user_embedding = _embedding(n_users, config.embedding_dim)
        self.movie_embedding = _embedding(n_movies, config.embedding_dim)
        self.tower = MLPTower(2 * config.embedding_dim, config.mlp_layers, config.dropout)
        self.predict = _prediction_layer(config.mlp_layers[-1])

    def embed(self, users: Tensor, movies: Tensor) -> tuple[Tensor, ...]:
        return self.user_embedding(users), self.movie_embedding(movies)

    def interact(self, embedded: tuple[Tensor, ...]) -> Tensor:
        return self.predict(self.tower(torch.cat(embedded, dim=-1))).squeeze(-1)

    def user_parts(self, users: Tensor) -> tuple[Tensor, ...]:
        return (self.user_embedding(users),)

    def combine(self, parts: tuple[Tensor, ...], movies: Tensor) -> tuple[Tensor, ...]:
        return parts[0].expand(len(movies), -1), self.movie_embedding(movies)

    def interact_all_from(self, parts: tuple[Tensor, ...]) -> Tensor:
        hidden = self.tower.all_pairs(parts[0], self.movie_embedding.weight)
        return self.predict(hidden).squeeze(-1)

    def movie_space(self) -> Tensor:
        return self.movie_embedding.weight


class NeuMFModel(PairModel):
    def __init__(self, config: ModelConfig, n_users: int, n_movies: int) -> None:
        super().__init__(config, n_users, n_movies)
        dim = config.embedding_dim
        self.gmf_user_embedding = _embedding(n_users, dim)
        self.gmf_movie_embedding = _embedding(n_movies, dim)
        self.mlp_user_embedding = _embedding(n_users, dim)
        self.mlp_movie_embedding = _embedding(n_movies, dim)
        self.tower = MLPTower(2 * dim, config.mlp_layers, config.dropout)
        self.predict = _prediction_layer(dim + config.mlp_layers[-1])

    def embed(self, users: Tensor, movies: Tensor) -> tuple[Tensor, ...]:
        return (
            self.gmf_user_embedding(users),
            self.gmf_movie_embedding(movies),
            self.mlp_user_embedding(users),
            self.mlp_movie_embedding(movies),
        )

    def interact(self, embedded: tuple[Tensor, ...]) -> Tensor:
        gmf_user, gmf_movie, mlp_user, mlp_movie = embedded
        mlp = self.tower(torch.cat((mlp_user, mlp_movie), dim=-1))
        return self.predict(torch.cat((gmf_user * gmf_movie, mlp), dim=-1)).squeeze(-1)

    def user_parts(self, users: Tensor) -> tuple[Tensor, ...]:
        return self.gmf_user_embedding(users), self.mlp_user_embedding(users)

    def combine(self, parts: tuple[Tensor, ...], movies: Tensor) -> tuple[Tensor, ...]:
        n = len(movies)
        gmf, mlp = parts
        return gmf.expand(n, -1), self.gmf_movie_embedding(movies), mlp.expand(n, -1), self.mlp_movie_embedding(movies)

    def interact_all_from(self, parts: tuple[Tensor, ...]) -> Tensor:
        dim = self.config.embedding_dim
        gmf_weight, mlp_weight = self.predict.weight[0, :dim], self.predict.weight[0, dim:]
        gmf = (parts[0] * gmf_weight) @ self.gmf_movie_embedding.weight.T
        hidden = self.tower.all_pairs(parts[1], self.mlp_movie_embedding.weight)
        return gmf + hidden @ mlp_weight + self.predict.bias

    def movie_space(self) -> Tensor:
        dim = self.config.embedding_dim
        gmf = self.gmf_movie_embedding.weight * self.predict.weight[0, :dim]
        return torch.cat([gmf, self.mlp_movie_embedding.weight], dim=1)


class MLPTower(nn.Module):
    """ReLU layers over a concatenated [user, movie] vector (optional dropout after each)."""

    def __init__(self, in_features: int, widths: tuple[int, ...], dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for width in widths:
            linear = nn.Linear(in_features, width)
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            in_features = width
        self.layers = nn.Sequential(*layers)

    def forward(self, pairs: Tensor) -> Tensor:
        return self.layers(pairs)

    def all_pairs(self, users: Tensor, movies: Tensor) -> Tensor:
        """Tower output for every (user row, movie row) combination, shape [U, M, last width].

        The first layer is linear in the concatenation, so W [u; m] = W_u u + W_m m: each half is computed
        once per user and once per movie and only their sum is broadcast over the pairs.
        """
        first = self.layers[0]
        dim = users.shape[1]
        user_part = users @ first.weight[:, :dim].T + first.bias
        movie_part = movies @ first.weight[:, dim:].T
        hidden = user_part.unsqueeze(1) + movie_part.unsqueeze(0)
        return self.layers[1:](hidden)


def _embedding(rows: int, dim: int) -> nn.Embedding:
    # N(0, 0.01) as in the authors' Keras code and the common PyTorch re-implementations.
    embedding = nn.Embedding(rows, dim)
    nn.init.normal_(embedding.weight, std=0.01)
    return embedding


def _prediction_layer(in_features: int) -> nn.Linear:
    # The authors use lecun_uniform for the prediction layer; Kaiming uniform with a=1 is the same bound.
    linear = nn.Linear(in_features, 1)
    nn.init.kaiming_uniform_(linear.weight, a=1, nonlinearity="sigmoid")
    nn.init.zeros_(linear.bias)
    return linear
