"""SASRec: tokens, a known-answer order, determinism, batch against one-by-one scoring, artefacts, run folders."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from recommender import artifacts
from recommender.sasrec import SASRec, SASRecConfig, SequenceScorer, closest_recent, encode_sequences, top_next
from recommender.sasrec_artifacts import load_any, load_sasrec, save_sasrec
from recommender.sasrec_training import (
    SASRecTrainConfig,
    evaluate_sasrec_run,
    extend_sequences,
    fit_sasrec,
    refit_sasrec,
    train_sasrec,
)
from recommender.sequences import sequences_from_arrays, user_sequence
from tests.recommender.helpers import Ratings, write_run_folder

SMALL = SASRecConfig(max_len=8, hidden=16, blocks=1, heads=1, dropout=0.0)
FAST = SASRecTrainConfig(epochs=30, batch_size=32, lr=0.01, seed=5, threads=1, patience=0)


def cyclic_sequences(n_movies: int, n_users: int, seed: int = 0) -> dict[int, np.ndarray]:
    """Every user walks the cycle 0, 1, ..., n_movies - 1, 0, ... from a random start: the next movie is obvious."""
    rng = np.random.default_rng(seed)
    return {user: (rng.integers(n_movies) + np.arange(rng.integers(4, 15))) % n_movies for user in range(n_users)}


@pytest.fixture(scope="module")
def cyclic_model() -> SASRec:
    return fit_sasrec(cyclic_sequences(20, 120), 20, SMALL, FAST).model


# --- tokens and sequences ---------------------------------------------------------------------------------


def test_encode_pads_left_shifts_by_one_and_keeps_the_latest() -> None:
    tokens = encode_sequences([[4, 0, 2], [], np.arange(10)], max_len=4)
    assert tokens.tolist() == [[0, 5, 1, 3], [0, 0, 0, 0], [7, 8, 9, 10]]
    with pytest.raises(ValueError, match="negative"):
        encode_sequences([[1, -1]], max_len=4)


def test_user_sequence_orders_by_time_then_movie_and_truncates() -> None:
    movies = np.array([9, 3, 7, 1, 5])
    stamps = np.array([30, 10, 10, 40, 10])
    assert user_sequence(movies, stamps, 10).tolist() == [3, 5, 7, 9, 1]
    assert user_sequence(movies, stamps, 2).tolist() == [9, 1]
    assert user_sequence(movies[:0], stamps[:0], 3).tolist() == []
    everyone = sequences_from_arrays(np.array([1, 0, 1, 0]), np.array([2, 8, 1, 6]), np.array([5, 5, 5, 4]), 3)
    assert {user: seq.tolist() for user, seq in everyone.items()} == {0: [6, 8], 1: [1, 2]}


def test_extend_sequences_appends_and_truncates() -> None:
    extended = extend_sequences({0: np.array([1, 2, 3])}, (np.array([0, 4]), np.array([9, 7])), length=3)
    assert extended[0].tolist() == [2, 3, 9] and extended[4].tolist() == [7]


# --- the model --------------------------------------------------------------------------------------------


def test_learns_a_cyclic_order(cyclic_model: SASRec) -> None:
    starts = np.arange(20)
    probes = [(start + np.arange(length)) % 20 for start in starts for length in (1, 3, 8)]
    expected = np.array([(probe[-1] + 1) % 20 for probe in probes])
    with torch.no_grad():
        predicted = cyclic_model.score_next(encode_sequences(probes, SMALL.max_len)).argmax(dim=1).numpy()
    assert np.mean(predicted == expected) >= 0.95


def test_untrained_model_does_not_know_the_cycle() -> None:
    model = fit_sasrec(cyclic_sequences(20, 120), 20, SMALL, replace(FAST, epochs=1, lr=1e-5)).model
    probes = [(start + np.arange(5)) % 20 for start in range(20)]
    with torch.no_grad():
        predicted = model.score_next(encode_sequences(probes, SMALL.max_len)).argmax(dim=1).numpy()
    assert np.mean(predicted == (np.arange(20) + 5) % 20) < 0.5


def test_batch_scores_equal_one_by_one_and_ignore_padding(cyclic_model: SASRec) -> None:
    rng = np.random.default_rng(3)
    sequences = [rng.integers(0, 20, size=rng.integers(0, 12)) for _ in range(9)]
    with torch.no_grad():
        batch = cyclic_model.score_next(encode_sequences(sequences, SMALL.max_len))
        single = torch.cat([cyclic_model.score_next(encode_sequences([seq], SMALL.max_len)) for seq in sequences])
        short = cyclic_model.score_next(encode_sequences(sequences[:1], SMALL.max_len)[:, -max(len(sequences[0]), 1) :])
    assert batch.shape == (9, 20)
    torch.testing.assert_close(batch, single, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(short, single[:1], rtol=1e-5, atol=1e-5)  # fewer pad columns, same scores
    scorer = SequenceScorer(cyclic_model, dict(enumerate(sequences)))
    users, movies = np.array([4, 0, 4, 8]), np.array([1, 19, 3, 0])
    np.testing.assert_allclose(scorer(users, movies), batch.numpy()[users, movies], rtol=1e-5)
    torch.testing.assert_close(scorer.score_all_movies(torch.tensor([8, 2])), batch[[8, 2]])


def test_top_next_is_the_refresh_of_one_user(cyclic_model: SASRec) -> None:
    movies, scores = top_next(cyclic_model, [3, 4, 5], exclude=[6, 3], k=5)
    assert len(movies) == 5 and 6 not in movies and 3 not in movies
    assert list(scores) == sorted(scores, reverse=True)
    assert top_next(cyclic_model, [3, 4, 5], k=1)[0].tolist() == [6]  # what comes next, unless it is rated
    with torch.no_grad():
        row = cyclic_model.score_next(encode_sequences([[3, 4, 5]], SMALL.max_len))[0].numpy()
    np.testing.assert_allclose(scores, row[movies], rtol=1e-6)
    assert len(top_next(cyclic_model, [1], exclude=np.arange(20), k=5)[0]) == 0
    assert isinstance(top_next(cyclic_model, [], k=3)[0], np.ndarray)  # a user with no ratings yet


def test_closest_recent_names_a_movie_of_the_sequence(cyclic_model: SASRec) -> None:
    nearest = closest_recent(cyclic_model, [2, 9, 15], [9, 15, 4])
    assert nearest[0] == 9 and nearest[1] == 15 and nearest[2] in (2, 9, 15)
    assert closest_recent(cyclic_model, [], [1, 2]).tolist() == [-1, -1]


def test_training_is_deterministic_under_a_seed() -> None:
    sequences = cyclic_sequences(15, 40, seed=1)
    config = replace(FAST, epochs=3)
    dropout = replace(SMALL, dropout=0.3)
    first, again = (fit_sasrec(sequences, 15, dropout, config).model.state_dict() for _ in range(2))
    other = fit_sasrec(sequences, 15, dropout, replace(config, seed=6)).model.state_dict()
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)


def test_thread_count_is_restored() -> None:
    before = torch.get_num_threads()
    fit_sasrec(cyclic_sequences(10, 10), 10, SMALL, replace(FAST, epochs=1, threads=1 if before > 1 else 2))
    assert torch.get_num_threads() == before


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="multiple of heads"):
        SASRecConfig(hidden=10, heads=3)
    with pytest.raises(ValueError, match="two training ratings"):
        fit_sasrec({0: np.array([1])}, 5, SMALL, FAST)
    with pytest.raises(ValueError, match="at most 8"):
        SASRec(SMALL, 5).score_next(torch.ones(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="unknown SASRec config"):
        SASRecConfig.from_dict({"max_len": 3, "width": 2})


def test_save_load_round_trip(cyclic_model: SASRec, tmp_path: Path) -> None:
    folder = save_sasrec(tmp_path / "model", cyclic_model, extra={"best_epoch": 7})
    loaded, config, meta = load_sasrec(folder)
    assert config == SMALL and meta["extra"] == {"best_epoch": 7} and not loaded.training
    tokens = encode_sequences([[1, 2, 3], [7]], SMALL.max_len)
    with torch.no_grad():
        torch.testing.assert_close(loaded.score_next(tokens), cyclic_model.score_next(tokens))
    assert isinstance(load_any(folder)[0], SASRec)
    with pytest.raises(ValueError):
        artifacts.load_model(folder)  # the NCF loader refuses it
    meta_path = folder / artifacts.CONFIG_FILE
    meta["weights_sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="does not match"):
        load_sasrec(folder)


# --- run folders ------------------------------------------------------------------------------------------


def _session_ratings(rng: np.random.Generator, n_users: int = 150, n_movies: int = 60) -> Ratings:
    """Users rate runs of 5 consecutive movies of a 60-movie cycle, each run starting where the last ended + a
    random jump, so the next movie follows from the last one but a bag of movies says little."""
    users, movies = [], []
    for user in range(n_users):
        position = rng.integers(n_movies)
        seen: list[int] = []
        while len(seen) < 25:
            for _ in range(5):
                if position not in seen:
                    seen.append(int(position))
                position = (position + 1) % n_movies
            position = (position + rng.integers(5, 20)) % n_movies
        users.append(np.full(len(seen), user))
        movies.append(np.array(seen))
    users_arr, movies_arr = np.concatenate(users), np.concatenate(movies)
    ts = 956_000_000 + np.arange(len(users_arr), dtype=np.int64) * 7
    return Ratings(
        users_arr.astype(np.int32),
        movies_arr.astype(np.int32),
        np.full(len(users_arr), 4.0, np.float32),
        ts,
        n_users,
        n_movies,
    )


def test_train_and_evaluate_on_a_run_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    run = write_run_folder(tmp_path / "run", _session_ratings(rng), rng, negative_epochs=1, candidates=30)
    config = SASRecConfig(max_len=10, hidden=32, blocks=1, dropout=0.1)
    progress: list[int] = []
    result = train_sasrec(
        run_dir=run,
        model_config=config,
        train_config=SASRecTrainConfig(epochs=12, batch_size=32, lr=0.01, seed=1, threads=1, patience=3),
        progress=lambda epoch, total, info: progress.append(epoch),
    )
    assert progress == list(range(1, len(result.history) + 1))
    assert result.best_metrics["hr@10"] == max(stats["hr@10"] for stats in result.history)
    metrics = evaluate_sasrec_run(run_dir=run, model=result.model)
    assert metrics["test_users"] == 150
    assert metrics["hr@10"] > 0.9 and metrics["hr@10"] > metrics["baseline_hr@10"] + 0.4, metrics
    assert metrics["hr@10_full"] > metrics["baseline_hr@10_full"] + 0.4, metrics
    assert set(metrics) >= {"ndcg@10", "ndcg@10_full", "precision@10", "recall@10", "baseline_ndcg@10"}


def test_refit_on_all_ratings(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    data = _session_ratings(rng, n_users=60)
    run = write_run_folder(tmp_path / "run", data, rng, negative_epochs=1, candidates=30)
    table = {"user_idx": data.users, "movie_idx": data.movies, "rating": data.ratings, "ts": data.ts}
    pq.write_table(pa.table(table), run / "ratings.parquet")  # no sequences.parquet: built from the ratings
    config = SASRecConfig(max_len=10, hidden=16, blocks=1, dropout=0.0)
    result = refit_sasrec(run_dir=run, model_config=config, train_config=FAST, epochs=3)
    assert len(result.history) == 3 and result.best_epoch == 3 and not result.stopped_early
    last = {user: data.movies[data.users == user][-3:] for user in range(3)}
    top = [top_next(result.model, last[user], k=10)[0] for user in range(3)]
    assert all(len(movies) == 10 for movies in top)


def test_trimmed_padding_gives_the_same_scores(cyclic_model: SASRec) -> None:
    """Training drops all-padding columns of a batch; positions count from the right, so nothing changes."""
    tokens = encode_sequences([[1, 2, 3], [4, 5]], SMALL.max_len)
    with torch.no_grad():
        full = cyclic_model(tokens)[:, -3:]
        trimmed = cyclic_model(tokens[:, -3:])
    torch.testing.assert_close(full, trimmed, rtol=1e-5, atol=1e-5)
