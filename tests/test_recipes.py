"""Default recipes, no overrides, CPU: digits trains well and SB does not collapse after priming."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sbexplore import RunConfig, train

pytestmark = pytest.mark.slow  # 6 digits runs at the recipe's 15 epochs
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def digits_runs() -> dict[str, list]:
    """SB and traditional on clean digits at the defaults, 3 seeds (trained once per module)."""
    return {policy: [train(RunConfig(policy=policy, seed=s, device="cpu")) for s in SEEDS]
            for policy in ("sb", "traditional")}


def test_digits_traditional_reaches_98_percent(digits_runs):
    finals = [r.metrics["test_accuracy"].iloc[-1] for r in digits_runs["traditional"]]
    assert np.mean(finals) >= 0.98, finals


def test_digits_sb_never_falls_5_points_below_its_last_priming_epoch(digits_runs):
    for run in digits_runs["sb"]:
        m = run.metrics
        priming = m["priming"].astype(bool).to_numpy()
        assert priming.any() and not priming.all()  # it primed, then selected
        acc = m["test_accuracy"].to_numpy()
        last_primed = acc[priming][-1]
        assert acc[~priming].min() >= last_primed - 0.05, (run.config.seed, acc.round(3))


def test_digits_first_epoch_loss_is_below_chance(digits_runs):
    for run in digits_runs["sb"] + digits_runs["traditional"]:
        assert run.metrics["train_loss"].iloc[0] < math.log(10)


def test_digits_primes_one_epoch_by_examples(digits_runs):
    run = digits_runs["sb"][0]
    assert run.config.prime_examples == 1438 == run.meta["num_train"]  # the resolved config
    assert run.metrics["priming"].astype(bool).tolist()[:2] == [True, False]
    assert run.metrics["keep_fraction"].iloc[1] < 0.5


@pytest.fixture(scope="module")
def digits_mlp_runs() -> dict[str, list]:
    """The dashboard's and the app's default model, at its recipe: 3 seeds each."""
    return {policy: [train(RunConfig(model="mlp", policy=policy, seed=s, device="cpu"))
                     for s in SEEDS] for policy in ("sb", "traditional")}


def test_digits_mlp_traditional_reaches_97_percent(digits_mlp_runs):
    finals = [r.metrics["test_accuracy"].iloc[-1] for r in digits_mlp_runs["traditional"]]
    assert digits_mlp_runs["traditional"][0].config.recipe == "digits/mlp"
    assert np.mean(finals) >= 0.97, finals


def test_digits_mlp_sb_never_falls_5_points_below_its_last_priming_epoch(digits_mlp_runs):
    for run in digits_mlp_runs["sb"]:
        m = run.metrics
        priming = m["priming"].astype(bool).to_numpy()
        assert priming.any() and not priming.all()
        acc = m["test_accuracy"].to_numpy()
        assert acc[~priming].min() >= acc[priming][-1] - 0.05, (run.config.seed, acc.round(3))
        assert m["train_loss"].iloc[0] < math.log(10)
