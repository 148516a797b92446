"""Each figure function returns the expected traces and carries the table behind it."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from sbexplore import figures as F
from sbexplore.config import RunConfig
from sbexplore.engine.trainer import train
from sbexplore.errors import ConfigError


@pytest.fixture(scope="module")
def runs():
    base = RunConfig(dataset="digits", model="mlp", epochs=3, device="cpu", batch_size=64,
                     mislabel_fraction=0.1)
    return [train(base.replace(policy="sb", name="SB")),
            train(base.replace(policy="sb", beta=1.0, mislabel_fraction=0.2, name="SB β=1")),
            train(base.replace(policy="traditional", name="traditional"))]


@pytest.fixture(scope="module")
def seeded():
    """Two seeds each of SB and traditional on clean digits."""
    base = RunConfig(dataset="digits", model="mlp", epochs=3, device="cpu", batch_size=64)
    return [train(base.replace(policy=p, seed=s, name=n)) for p, n in
            (("sb", "SB"), ("traditional", "traditional")) for s in (0, 1)]


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def test_speedup_bars_one_panel_per_clock_one_bar_per_paper_factor(seeded):
    fig = F.speedup_bars(seeded)
    assert [t.name for t in fig.data] == ["final error ×1.1", "final error ×1.2",
                                         "final error ×1.4"] * 3
    assert {t.xaxis for t in fig.data} == {"x", "x2", "x3"}
    assert list(fig.data[0].x) == ["SB"]  # traditional is the baseline, not a bar
    data = F.figure_data(fig)
    assert set(data["clock"]) == {"time", "backprops", "cost"} and (data["seeds"] == 2).all()


def test_speedup_bars_say_never_reached_instead_of_a_number(seeded):
    fig = F.speedup_bars(seeded, target=0.9999, clocks=("time",))  # nobody gets there
    (bar,) = fig.data
    assert bar.text == ("never reached",) and bar.y == (0.0,)
    assert "never reached" in bar.hovertext[0] and "nan" not in bar.hovertext[0].lower()


def test_seed_curves_pool_seeds_into_a_mean_line_and_a_band(seeded):
    fig = F.seed_curves(seeded, x="backprops")
    lines = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in lines] == ["SB (n=2)", "traditional (n=2)"]
    bands = [t for t in fig.data if t.fill == "tonexty"]
    assert len(bands) == 2  # one band per series
    data = F.figure_data(fig)
    sb = data[data["run"] == "SB"]
    accs = [r.metrics["test_accuracy"].to_numpy() for r in seeded[:2]]
    assert sb["y_mean"].to_numpy() == pytest.approx((accs[0] + accs[1]) / 2)
    assert (sb["seeds"] == 2).all()
    assert len(fig.layout.shapes) == 3  # traditional's final error x 1.1, 1.2, 1.4
    assert "mean ± std" in fig.layout.title.text
    with pytest.raises(ConfigError, match="band"):
        F.seed_curves(seeded, band="iqr")


def test_keep_vs_beta_expected_curve_and_realised_points(runs):
    fig = F.keep_vs_beta(runs)
    assert names(fig) == ["expected 1/(β+1)", "realised"]
    assert sorted(fig.data[1].x) == [1.0, 2.0]
    assert "β" in fig.layout.xaxis.title.text


def test_backpropped_images_grid_marks_mislabeled(runs):
    fig = F.backpropped_images(runs[0], "most", k=6, cols=3)
    assert [t.type for t in fig.data] == ["image"] * 6
    data = F.figure_data(fig)
    assert data["times_backpropped"].is_monotonic_decreasing
    titles = [a.text for a in fig.layout.annotations]
    for title, mis in zip(titles, data["mislabeled"], strict=True):
        assert ("given" in title and "true" in title) == bool(mis)
    with pytest.raises(ConfigError, match="which"):
        F.backpropped_images(runs[0], "middle")


def test_pick_rate_vs_fraction_random_diagonal_and_one_line_per_run(runs):
    fig = F.pick_rate_vs_fraction(runs)
    assert names(fig)[0] == "random (= fraction)"
    assert set(names(fig)[1:]) == {"SB", "SB β=1", "traditional"}


def test_time_breakdown_bars_pool_seeds(seeded):
    fig = F.time_breakdown_bars(seeded)
    assert list(fig.data[0].x) == ["SB", "traditional"]
    assert F.figure_data(fig)["seeds"].tolist() == [2, 2]


def test_time_breakdown_bars_stack_three_parts(runs):
    fig = F.time_breakdown_bars(runs)
    assert names(fig) == ["selection forward", "training forward + backward", "other (eval, data)"]
    assert fig.layout.barmode == "stack"
    assert fig.data[0].y[-1] == 0.0  # traditional spends nothing on selection


def test_data_map_colours_by_backprop_frequency(runs):
    fig = F.data_map(runs[0])
    assert names(fig) == ["clean", "mislabeled"]
    assert fig.data[1].marker.symbol == "x"
    n = sum(len(t.x) for t in fig.data)
    assert n == len(runs[0].examples) == len(F.figure_data(fig))


def test_detection_curve_precision_and_recall_per_run(runs):
    fig = F.detection_curve(runs[:2])
    assert names(fig) == ["SB precision", "SB recall", "SB β=1 precision", "SB β=1 recall"]


def test_figures_for_one_run_and_several(runs):
    one = F.figures_for([runs[0]])
    assert {"most_backpropped", "least_backpropped", "data_map", "loss_histogram"} <= set(one)
    many = F.figures_for(runs)
    assert {"speedup", "keep_vs_beta", "pick_rate_vs_fraction", "learning_curves_time",
            "sb/most_backpropped", "traditional/learning_curve"} <= set(many)
    assert "traditional/most_backpropped" not in many


def test_figure_data_falls_back_to_traces():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="a"))
    assert F.figure_data(fig).to_dict("list") == {"trace": ["a", "a"], "x": [1, 2], "y": [3, 4]}
