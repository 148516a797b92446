"""The background run: snapshots, stop, pause, errors, live changes and their replay."""

from __future__ import annotations

import time

import pytest
from conftest import wait_until
from torch import nn

from sbexplore import RunConfig, load_run, start, train
from sbexplore.runs.snapshot import Snapshot


def test_snapshots_advance_and_run_finishes(tiny):
    br = start(tiny.replace(epochs=4, mislabel_fraction=0.1))
    assert wait_until(lambda: br.snapshot()["candidate_batches"] > 0)
    first = br.snapshot()
    run = br.join(60)
    last = br.snapshot()
    assert br.status == "finished" and run.status == "finished"
    assert last["candidate_batches"] > first["candidate_batches"] and len(last["metrics"]) == 4
    assert last["hist"].shape == (4, len(last["hist_edges"]) - 1)
    assert len(last["hardest"]["index"]) == 16
    assert last["hardest"]["times_backpropped"][0] >= last["easiest"]["times_backpropped"][0]
    assert 0 < last["mislabel_pick_rate"] < 1


def test_stop_runs_at_most_one_more_step(tiny, tmp_path):
    br = start(tiny.replace(epochs=500, out_dir=str(tmp_path / "r")))
    assert wait_until(lambda: br.trainer is not None and br.trainer.counts.candidate_batches > 5)
    at_stop = br.trainer.counts.candidate_batches
    br.stop()
    br.join(30)
    assert br.status == "stopped"
    assert br.trainer.counts.candidate_batches <= at_stop + 1
    assert load_run(tmp_path / "r").status == "stopped"  # saved, loads


def test_pause_holds_the_step_count(tiny):
    br = start(tiny.replace(epochs=500))
    assert wait_until(lambda: br.trainer is not None and br.trainer.counts.candidate_batches > 2)
    br.pause()
    time.sleep(0.3)
    assert br.status == "paused"
    held = br.trainer.counts.candidate_batches
    time.sleep(0.4)
    assert br.trainer.counts.candidate_batches == held
    br.resume()
    assert wait_until(lambda: br.trainer.counts.candidate_batches > held + 2, 10)
    br.stop()
    br.join(30)


class Exploding(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(nn.init.zeros_(nn.Linear(64, 10).weight))

    def forward(self, x):
        raise RuntimeError("boom in the model")


def test_error_in_thread_is_surfaced(tiny):
    br = start(tiny, model=Exploding())
    br.join(30)
    assert br.status == "failed"
    assert "RuntimeError: boom in the model" in br.error and "Traceback" in br.error
    assert br.snapshot()["status"] == "failed"


def test_live_beta_change_is_recorded_and_replays_exactly(tiny):
    cfg = tiny.replace(epochs=3)
    br = start(cfg)
    br.pause()
    assert wait_until(lambda: br.trainer is not None)
    br.set_beta(4.0)
    br.resume()
    live = br.join(60)
    ev = live.events
    assert list(ev["field"]) == ["beta"] and ev["new"].iloc[0] == 4.0 and ev["old"].iloc[0] == 2.0
    replayed = train(cfg, replay=live.events)
    assert replayed.same_results(live)
    assert not train(cfg).same_results(live)  # the change mattered


def test_set_rejects_fields_that_need_a_new_run(tiny):
    br = start(tiny.replace(epochs=200))
    with pytest.raises(ValueError, match="mislabel_fraction"):
        br.set("mislabel_fraction", 0.2)
    br.stop()
    br.join(30)


def test_saved_run_snapshot_replays_epochs(tiny):
    run = train(tiny.replace(epochs=3, mislabel_fraction=0.2))
    s1, s3 = Snapshot.from_run(run, 1), Snapshot.from_run(run)
    assert s1["epoch"] == 1 and len(s1["metrics"]) == 1 and s3["epoch"] == 3
    assert s1["hardest"]["times_backpropped"].max() == 1  # one epoch: selected at most once
    assert (s3["mislabeled"]["mislabeled"]).all()


def test_done_callbacks_fire_once_the_run_has_ended():
    seen = []
    r = start(RunConfig(model="mlp", epochs=2, device="cpu"))
    r.add_done_callback(lambda run: seen.append(run.status))
    r.join()
    r.add_done_callback(lambda run: seen.append("late " + run.status))  # already done: at once
    assert seen == ["finished", "late finished"]


def test_a_paced_run_takes_its_pace_per_epoch_and_records_only_training_time(tiny):
    """pace = the seconds an epoch takes at least, spread over its candidate batches; the
    waits are idle time, not training time."""
    run = start(tiny.replace(epochs=6), save=False)
    run.set("pace", 0.25)  # before its first candidate batch
    assert wait_until(lambda: run.snapshot()["epoch"] >= 1, 60)  # past loading the data
    t0 = time.perf_counter()
    rec = run.join(60)
    took = time.perf_counter() - t0  # the last 5 epochs (or a bit more)
    assert rec.status == "finished"
    assert 4 * 0.25 <= took < 5 * 0.25 + 1.0, took  # not pace x batches / 2 per epoch
    assert rec.metrics["wall_time_s"].sum() < 1.5  # the training, without the waits
