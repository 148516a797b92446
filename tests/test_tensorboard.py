"""The TensorBoard callback writes every per-epoch metric and the loss histograms."""

import math
import sys

import pytest

import sbexplore as sb
from sbexplore.errors import ConfigError
from sbexplore.runs.record import HIST_GROUPS, METRIC_COLUMNS


def _events(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_the_event_file_holds_the_metrics_and_histograms_of_a_digits_run(tmp_path):
    pytest.importorskip("tensorboard")
    from sbexplore.loggers import TensorBoardLogger
    from sbexplore.loggers.tensorboard import tag

    run = sb.train(sb.RunConfig(epochs=3, device="cpu", mislabel_fraction=0.1),
                   callbacks=[TensorBoardLogger(tmp_path)])
    acc = _events(tmp_path)
    scalars = set(acc.Tags()["scalars"])
    for column in METRIC_COLUMNS:
        values = run.metrics[column].astype(float)
        if values.isna().all():
            continue
        assert tag(column) in scalars, column
        logged = {e.step: e.value for e in acc.Scalars(tag(column))}
        for epoch, v in zip(run.metrics["epoch"], values):
            if not math.isnan(v):
                assert logged[epoch] == pytest.approx(v, rel=1e-6, abs=1e-6), (column, epoch)
    assert {"test/accuracy", "selection/keep_fraction", "time/select_s"} <= scalars
    hist_tags = set(acc.Tags()["histograms"])
    for g, group in enumerate(HIST_GROUPS):
        counts = run.hist[:, g].sum(1)
        if counts.any():
            events = acc.Histograms(f"loss/{group}")
            assert {e.step: e.histogram_value.num for e in events} == {
                e + 1: float(c) for e, c in enumerate(counts) if c}
    assert "loss/backpropped_clean" in hist_tags and "loss/skipped_clean" in hist_tags


def test_a_user_loop_logs_through_the_same_callback(tmp_path):
    pytest.importorskip("tensorboard")
    import torch
    import torch.nn.functional as F

    from sbexplore.loggers import TensorBoardLogger

    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    model = torch.nn.Linear(5, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    cfg = sb.RunConfig(epochs=2, batch_size=16, device="cpu")
    rec = sb.Recorder(cfg, y, callbacks=[TensorBoardLogger(tmp_path)])
    sel = sb.Selector(model, 64, 16, recorder=rec)
    for _ in range(2):
        for xb, yb, ib in sel.batches(sel.tensor_batches(x, y)):
            losses = F.cross_entropy(model(xb), yb, reduction="none")
            opt.zero_grad()
            losses.mean().backward()
            opt.step()
            sel.backpropped(ib, losses)
        sel.end_epoch(test_accuracy=0.5)
    rec.finish()
    acc = _events(tmp_path)
    assert [e.value for e in acc.Scalars("test/accuracy")] == [0.5, 0.5]
    assert [e.step for e in acc.Scalars("selection/keep_fraction")] == [1, 2]


def test_without_tensorboard_the_error_says_what_to_install(monkeypatch, tmp_path):
    from sbexplore.loggers import TensorBoardLogger

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ConfigError, match=r"pip install 'sbexplore\[tensorboard\]'"):
        TensorBoardLogger(tmp_path)
