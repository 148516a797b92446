"""Dashboard wiring without a kernel: Button.click() runs the handlers."""

from __future__ import annotations

import html

import pytest
from conftest import wait_until

from sbexplore import train
from sbexplore.ui import Dashboard


@pytest.fixture
def dash(tiny):
    d = Dashboard(tiny.replace(epochs=500, mislabel_fraction=0.1))
    yield d
    d.stop_all()
    d.close()


def test_start_and_stop_buttons(dash):
    dash.controls.start.click()
    run = dash.current
    assert wait_until(lambda: run.snapshot()["candidate_batches"] > 3)
    dash.controls.stop.click()
    run.join(30)
    assert run.status == "stopped"
    dash.refresh(force=True)
    assert "stopped" in dash.controls.status.value
    assert sum(sum(t.y) for t in dash.hist_fig.data) > 0  # the histogram was drawn


def test_beta_slider_reaches_the_live_run(dash):
    dash.controls.start.click()
    run = dash.current
    assert wait_until(lambda: run.trainer is not None and run.trainer.counts.candidate_batches > 1)
    dash.controls.beta.value = 5.0
    assert "0.17" in dash.controls.keep_label.value  # 1/(5+1)
    assert wait_until(lambda: run.trainer.recorder.live["beta"] == 5.0, 10)
    run.stop()
    assert list(run.join(30).events["field"]) == ["beta"]


def test_second_start_runs_beside_the_first(dash):
    dash.controls.start.click()
    dash.controls.seed.value = 1
    dash.controls.start.click()
    assert len(dash.runs) == 2 and dash.runs[0] is not dash.runs[1]
    assert dash.runs[0].status in ("running", "paused") and dash.current is dash.runs[1]


def test_invalid_setting_shows_an_error_in_the_panel(dash):
    dash.controls.device.options = [*dash.controls.device.options, "tpu"]
    dash.controls.device.value = "tpu"
    dash.controls.start.click()
    assert dash.runs == [] and "device" in dash.controls.error.value


def test_load_replays_a_saved_run(tiny, tmp_path):
    train(tiny.replace(epochs=3, out_dir=str(tmp_path / "r")))
    d = Dashboard.load(tmp_path / "r")
    try:
        d.replay_epoch.value = 1
        assert d.refresh(force=True)
        assert "epoch 1/3" in d.controls.status.value
        assert len(d.galleries[0].grid.children) == 16
    finally:
        d.close()


def test_pause_is_not_undone_by_a_stale_snapshot(dash):
    dash.controls.start.click()
    run, entry = dash.current, dash.focused
    assert wait_until(lambda: run.trainer is not None and run.trainer.counts.candidate_batches > 1)
    stale = entry.snapshot()  # taken before the click below: status "running"
    assert stale["status"] == "running"
    dash.controls.pause.value = True  # the user pauses
    assert run.status == "paused"
    entry.snapshot = lambda epoch=None: stale  # the refresher draws from the old snapshot
    dash.refresh(force=True)
    assert run.status == "paused" and dash.controls.pause.value is True


def test_start_beyond_the_cap_is_refused_with_a_message(tiny):
    d = Dashboard(tiny.replace(epochs=500), max_runs=1)
    try:
        first = d.start()
        assert first is not None and d.start() is None
        assert len(d.runs) == 1 and "limit per student" in d.controls.error.value
    finally:
        d.stop_all()
        d.close()


def test_missing_dataset_is_one_line_in_the_panel(tiny, tmp_path):
    d = Dashboard(tiny.replace(dataset="mnist", data_root=str(tmp_path)))
    try:
        run = d.start()
        run.join(30)
        d.refresh(force=True)
        text = html.unescape(d.controls.error.value)
        assert "dataset='mnist'" in text and "data_root" in text
        assert "Traceback" not in text and "\n" not in text
    finally:
        d.close()


def test_advance_trains_one_epoch_then_pauses_again(dash):
    dash.controls.start.click()
    run = dash.current
    assert wait_until(lambda: run.trainer is not None and run.trainer.counts.candidate_batches > 1)
    dash.controls.pause.value = True
    done = len(run.record.metrics)
    dash.controls.advance.click()
    assert wait_until(lambda: len(run.record.metrics) == done + 1 and run.status == "paused")
    dash.refresh(force=True)
    assert dash.controls.pause.value is True and len(run.record.metrics) == done + 1


def test_speed_control_reaches_the_live_run(dash):
    dash.controls.start.click()
    run = dash.current
    assert wait_until(lambda: run.trainer is not None and run.trainer.counts.candidate_batches > 1)
    dash.controls.pace.value = 0.25
    at = run.trainer.counts.candidate_batches
    assert wait_until(lambda: run.trainer.counts.candidate_batches > at + 2)  # applied next batch
    run.stop()
    events = run.join(30).events
    assert list(events.loc[events["field"] == "pace", "new"]) == [0.25]


def test_running_the_cell_again_replaces_its_dashboard(tiny, monkeypatch):
    """A re-run cell's old panel is gone from the page: the runs it started stop (they would
    train unseen beside the new panel's); a run it only showed goes on; other cells' stay."""
    from sbexplore.jobs.background import start
    from sbexplore.ui import cells

    cfg = tiny.replace(epochs=5000)
    shown = start(cfg.replace(seed=1), save=False)
    monkeypatch.setattr(cells, "current_cell", lambda: ("cell-a", "run-1"))
    first = Dashboard(cfg, run=shown, start=True, save=False)
    beside = Dashboard(cfg, start=True, save=False)  # the same execution: both stay
    own = first.current
    monkeypatch.setattr(cells, "current_cell", lambda: ("cell-b", "run-2"))
    elsewhere = Dashboard(cfg, start=True, save=False)
    monkeypatch.setattr(cells, "current_cell", lambda: ("cell-a", "run-3"))
    assert beside.current.status == "running"
    try:
        with pytest.warns(UserWarning, match=r"ran again.*1 run\(s\) it started were stopped"):
            second = Dashboard(cfg, start=True, save=False)
        assert own.join(30).status == "stopped" and beside.current.join(30).status == "stopped"
        assert first.refresher.thread.join(10) is None and not first.refresher.thread.is_alive()
        assert shown.status == "running" and elsewhere.current.status == "running"
        assert second.current.status == "running"
    finally:
        for d in (first, beside, elsewhere, second if "second" in locals() else first):
            d.stop_all()
            d.close()
        shown.stop()
        shown.join(30)


def test_lazy_plots_of_a_pre_started_kernel_wait_for_its_viewer(tiny, monkeypatch):
    """A kernel pre-started before any student (Voilà's pool) must not add its plots on a
    timer that ran out before anyone looked: the fallback clock starts when a viewer came."""
    import threading

    from sbexplore.ui import dashboard

    monkeypatch.setattr(dashboard, "FIRST_VIEW_FALLBACK_S", 0.05)
    arrived = threading.Event()
    d = Dashboard(tiny, lazy_figures=True, viewer_arrived=arrived.wait)
    try:
        assert not wait_until(lambda: d.rule_fig is not None, 1.0)  # nobody is looking yet
        arrived.set()  # a student's page took the kernel
        assert wait_until(lambda: d.curves_fig is not None, 10)  # every plot, one by one
        assert all(f is not None for f in (d.rule_fig, d.hist_fig, d.pick_fig))
    finally:
        d.close()
