"""The SB rule against the original's per-example loop, and each policy's promise."""

import collections
import math

import pytest
import torch

from sbexplore.engine.policies import (
    LossHistory,
    SelectiveBackprop,
    TopK,
    Traditional,
    Uniform,
    sb_probabilities,
)


def original_rule(losses, window, beta, floor=0.0):
    """angelajiang/SelectiveBackprop: share of the window strictly below the loss, ** beta."""
    out = []
    for loss in losses:
        below = sum(1 for h in window if h < loss)
        out.append(max(floor, (below / len(window)) ** beta))
    return out


def test_matches_the_original_loop_on_random_losses():
    g = torch.Generator().manual_seed(0)
    history = torch.rand(1024, generator=g) * 3
    losses = history[-128:]
    got = sb_probabilities(losses, history, beta=2.0)
    want = original_rule(losses.tolist(), history.tolist(), 2.0)
    assert torch.allclose(got, torch.tensor(want), atol=1e-6)


def test_ties_count_only_strictly_lower_losses():
    history = torch.tensor([1.0, 1.0, 1.0, 2.0])
    p = sb_probabilities(torch.tensor([1.0, 2.0, 3.0]), history, beta=1.0)
    assert p.tolist() == [0.0, 0.75, 1.0]


def test_floor_lifts_low_probabilities_only():
    history = torch.tensor([0.0, 1.0, 2.0, 3.0])
    p = sb_probabilities(torch.tensor([0.0, 3.0, 5.0]), history, beta=1.0, floor=0.3)
    assert p.tolist() == pytest.approx([0.3, 0.75, 1.0])


def test_beta_zero_keeps_everything():
    history = torch.rand(100)
    assert torch.all(sb_probabilities(history[:10], history, beta=0.0) == 1.0)


def test_larger_beta_keeps_less():
    history = torch.rand(1024, generator=torch.Generator().manual_seed(1))
    means = [sb_probabilities(history, history, beta=b).mean().item() for b in (1, 2, 3, 5)]
    assert means == sorted(means, reverse=True)
    for b, m in zip((1, 2, 3), means):  # E[p^b] for p ~ U(0,1) is 1/(b+1)
        assert m == pytest.approx(1 / (b + 1), abs=0.02)


def test_history_is_a_ring_buffer_of_the_most_recent_losses():
    h = LossHistory(5)
    h.append(torch.tensor([1.0, 2.0, 3.0]))
    assert sorted(h.window().tolist()) == [1.0, 2.0, 3.0]
    h.append(torch.tensor([4.0, 5.0, 6.0, 7.0]))
    assert sorted(h.window().tolist()) == [3.0, 4.0, 5.0, 6.0, 7.0]
    h.append(torch.arange(10.0, 22.0))  # longer than the buffer: the last 5 remain
    assert sorted(h.window().tolist()) == [17.0, 18.0, 19.0, 20.0, 21.0]


def test_sb_policy_appends_before_ranking_like_the_original():
    policy = SelectiveBackprop(beta=1.0, history_size=4)
    window = collections.deque(maxlen=4)
    for batch in ([0.5, 0.1], [0.9, 0.2, 0.3], [0.05]):
        window.extend(batch)
        got = policy.probabilities(torch.tensor(batch), len(batch), torch.device("cpu"))
        assert got.tolist() == pytest.approx(original_rule(batch, list(window), 1.0))


def test_topk_keeps_exactly_the_highest_losses():
    losses = torch.tensor([0.3, 0.9, 0.1, 0.7, 0.5, 0.2])
    p = TopK(keep=0.5).probabilities(losses, 6, torch.device("cpu"))
    assert p.tolist() == [0, 1, 0, 1, 1, 0]


def test_topk_rounds_up_to_at_least_one():
    p = TopK(keep=0.01).probabilities(torch.tensor([0.2, 0.4]), 2, torch.device("cpu"))
    assert p.tolist() == [0, 1]


def test_uniform_and_all_need_no_losses():
    dev = torch.device("cpu")
    assert not Uniform(0.3).needs_losses and not Traditional().needs_losses
    assert Uniform(0.3).probabilities(None, 4, dev).tolist() == pytest.approx([0.3] * 4)
    assert Traditional().probabilities(None, 3, dev).tolist() == [1, 1, 1]


def test_probabilities_are_vectorised_over_large_batches():
    history = torch.rand(1024)
    p = sb_probabilities(torch.rand(100_000), history, beta=2.0)
    assert p.shape == (100_000,) and float(p.min()) >= 0 and float(p.max()) <= 1
    assert not math.isnan(float(p.sum()))
