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
UNRATED_SAMPLE = 1000  # unrated movies standing in for all of them, for models where scoring all is dear


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
    if model.objective == "explicit":
        scored, loss_of = rated, _explicit_loss(stars)
    else:
        scored, loss_of = _implicit_problem(model, rated, negatives)
    # max_eval bounds the line searches too: a few dozen passes whatever the curvature (p95, not just p50)
    optimizer = torch.optim.LBFGS(parts, max_iter=iterations, max_eval=iterations + 5, line_search_fn="strong_wolfe")
    was_training = model.training
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    try:

        def closure() -> Tensor:
            optimizer.zero_grad()
            scores = model.score_all_from(tuple(parts))[0] if scored is None else model.score_from(tuple(parts), scored)
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


def _implicit_problem(model: PairModel, rated: Tensor, negatives: float):
    """(movies to score or None for all, loss over their scores). Beyond GMF, scoring every movie costs a full
    tower pass per step: a fixed sample of unrated movies stands in for them (the same sample every call)."""
    unrated = torch.ones(model.n_movies, dtype=torch.bool)
    unrated[rated] = False
    pool = torch.nonzero(unrated).squeeze(1)
    scored = None
    if not model.cheap_all_scores and len(pool) > UNRATED_SAMPLE:
        generator = torch.Generator().manual_seed(0)
        pool = pool[torch.randperm(len(pool), generator=generator)[:UNRATED_SAMPLE]]
    if not model.cheap_all_scores:
        scored = torch.cat([rated, pool])
    n_rated = len(rated)

    def loss(scores: Tensor) -> Tensor:
        if scored is None:
            positive_scores, negative_scores = scores[rated], scores[pool]
        else:
            positive_scores, negative_scores = scores[:n_rated], scores[n_rated:]
        negative = F.softplus(negative_scores).mean() if len(negative_scores) else scores.new_zeros(())
        return F.softplus(-positive_scores).mean() + negatives * negative

    return scored, loss


def _explicit_loss(stars: np.ndarray | None):
    if stars is None:
        raise ValueError("an explicit-rating model folds in from stars")
    target = torch.as_tensor(np.asarray(stars, dtype=np.float32))

    def loss(scores: Tensor) -> Tensor:
        return (scores - target).pow(2).mean()

    return loss
