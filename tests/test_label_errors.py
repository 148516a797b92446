"""Label-error detectors: score directions on hand-made runs, the detector table and cleanlab on
digits, real-error galleries on MNIST."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from sbexplore import RunConfig, train
from sbexplore import analysis as A
from sbexplore.analysis.label_errors import prob_margin
from sbexplore.errors import ConfigError, UserError
from sbexplore.figures.detectors import detector_pr_curves
from sbexplore.figures.suspects import suspects_gallery
from sbexplore.runs.record import METRIC_COLUMNS, Run
from sbexplore.studies.cleanlab_baseline import cleanlab_baseline
from sbexplore.studies.detector_study import detector_study


def hand_run(n=6, epochs=3, mislabeled=(0, 2), probs=True) -> Run:
    """Examples in `mislabeled` have high loss, low given-label probability, another argmax."""
    cfg = RunConfig(mislabel_fraction=0.3, device="cpu")
    m = pd.DataFrame({c: np.zeros(epochs) for c in METRIC_COLUMNS})
    m["epoch"] = np.arange(1, epochs + 1)
    m["priming"] = [True] + [False] * (epochs - 1)
    mis = np.isin(np.arange(n), mislabeled)
    ex = pd.DataFrame({"index": np.arange(n), "source_index": np.arange(n),
                       "label": np.zeros(n, int), "true_label": np.where(mis, 1, 0),
                       "mislabeled": mis, "times_backpropped": np.where(mis, 3, 1),
                       "times_forwarded": np.full(n, epochs), "last_loss": np.where(mis, 3.0, .1)})
    losses = np.tile(np.where(mis, 3.0, 0.1), (epochs, 1)).astype(np.float16)
    losses[0] = 5.0  # priming epoch: left out of the epoch means
    run = Run(config=cfg, metrics=m, examples=ex, backpropped=np.ones((epochs, n), np.uint8),
              losses=losses)
    if probs:
        run.probs = np.tile(np.where(mis, 0.05, 0.9), (epochs, 1)).astype(np.float16)
        run.preds = np.tile(np.where(mis, 1, 0), (epochs, 1)).astype(np.int16)
    return run


def test_every_score_ranks_the_suspicious_examples_first():
    run = hand_run()
    for score in A.available_scores(run):
        if score == "loss_std":  # constant losses after priming: no variability to rank by
            continue
        top = A.label_suspects(run, score, k=2)
        assert sorted(top["index"]) == [0, 2], score
        assert A.detection_at_mislabel_count(run, score)["precision"] == 1.0, score


def test_scores_skip_priming_epochs():
    s = A.detector_scores(hand_run())
    assert s["mean_loss"].tolist() == pytest.approx([3.0, 0.1, 3.0, 0.1, 0.1, 0.1], rel=1e-3)
    assert s["loss_std"].max() == 0.0
    assert s["pred"].tolist() == [1, 0, 1, 0, 0, 0]


def test_prob_margin_is_the_lower_bound_from_given_prob_and_argmax():
    probs = np.array([[0.9, 0.4, 0.3]])
    preds = np.array([[0, 0, 2]])  # agree, agree with p < 0.5, disagree
    m = prob_margin(probs, preds, np.array([0, 0, 0]))
    assert m.tolist()[0] == pytest.approx([0.8, 0.0, -0.4])


def test_probability_scores_need_recorded_probabilities():
    run = hand_run(probs=False)
    assert "mean_prob" not in A.available_scores(run)
    assert A.default_score(run) == A.FALLBACK_SCORE and A.default_score(hand_run()) == "margin"
    with pytest.raises(ConfigError, match="needs recorded probabilities"):
        A.mislabel_detection(run, score="margin")
    with pytest.raises(ConfigError, match="score='nope' is not allowed"):
        A.mislabel_detection(run, score="nope")


def test_detection_without_flips_is_a_clear_error():
    run = hand_run(mislabeled=())
    with pytest.raises(ConfigError, match="no injected mislabels"):
        A.mislabel_detection(run)
    with pytest.raises(ConfigError, match="no injected mislabels"):
        A.detector_table([run])
    assert len(A.label_suspects(run, "mean_loss", k=3)) == 3  # real errors need no flips


def test_training_dynamics_uses_recorded_probabilities_when_present():
    d = A.training_dynamics(hand_run())
    assert d.attrs["confidence_source"] == "probs"
    assert d["confidence_mean"].tolist() == pytest.approx([.05, .9, .05, .9, .9, .9], rel=1e-2)
    assert d["correctness"].tolist() == [0.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    old = A.training_dynamics(hand_run(probs=False))
    assert old.attrs["confidence_source"] == "exp(-loss)"
    assert old["correctness"].isna().all()
    from sbexplore.figures import data_map  # its axes name what confidence is

    assert data_map(hand_run()).layout.yaxis.title.text == "confidence (mean p of the given label)"
    assert "exp(−loss)" in data_map(hand_run(probs=False)).layout.xaxis.title.text


# -- real runs on digits ------------------------------------------------------------------------
DIGITS = dict(dataset="digits", model="mlp", epochs=6, device="cpu", batch_size=64, lr=0.05)


@pytest.fixture(scope="module")
def digits_runs() -> list[Run]:
    return [train(RunConfig(**DIGITS, mislabel_fraction=0.2, seed=s)) for s in (0, 1)]


@pytest.fixture(scope="module")
def digits_cleanlab():
    pytest.importorskip("cleanlab")
    return cleanlab_baseline(RunConfig(**DIGITS, mislabel_fraction=0.2, seed=0), folds=2)


def test_runs_record_probabilities_and_predictions(digits_runs):
    run = digits_runs[0]
    assert run.probs.shape == run.losses.shape and run.preds.shape == run.losses.shape
    assert set(A.available_scores(run)) == set(A.SCORES) - {"cleanlab"}


def test_default_score_beats_the_base_rate_clearly(digits_runs):
    t = A.detector_results(digits_runs)
    best = t[t["score"] == A.DEFAULT_SCORE]
    assert len(best) == 2 and (best["precision_at_k"] > 2 * best["base_rate"]).all()
    assert (best["average_precision"] > 2 * best["base_rate"]).all()


def test_detector_table_summarises_seeds_per_score(digits_runs):
    t = A.detector_table(digits_runs)
    assert set(t["score"]) == set(A.SCORES) - {"cleanlab"}
    assert (t["n"] == 2).all() and t["precision_std"].notna().all()
    assert t["ap_mean"].is_monotonic_decreasing


def test_cleanlab_baseline_finds_flips_out_of_fold(digits_cleanlab):
    r = digits_cleanlab
    s = r.scores
    assert r.pred_probs.shape == (len(s), 10)
    assert np.allclose(r.pred_probs.sum(1), 1, atol=1e-3)
    assert r.train_time_s > 0
    flagged = s[s["is_issue"]]
    assert flagged["mislabeled"].mean() > 2 * s["mislabeled"].mean()  # precision of its flags
    row = A.detector_results([r]).iloc[0]
    assert row["score"] == "cleanlab" and row["extra_time_s"] == r.train_time_s
    assert row["precision_at_k"] > 2 * row["base_rate"]


def test_cleanlab_sits_in_the_same_table_and_figure(digits_runs, digits_cleanlab):
    t = A.detector_table([digits_runs[0], digits_cleanlab])
    assert "cleanlab" in set(t["score"]) and "mean_loss" in set(t["score"])
    fig = detector_pr_curves([digits_runs[0], digits_cleanlab])
    names = {tr.name for tr in fig.data}
    assert "cleanlab" in names and A.DEFAULT_SCORE in names


def test_cleanlab_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cleanlab", None)
    with pytest.raises(UserError, match=r"pip install 'sbexplore\[cleanlab\]'"):
        cleanlab_baseline(RunConfig(**DIGITS))


def test_cleanlab_folds_must_be_at_least_two():
    pytest.importorskip("cleanlab")
    with pytest.raises(ConfigError, match="folds=1"):
        cleanlab_baseline(RunConfig(**DIGITS), folds=1)


def test_suspects_gallery_shows_given_and_predicted_labels(digits_runs):
    fig = suspects_gallery(digits_runs[0], "mean_loss", k=6, cols=3)
    assert sum(t.type == "image" for t in fig.data) == 6
    titles = [a.text for a in fig.layout.annotations]
    assert all("given" in t and "→" in t and "mean_loss" in t for t in titles)


# -- MNIST (shared data) -----------------------------------------------------------------------
def test_mnist_real_label_suspects_without_injected_noise(shared_data):
    cfg = RunConfig(dataset="mnist", data_root=str(shared_data), train_subset=4000, epochs=3,
                    model="cnn", device="cpu")
    run = train(cfg)
    top = A.label_suspects(run, k=8)
    assert not top["mislabeled"].any()  # nothing injected: these are the data's own suspects
    fig = suspects_gallery(run, k=8)
    assert sum(t.type == "image" for t in fig.data) == 8
    # the network disagrees with the given label more often among suspects than overall
    pred, label = run.preds[-1], run.examples["label"].to_numpy()
    assert (top["pred"] != top["label"]).mean() > min(0.9, 2 * (pred != label).mean())


# -- the study behind notebook 07 -------------------------------------------------------------
@pytest.mark.parametrize("kwargs, field", [
    (dict(fractions=[0.0, 0.2]), "fractions"), (dict(fractions=[]), "fractions"),
    (dict(fractions=[0.2], modes=["swap"]), "modes"), (dict(fractions=[0.2], seeds=[]), "seeds"),
    (dict(fractions=[0.2], folds=1), "folds")])
def test_detector_study_rejects_bad_input_before_training(kwargs, field, monkeypatch):
    import sbexplore.engine.trainer

    monkeypatch.setattr(sbexplore.engine.trainer, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(ConfigError, match=rf"^{field}="):
        detector_study(RunConfig(dataset="digits", model="mlp", device="cpu"), **kwargs)


def test_detector_study_trains_every_fraction_mode_and_seed():
    base = RunConfig(dataset="digits", model="mlp", epochs=2, device="cpu")
    logged: list[str] = []
    items = detector_study(base, [0.1, 0.2], ["flip", "shuffle"], [3], folds=0,
                             log=logged.append)
    got = [(r.config.mislabel_fraction, r.config.mislabel_mode, r.config.seed) for r in items]
    assert got == [(0.1, "flip", 3), (0.2, "flip", 3), (0.1, "shuffle", 3), (0.2, "shuffle", 3)]
    assert len(logged) == 4 and "f=0.2 shuffle seed 3" in logged[3]
    assert set(A.detector_table(items)["mislabel_mode"]) == {"flip", "shuffle"}
