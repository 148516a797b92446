"""Following runs that another process writes: a sweep shown live from its folders."""

import json
import os
import threading
import time

import pytest

from sbexplore import RunConfig, start, sweep
from sbexplore.errors import UserError
from sbexplore.runs.follow import FolderRun, run_folders


def test_folder_run_follows_a_run_saved_by_another_trainer(tmp_path):
    live = start(RunConfig(model="mlp", epochs=40, device="cpu", out_dir=str(tmp_path / "r")))
    while not (tmp_path / "r" / "manifest.json").exists():
        time.sleep(0.01)
    live.pause()  # hold it mid-run, whatever the machine's speed
    watched = FolderRun(tmp_path / "r")
    first = watched.snapshot()["epochs_done"]
    assert watched.status == "running"
    live.resume()
    live.join()
    final = watched.snapshot()
    assert first < 40 and final["epochs_done"] == 40 and final["status"] == "finished"
    assert watched.record.same_results(live.record)
    with pytest.raises(UserError, match="another process"):
        watched.stop()


def test_dashboard_follows_a_running_sweep_and_adds_new_runs(tmp_path):
    pytest.importorskip("ipywidgets")
    from sbexplore.ui import Dashboard

    base = RunConfig(model="mlp", epochs=3, device="cpu")
    dash = Dashboard.load(tmp_path, follow=True)  # empty at first: runs appear as they start
    t = threading.Thread(target=sweep, args=(base, {"beta": [1.0, 2.0, 3.0]}),
                         kwargs={"out": tmp_path, "progress": False})
    t.start()
    t.join()
    dash.refresh(force=True)
    try:
        assert len(dash.runs) == 3 == len(run_folders(tmp_path))
        assert [e.status for e in dash.runs_list.entries] == ["finished"] * 3
        assert all(e.stop.disabled for e in dash.runs_list.entries)  # owned by the sweep
        assert dash.curves_fig.data and len(dash.curves_fig.data) >= 3
    finally:
        dash.close()


def test_folder_run_keeps_the_last_complete_save_while_the_folder_is_mid_write(tmp_path):
    from test_records import full_arrays, grow, saved_run

    run = saved_run(tmp_path / "r", epochs=2)
    watched = FolderRun(tmp_path / "r")
    assert len(watched.record.metrics) == 2
    grow(run, full_arrays(3), 3).save()
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    table = tmp_path / "r" / manifest["tables"]["metrics"]["file"]
    good = table.read_bytes()
    table.write_bytes(good[:10])  # as if caught while another process writes it
    assert not watched.refresh() and len(watched.record.metrics) == 2
    table.write_bytes(good)
    os.utime(tmp_path / "r" / "manifest.json")  # the writer's next save
    assert watched.refresh() and len(watched.record.metrics) == 3
