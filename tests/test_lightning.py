"""SB in PyTorch Lightning: the callback's run selects exactly what a hand-written loop selects."""

import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

import sbexplore as sb
from sbexplore.data import load_data
from sbexplore.models import build_model

if os.environ.get("CI") != "true":  # CI installs the dev extras, lightning among them
    pytest.importorskip("lightning")
import lightning.pytorch as pl  # noqa: E402

from sbexplore.integrations.lightning import SelectiveBackprop  # noqa: E402

LR = 0.05


def digits():
    d = load_data(sb.RunConfig(), torch.device("cpu"))
    train = TensorDataset(d.normalize(d.x_train), d.y_train)
    return train, (d.normalize(d.x_test), d.y_test)


class LitMLP(pl.LightningModule):
    """An ordinary LightningModule with SB's five lines in `training_step`."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = build_model("mlp", 1, 10, 8, 0.0)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        batch = self.selector.offer(batch)
        if batch is None:
            return None
        x, y, idx = batch
        out = self(x)
        losses = F.cross_entropy(out, y, reduction="none")
        self.selector.backpropped(idx, losses, out)
        return self.selector.reduce(losses)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        out = self(x)
        self.log("val_loss", F.cross_entropy(out, y))
        self.log("val_acc", (out.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=LR, momentum=0.9)


def lightning_run(cfg, train, test):
    sbcb = SelectiveBackprop(cfg, train)
    trainer = pl.Trainer(max_epochs=cfg.epochs, accelerator="cpu", devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0, callbacks=[sbcb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's notes on workers and skipped steps
        trainer.fit(LitMLP(), sbcb.dataloader(),
                    DataLoader(TensorDataset(*test), batch_size=512))
    return sbcb.record


def hand_written_run(cfg, train, test):
    torch.manual_seed(0)
    model = build_model("mlp", 1, 10, 8, 0.0)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    rec = sb.Recorder(cfg, train, optimizer=opt)
    sel = sb.Selector.from_config(cfg, model, len(train), recorder=rec)
    loader = DataLoader(sb.WithIndices(train), batch_sampler=sel.batch_sampler())
    for _ in sel.epochs(cfg.epochs):
        for x, y, idx in sel.batches(loader):
            out = model(x)
            losses = F.cross_entropy(out, y, reduction="none")
            opt.zero_grad()
            sel.reduce(losses).backward()
            opt.step()
            sel.backpropped(idx, losses, out)
        with sel.evaluating(), torch.no_grad():
            out = model(test[0])
            acc = float((out.argmax(1) == test[1]).float().mean())
        sel.end_epoch(float(F.cross_entropy(out, test[1])), acc)
    return rec.finish()


@pytest.mark.parametrize("policy", ["sb", "importance"])
def test_lightning_selects_what_a_hand_written_loop_selects(policy):
    train, test = digits()
    cfg = sb.RunConfig(dataset="custom", policy=policy, batch_size=64, epochs=4, seed=3)
    lit, own = lightning_run(cfg, train, test), hand_written_run(cfg, train, test)
    assert lit.status == own.status == "finished" and len(lit.metrics) == 4
    assert lit.metrics["priming"].tolist() == [True, False, False, False]
    assert np.array_equal(lit.backpropped, own.backpropped)  # who was backpropped, per epoch
    assert np.array_equal(lit.losses, own.losses, equal_nan=True)
    cols = ["examples_forwarded", "examples_backpropped", "total_backprops", "keep_fraction"]
    assert lit.metrics[cols].equals(own.metrics[cols])
    assert np.allclose(lit.metrics["test_accuracy"], own.metrics["test_accuracy"])
    assert lit.config.model == "user:LitMLP" and own.config.model == "user:Sequential"
    assert lit.config.replace(model="cnn") == own.config.replace(model="cnn")
    assert lit.meta["optimizer"]["class"] == "SGD" and lit.meta["optimizer"]["lr"] == LR
    assert (lit.metrics["time_eval_s"] > 0).all()  # validation, off the training clock
    assert 0.1 < lit.metrics["keep_fraction"].iloc[-1] < 0.6


def test_the_dashboards_stop_ends_a_lightning_fit():
    train, test = digits()
    cfg = sb.RunConfig(dataset="custom", batch_size=64, epochs=50)
    sbcb = SelectiveBackprop(cfg, train)

    class StopAfterTwo(pl.Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            if trainer.current_epoch == 1:
                sbcb.recorder.stop()  # what the dashboard's Stop button calls

    trainer = pl.Trainer(max_epochs=50, accelerator="cpu", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0,
                         callbacks=[sbcb, StopAfterTwo()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(LitMLP(), sbcb.dataloader())
    run = sbcb.record
    assert run.status == "stopped" and 2 <= len(run.metrics) <= 3
