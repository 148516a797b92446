"""Selective-Backprop in PyTorch Lightning (`pip install 'sbexplore[lightning]'`).

A `SelectiveBackprop` callback owns the Selector and the Recorder; your LightningModule's
`training_step` offers each candidate batch and trains the backprop batch SB returns:

    sbcb = SelectiveBackprop(cfg, train_set)              # records into sbcb.recorder
    trainer = L.Trainer(max_epochs=cfg.epochs, callbacks=[sbcb])
    trainer.fit(module, sbcb.dataloader(), val_loader)   # candidate batches, SB's order
    run = sbcb.record                                     # Dashboard(run=sbcb.recorder): live

    def training_step(self, batch, batch_idx):            # in your LightningModule
        batch = self.selector.offer(batch)                # SB's backprop batch, or None
        if batch is None:
            return None                                   # Lightning skips the step
        x, y, idx = batch
        out = self(x)
        losses = F.cross_entropy(out, y, reduction="none")
        self.selector.backpropped(idx, losses, out)
        return self.selector.reduce(losses)

Selection happens inside `training_step`, after the previous optimizer step, so the run equals
a hand-written loop's for the same seed and data (tests/test_lightning.py). Validation is off
the training clock; the epoch's metrics take `val_loss` and `val_acc` (names configurable) from
what the module logs. The dashboard's Stop ends the fit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader

from sbexplore.config import RunConfig
from sbexplore.data.labels import WithIndices
from sbexplore.engine.recorder import Recorder
from sbexplore.engine.selector import EPOCH_END, Selector
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run


class SelectiveBackprop(pl.Callback):
    """SB for a Lightning fit: `dataloader()` gives the candidate batches in SB's order (and
    `EPOCH_END` at each epoch's end), `setup` gives the module its `selector`. `device`: where the
    recorder keeps its per-example state (the module's device). Recorder keywords (`images`,
    `classes`, `callbacks`) pass through."""

    def __init__(self, cfg: RunConfig, train_set: Any, *, loss_fn: Any = None,
                 val_loss: str = "val_loss", val_accuracy: str = "val_acc",
                 device: str | torch.device = "cpu", **recorder_kwargs: Any):
        from sbexplore.data.labels import dataset_labels

        self.cfg, self.train_set, self.loss_fn = cfg, train_set, loss_fn
        self.val_loss, self.val_accuracy = val_loss, val_accuracy
        self.device = torch.device(device)
        labels = dataset_labels(train_set).to(self.device)
        if hasattr(train_set, "true_labels"):  # a Mislabeled dataset: its marks too
            recorder_kwargs.setdefault("true_labels", train_set.true_labels)
            recorder_kwargs.setdefault("mislabeled", train_set.mislabeled)
        self.recorder = Recorder(cfg, labels, **recorder_kwargs)
        self.selector: Selector | None = None
        self._eval: contextlib.ExitStack | None = None

    @property
    def record(self) -> Run:
        """The Run recorded so far (all of it once the fit ended)."""
        return self.recorder.record

    def dataloader(self, **loader_kwargs: Any) -> _Candidates:
        """The training candidates: `DataLoader(WithIndices(train_set), batch_sampler=SB's
        planned order, **loader_kwargs)`, each epoch ending with EPOCH_END (the remainder)."""
        for bad in ("batch_size", "shuffle", "sampler", "batch_sampler", "drop_last"):
            if bad in loader_kwargs:
                raise ConfigError(f"dataloader({bad}=...) is not allowed: SB plans the order and "
                                  "the candidate batches (RunConfig.batch_size)")
        loader = DataLoader(WithIndices(self.train_set), batch_sampler=_LazySampler(self),
                            **loader_kwargs)
        return _Candidates(loader)

    # -- Lightning hooks -------------------------------------------------------------------
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage == "fit" and self.selector is None:
            self.selector = Selector.from_config(
                self.cfg, pl_module, len(self.train_set), device=self.device,
                recorder=self.recorder, loss_fn=self.loss_fn)
            pl_module.selector = self.selector

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        p = next(pl_module.parameters(), None)
        if p is not None and p.device != self.device:
            raise ConfigError(f"SelectiveBackprop(device={str(self.device)!r}) but the module "
                              f"trains on {p.device}: pass device={str(p.device)!r}")
        self.recorder.uses_optimizer(
            trainer.optimizers[0] if trainer.optimizers else None,
            trainer.lr_scheduler_configs[0].scheduler if trainer.lr_scheduler_configs else None)

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if self.selector is not None and self.selector.stopped:
            trainer.should_stop = True  # the dashboard's Stop

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.selector is not None and not trainer.sanity_checking:
            self._eval = contextlib.ExitStack()
            self._eval.enter_context(self.selector.evaluating())  # off the training clock

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._eval is not None:
            self._eval.close()
            self._eval = None

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        sel = self.selector
        sel.close_offers()
        if sel.counts.seen_in_epoch == 0 and sel.stopped:
            return  # stopped before this epoch offered anything
        metrics = trainer.callback_metrics
        sel.end_epoch(_number(metrics.get(self.val_loss)),
                      _number(metrics.get(self.val_accuracy)))

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.recorder.finish()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                     exception: BaseException) -> None:
        if not self.recorder.done:
            self.recorder.finish(error=exception)


def _number(v: Any) -> float:
    return float(v) if v is not None else float("nan")


class _LazySampler:
    """SB's planned order, read from the callback's Selector once it exists."""

    def __init__(self, callback: SelectiveBackprop):
        self.cb = callback

    def __len__(self) -> int:
        B = self.cb.recorder.cfg.batch_size
        return -(-len(self.cb.train_set) // B)

    def __iter__(self) -> Iterator[list[int]]:
        if self.cb.selector is None:
            raise ConfigError("the SelectiveBackprop callback is not set up: pass it to the "
                              "Trainer (callbacks=[sbcb]) that fits with sbcb.dataloader()")
        return iter(self.cb.selector.batch_sampler())


class _Candidates:
    """The candidate batches, then EPOCH_END, where SB trains the epoch's remainder (not None:
    Lightning skips None batches)."""

    def __init__(self, loader: DataLoader):
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader) + 1

    def __iter__(self) -> Iterator[Any]:
        yield from self.loader
        yield EPOCH_END
