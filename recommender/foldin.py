"""Re-estimate one user's vectors against a trained model's frozen movie side, from their current ratings.

This is how a list reacts to a rating within seconds instead of at the next retrain, and how a user who joined
after the training gets a personal list from their first ratings. The objective is the training one in
expectation, written over the whole catalogue instead of sampled pairs (no randomness, one small problem):

- implicit: mean over rated movies of softplus(-s) + ``negatives`` x mean over unrated movies of softplus(s),
  which is what BCE with ``negatives`` uniform unrated draws per positive averages to;
- explicit: mean squared error over the rated movies' stars;

plus ``prior`` x |x - x0|^2, x0 the mean trained user (for a user the model knows, the start is their trained
vector), so that one rating moves a new user a little and fifty move them a lot. L-BFGS on a few dozen
(or a few hundred, for NeuMF) numbers converges in a handful of iterations.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .ncf import PairModel

ITERATIONS = 20


def mean_user_parts(model: PairModel) -> tuple[Tensor, ...]:
    """The average trained user's vectors: the prior and the start for a user the model does not know."""
    with torch.no_grad():
        everyone = torch.arange(model.n_users)
        return tuple(part.mean(dim=0, keepdim=True) for part in model.user_parts(everyone))


def known_user_parts(model: PairModel, user_idx: int) -> tuple[Tensor, ...]:
    with torch.no_grad():
        return tuple(part.clone() for part in model.user_parts(torch.tensor([user_idx])))


def fold_in(
    model: PairModel,
    movies: np.ndarray,
    *,
    stars: np.ndarray | None = None,
    start: tuple[Tensor, ...] | None = None,
    prior_center: tuple[Tensor, ...] | None = None,
    prior: float = 0.01,
    negatives: float = 4.0,
    iterations: int = ITERATIONS,
) -> tuple[Tensor, ...]:
    """User-side vectors fitted to ``movies`` (movie indexes the user rated; with ``stars`` for an explicit
    model). The model is not changed."""
    center = prior_center if prior_center is not None else mean_user_parts(model)
    start = start if start is not None else center
    rated = torch.as_tensor(np.asarray(movies, dtype=np.int64))
    if len(rated) == 0:
        return tuple(part.detach().clone() for part in start)
    parts = [part.detach().clone().requires_grad_(True) for part in start]
    loss_of = _explicit_loss(rated, stars) if model.objective == "explicit" else _implicit_loss(model, rated, negatives)
    optimizer = torch.optim.LBFGS(parts, max_iter=iterations, line_search_fn="strong_wolfe")
    was_training = model.training
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    try:

        def closure() -> Tensor:
            optimizer.zero_grad()
            scores = model.score_all_from(tuple(parts))[0]
            penalty = sum((p - c).pow(2).sum() for p, c in zip(parts, center, strict=True))
            loss = loss_of(scores) + prior * penalty
            loss.backward()
            return loss

        optimizer.step(closure)
    finally:
        for parameter in model.parameters():
            parameter.requires_grad_(True)
        model.train(was_training)
    return tuple(part.detach() for part in parts)


def _implicit_loss(model: PairModel, rated: Tensor, negatives: float):
    unrated = torch.ones(model.n_movies, dtype=torch.bool)
    unrated[rated] = False

    def loss(scores: Tensor) -> Tensor:
        positive = F.softplus(-scores[rated]).mean()
        negative = F.softplus(scores[unrated]).mean() if unrated.any() else scores.new_zeros(())
        return positive + negatives * negative

    return loss


def _explicit_loss(rated: Tensor, stars: np.ndarray | None):
    if stars is None:
        raise ValueError("an explicit-rating model folds in from stars")
    target = torch.as_tensor(np.asarray(stars, dtype=np.float32))

    def loss(scores: Tensor) -> Tensor:
        return (scores[rated] - target).pow(2).mean()

    return loss
