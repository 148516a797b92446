"""The rivals (InfoBatch, online batch selection, importance sampling, RHO-LOSS) against their
papers' formulas, and the budget-matched traditional control against its promise."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import sbexplore as sb
from sbexplore import analysis as A
from sbexplore.engine.rivals import ImportanceSampling, InfoBatch, OnlineBatch, RhoLoss
from sbexplore.engine.schedule import lr_factor
from sbexplore.errors import ConfigError

NAN = float("nan")
DEV = torch.device("cpu")


# -- each rival's probabilities and weights, by hand -------------------------------------------
def test_infobatch_prunes_below_mean_examples_with_probability_r_and_rescales_them():
    stored = torch.tensor([0.1, 0.5, 0.9, NAN, 0.2])  # known mean: (0.1+0.5+0.9+0.2)/4 = 0.425
    p = InfoBatch(ratio=0.3, delta=0.875)
    p.begin_epoch(0, 8, stored)
    idx = torch.arange(5)
    probs = p.probabilities(None, 5, DEV, idx=idx)
    assert probs.tolist() == pytest.approx([0.7, 1, 1, 1, 0.7])  # below mean: 1 - r
    assert p.weights(probs, idx).tolist() == pytest.approx([1 / 0.7, 1, 1, 1, 1 / 0.7])
    p.begin_epoch(7, 8, stored)  # 7 >= 0.875 * 8: the last 1 - δ of the epochs
    assert p.probabilities(None, 5, DEV, idx=idx).tolist() == [1, 1, 1, 1, 1]


def test_online_batch_keeps_rank_i_with_probability_s_to_the_minus_i_over_n():
    stored = torch.tensor([3.0, 1.0, 2.0, NAN])
    p = OnlineBatch(selection_pressure=16.0)
    p.begin_epoch(0, None, stored)
    probs = p.probabilities(torch.tensor([3.0, 1.0, 2.0, NAN]), 4, DEV, idx=torch.arange(4))
    ranks = [0, 2, 1, 0]  # 0: the highest known loss; an unseen example ranks first
    assert probs.tolist() == pytest.approx([math.exp(-math.log(16.0) * r / 4) for r in ranks])
    assert OnlineBatch.expected_keep(100.0) == pytest.approx(0.99 / math.log(100.0))
    s = OnlineBatch.pressure_for_keep(0.3)
    assert OnlineBatch.expected_keep(s) == pytest.approx(0.3)


def test_importance_sampling_keeps_by_loss_and_weights_one_over_n_p():
    losses = torch.tensor([1.0, 2.0, 3.0, 4.0])
    p = ImportanceSampling(keep=0.5)
    q = p.probabilities(losses, 4, DEV)
    assert q.tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8])  # keep * n * L / sum(L)
    share = losses / losses.sum()
    assert p.weights(q, torch.arange(4)).tolist() == pytest.approx((1 / (4 * share)).tolist())
    assert p.probabilities(torch.tensor([9.0, 0.0]), 2, DEV).tolist() == [1.0, 0.0]  # clipped


def test_importance_sampling_weighted_gradient_is_unbiased():
    """Per-example gradients of a linear model: the mean over 40,000 draws of
    (1 / (keep * n)) * sum over kept of w_i * grad_i is the candidate batch's mean gradient,
    within 2% of its norm (the estimator's standard error here is about 0.3%)."""
    g = torch.Generator().manual_seed(0)
    n, d = 64, 5
    grads = torch.randn(n, d, generator=g)  # one gradient per example
    losses = torch.rand(n, generator=g) * 3 + 0.05
    policy = ImportanceSampling(keep=0.25)
    q = policy.probabilities(losses, n, DEV)
    w = policy.weights(q, torch.arange(n))
    draws = torch.rand(40_000, n, generator=g) < q  # each row: one candidate batch's keep draw
    estimates = (draws * w) @ grads / (policy.keep * n)
    mean_grad = grads.mean(0)
    assert torch.linalg.norm(estimates.mean(0) - mean_grad) < 0.02 * torch.linalg.norm(mean_grad)


def test_rho_loss_keeps_the_top_share_by_training_minus_irreducible_loss():
    irreducible = torch.tensor([9.0, 0.5, 2.0, 0.1, 3.9])  # by example index
    p = RhoLoss(keep=0.5, irreducible_losses=irreducible)
    idx = torch.tensor([1, 2, 3, 4])
    losses = torch.tensor([1.0, 2.0, 3.0, 4.0])  # reducible: 0.5, 0.0, 2.9, 0.1
    assert p.probabilities(losses, 4, DEV, idx=idx).tolist() == [1, 0, 1, 0]


# -- the rivals through the Selector and the built-in trainer -----------------------------------
def test_infobatch_in_the_loop_prunes_only_below_mean_and_trains_on_all_after_delta(tiny):
    run = sb.train(tiny.replace(policy="infobatch", epochs=8, infobatch_ratio=0.5,
                                prime_examples=0))
    keep = run.metrics["keep_fraction"].to_numpy()
    assert keep[0] == 1.0  # no losses known yet: nothing is below a mean
    assert (keep[1:7] < 0.9).all() and (keep[1:7] > 0.5).all()  # about half the lower half
    assert keep[7] == 1.0  # epoch 8 >= 0.875 * 8: everything
    backpropped = run.backpropped.astype(bool)
    losses = run.losses.astype(np.float64)
    for e in range(1, 7):  # an example skipped in epoch e+1 had a below-mean loss before it
        skipped = ~backpropped[e]  # (losses are saved as float16: its rounding, 2^-10)
        assert (losses[e - 1][skipped] < np.nanmean(losses[e - 1]) * (1 + 2**-10)).all()


def test_a_reweighting_policy_warns_when_its_weights_are_not_used():
    model = torch.nn.Linear(4, 3)
    sel = sb.Selector(model, 64, 8, policy="importance", keep=0.5)
    x, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
    with pytest.warns(UserWarning, match=r"selector.reduce\(losses\)"):
        for xb, yb, ib in sel.batches(sel.tensor_batches(x, y)):
            losses = torch.nn.functional.cross_entropy(model(xb), yb, reduction="none")
            losses.mean().backward()
            sel.backpropped(ib, losses)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for xb, yb, ib in sel.batches(sel.tensor_batches(x, y)):
            losses = torch.nn.functional.cross_entropy(model(xb), yb, reduction="none")
            assert sel.batch_weights is not None
            sel.reduce(losses).backward()
            sel.backpropped(ib, losses)


def test_rho_loss_trains_on_the_rest_and_counts_its_holdout_model(tiny):
    run = sb.train(tiny.replace(policy="rho_loss", holdout_fraction=0.25, prime_examples=0))
    n = len(run.examples)
    assert n == round(0.75 * 1438) and run.examples["source_index"].nunique() == n
    m = run.metrics
    holdout_backprops = (1438 - n) * tiny.epochs
    assert m["prep_backprops"].tolist() == [holdout_backprops, 0, 0]
    assert m["total_backprops"].iloc[-1] == m["examples_backpropped"].sum() + holdout_backprops
    assert m["time_prep_s"].iloc[0] > 0 and m["wall_time_s"].iloc[0] >= m["time_prep_s"].iloc[0]
    assert (m["keep_fraction"].iloc[1:] < 0.6).all()  # keep = 1/(β+1) of each candidate batch


@pytest.mark.parametrize("field,value,allowed", [
    ("infobatch_ratio", 1.0, "0 <= infobatch_ratio < 1"),
    ("infobatch_ratio", -0.1, "0 <= infobatch_ratio < 1"),
    ("infobatch_delta", 0.0, "0 < infobatch_delta <= 1"),
    ("infobatch_delta", 1.5, "0 < infobatch_delta <= 1"),
    ("selection_pressure", 1.0, "must be > 1"),
    ("selection_pressure", 0.5, "must be > 1"),
    ("holdout_fraction", 1.0, "0 < holdout_fraction < 1"),
    ("holdout_fraction", 0.0, "0 < holdout_fraction < 1"),
])
def test_bad_rival_parameters_are_config_errors_naming_the_field(field, value, allowed):
    with pytest.raises(ConfigError, match=rf"^{field}={value!r} is not allowed: .*") as err:
        sb.RunConfig(**{field: value})
    assert allowed in str(err.value)


def test_a_holdout_that_leaves_no_training_data_is_refused_naming_the_field(tiny):
    with pytest.raises(ConfigError, match=r"^holdout_fraction=0\.9999 is not allowed here: .*"
                                          r"leaves no training data"):
        sb.train(tiny.replace(policy="rho_loss", holdout_fraction=0.9999))


def test_a_rivals_setting_under_another_policy_warns_that_it_is_ignored():
    with pytest.warns(UserWarning, match="infobatch_ratio=0.3 applies to policy='infobatch'"):
        sb.RunConfig(policy="sb", infobatch_ratio=0.3)


# -- the budget-matched control ---------------------------------------------------------------
@pytest.fixture(scope="module")
def sb_runs():
    cfg = sb.RunConfig(model="mlp", epochs=5, device="cpu", batch_size=64)
    return [sb.train(cfg.replace(seed=s)) for s in (0, 1)]


def test_backprops_matched_control_spends_sbs_budget_within_one_batch(sb_runs):
    cfg = A.budget_matched(sb_runs, "backprops")
    budget = A.budget(sb_runs, "backprops")
    assert cfg.policy == "traditional" and cfg.schedule_unit == "backprops"
    assert cfg.name == "traditional, SB β=2's budget (backprops)" and not cfg.is_baseline
    assert cfg.max_backprops == round(budget)  # the mean over SB's seeds
    run = sb.train(cfg)
    spent, n = run.metrics["total_backprops"].iloc[-1], len(run.examples)
    assert cfg.max_backprops <= spent < cfg.max_backprops + cfg.batch_size
    # its schedule ends at the budget (cosine: 0 there); the lr is set before each step, so the
    # last step's lr is at most the schedule's one full batch before the end
    total = cfg.max_backprops / n
    assert lr_factor(cfg.lr_schedule, total, total, [], 0.1) == 0.0
    assert run.metrics["lr"].iloc[-1] <= cfg.lr * lr_factor(
        cfg.lr_schedule, (spent - cfg.batch_size) / n, total, [], 0.1) + 1e-12


def test_time_matched_control_spends_sbs_seconds_within_one_step_and_replays_exactly(sb_runs):
    cfg = A.budget_matched(sb_runs, "time")
    assert cfg.schedule_unit == "time" and cfg.max_time_s == pytest.approx(
        A.budget(sb_runs, "time"), abs=1e-3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = sb.train(cfg)
    clock = run.clock["elapsed_s"].to_numpy()
    steps = np.diff(clock[clock < cfg.max_time_s])
    if run.metrics["total_time_s"].iloc[-1] < 0.95 * cfg.max_time_s:
        # traditional epochs were faster than SB's: the epochs ran out first, and it says so
        assert len(run.metrics) == cfg.epochs
        assert any("the time-keyed schedule ended at" in str(w.message) for w in caught)
    else:
        assert clock[-1] - cfg.max_time_s <= max(steps.max(), 0.05)  # stopped within a step
        # the schedule got (near) its end: past 80% of it (cosine: lr < 0.1 x peak). A step of
        # this sub-second budget is several % of the schedule, and timing jitter decides where
        # the last one starts, so a tighter bound is flaky on a loaded 2-core machine
        assert run.metrics["lr"].iloc[-1] < 0.1 * cfg.lr
    again = sb.train(cfg, replay=run)  # the recorded times, not the live clock, decide
    assert again.same_results(run)
    assert again.clock["elapsed_s"].tolist() == run.clock["elapsed_s"].tolist()
    assert again.metrics["lr"].tolist() == run.metrics["lr"].tolist()


def test_budget_controls_are_controls_not_the_baseline(sb_runs):
    controls = [sb.train(A.budget_matched(sb_runs, c).replace(seed=s))
                for c in ("backprops", "time") for s in (0, 1)]
    base = [sb.train(sb.RunConfig(model="mlp", epochs=5, device="cpu", batch_size=64,
                                  policy="traditional", seed=s)) for s in (0, 1)]
    table = A.speedup_table(sb_runs + controls + base, clocks=("backprops",))
    names = set(table["run"])
    assert {"traditional, SB β=2's budget (backprops)", "traditional, SB β=2's budget (time)",
            "traditional"} <= names
    assert table.loc[table["run"] == "traditional", "baseline"].all()
    assert table.groupby("run")["seeds"].first().eq(2).all()  # each control's seeds pool
    assert A.error_targets(sb_runs + controls + base) == A.error_targets(base)
