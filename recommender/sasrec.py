"""SASRec: self-attentive sequential recommendation (Kang & McAuley, ICDM 2018).

A user is the sequence of movies they rated, oldest first. The model embeds each movie (plus a learned
position embedding), runs causal self-attention blocks over the sequence (pre-layer-norm, dropout, a
position-wise feed-forward layer; torch's ``nn.TransformerEncoderLayer``), and reads the next movie off the last
position as a dot product with the same movie embeddings, i.e. a softmax over the whole catalogue.

Tokens: movie ``idx`` is token ``idx + 1``; token 0 is "no movie" (left padding of short sequences). A padded
position is masked out as an attention key (it only attends to itself, which keeps its softmax finite) and its
output is zeroed, so a sequence scores the same however much padding surrounds it.

``score_next(tokens)`` gives ``[B, n_movies]`` scores of the next movie for a batch of token sequences;
``encode_sequences`` turns lists of movie indexes into such a batch. The tuned defaults live in
``recommender.sasrec_training``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

PAD = 0


@dataclass(frozen=True)
class SASRecConfig:
    """Architecture; stored as JSON beside the weights. ``max_len``: the most recent movies read per user."""

    max_len: int = 50
    hidden: int = 64
    blocks: int = 2
    heads: int = 1
    dropout: float = 0.2

    def __post_init__(self) -> None:
        if self.max_len < 1 or self.hidden < 1 or self.blocks < 1 or self.heads < 1:
            raise ValueError("max_len, hidden, blocks and heads must be positive")
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SASRecConfig:
        unknown = set(data) - {item.name for item in fields(cls)}
        if unknown:
            raise ValueError(f"unknown SASRec config keys: {sorted(unknown)}")
        return cls(**data)


class SASRec(nn.Module):
    """Item and position embeddings, ``blocks`` causal self-attention blocks, a shared-embedding softmax."""

    variant = "sasrec"
    objective = "implicit"

    def __init__(self, config: SASRecConfig, n_movies: int) -> None:
        super().__init__()
        if n_movies < 1:
            raise ValueError("a model needs at least one movie")
        self.config, self.n_movies = config, n_movies
        self.item_embedding = nn.Embedding(n_movies + 1, config.hidden, padding_idx=PAD)
        self.position_embedding = nn.Embedding(config.max_len, config.hidden)
        self.input_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model=config.hidden,
                nhead=config.heads,
                dim_feedforward=config.hidden,
                dropout=config.dropout,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            for _ in range(config.blocks)
        )
        self.final_norm = nn.LayerNorm(config.hidden)
        self._init_weights()

    def _init_weights(self) -> None:
        for name, parameter in self.named_parameters():
            if parameter.dim() > 1 and "norm" not in name:
                nn.init.xavier_normal_(parameter)
        with torch.no_grad():
            self.item_embedding.weight[PAD].zero_()

    def hidden_states(self, tokens: Tensor) -> Tensor:
        """``[B, L, hidden]``: what each position predicts the next movie to be; zero at padded positions."""
        tokens = tokens.long()
        batch, length = tokens.shape
        if length > self.config.max_len:
            raise ValueError(f"sequences may be at most {self.config.max_len} long, got {length}")
        present = (tokens != PAD).unsqueeze(-1)
        positions = torch.arange(self.config.max_len - length, self.config.max_len)
        x = self.item_embedding(tokens) * self.config.hidden**0.5 + self.position_embedding(positions)
        x = self.input_dropout(x) * present
        mask = self._attention_mask(tokens)
        for block in self.blocks:
            x = block(x, src_mask=mask) * present
        return self.final_norm(x) * present

    def _attention_mask(self, tokens: Tensor) -> Tensor:
        """Boolean ``[B * heads, L, L]``, True where query i may not look at key j: the future, and padding."""
        length = tokens.shape[1]
        future = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
        padding = (tokens == PAD).unsqueeze(1) & ~torch.eye(length, dtype=torch.bool)  # a row keeps itself
        return (future | padding).repeat_interleave(self.config.heads, dim=0)

    def movie_logits(self, states: Tensor) -> Tensor:
        """Scores of every movie (``[..., n_movies]``) for hidden states (``[..., hidden]``)."""
        return states @ self.item_embedding.weight[1:].T

    def forward(self, tokens: Tensor) -> Tensor:
        """Next-movie scores after each position, ``[B, L, n_movies]`` (training reads the present ones)."""
        return self.movie_logits(self.hidden_states(tokens))

    def movie_space(self) -> Tensor:
        """One row per movie (index order) in the space the model compares movies in, for cosine neighbours."""
        return self.item_embedding.weight[1:]

    def score_next(self, tokens: Tensor) -> Tensor:
        """``[B, n_movies]``: scores of the movie that follows each sequence (its last position)."""
        return self.movie_logits(self.hidden_states(tokens)[:, -1, :])


def encode_sequences(sequences: Sequence[Sequence[int] | np.ndarray], max_len: int) -> Tensor:
    """Left-padded ``[B, max_len]`` tokens (``movie_idx + 1``) of the last ``max_len`` movies of each sequence.

    An empty sequence is all padding; the model then scores every movie from position embeddings alone.
    """
    tokens = np.zeros((len(sequences), max_len), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        recent = np.asarray(sequence, dtype=np.int64)[-max_len:] if len(sequence) else np.zeros(0, np.int64)
        if len(recent) and recent.min() < 0:
            raise ValueError(f"sequence {row} holds a negative movie index")
        tokens[row, max_len - len(recent) :] = recent + 1
    return torch.from_numpy(tokens)


def top_next(
    model: SASRec, sequence: Sequence[int] | np.ndarray, *, exclude: Sequence[int] | np.ndarray = (), k: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """One user's refresh: (movie_idx, score) of the ``k`` best next movies after ``sequence``, best first,
    ``exclude`` (the movies they rated) left out. One forward pass of the frozen model; no fold-in step, so a
    user the model never saw gets a personal list from their first rating."""
    with torch.no_grad():
        scores = model.score_next(encode_sequences([sequence], model.config.max_len))[0]
    exclude = np.asarray(exclude, dtype=np.int64)
    if len(exclude):
        scores[torch.from_numpy(exclude)] = -torch.inf
    values, movies = torch.topk(scores, min(k, model.n_movies))
    keep = torch.isfinite(values)
    return movies[keep].numpy(), values[keep].numpy()


def closest_recent(
    model: SASRec, sequence: Sequence[int] | np.ndarray, movies: Sequence[int] | np.ndarray
) -> np.ndarray:
    """For each of ``movies``, the movie of ``sequence`` (its last ``max_len``) nearest to it by cosine of the
    model's movie embeddings: the recent rating a reason sentence can name. -1 for an empty sequence."""
    recent = np.asarray(sequence, dtype=np.int64)[-model.config.max_len :]
    if len(recent) == 0:
        return np.full(len(movies), -1, dtype=np.int64)
    with torch.no_grad():
        table = nn.functional.normalize(model.item_embedding.weight[1:], dim=1)
        similarity = table[torch.as_tensor(np.asarray(movies, dtype=np.int64))] @ table[torch.from_numpy(recent)].T
    return recent[similarity.argmax(dim=1).numpy()]


class SequenceScorer:
    """A frozen SASRec scoring fixed users from their sequences, with the interface of ``recommender.scoring``.

    ``__call__(users, movies)`` (the pairwise ``score_fn`` of ``evaluate_sampled``) and
    ``score_all_movies(users)`` (the block path of ``full_catalogue_ranks`` and ``top_k_unseen``). Each user's
    row of scores is computed once, on first use, in batches of ``batch_size`` users.
    """

    def __init__(
        self, model: SASRec, sequences: dict[int, Sequence[int] | np.ndarray], *, batch_size: int = 256
    ) -> None:
        self.model, self.sequences, self.batch_size = model, sequences, batch_size
        self._rows: dict[int, np.ndarray] = {}

    def _ensure(self, users: np.ndarray) -> None:
        missing = [int(user) for user in np.unique(users) if int(user) not in self._rows]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                for start in range(0, len(missing), self.batch_size):
                    block = missing[start : start + self.batch_size]
                    tokens = encode_sequences(
                        [self.sequences.get(user, ()) for user in block], self.model.config.max_len
                    )
                    scores = self.model.score_next(tokens).numpy()
                    self._rows.update(zip(block, scores, strict=True))
        finally:
            self.model.train(was_training)

    def __call__(self, users: Any, movies: Any) -> np.ndarray:
        users, movies = np.asarray(users, dtype=np.int64), np.asarray(movies, dtype=np.int64)
        self._ensure(users)
        unique, row = np.unique(users, return_inverse=True)
        return np.stack([self._rows[int(user)] for user in unique])[row, movies]

    def score_all_movies(self, users: Tensor) -> Tensor:
        users = np.asarray(users, dtype=np.int64)
        self._ensure(users)
        return torch.from_numpy(np.stack([self._rows[int(user)] for user in users]))
