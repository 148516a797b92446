"""The built-in training loop: the public `Selector` and `Recorder`, plus data, model and SGD.

Per epoch: `Selector.batches` yields full backprop batches chosen from candidate batches (device
tensors in a planned order); each gets a normal forward + backward + step; then evaluation and
`end_epoch`. A hand-written loop through the same API gives the same run (tests/test_own_loop.py).
"""

from __future__ import annotations

import copy
import math
import platform
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader

from sbexplore._version import __version__
from sbexplore.config import RunConfig
from sbexplore.config.run_config import check_builtin_loop, user_model_name
from sbexplore.data import TrainData, load_data
from sbexplore.data.augment import augment_batch
from sbexplore.data.custom import as_train_data, stream_train_data, too_large_to_decode
from sbexplore.engine.clock import TrainingClock
from sbexplore.engine.control import LiveControl, Steerable
from sbexplore.engine.counts import Counts
from sbexplore.engine.device import autocast, resolve_device, use_bf16, use_channels_last
from sbexplore.engine.distributed import (
    DistributedSelector,
    from_rank0,
    gather_rows,
    local_device,
    sum_all,
    world,
)
from sbexplore.engine.distributed import describe as describe_world
from sbexplore.engine.holdout import HoldoutModel, holdout_split, irreducible_losses
from sbexplore.engine.recorder import Callback, Recorder
from sbexplore.engine.schedule import lr_factor
from sbexplore.engine.selector import Selector, WithIndices, cross_entropy_per_example
from sbexplore.errors import ConfigError
from sbexplore.models import build_model
from sbexplore.runs.record import Run
from sbexplore.runs.source import RecordAlias

EVAL_BATCH = 1024
_INIT_LOCK = threading.Lock()  # model weights come from the global RNG: one run at a time

__all__ = ["Callback", "Trainer", "train"]


class Trainer(RecordAlias, Steerable):
    """Owns the model, data and optimizer; selection is a `Selector`, records a `Recorder`.

    `data`: your own `(x_train, y_train, x_test, y_test)` tensors or `(train_set, test_set)`
    map-style datasets instead of `cfg.dataset`. `loss`: a per-example loss
    `(outputs, labels) -> (N,)` instead of cross-entropy. Steer it from any thread with
    `stop`, `pause`, `resume`, `advance` and `set` (`Steerable`).
    """

    def __init__(self, cfg: RunConfig, model: nn.Module | None = None, *, data: Any = None,
                 loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
                 callbacks: Iterable[Callback] = (), replay: Run | pd.DataFrame | None = None,
                 stream: bool | None = None, control: LiveControl | None = None):
        check_builtin_loop(cfg, model)
        if data is not None and cfg.dataset != "custom":
            cfg = cfg.replace(dataset="custom")
        if model is not None:  # the record names your network, not cfg.model's default
            cfg = cfg.replace(model=user_model_name(model))
        self.cfg = cfg = cfg.resolved()  # recipe fields filled from the dataset's recipe
        self.rank, self.world = world()  # several processes: one run, selection kept global
        self.device = resolve_device(cfg.device)
        if self.world > 1:
            self.device = local_device(self.device)
        if stream is None:
            stream = data is not None and too_large_to_decode(data)
        self.streaming = bool(stream)
        if self.streaming:
            self.data: TrainData = stream_train_data(data, self.device, cfg)
        elif data is not None:
            self.data = as_train_data(data, self.device, cfg)
        else:
            self.data = load_data(cfg, self.device)
        holdout = self._holdout_model(model, loss) if cfg.policy == "rho_loss" else None
        # priming in epochs of the data trained on (custom data: known only now)
        self.cfg = cfg = cfg.resolved(num_train=len(self.data.y_train))
        x = self.data.x_train
        images = x.ndim == 4 and x.dtype == torch.uint8 and not self.streaming
        self.augment = cfg.augment if images else "none"
        self.cutout = cfg.cutout if images else 0
        with _INIT_LOCK, torch.random.fork_rng(devices=_cuda_devices(self.device)):
            torch.manual_seed(cfg.seed)  # the notebook's global RNG is restored afterwards
            net = build_model(model if model is not None else cfg.model, x.shape[1],
                              self.data.num_classes, x.shape[-1] if x.ndim == 4 else 1,
                              cfg.dropout)
        self.model = net.to(self.device)
        self.channels_last = use_channels_last(cfg.memory_format, self.device, x.ndim)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.bf16 = use_bf16(cfg.precision, self.device)
        self.forward = torch.compile(self.model) if cfg.compile else self.model
        self.train_forward = self.forward  # DDP-wrapped on several processes
        if self.world > 1:
            self.train_forward = self._ddp()
        self.loss_fn = loss or cross_entropy_per_example
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=cfg.lr,
                                         momentum=cfg.momentum, nesterov=cfg.nesterov,
                                         weight_decay=cfg.weight_decay)
        self.aug_gen = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        d = self.data
        events, readings = _replayed(replay)
        # several processes: rank 0 records the run of record (saved, called back)
        lead = self.rank == 0
        self.recorder = Recorder(cfg if lead else cfg.replace(out_dir=None), d.y_train,
                                 true_labels=d.true_train,
                                 mislabeled=d.mislabeled, source_index=d.source_index,
                                 classes=d.classes, callbacks=callbacks if lead else (),
                                 replay=events, meta=self._static_meta(), control=control,
                                 loop="sbexplore", images=self._images())
        selector = DistributedSelector if self.world > 1 else Selector
        self.selector = selector.from_config(
            cfg, self.forward, len(d.y_train), device=self.device, recorder=self.recorder,
            loss_fn=self.loss_fn, bf16=self.bf16, transform=self.prepare,
            irreducible_losses=holdout.losses.to(self.device) if holdout else None)
        self.recorder.uses(self.model, self.loss_fn, default_loss=loss is None)
        if holdout is not None:
            self.recorder.prepared(holdout.seconds, holdout.backprops)
        self.clock = TrainingClock(lambda: self.recorder.elapsed_s, readings)
        self.n = len(d.y_train)
        self.lr = cfg.lr

    # -- state (the recorder's counts and record) ------------------------------------------
    @property
    def counts(self) -> Counts:
        return self.recorder.counts

    @property
    def record(self) -> Run:
        """The Run recorded so far."""
        return self.recorder.record

    @property
    def control(self) -> LiveControl:  # Steerable: stop, pause, resume, advance, set
        return self.recorder.control

    # -- the loop ------------------------------------------------------------------------
    def fit(self) -> Run:
        """Train for `cfg.epochs` (or until a budget or `stop()`); returns the Run."""
        try:
            for _ in self.selector.epochs(self.cfg.epochs):
                if self._budget_spent():
                    break
                self._train_epoch()
                self._end_epoch()  # a stopped epoch is recorded as far as it got
        except BaseException as exc:
            self.recorder.finish(error=exc)
            raise
        self._check_time_budget_used()
        return self.recorder.finish()

    def _check_time_budget_used(self) -> None:
        """A time-keyed schedule that ran out of epochs before its seconds did never decayed
        fully: say so (a time-matched control faster per epoch than the run it matches)."""
        cfg = self.cfg
        if cfg.schedule_unit != "time" or cfg.max_time_s is None or self.recorder.control.stopping:
            return
        spent = self.recorder.train_time_s
        if self.selector.epoch >= cfg.epochs and spent < 0.95 * cfg.max_time_s:
            warnings.warn(f"max_time_s={cfg.max_time_s:g}: all {cfg.epochs} epochs took only "
                          f"{spent:.3g} s, so the time-keyed schedule ended at "
                          f"{spent / cfg.max_time_s:.0%} of its length (the lr did not decay "
                          "fully). Raise epochs so the time budget ends the run", UserWarning,
                          stacklevel=3)

    def _candidates(self) -> Iterable[Any]:
        """This epoch's candidate batches: device tensors, or a DataLoader when streaming."""
        sb, d = self.selector, self.data
        if not self.streaming:
            return sb.tensor_batches(d.x_train, d.y_train, self._augment)
        loader = DataLoader(WithIndices(d.train_set), batch_sampler=sb.batch_sampler(),
                            pin_memory=self.device.type == "cuda")
        return ((x.to(self.device, non_blocking=True), d.y_train[i.to(self.device)],
                 i.to(self.device)) for x, _, i in loader)  # labels as trained (mislabels)

    def _train_epoch(self) -> None:
        sb = self.selector
        batches = sb.batches(self._candidates())
        try:
            for x, y, idx in batches:
                self._set_lr()
                self.model.train()
                if self.world > 1:
                    losses, out = self._step_shard(x, y, len(idx))
                else:
                    with autocast(self.device, self.bf16):
                        out = self.forward(self.prepare(x))
                    losses = self.loss_fn(out.float(), y)
                    self.optimizer.zero_grad(set_to_none=True)
                    sb.reduce(losses).backward()  # the mean; weighted for reweighting policies
                    self.optimizer.step()
                sb.backpropped(idx, losses, out)
                if self._budget_spent():
                    break
        finally:
            batches.close()

    def _step_shard(self, x: torch.Tensor, y: torch.Tensor, n: int
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Several processes: backprop this rank's shard of the batch (DDP averages the
        gradients); every rank gets the whole batch's losses and outputs back."""
        part = self.selector.shard(n)
        with autocast(self.device, self.bf16):
            out = self.train_forward(self.prepare(x[part]))
        losses = self.loss_fn(out.float(), y[part])
        self.optimizer.zero_grad(set_to_none=True)
        self.selector.reduce_shard(losses, n).backward()
        self.optimizer.step()
        return gather_rows(losses.detach().float(), n), gather_rows(out.detach().float(), n)

    def _ddp(self) -> nn.Module:
        """The model under DistributedDataParallel. BatchNorm: synchronised on CUDA (NCCL);
        gloo has no SyncBatchNorm, so CPU ranks keep per-rank statistics (README)."""
        from torch.nn.parallel import DistributedDataParallel

        if self.device.type == "cuda":
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            self.forward = torch.compile(self.model) if self.cfg.compile else self.model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(self.model, device_ids=ids)

    def _end_epoch(self) -> dict[str, Any]:
        with self.selector.evaluating():  # off the training clock
            test_loss, test_acc = self.evaluate()
        return self.selector.end_epoch(test_loss, test_acc, lr=self.lr)

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        return augment_batch(x, self.augment, self.cutout, self.aug_gen, self.data.mean)

    def _set_lr(self) -> None:
        cfg, sb = self.cfg, self.selector
        budget = self._budget()
        if cfg.schedule_unit == "backprops":
            progress = sb.backprops / self.n
            total = budget / self.n if budget else cfg.epochs
        elif cfg.schedule_unit == "time":  # the share of max_time_s, in epochs of the schedule
            progress, total = self._read_clock() / cfg.max_time_s * cfg.epochs, cfg.epochs
        else:
            progress, total = sb.progress, cfg.epochs
        self.lr = cfg.lr * lr_factor(cfg.lr_schedule, progress, total, cfg.milestones,
                                     cfg.lr_decay, cfg.warmup_epochs)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """A batch of training inputs as the model takes them (normalised, memory layout)."""
        x = self.data.normalize(x)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _budget(self) -> float | None:
        """The backprop budget: `max_backprops` and/or `max_backprop_epochs` x N, the lower."""
        limits = [b for b in (self.cfg.max_backprops, self.cfg.max_backprop_epochs and
                              self.cfg.max_backprop_epochs * self.n) if b]
        return min(limits) if limits else None

    def _budget_spent(self) -> bool:
        """The backprop budget or the wall-clock budget `max_time_s` is used up."""
        limit = self.cfg.max_time_s
        if limit is not None and self._read_clock() >= limit:
            return True
        budget = self._budget()
        return budget is not None and self.selector.backprops >= budget

    def _read_clock(self) -> float:
        """Training seconds so far (recorded, so `replay` repeats every decision made on it)."""
        seconds = self.clock.read()
        if self.world > 1:  # rank 0's clock decides, the same on every rank
            seconds = from_rank0([seconds], self.device)[0]
        self.recorder.clock_read(seconds)
        return seconds

    def _holdout_model(self, model: nn.Module | None, loss: Callable | None) -> HoldoutModel:
        """RHO-LOSS: hold out `holdout_fraction` of the training set, train a model on it
        (traditionally, this run's model and recipe) and score the rest; the run trains on the
        rest."""
        if self.streaming:
            raise ConfigError("policy='rho_loss' needs the training data decoded to tensors: "
                              "streamed datasets are not supported (stream=False)")
        d = self.data
        train_idx, holdout_idx = holdout_split(len(d.y_train), self.cfg.holdout_fraction)
        fresh = copy.deepcopy(model) if model is not None else None  # untrained, like the run's
        held = train_holdout_model(self.cfg, d.x_train[holdout_idx], d.y_train[holdout_idx],
                                   d.x_test, d.y_test, d.x_train[train_idx],
                                   d.y_train[train_idx], model=fresh, loss=loss)
        self.data = d.subset(train_idx.to(d.y_train.device))
        return held

    # -- evaluation ------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        """Test loss and accuracy (several processes: each rank its shard, summed)."""
        d = self.data
        self.model.eval()
        total_loss = torch.zeros((), dtype=torch.float64, device=self.device)
        correct = torch.zeros((), dtype=torch.float64, device=self.device)
        if self.streaming:
            test_set = d.test_set if self.world == 1 else torch.utils.data.Subset(
                d.test_set, range(self.rank, len(d.test_set), self.world))
            batches = ((x.to(self.device), y.to(self.device)) for x, y, *_ in
                       DataLoader(test_set, batch_size=EVAL_BATCH))
        else:
            x_test, y_test = d.x_test[self.rank::self.world], d.y_test[self.rank::self.world]
            batches = ((x_test[s:s + EVAL_BATCH], y_test[s:s + EVAL_BATCH])
                       for s in range(0, len(y_test), EVAL_BATCH))
        for x, y in batches:
            with autocast(self.device, self.bf16):
                out = self.forward(self.prepare(x)).float()
            total_loss += self.loss_fn(out, y).sum().double()
            correct += (out.argmax(1) == y).sum()
        if self.world > 1:
            total_loss, correct = sum_all(torch.stack([total_loss, correct]))
        n = len(d.y_test)
        return (float(total_loss) / n, float(correct) / n) if n else (math.nan, math.nan)

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, C) of the model as it is now, for inputs like the training
        data's (uint8 images are normalised as in training)."""
        self.model.eval()
        out = []
        for s in range(0, len(x), EVAL_BATCH):
            xb = x[s:s + EVAL_BATCH].to(self.device)
            with autocast(self.device, self.bf16):
                out.append(torch.softmax(self.forward(self.prepare(xb)).float(), 1))
        return torch.cat(out) if out else torch.zeros(0, self.data.num_classes)

    def examples_frame(self) -> pd.DataFrame:
        """One row per training example (see `Run.examples`)."""
        return self.recorder.examples_frame()

    def _images(self) -> Any:
        """Data passed in code: where the run's galleries read images (None: a registered
        dataset's, read back from its files)."""
        if self.cfg.dataset != "custom":
            return None
        return self.data.train_set if self.streaming else self.data.x_train

    def _static_meta(self) -> dict[str, Any]:
        d, cfg = self.data, self.cfg
        return {
            "sbexplore_version": __version__, "torch_version": torch.__version__,
            "python_version": platform.python_version(), "device": str(self.device),
            "torch_threads": torch.get_num_threads(),  # CPU results depend on it
            **describe_world(),  # world_size (and backend) of a run on several processes
            "device_name": (torch.cuda.get_device_name(self.device)
                            if self.device.type == "cuda" else platform.processor() or "cpu"),
            "precision": "bf16" if self.bf16 else "fp32",
            "memory_format": "channels_last" if self.channels_last else "contiguous",
            "augment": self.augment, "cutout": self.cutout,
            "num_test": len(d.y_test), "image_shape": list(d.x_train.shape[1:]),
            "dataset": cfg.dataset, "data_root": cfg.data_root,
            "optimizer": {"class": "SGD", "lr": cfg.lr, "momentum": cfg.momentum,
                          "nesterov": cfg.nesterov, "weight_decay": cfg.weight_decay,
                          "schedule": cfg.lr_schedule},
        }


def train_holdout_model(cfg, x_holdout: torch.Tensor, y_holdout: torch.Tensor,
                        x_test: torch.Tensor, y_test: torch.Tensor, x_train: torch.Tensor,
                        y_train: torch.Tensor, model: torch.nn.Module | None = None,
                        loss: Callable | None = None) -> HoldoutModel:
    """Train `cfg`'s model traditionally on the holdout split (the recipe's schedule), then
    score the training part with it."""
    t0 = time.perf_counter()
    holdout_cfg = cfg.replace(policy="traditional", mislabel_fraction=0.0, out_dir=None,
                              name=None, keep=None, holdout_fraction=0.1, max_backprops=None,
                              max_backprop_epochs=None, max_time_s=None,
                              schedule_unit="epochs")  # labels are already noisy
    trainer = Trainer(holdout_cfg, model=model, loss=loss,
                      data=(x_holdout, y_holdout, x_test, y_test))
    run = trainer.fit()
    losses = irreducible_losses(trainer.model, x_train.to(trainer.device),
                                y_train.to(trainer.device), trainer.loss_fn, trainer.prepare)
    return HoldoutModel(losses, time.perf_counter() - t0,
                        int(run.metrics["examples_backpropped"].sum()))


def _replayed(replay: Run | pd.DataFrame | None) -> tuple[pd.DataFrame | None,
                                                         list[float] | None]:
    """(events, clock readings) to replay: a Run gives both, a DataFrame is its events."""
    if isinstance(replay, Run):
        readings = replay.clock["elapsed_s"].tolist() if len(replay.clock) else None
        return replay.events, readings
    return replay, None


def _cuda_devices(device: torch.device) -> list[int]:
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


def train(cfg: RunConfig | None = None, *, model: nn.Module | None = None, data: Any = None,
          loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
          callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None,
          stream: bool | None = None, progress: bool | None = None, **overrides: Any) -> Run:
    """Train one run to the end (blocking) and return it. `train(epochs=3)` works too.

    `data`: your own tensors `(x_train, y_train, x_test, y_test)` or datasets
    `(train_set, test_set)` (decoded once to tensors; `stream=True`, or datasets too large to
    decode, read them through a DataLoader each epoch: slower). `replay` takes another run's
    `events` and applies its live changes at the same steps. `progress`: a tqdm bar with rate
    and ETA; None shows it in notebooks, False never.
    """
    cfg = (cfg or RunConfig()).replace(**overrides) if overrides else (cfg or RunConfig())
    if progress is not False:
        from sbexplore.engine.progress import ProgressBar, in_notebook

        if progress or in_notebook():
            callbacks = [*callbacks, ProgressBar(enabled=True)]
    return Trainer(cfg, model=model, data=data, loss=loss, callbacks=callbacks,
                   replay=replay, stream=stream).fit()
