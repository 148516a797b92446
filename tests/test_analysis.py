"""Analysis functions on small hand-made runs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sbexplore import analysis as A
from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError
from sbexplore.runs.record import METRIC_COLUMNS, Run


def make_run(policy="sb", acc=(0.5, 0.7, 0.9), backprops=(100, 50, 50), forwarded=(0, 100, 100),
             t_select=(0.0, 1.0, 1.0), t_train=(2.0, 1.0, 1.0), wall=(2.5, 2.5, 2.5), seed=0,
             name=None, beta=2.0, mislabel_fraction=0.0, n=100) -> Run:
    cfg = RunConfig(policy=policy, seed=seed, name=name, beta=beta,
                    mislabel_fraction=mislabel_fraction, device="cpu")
    e = len(acc)
    m = pd.DataFrame({c: np.zeros(e) for c in METRIC_COLUMNS})
    m["epoch"] = np.arange(1, e + 1)
    m["test_accuracy"] = acc
    m["examples_backpropped"] = backprops
    m["examples_forwarded"] = forwarded
    m["total_backprops"] = np.cumsum(backprops)
    m["total_forwarded"] = np.cumsum(forwarded)
    m["time_select_s"], m["time_train_s"] = t_select, t_train
    m["wall_time_s"] = wall
    m["time_other_s"] = np.array(wall) - np.array(t_select) - np.array(t_train)
    m["total_time_s"] = np.cumsum(wall)
    m["priming"] = [True] + [False] * (e - 1)
    m["keep_fraction"] = np.array(backprops) / n
    ex = pd.DataFrame({"index": np.arange(n), "source_index": np.arange(n),
                       "label": np.zeros(n, int), "true_label": np.zeros(n, int),
                       "mislabeled": np.zeros(n, bool), "times_backpropped": np.ones(n, int),
                       "times_forwarded": np.zeros(n, int), "last_loss": np.ones(n)})
    return Run(config=cfg, metrics=m, examples=ex, meta={"num_train": n},
               backpropped=np.ones((e, n), np.uint8), losses=np.ones((e, n), np.float16))


def test_time_to_accuracy_interpolates_within_the_crossing_epoch():
    run = make_run(acc=(0.5, 0.7, 0.9))  # total_backprops 100, 150, 200
    assert A.time_to_accuracy(run, 0.8, "backprops") == pytest.approx(175.0)
    assert A.time_to_accuracy(run, 0.8, "backprops", method="first_epoch") == 200.0
    assert A.time_to_accuracy(run, 0.4, "time") == pytest.approx(2.5)  # first epoch reached
    assert math.isnan(A.time_to_accuracy(run, 0.95, "time"))


def test_cost_clock_counts_forwards_at_f_over_t():
    run = make_run()  # forwarded cumulative 0, 100, 200
    assert A.clock(run, "cost", f_over_t=0.5).tolist() == [100.0, 200.0, 300.0]
    with pytest.raises(ConfigError, match="clock"):
        A.clock(run, "steps")


def traditional(acc=(0.5, 0.8, 0.9), seed=0, **kw) -> Run:
    return make_run("traditional", acc=acc, backprops=(100, 100, 100), forwarded=(0, 0, 0),
                    t_select=(0, 0, 0), seed=seed, name="traditional", **kw)


def test_targets_are_traditional_final_error_times_the_paper_factors():
    runs = [traditional(acc=(0.5, 0.8, 0.88), seed=0), traditional(acc=(0.5, 0.8, 0.92), seed=1)]
    t = A.error_targets(runs)[0.0]  # mean final accuracy 0.90: final error 0.10
    assert list(t) == [1.1, 1.2, 1.4]
    assert [t[k] for k in (1.1, 1.2, 1.4)] == pytest.approx([0.89, 0.88, 0.86])
    with pytest.raises(ConfigError, match="factors"):
        A.error_targets(runs, factors=(0.5,))


def test_speedup_table_has_one_row_per_series_clock_and_factor_with_n_and_std():
    sbs = [make_run(acc=(0.5, 0.9, 0.95), seed=0, name="SB"),   # total backprops 100, 150, 200
           make_run(acc=(0.5, 0.8, 0.95), seed=1, name="SB")]
    t = A.speedup_table([traditional(), *sbs], clocks=("backprops", "time"))
    assert len(t) == 2 * 2 * 3  # (traditional, SB) x 2 clocks x 3 factors
    row = t[(t["run"] == "SB") & (t["clock"] == "backprops") & (t["factor"] == 1.2)].iloc[0]
    assert row["target"] == pytest.approx(0.88)
    base = 200 + 100 * (0.08 / 0.10)  # traditional crosses 0.88 within epoch 3
    values = [100 + 50 * (0.38 / 0.40), 150 + 50 * (0.08 / 0.15)]
    assert row["seeds"] == 2 and row["reached"] == 2
    assert row["value_mean"] == pytest.approx(np.mean(values))
    assert row["speedup_mean"] == pytest.approx(np.mean([base / v for v in values]))
    assert row["speedup_std"] == pytest.approx(np.std([base / v for v in values], ddof=1))
    trad = t[(t["run"] == "traditional") & (t["clock"] == "time")]
    assert trad["speedup_mean"].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_a_seed_that_never_reaches_is_counted_not_averaged():
    sbs = [make_run(acc=(0.5, 0.9, 0.95), seed=0, name="SB"),
           make_run(acc=(0.5, 0.7, 0.85), seed=1, name="SB")]  # never reaches 0.88
    unif = [make_run("uniform", acc=(0.5, 0.6, 0.7), seed=s, name="uniform") for s in (0, 1)]
    t = A.speedup_table([traditional(), *sbs, *unif], clocks=("backprops",))
    sb = t[(t["run"] == "SB") & (t["factor"] == 1.2)].iloc[0]
    base = 200 + 100 * (0.08 / 0.10)
    assert (sb["seeds"], sb["reached"]) == (2, 1)
    assert sb["speedup_mean"] == pytest.approx(base / (100 + 50 * (0.38 / 0.40)))
    assert math.isnan(sb["speedup_std"])
    u = t[(t["run"] == "uniform") & (t["factor"] == 1.2)].iloc[0]
    assert u["reached"] == 0 and math.isnan(u["speedup_mean"]) and math.isnan(u["value_mean"])
    text = A.format_table(t).set_index(["run", "factor"])["speedup"]
    assert text[("uniform", "×1.2")] == "never reached"
    assert text[("SB", "×1.2")] == f"{base / 147.5:.3f} (1 of 2 reached)"
    assert text[("SB", "×1.4")].endswith("(1 of 2 reached)")  # 0.86: seed 1 stops at 0.85


def test_an_explicit_accuracy_target_is_one_threshold_without_factor():
    t = A.speedup_table([traditional(), make_run(name="SB")], target=0.8, clocks=("backprops",))
    assert len(t) == 2 and t["factor"].isna().all() and (t["target"] == 0.8).all()
    sb = t[t["run"] == "SB"].iloc[0]
    assert sb["value_mean"] == pytest.approx(150 + 50 * 0.1 / 0.2)  # SB: 0.7 -> 0.9 in epoch 3
    with pytest.raises(ConfigError, match="target"):
        A.speedup_table([traditional()], target=97)


def test_paper_targets_need_a_traditional_run():
    with pytest.raises(ConfigError, match="traditional"):
        A.speedup_table([make_run()])


def test_each_mislabel_fraction_is_compared_with_its_own_traditional_runs():
    runs = [traditional(acc=(0.5, 0.8, 0.9)), traditional(acc=(0.5, 0.6, 0.7),
                                                          mislabel_fraction=0.2),
            make_run(acc=(0.5, 0.7, 0.75), name="SB", mislabel_fraction=0.2)]
    t = A.speedup_table(runs, clocks=("backprops",))
    noisy = t[(t["mislabel_fraction"] == 0.2) & (t["factor"] == 1.1)]
    assert noisy["target"].tolist() == pytest.approx([0.67, 0.67])  # 1 - 1.1 * 0.3
    assert noisy.set_index("run")["reached"].to_dict() == {"traditional": 1, "SB": 1}


def test_comparison_table_pools_seeds_and_shows_speedups_at_each_factor():
    runs = [traditional(seed=s) for s in (0, 1)] + [
        make_run(acc=(0.5, 0.9, 0.95), seed=0, name="SB"),
        make_run(acc=(0.5, 0.7, 0.85), seed=1, name="SB")]
    t = A.comparison_table(runs)
    assert t["run"].tolist() == ["traditional", "SB"] and t["seeds"].tolist() == [2, 2]
    sb = t.set_index("run").loc["SB"]
    assert sb["final_accuracy_mean"] == pytest.approx(0.9)
    assert sb["final_accuracy_std"] == pytest.approx(np.std([0.95, 0.85], ddof=1))
    assert sb["speedup_time_x1.2_reached"] == 1
    assert "No uniform control" in t.attrs["caption"]
    text = A.format_table(t).set_index("run")
    assert text.loc["SB", "speedup_time_x1.2"].endswith("(1 of 2 reached)")
    assert text.loc["SB", "final_accuracy"] == f"0.900 ± {np.std([0.95, 0.85], ddof=1):.3f}"
    with_control = A.comparison_table(runs + [make_run("uniform", name="uniform")])
    assert "No uniform control" not in with_control.attrs["caption"]


def test_format_stat_spells_out_reach():
    assert A.format_stat(1.5, 0.25, n=3, reached=3) == "1.500 ± 0.250"
    assert A.format_stat(float("nan"), float("nan"), n=3, reached=0) == "never reached"
    assert A.format_stat(1.5, float("nan"), n=3, reached=1) == "1.500 (1 of 3 reached)"
    assert A.format_stat(12345.0, 678.0) == "12,345 ± 678"


def test_cost_model_prediction_and_measured_f_over_t():
    assert A.predicted_epoch_ratio(1 / 3, 1 / 3) == pytest.approx(2 / 3)
    assert A.predicted_epoch_ratio(0.3, 0.25, fresh_share=1 / 3) == pytest.approx(0.35)
    with pytest.raises(ConfigError, match="keep"):
        A.predicted_epoch_ratio(0.3, 1.5)
    run = make_run()  # select: 2 s / 200 forwards; train: 4 s / 200 backprops
    assert A.measured_f_over_t(run) == pytest.approx(0.5)
    assert math.isnan(A.measured_f_over_t(make_run("traditional", forwarded=(0, 0, 0),
                                                   t_select=(0, 0, 0))))
    assert A.pooled_f_over_t([make_run("traditional", forwarded=(0, 0, 0))]) == A.DEFAULT_F_OVER_T


def test_keep_table_against_one_over_beta_plus_one():
    t = A.keep_table([make_run(beta=1.0)])  # 100 backprops over 2 selecting epochs of 100
    assert t["expected_keep"].iloc[0] == 0.5
    assert t["realised_keep"].iloc[0] == pytest.approx(0.5)
    assert t["ratio"].iloc[0] == pytest.approx(1.0)


def test_keep_table_pooled_over_seeds():
    runs = [make_run(beta=1.0, seed=0, name="SB"),
            make_run(beta=1.0, seed=1, name="SB", backprops=(100, 30, 50))]
    t = A.keep_table(runs, pooled=True)
    assert len(t) == 1 and t["seeds"].iloc[0] == 2
    assert t["realised_keep_mean"].iloc[0] == pytest.approx((0.5 + 0.4) / 2)
    assert t["realised_keep_std"].iloc[0] == pytest.approx(np.std([0.5, 0.4], ddof=1))


def test_backprop_ranking_breaks_ties_by_index():
    run = make_run(n=5)
    run.examples["times_backpropped"] = [2, 5, 2, 0, 5]
    r = A.backprop_ranking(run)
    assert r["index"].tolist() == [1, 4, 0, 2, 3]
    assert r["rank"].tolist() == [1, 2, 3, 4, 5]
    assert A.least_backpropped(run, 2)["index"].tolist() == [3, 0]


def test_training_dynamics_mean_and_variability_of_loss():
    run = make_run(n=2)
    run.losses = np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 0.0]], np.float16)
    run.backpropped = np.array([[1, 1], [1, 0], [0, 0]], np.uint8)
    d = A.training_dynamics(run)
    assert d["loss_mean"].tolist() == pytest.approx([2.0, 0.0])
    assert d["loss_std"].tolist() == pytest.approx([np.std([1, 3, 2]), 0.0])
    assert d["confidence_mean"].iloc[1] == pytest.approx(1.0)
    assert d["backprop_frequency"].tolist() == [0.5, 0.0]  # epochs 2-3 select


def test_training_dynamics_leaves_the_warnings_filters_as_it_found_them():
    import warnings

    run = make_run(n=2)
    run.losses = np.array([[np.nan, 1.0]] * 3, np.float16)  # example 0 never seen: all-NaN
    before = list(warnings.filters)
    A.training_dynamics(run)
    assert warnings.filters == before
    with pytest.warns(RuntimeWarning):  # still reported outside the analysis
        np.nanmean(np.array([np.nan]))


def test_mislabel_detection_precision_and_recall_over_k():
    run = make_run(n=6, mislabel_fraction=0.3)
    run.examples["times_backpropped"] = [9, 8, 7, 1, 1, 1]
    run.examples["mislabeled"] = [True, False, True, False, False, False]
    d = A.mislabel_detection(run, [1, 2, 3, 6])
    assert d["precision"].tolist() == pytest.approx([1.0, 0.5, 2 / 3, 1 / 3])
    assert d["recall"].tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0])
    assert A.detection_at_mislabel_count(run)["precision"] == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="no injected mislabels"):
        A.mislabel_detection(make_run())


def test_pick_rate_table_enrichment():
    runs = [make_run(mislabel_fraction=f, seed=s, name="SB") for f in (0.1, 0.2) for s in (0, 1)]
    for r, rate in zip(runs, (0.2, 0.3, 0.3, 0.5), strict=True):
        r.metrics["mislabel_pick_rate"] = rate
    t = A.pick_rate_table(runs)
    assert t["mislabel_fraction"].tolist() == [0.1, 0.2]
    assert t["pick_rate_mean"].tolist() == pytest.approx([0.25, 0.4])
    assert t["enrichment"].tolist() == pytest.approx([2.5, 2.0])


def test_time_breakdown_averages_epochs_after_priming():
    t = A.time_breakdown([make_run()]).iloc[0]
    assert (t["select_s"], t["train_s"], t["other_s"], t["epochs"]) == pytest.approx(
        (1.0, 1.0, 0.5, 2))


def test_analysis_imports_no_plotting():
    import subprocess
    import sys

    code = "import sys, sbexplore.analysis; assert 'plotly' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
