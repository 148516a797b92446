"""SB in your own loop: the public Selector + Recorder give what the built-in Trainer gives."""

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import sbexplore as sb
from sbexplore.config.run_config import BUILTIN_ONLY_FIELDS
from sbexplore.data import load_data
from sbexplore.engine.holdout import holdout_split
from sbexplore.engine.trainer import train_holdout_model
from sbexplore.errors import ConfigError
from sbexplore.models import build_model


def hand_written_run(cfg: sb.RunConfig, recorder_ready=None) -> sb.Run:
    """A plain PyTorch loop: DataLoader with indices, the user's model, optimizer and loss
    (RHO-LOSS: the public holdout helpers first, as the built-in trainer calls them)."""
    cfg = cfg.resolved()
    dev = torch.device("cpu")
    d = load_data(cfg, dev)
    held = None
    if cfg.policy == "rho_loss":
        train_idx, holdout_idx = holdout_split(len(d.y_train), cfg.holdout_fraction)
        held = train_holdout_model(cfg, d.x_train[holdout_idx], d.y_train[holdout_idx],
                                   d.x_test, d.y_test, d.x_train[train_idx],
                                   d.y_train[train_idx])
        d = d.subset(train_idx)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, 1, 10, 8, cfg.dropout)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    with pytest.warns(UserWarning, match="to the built-in loop only"):
        rec = sb.Recorder(cfg, d.y_train, true_labels=d.true_train, mislabeled=d.mislabeled,
                          source_index=d.source_index, classes=d.classes, optimizer=opt)
    sel = sb.Selector.from_config(cfg, model, len(d.y_train), device=dev, recorder=rec,
                                  transform=d.normalize,
                                  irreducible_losses=held.losses if held else None)
    if held is not None:
        rec.prepared(held.seconds, held.backprops)
    loader = DataLoader(sb.WithIndices(TensorDataset(d.x_train, d.y_train)),
                        batch_sampler=sel.batch_sampler())
    if recorder_ready is not None:
        recorder_ready(rec)
    for _ in sel.epochs(cfg.epochs):
        for x, y, idx in sel.batches(loader):
            model.train()
            out = model(d.normalize(x))
            losses = F.cross_entropy(out, y, reduction="none")
            opt.zero_grad(set_to_none=True)
            sel.reduce(losses).backward()  # weighted for importance sampling and InfoBatch
            opt.step()
            sel.backpropped(idx, losses, out)
        model.eval()
        with torch.no_grad():
            out = model(d.normalize(d.x_test))
            test_loss = float(F.cross_entropy(out, d.y_test, reduction="none").sum().double())
            acc = int((out.argmax(1) == d.y_test).sum()) / len(d.y_test)
        sel.end_epoch(test_loss / len(d.y_test), acc, lr=cfg.lr)
    return rec.finish()


@pytest.mark.parametrize("policy,staleness", [
    ("sb", 1), ("sb", 3), ("uniform", 1), ("traditional", 1), ("infobatch", 1),
    ("online_batch", 2), ("importance", 1), ("rho_loss", 1)])
def test_a_hand_written_loop_gives_the_built_in_loops_run(policy, staleness):
    cfg = sb.RunConfig(epochs=5, device="cpu", model="mlp", augment="none",
                       memory_format="contiguous", policy=policy, staleness=staleness,
                       mislabel_fraction=0.1, lr_schedule="constant", warmup_epochs=0.0)
    built_in = sb.train(cfg)
    own = hand_written_run(cfg)
    assert own.same_results(built_in, config=False)
    # its record says what the hand-written loop used, not the built-in loop's settings
    expected = built_in.config.replace(**{f: None for f in BUILTIN_ONLY_FIELDS},
                                       milestones=[], loop="own", model="user:Sequential")
    assert own.config == expected
    assert own.config.lr is None and own.config.momentum is None and own.config.loop == "own"
    assert own.meta["optimizer"]["class"] == "SGD"
    assert own.meta["optimizer"]["lr"] == built_in.config.lr
    assert own.meta["model_class"] == built_in.meta["model_class"] == "Sequential"
    assert (own.backpropped.sum() > 0) and own.metrics["examples_backpropped"].sum() > 0


def test_losses_without_reduction_none_are_refused_with_the_argument_named():
    model = torch.nn.Linear(4, 3)
    sel = sb.Selector(model, num_examples=8, batch_size=4, loss_fn=F.cross_entropy,
                      prime_examples=0)
    x, y, idx = torch.randn(8, 4), torch.randint(0, 3, (8,)), torch.arange(8)
    with pytest.raises(ConfigError, match="reduction='none'"):
        list(sel.batches([(x, y, idx)]))
    with pytest.raises(ConfigError, match="one loss per example"):
        sel.backpropped(idx, torch.tensor(1.0))


def test_a_loader_without_indices_is_refused_with_a_clear_message():
    sel = sb.Selector(torch.nn.Linear(4, 3), num_examples=8, batch_size=4)
    with pytest.raises(ConfigError, match="WithIndices"):
        list(sel.batches([(torch.randn(8, 4), torch.zeros(8, dtype=torch.long))]))


def test_mismatched_lengths_are_refused():
    with pytest.raises(ConfigError, match="x_train has 5 examples but y_train has 4"):
        sb.train(epochs=1, device="cpu", data=(torch.randn(5, 3), torch.zeros(4).long(),
                                               torch.randn(2, 3), torch.zeros(2).long()))
    with pytest.raises(ConfigError, match="batch_size"):
        sb.Selector(torch.nn.Linear(4, 3), num_examples=8, batch_size=0)


def test_selector_spends_one_host_sync_per_candidate_batch(monkeypatch):
    """Counts device->host reads (`nonzero`, `tolist`, `int`/`float` of a tensor) per batch."""
    model = torch.nn.Linear(4, 3)
    n, B = 64, 8
    sel = sb.Selector(model, num_examples=n, batch_size=B, beta=1.0)
    x, y = torch.randn(n, 4), torch.randint(0, 3, (n,))
    calls = {"nonzero": 0}
    real = torch.Tensor.nonzero

    def counting(self, *a, **k):
        calls["nonzero"] += 1
        return real(self, *a, **k)

    monkeypatch.setattr(torch.Tensor, "nonzero", counting)
    for xb, yb, ib in sel.batches(sel.tensor_batches(x, y)):
        sel.backpropped(ib, F.cross_entropy(model(xb), yb, reduction="none"))
    sel.end_epoch()
    assert calls["nonzero"] == n // B


def test_own_tensors_train_a_tabular_model():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = torch.tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    y = torch.tensor(y)
    data = (X[:450], y[:450], X[450:], y[450:])
    run = sb.train(sb.RunConfig(model="mlp", epochs=8, device="cpu", batch_size=32), data=data)
    assert run.config.dataset == "custom"
    assert run.metrics["test_accuracy"].iloc[-1] > 0.9
    assert run.metrics["examples_forwarded"].iloc[-1] == 450


def test_own_datasets_are_decoded_once_and_train():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images * 16, dtype=torch.uint8).clamp(0, 255)[:, None]
    y = torch.tensor(d.target)
    train_set, test_set = TensorDataset(x[:1400], y[:1400]), TensorDataset(x[1400:], y[1400:])
    cfg = sb.RunConfig(epochs=3, device="cpu")
    from_datasets = sb.train(cfg, data=(train_set, test_set))
    from_tensors = sb.train(cfg, data=(x[:1400], y[:1400], x[1400:], y[1400:]))
    assert len(from_datasets.examples) == 1400 and from_datasets.same_results(from_tensors)
    assert from_datasets.meta["image_shape"] == [1, 8, 8]


def test_a_user_loss_is_used_for_selection_and_training():
    seen = []

    def smoothed(out, y):
        seen.append(len(y))
        return F.cross_entropy(out, y, reduction="none", label_smoothing=0.1)

    run = sb.train(sb.RunConfig(epochs=3, device="cpu", model="mlp"), loss=smoothed)
    assert run.meta["loss"] == "smoothed" and sum(seen) > 3 * 1438


def test_a_user_loops_recorder_drives_the_dashboard_and_its_stop_button():
    import threading

    from conftest import wait_until

    from sbexplore.ui import Dashboard

    box = {}
    cfg = sb.RunConfig(epochs=200, device="cpu", model="mlp", mislabel_fraction=0.1)
    thread = threading.Thread(target=lambda: box.setdefault("run", hand_written_run(
        cfg, recorder_ready=lambda r: box.setdefault("rec", r))), daemon=True)
    thread.start()
    assert wait_until(lambda: "rec" in box and box["rec"].counts.epoch >= 2, 60)
    rec = box["rec"]
    dash = Dashboard(run=rec)
    try:
        assert dash.refresh(force=True) is not False
        assert sum(sum(t.y) for t in dash.hist_fig.data if t.y is not None) > 0
        assert len(dash.curves_fig.data) and len(dash.curves_fig.data[0].x) >= 2
        dash.controls.beta.value = 4.0  # live steering reaches the user's loop
        assert wait_until(lambda: rec.live["beta"] == 4.0, 30)
        dash.runs_list.entries[0].stop.click()
        thread.join(60)
    finally:
        dash.close()
    run = box["run"]
    assert run.status == "stopped" and len(run.metrics) < 200
    assert run.events["field"].tolist() == ["beta"]


def test_the_dashboards_start_trains_the_users_model_and_loss():
    from conftest import wait_until

    from sbexplore.ui import Dashboard

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    calls = []

    def loss(out, y):
        calls.append(len(y))
        return F.cross_entropy(out, y, reduction="none")

    dash = Dashboard(sb.RunConfig(epochs=2, device="cpu"), model=net, loss=loss)
    try:
        dash.controls.start.click()
        run = dash.current
        assert wait_until(lambda: run.done, 60) and run.status == "finished"
        assert run.trainer.model is not net and type(run.trainer.model[1]) is torch.nn.Linear
        assert run.record.meta["loss"] == "loss" and sum(calls) > 1438
    finally:
        dash.close()


def test_streamed_datasets_give_the_same_run_as_decoded_ones():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = torch.tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    y = torch.tensor(y)
    sets = (TensorDataset(X[:450], y[:450]), TensorDataset(X[450:], y[450:]))
    cfg = sb.RunConfig(model="mlp", epochs=4, device="cpu", batch_size=32, staleness=2,
                       mislabel_fraction=0.1)
    streamed = sb.train(cfg, data=sets, stream=True)
    decoded = sb.train(cfg, data=sets)
    assert streamed.same_results(decoded)
    assert streamed.examples["mislabeled"].sum() == 45


def test_the_dashboard_of_a_custom_data_loop_hides_the_image_galleries():
    import torch

    import sbexplore as sb
    from sbexplore.ui import Dashboard

    x, y = torch.randn(64, 5), torch.randint(0, 2, (64,))
    rec = sb.Recorder(sb.RunConfig(dataset="custom", epochs=1, batch_size=16), y)
    model = torch.nn.Linear(5, 2)
    sel = sb.Selector(model, 64, 16, recorder=rec)
    for _, _, idx in sel.batches(sel.tensor_batches(x, y)):
        sel.backpropped(idx, torch.rand(len(idx)))
    sel.end_epoch(0.5, 0.5)
    rec.finish()
    dash = Dashboard(run=rec)
    try:
        assert dash.refresh(force=True) is not False
        assert all(g.layout.display == "none" for g in dash.galleries)
        assert sum(sum(t.y) for t in dash.hist_fig.data if t.y is not None) > 0
    finally:
        dash.close()
