"""Run folders: append-only per-epoch saving, a manifest written last, clear errors for damaged
files and full disks, and folders of the previous layout still loading."""

import copy
import errno
import io
import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from sbexplore.config import RunConfig
from sbexplore.errors import RunFolderError, UserError
from sbexplore.runs import fileio
from sbexplore.runs import record as records
from sbexplore.runs.record import EPOCH_ARRAYS, METRIC_COLUMNS, Run, load_run

N = 50


def full_arrays(epochs, n=N, seed=0):
    """Per-epoch arrays whose row e depends only on (seed, e): longer runs extend shorter ones."""
    rows = [epoch_rows(n, np.random.default_rng([seed, e])) for e in range(epochs)]
    return {k: np.stack([r[k] for r in rows]) for k in EPOCH_ARRAYS}


def epoch_rows(n, rng):
    probs = rng.random(n).astype(np.float16)
    probs[:3] = np.nan  # never seen
    return {
        "backpropped": (rng.random(n) < 0.3).astype(np.uint8),
        "losses": rng.exponential(1.0, n).astype(np.float16),
        "probs": probs,
        "preds": np.where(np.isnan(probs), -1, rng.integers(0, 10, n)).astype(np.int16),
        "hist": rng.integers(0, 100, (4, 40)),
    }


def grow(run, full, epochs, names=tuple(EPOCH_ARRAYS)):
    """The run as the trainer leaves it after `epochs` epochs (arrays grow by one row each)."""
    run.metrics = pd.DataFrame([{c: float(e + 1) for c in METRIC_COLUMNS} for e in range(epochs)],
                               columns=METRIC_COLUMNS)
    run.examples = pd.DataFrame({"index": np.arange(N), "times_backpropped": np.full(N, epochs)})
    run.events = pd.DataFrame([{"candidate_batch": 1, "epoch": 0, "field": "beta", "old": 2.0,
                                "new": 3.0}])
    for k in names:
        setattr(run, k, full[k][:epochs])
    run.meta = {"status": "running", "num_train": N}
    return run


def saved_run(folder, epochs=3, names=tuple(EPOCH_ARRAYS)):
    full = full_arrays(epochs)
    run = Run(config=RunConfig(name="t"))
    for e in range(1, epochs + 1):
        grow(run, full, e, names).save(folder)
    return run


def writes(monkeypatch):
    """Record the relative path of every file `Run.save` writes."""
    seen = []
    real = fileio.atomic_write

    def spy(path, data):
        seen.append(str(path))
        real(path, data)

    monkeypatch.setattr(records, "atomic_write", spy)
    return seen


def test_saved_run_loads_equal_with_every_per_epoch_array(tmp_path):
    run = saved_run(tmp_path / "r")
    loaded = load_run(tmp_path / "r")
    assert loaded == run and loaded.same_results(run)
    for k, (dtype, _) in EPOCH_ARRAYS.items():
        assert getattr(loaded, k).dtype == dtype and len(getattr(loaded, k)) == 3
    assert np.isnan(loaded.probs[:, :3]).all() and (loaded.preds[:, :3] == -1).all()


def test_every_per_epoch_array_is_a_run_field_with_no_epochs_by_default():
    run = Run(config=RunConfig())
    for k, (dtype, _) in EPOCH_ARRAYS.items():
        assert getattr(run, k).dtype == dtype and len(getattr(run, k)) == 0


def test_runs_recorded_without_probs_and_preds_load_with_empty_ones(tmp_path):
    run = saved_run(tmp_path / "r", names=("backpropped", "losses", "hist"))
    loaded = load_run(tmp_path / "r")
    assert loaded == run
    assert loaded.probs.shape == (0, N) and loaded.preds.shape == (0, N)


def test_a_second_save_writes_only_the_new_epoch_and_small_files(tmp_path, monkeypatch):
    full = full_arrays(5)
    run = grow(Run(config=RunConfig(name="t")), full, 4)
    run.save(tmp_path / "r")
    seen = writes(monkeypatch)
    grow(run, full, 5).save(tmp_path / "r")
    names = sorted(os.path.relpath(p, tmp_path / "r") for p in seen)
    assert names == ["epochs/00005.npz", "manifest.json", "metrics.csv",
                     "tables/events-000002.csv", "tables/examples-000002.parquet",
                     "tables/metrics-000002.parquet"]
    assert seen[-1].endswith("manifest.json")  # last: it commits the save
    assert load_run(tmp_path / "r") == run


def test_a_save_to_a_new_folder_writes_everything(tmp_path, monkeypatch):
    run = saved_run(tmp_path / "a")
    seen = writes(monkeypatch)
    run.save(tmp_path / "b")
    assert sum("epochs/" in p for p in seen) == 3 and any(p.endswith("config.json") for p in seen)
    assert load_run(tmp_path / "b") == run


def test_a_run_loaded_and_saved_back_rewrites_no_epoch(tmp_path, monkeypatch):
    saved_run(tmp_path / "r")
    run = load_run(tmp_path / "r")
    run.config = run.config.replace(name="renamed")
    seen = writes(monkeypatch)
    run.save(tmp_path / "r")
    assert not any("epochs/" in p for p in seen) and any(p.endswith("config.json") for p in seen)
    assert load_run(tmp_path / "r").name == "renamed"


def test_tables_of_the_latest_and_previous_save_are_kept(tmp_path):
    saved_run(tmp_path / "r", epochs=4)
    kept = sorted(f.name for f in (tmp_path / "r" / "tables").iterdir())
    assert kept == [f"{t}-{s:06d}.{x}" for t, x in (("events", "csv"), ("examples", "parquet"),
                                                     ("metrics", "parquet")) for s in (3, 4)]


def test_files_newer_than_the_manifest_are_ignored(tmp_path, monkeypatch):
    """A kill after the epoch file and tables but before the manifest: the last save loads."""
    run = saved_run(tmp_path / "r", epochs=3)
    before = copy.deepcopy(run)
    real = fileio.atomic_write

    def killed_at_manifest(path, data):
        if str(path).endswith("manifest.json"):
            raise KeyboardInterrupt  # stands in for the kill
        real(path, data)

    monkeypatch.setattr(records, "atomic_write", killed_at_manifest)
    with pytest.raises(KeyboardInterrupt):
        grow(run, full_arrays(4), 4).save(tmp_path / "r")
    assert (tmp_path / "r" / "epochs" / "00004.npz").is_file()
    assert load_run(tmp_path / "r") == before


def test_saving_a_different_run_into_a_folder_replaces_it(tmp_path):
    saved_run(tmp_path / "r", epochs=4)
    run = Run(config=RunConfig(name="new"))
    grow(run, full_arrays(2, seed=9), 2).save(tmp_path / "r")
    assert load_run(tmp_path / "r") == run
    assert sorted(f.name for f in (tmp_path / "r" / "epochs").iterdir()) == ["00001.npz",
                                                                           "00002.npz"]
    assert len(list((tmp_path / "r" / "tables").iterdir())) == 3  # the old run's are gone


def test_a_full_disk_names_the_folder_and_keeps_the_last_save(tmp_path, monkeypatch):
    run = saved_run(tmp_path / "r", epochs=3)
    full = full_arrays(4)
    grow(run, full, 4)
    in_memory = copy.deepcopy(run)
    real_fdopen = os.fdopen

    class FullDisk(io.BufferedWriter):
        def write(self, data):
            super().write(bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd, mode="r", *a, **kw):
        return FullDisk(real_fdopen(fd, mode, buffering=0)) if "w" in mode else real_fdopen(
            fd, mode, *a, **kw)

    monkeypatch.setattr(fileio.os, "fdopen", fdopen)
    with pytest.raises(RunFolderError) as err:
        run.save(tmp_path / "r")
    msg = str(err.value)
    assert str(tmp_path / "r") in msg and "No space left on device" in msg
    assert "keeps its last complete save (3 epochs)" in msg
    assert run == in_memory  # the run in memory is untouched
    assert not list((tmp_path / "r").rglob("*.tmp"))  # no half-written leftovers
    assert len(load_run(tmp_path / "r").metrics) == 3
    monkeypatch.setattr(fileio.os, "fdopen", real_fdopen)  # space freed: the next save works
    run.save(tmp_path / "r")
    assert load_run(tmp_path / "r") == in_memory


def damaged_files(folder):
    return sorted(str(f.relative_to(folder)) for f in folder.rglob("*") if f.is_file()
                  and f.name != "metrics.csv" and "-000002." not in f.name)  # unread copies


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_file_gives_one_error_naming_it(tmp_path, damage):
    saved_run(tmp_path / "ref", epochs=3)
    for name in damaged_files(tmp_path / "ref"):
        folder = tmp_path / f"{damage}-{name.replace('/', '_')}"
        saved_run(folder, epochs=3)
        f = folder / name
        data = f.read_bytes()
        f.write_bytes({"truncated": data[: len(data) // 2], "empty": b"",
                       "garbage": b"\x00\xffnot what you think" * 7}[damage])
        with pytest.raises(RunFolderError, match=re.escape(str(f))) as err:  # noqa: PT012
            load_run(folder)
        e = err.value  # one line, and no pyarrow/numpy/json traceback chained to it
        assert "\n" not in str(e) and e.__cause__ is None
        assert e.__context__ is None or e.__suppress_context__


def test_dashboard_load_gives_the_same_error(tmp_path):
    pytest.importorskip("ipywidgets")
    from sbexplore.ui import Dashboard

    saved_run(tmp_path / "r")
    (tmp_path / "r" / "epochs" / "00002.npz").write_bytes(b"garbage")
    with pytest.raises(RunFolderError, match="00002.npz: cannot be read"):
        Dashboard.load(tmp_path / "r")


def test_a_folder_whose_first_save_never_finished_says_so(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.json").write_text(RunConfig().to_json())
    with pytest.raises(RunFolderError, match="first save did not finish"):
        load_run(tmp_path / "r")
    with pytest.raises(UserError, match="not a run folder"):
        load_run(tmp_path)


def save_format_1(run, folder):
    """The previous layout (every file rewritten by every save, arrays in one arrays.npz)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(run.config.to_json())
    (folder / "meta.json").write_text(json.dumps(run.meta))
    # the names of that version: metrics "step", examples "times_selected", events "step",
    # array "selected"
    run.metrics.rename(columns={"candidate_batches": "step"}).to_parquet(
        folder / "metrics.parquet", index=False)
    run.examples.rename(columns={"times_backpropped": "times_selected"}).to_parquet(
        folder / "examples.parquet", index=False)
    run.events.rename(columns={"candidate_batch": "step"}).to_csv(folder / "events.csv",
                                                                   index=False)
    np.savez_compressed(folder / "arrays.npz", selected=run.backpropped, losses=run.losses,
                        hist=run.hist, hist_edges=run.hist_edges)


def test_folders_of_the_previous_layout_load_and_convert_on_save(tmp_path):
    run = grow(Run(config=RunConfig()), full_arrays(3), 3, names=("backpropped", "losses", "hist"))
    save_format_1(run, tmp_path / "old")
    loaded = load_run(tmp_path / "old")
    assert loaded == run and loaded.probs.shape == (0, N) and loaded.status == "running"
    assert records.saved_status(tmp_path / "old") == "running"
    loaded.meta["status"] = "finished"
    loaded.save()
    assert not (tmp_path / "old" / "arrays.npz").exists()
    assert load_run(tmp_path / "old") == loaded
    assert records.saved_status(tmp_path / "old") == "finished"


def test_an_old_folder_cut_off_between_two_files_is_reported(tmp_path):
    run = grow(Run(config=RunConfig()), full_arrays(3), 3, names=("backpropped", "losses", "hist"))
    save_format_1(run, tmp_path / "old")
    grow(run, full_arrays(4), 4).metrics.to_parquet(tmp_path / "old" / "metrics.parquet")
    with pytest.raises(RunFolderError, match="metrics.parquet: its epochs differ"):
        load_run(tmp_path / "old")


def test_per_epoch_arrays_must_have_one_row_per_epoch(tmp_path):
    run = grow(Run(config=RunConfig()), full_arrays(3), 3)
    run.probs = run.probs[:2]
    with pytest.raises(ValueError, match="run.probs has 2 rows but run.metrics has 3"):
        run.save(tmp_path / "r")
