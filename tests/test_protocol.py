"""Protocol pieces: warm-up, wall-clock budget, priming by examples, shuffled labels, Cutout."""

from __future__ import annotations

import pytest
import torch

from sbexplore import RunConfig, train
from sbexplore.data import mislabel
from sbexplore.data.augment import cutout
from sbexplore.engine.schedule import WARMUP_START, lr_factor


def test_warmup_ramps_linearly_then_hands_over_to_the_schedule():
    f = [lr_factor("cosine", p, 10, [], 0.1, warmup=1.0) for p in (0.0, 0.5, 1.0)]
    assert f[0] == pytest.approx(WARMUP_START)
    assert f[1] == pytest.approx((WARMUP_START + 1) / 2 * lr_factor("cosine", 0.5, 10, [], 0.1))
    assert f[2] == pytest.approx(lr_factor("cosine", 1.0, 10, [], 0.1))


def test_max_time_s_stops_the_run_early():
    run = train(RunConfig(model="mlp", epochs=200, device="cpu", max_time_s=0.5))
    assert len(run.metrics) < 200 and run.status == "finished"
    assert run.metrics["total_time_s"].iloc[-1] < 5


def test_priming_lasts_whole_epochs_until_prime_examples_were_backpropped():
    run = train(RunConfig(model="mlp", epochs=4, device="cpu", prime_examples=1500))
    assert run.metrics["priming"].astype(bool).tolist() == [True, True, False, False]
    run = train(RunConfig(model="mlp", epochs=2, device="cpu", prime_examples=0))
    assert not run.metrics["priming"].astype(bool).any()


def test_shuffle_permutes_the_chosen_labels_among_themselves():
    labels = torch.arange(1000) % 10
    noisy, wrong = mislabel(labels, 0.2, 10, seed=0, mode="shuffle")
    changed = noisy != labels
    assert torch.equal(wrong, changed) and 150 < int(wrong.sum()) <= 200  # some stay correct
    assert torch.equal(noisy.bincount(), labels.bincount())  # class counts kept
    again, _ = mislabel(labels, 0.2, 10, seed=0, mode="shuffle")
    assert torch.equal(again, noisy)  # seeded


def test_flip_makes_every_chosen_label_wrong():
    labels = torch.arange(1000) % 10
    noisy, wrong = mislabel(labels, 0.2, 10, seed=0, mode="flip")
    assert int(wrong.sum()) == 200 and torch.equal(wrong, noisy != labels)


def test_mislabel_mode_reaches_the_training_labels():
    run = train(RunConfig(model="mlp", epochs=1, device="cpu", mislabel_fraction=0.1,
                          mislabel_mode="shuffle"))
    ex = run.examples
    assert ((ex["label"] != ex["true_label"]) == ex["mislabeled"]).all()
    assert ex["label"].value_counts().sort_index().tolist() == (
        ex["true_label"].value_counts().sort_index().tolist())


def test_cutout_fills_the_hole_with_the_dataset_mean():
    x = torch.full((4, 3, 16, 16), 200, dtype=torch.uint8)
    mean = torch.tensor([0.2, 0.4, 0.6]).view(1, 3, 1, 1)
    out = cutout(x, 8, torch.Generator().manual_seed(0), mean)
    hole = out[:, 0] != 200
    assert hole.any() and (hole.sum(dim=(1, 2)) <= 64).all()
    for c, v in enumerate((51, 102, 153)):
        assert (out[:, c][hole] == v).all()
