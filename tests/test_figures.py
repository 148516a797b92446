"""Each figure function returns the expected traces and carries the table behind it."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from sbexplore import figures as F
from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError
from sbexplore.trainer import train


@pytest.fixture(scope="module")
def runs():
    base = RunConfig(dataset="digits", model="mlp", epochs=3, device="cpu", batch_size=64,
                     mislabel_fraction=0.1)
    return [train(base.replace(policy="sb", name="SB")),
            train(base.replace(policy="sb", beta=1.0, mislabel_fraction=0.2, name="SB β=1")),
            train(base.replace(policy="all", name="traditional"))]


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def test_speedup_bars_one_trace_per_clock(runs):
    fig = F.speedup_bars(runs)
    assert [t.type for t in fig.data] == ["bar"] * 3
    assert list(fig.data[0].x) == ["SB", "SB β=1"]  # traditional is the baseline, not a bar
    assert set(F.figure_data(fig)["clock"]) == {"time", "backprops", "cost"}


def test_keep_vs_beta_expected_curve_and_realised_points(runs):
    fig = F.keep_vs_beta(runs)
    assert names(fig) == ["expected 1/(β+1)", "realised"]
    assert sorted(fig.data[1].x) == [1.0, 2.0]
    assert "β" in fig.layout.xaxis.title.text


def test_selected_images_grid_marks_mislabeled(runs):
    fig = F.selected_images(runs[0], "most", k=6, cols=3)
    assert [t.type for t in fig.data] == ["image"] * 6
    data = F.figure_data(fig)
    assert data["times_selected"].is_monotonic_decreasing
    titles = [a.text for a in fig.layout.annotations]
    for title, mis in zip(titles, data["mislabeled"], strict=True):
        assert ("given" in title and "true" in title) == bool(mis)
    with pytest.raises(ConfigError, match="which"):
        F.selected_images(runs[0], "middle")


def test_pick_rate_vs_fraction_random_diagonal_and_one_line_per_run(runs):
    fig = F.pick_rate_vs_fraction(runs)
    assert names(fig)[0] == "random (= fraction)"
    assert set(names(fig)[1:]) == {"SB", "SB β=1", "traditional"}


def test_time_breakdown_bars_stack_three_parts(runs):
    fig = F.time_breakdown_bars(runs)
    assert names(fig) == ["selection forward", "training forward + backward", "other (eval, data)"]
    assert fig.layout.barmode == "stack"
    assert fig.data[0].y[-1] == 0.0  # traditional spends nothing on selection


def test_data_map_colours_by_selection_frequency(runs):
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
    assert {"most_selected", "least_selected", "data_map", "loss_histogram"} <= set(one)
    many = F.figures_for(runs)
    assert {"speedup", "keep_vs_beta", "pick_rate_vs_fraction", "learning_curves_time",
            "sb/most_selected", "traditional/learning_curve"} <= set(many)
    assert "traditional/most_selected" not in many


def test_figure_data_falls_back_to_traces():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="a"))
    assert F.figure_data(fig).to_dict("list") == {"trace": ["a", "a"], "x": [1, 2], "y": [3, 4]}
