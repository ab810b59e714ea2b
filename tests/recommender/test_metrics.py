import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.evaluation import hit_ratio_at_k, ndcg_at_k, precision_at_k, recall_at_k, rmse

ranks_lists = st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=50)
ks = st.integers(min_value=1, max_value=100)


@given(ranks_lists, ks)
def test_hit_ratio_is_a_share(ranks, k):
    assert 0.0 <= hit_ratio_at_k(ranks, k) <= 1.0


@given(ranks_lists, ks)
def test_ndcg_never_exceeds_hit_ratio(ranks, k):
    assert 0.0 <= ndcg_at_k(ranks, k) <= hit_ratio_at_k(ranks, k) + 1e-12


@given(st.integers(min_value=1, max_value=50), ks)
def test_a_perfect_ranking_scores_one(users, k):
    assert hit_ratio_at_k([0] * users, k) == 1.0
    assert ndcg_at_k([0] * users, k) == 1.0


@given(ks, st.integers(min_value=0, max_value=100))
def test_rank_k_or_worse_scores_zero(k, beyond):
    assert hit_ratio_at_k([k + beyond], k) == 0.0
    assert ndcg_at_k([k + beyond], k) == 0.0


@given(ranks_lists, ks)
def test_metrics_grow_with_k(ranks, k):
    assert hit_ratio_at_k(ranks, k) <= hit_ratio_at_k(ranks, k + 1)
    assert ndcg_at_k(ranks, k) <= ndcg_at_k(ranks, k + 1)


def test_ndcg_known_answer():
    # ranks 0, 1, 3, 12 at k=10: gains 1, 1/log2(3), 1/log2(5), 0
    expected = (1 + 1 / math.log2(3) + 1 / math.log2(5)) / 4
    assert ndcg_at_k([0, 1, 3, 12], 10) == pytest.approx(expected)
    assert hit_ratio_at_k([0, 1, 3, 12], 10) == 0.75


def test_precision_and_recall_known_answers():
    ranked = [[1, 2, 3, 4], [9, 8, 7, 6]]
    relevant = [{2, 4, 5}, {6}]
    # top 2: user 0 hits {2}, user 1 hits nothing
    assert precision_at_k(ranked, relevant, 2) == pytest.approx((1 / 2 + 0) / 2)
    assert recall_at_k(ranked, relevant, 2) == pytest.approx((1 / 3 + 0) / 2)
    # top 4: user 0 hits {2, 4}, user 1 hits {6}
    assert precision_at_k(ranked, relevant, 4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert recall_at_k(ranked, relevant, 4) == pytest.approx((2 / 3 + 1) / 2)


@given(
    st.lists(
        st.tuples(st.permutations(list(range(12))), st.sets(st.integers(0, 11), min_size=1)),
        min_size=1,
        max_size=10,
    ),
    st.integers(min_value=1, max_value=12),
)
def test_precision_and_recall_are_shares(lists, k):
    ranked = [order for order, _ in lists]
    relevant = [rel for _, rel in lists]
    assert 0.0 <= precision_at_k(ranked, relevant, k) <= 1.0
    assert 0.0 <= recall_at_k(ranked, relevant, k) <= 1.0
    assert recall_at_k(ranked, relevant, 12) == 1.0


def test_rmse_known_answer():
    assert rmse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0]) == pytest.approx(math.sqrt(4 / 3))
    assert rmse(np.full(5, 3.0), np.full(5, 3.0)) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: hit_ratio_at_k([], 10),
        lambda: ndcg_at_k([-1], 10),
        lambda: rmse([], []),
        lambda: precision_at_k([[1]], [], 1),
    ],
)
def test_metrics_refuse_meaningless_input(call):
    with pytest.raises(ValueError):
        call()
