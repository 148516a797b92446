"""The Selective-Backprop training loop, readable top to bottom.

Per candidate batch: (selection forward pass on examples whose stored loss is stale) -> losses ->
policy -> one seeded Bernoulli draw -> selected examples join a pool; whenever the pool holds
`batch_size` examples they get a normal forward + backward + step. At most one host sync per
candidate batch (the size of the selection), none for traditional training.
"""

from __future__ import annotations

import datetime as _dt
import math
import platform
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from sbexplore._version import __version__
from sbexplore.config import RunConfig
from sbexplore.data import TrainData, load_data
from sbexplore.data.augment import augment_batch
from sbexplore.device import autocast, resolve_device, use_bf16, use_channels_last
from sbexplore.errors import ConfigError
from sbexplore.models import build_model
from sbexplore.records import EVENT_COLUMNS, HIST_EDGES, METRIC_COLUMNS, Run
from sbexplore.schedule import lr_factor
from sbexplore.selection import KeepAll, Policy, SelectiveBackprop, make_policy
from sbexplore.timing import SectionTimer

LIVE_FIELDS = ("beta", "staleness")  # settings that may change while a run is live
EVAL_BATCH = 1024


class Callback:
    """Subscribe to a run: override any of these; they run on the training thread."""

    def on_step(self, trainer: Trainer) -> None: ...
    def on_epoch(self, trainer: Trainer, row: dict[str, Any]) -> None: ...
    def on_end(self, trainer: Trainer) -> None: ...


class StopTraining(Exception):
    """Raised inside the loop when `stop()` was requested."""


class Trainer:
    """Owns the model, data, per-example state and the Run being recorded."""

    def __init__(self, cfg: RunConfig, model: nn.Module | None = None,
                 callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None):
        self.cfg = cfg = cfg.resolved()  # recipe fields filled from the dataset's recipe
        self.device = resolve_device(cfg.device)
        torch.manual_seed(cfg.seed)
        self.data: TrainData = load_data(cfg, self.device)
        self.augment, self.cutout = cfg.augment, cfg.cutout
        x = self.data.x_train
        self.model = build_model(model if model is not None else cfg.model, x.shape[1],
                                 self.data.num_classes, x.shape[-1], cfg.dropout).to(self.device)
        self.channels_last = use_channels_last(cfg.memory_format, self.device, x.ndim)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.bf16 = use_bf16(cfg.precision, self.device)
        self.forward = torch.compile(self.model) if cfg.compile else self.model
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=cfg.lr,
                                         momentum=cfg.momentum, nesterov=cfg.nesterov,
                                         weight_decay=cfg.weight_decay)
        self.policy: Policy = make_policy(cfg, self.device)
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self.timer = SectionTimer(self.device)

        n, dev = len(self.data.y_train), self.device
        self.n = n
        self.times_selected = torch.zeros(n, dtype=torch.int32, device=dev)
        self.times_forwarded = torch.zeros(n, dtype=torch.int32, device=dev)
        self.last_loss = torch.full((n,), float("nan"), device=dev)
        self.last_select_epoch = torch.full((n,), -1, dtype=torch.int32, device=dev)
        self.hist_edges = torch.tensor(HIST_EDGES, dtype=torch.float32, device=dev)
        self.nbins = len(HIST_EDGES) - 1

        self.beta, self.staleness = cfg.beta, cfg.staleness
        self.epoch = 0  # 0-based index of the epoch in progress
        self.step = 0  # candidate batches processed so far
        self.backprops = 0
        self.forwarded = 0
        self.total_time = 0.0
        self.callbacks = list(callbacks)
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._pending: list[tuple[str, float]] = []
        self._events: list[dict[str, Any]] = []
        self._replay = _replay_schedule(replay)
        self._sel_rows: list[np.ndarray] = []
        self._loss_rows: list[np.ndarray] = []
        self._hist_rows: list[np.ndarray] = []
        self.run = Run(config=cfg, meta=self._meta("created"))
        self._epoch_hist = torch.zeros(4 * self.nbins, dtype=torch.int64, device=dev)
        self._epoch_selected = torch.zeros(n, dtype=torch.uint8, device=dev)
        self._last_batch: dict[str, torch.Tensor] = {}
        self._replan = False
        self._epoch_pos = 0
        self.lr = cfg.lr
        self.priming = False
        self._t0 = time.perf_counter()

    # -- control (safe to call from another thread) -----------------------------------------
    def stop(self) -> None:
        """Finish the current step, then stop; the run is saved with status 'stopped'."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def set(self, field: str, value: float) -> None:
        """Change beta or staleness from the next candidate batch on (recorded in `events`)."""
        if field not in LIVE_FIELDS:
            raise ConfigError(f"{field!r} cannot change while a run is live: only "
                              f"{', '.join(LIVE_FIELDS)} can (start a new run for the rest)")
        self.cfg.replace(**{field: value})  # validates the value
        with self._lock:
            self._pending.append((field, value))

    # -- the loop ------------------------------------------------------------------------
    def fit(self) -> Run:
        """Train for `cfg.epochs` (or until `max_backprops` / `stop()`); returns the Run."""
        cfg = self.cfg
        self.run.meta = self._meta("running")
        status = "finished"
        try:
            for self.epoch in range(cfg.epochs):
                if self._budget_spent():
                    break
                row = self._train_epoch()
                self._record_epoch(row)
                for cb in self.callbacks:
                    cb.on_epoch(self, row)
                if self._stop.is_set():
                    status = "stopped"
                    break
        except StopTraining:
            status = "stopped"
            self._record_epoch(self._finish_epoch())  # the stopped epoch, as far as it got
        except BaseException as exc:
            self.run.meta = self._meta("failed", error="".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)))
            self._save()
            raise
        self.run.meta = self._meta(status)
        self._save()
        for cb in self.callbacks:
            cb.on_end(self)
        return self.run

    def _train_epoch(self) -> dict[str, Any]:
        cfg, d, B = self.cfg, self.data, self.cfg.batch_size
        self.timer.reset()
        self._t0 = time.perf_counter()
        self._epoch_stats = torch.zeros(2, dtype=torch.float64, device=self.device)
        self._epoch_backprops = self._epoch_forwarded = 0
        self._epoch_hist.zero_()
        self._epoch_selected.zero_()
        self.priming = priming = self.backprops < cfg.prime_examples  # whole epochs
        selecting = not priming and self.policy.needs_losses
        perm = torch.randperm(self.n, generator=self.gen, device=self.device)
        if selecting:
            perm, fresh_counts = self._plan(perm)
        pool: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        pool_n = 0
        for b, start in enumerate(range(0, self.n, B)):
            self._epoch_pos = start
            self._before_step()
            idx = perm[start:start + B]
            x = augment_batch(d.x_train[idx], self.augment, self.cutout, self.gen, d.mean)
            y = d.y_train[idx]
            if priming or isinstance(self.policy, KeepAll):
                self._backprop(x, y, idx)  # traditional: no selection, no sync
            else:
                losses = None
                if selecting:
                    if self._replan:
                        perm, fresh_counts = self._replan_rest(perm, start)
                        idx = perm[start:start + B]
                        x = augment_batch(d.x_train[idx], self.augment, self.cutout, self.gen,
                                          d.mean)
                        y = d.y_train[idx]
                    losses = self._selection_losses(x, y, idx, fresh_counts[b])
                probs = self.policy.probabilities(losses, len(idx), self.device)
                keep = torch.rand(len(idx), generator=self.gen, device=self.device) < probs
                sel = keep.nonzero().squeeze(1)  # the one host sync of this candidate batch
                if losses is not None:
                    self._histogram(losses, keep, idx)
                    self._last_batch = {"losses": losses, "probs": probs, "keep": keep}
                if sel.numel():
                    pool.append((x[sel], y[sel], idx[sel]))
                    pool_n += sel.numel()
                while pool_n >= B:
                    xs, ys, ids = (torch.cat(t) for t in zip(*pool))
                    self._backprop(xs[:B], ys[:B], ids[:B])
                    pool = [(xs[B:], ys[B:], ids[B:])] if pool_n > B else []
                    pool_n -= B
            self.step += 1
            for cb in self.callbacks:
                cb.on_step(self)
            if self._budget_spent():
                break
        if pool_n:  # flush the remainder at the end of the epoch
            xs, ys, ids = (torch.cat(t) for t in zip(*pool))
            self._backprop(xs, ys, ids)
        return self._finish_epoch()

    def _plan(self, perm: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        """Stale-SB: reorder each candidate batch so examples due a fresh selection pass come
        first, and count them per batch (one sync per epoch, not per batch)."""
        self._replan = False
        age = self.epoch - self.last_select_epoch[perm]
        fresh = (self.last_select_epoch[perm] < 0) | (age >= self.staleness)
        batch_id = torch.arange(len(perm), device=self.device) // self.cfg.batch_size
        order = torch.argsort(batch_id * 2 + (~fresh).long(), stable=True)
        counts = torch.zeros(int(batch_id[-1]) + 1, dtype=torch.long, device=self.device)
        counts.index_add_(0, batch_id, fresh.long())
        return perm[order], counts.tolist()

    def _replan_rest(self, perm: torch.Tensor, start: int) -> tuple[torch.Tensor, list[int]]:
        """Staleness changed mid-epoch: plan the batches not yet processed again."""
        head_batches = start // self.cfg.batch_size
        rest, counts = self._plan(perm[start:])
        return torch.cat([perm[:start], rest]), [0] * head_batches + counts

    def _selection_losses(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor,
                          n_fresh: int) -> torch.Tensor:
        """Losses used for selection: a fresh no-grad forward pass on the first `n_fresh`
        examples, the stored loss for the rest (Stale-SB spends no forward pass on them)."""
        losses = self.last_loss[idx]
        if n_fresh:
            with self.timer.section("select"):
                fresh_idx = idx[:n_fresh]
                self.model.train(self.cfg.select_mode == "train")
                with torch.no_grad(), autocast(self.device, self.bf16):
                    out = self.forward(self._prepare(x[:n_fresh]))
                fresh = F.cross_entropy(out.float(), y[:n_fresh], reduction="none")
            losses[:n_fresh] = fresh
            self.last_loss[fresh_idx] = fresh
            self.last_select_epoch[fresh_idx] = self.epoch
            self.times_forwarded[fresh_idx] += 1
            self._epoch_forwarded += n_fresh
        return losses

    def _backprop(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> None:
        """A normal forward + backward + SGD step on exactly these examples."""
        cfg = self.cfg
        n = len(idx)
        progress = (self.backprops / self.n if cfg.schedule_unit == "backprops"
                    else self.epoch + self._epoch_pos / self.n)
        budget = self._budget()
        total = budget / self.n if cfg.schedule_unit == "backprops" and budget else cfg.epochs
        self.lr = cfg.lr * lr_factor(cfg.lr_schedule, progress, total, cfg.milestones,
                                     cfg.lr_decay, cfg.warmup_epochs)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr
        with self.timer.section("train"):
            self.model.train()
            with autocast(self.device, self.bf16):
                out = self.forward(self._prepare(x))
            loss_vec = F.cross_entropy(out.float(), y, reduction="none")
            self.optimizer.zero_grad(set_to_none=True)
            loss_vec.mean().backward()
            self.optimizer.step()
        loss_vec = loss_vec.detach()
        self.last_loss[idx] = loss_vec  # refreshes the value, not its age
        self.times_selected[idx] += 1
        self._epoch_selected[idx] = 1
        mis = self.data.mislabeled[idx]
        self._epoch_stats += torch.stack([loss_vec.sum().double(), mis.sum().double()])
        if not self.policy.needs_losses or self.priming:
            self._histogram(loss_vec, torch.ones_like(mis), idx)
        self.backprops += n
        self._epoch_backprops += n

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        x = self.data.normalize(x)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _histogram(self, losses: torch.Tensor, keep: torch.Tensor, idx: torch.Tensor) -> None:
        bins = torch.bucketize(losses.float().clamp_min(0), self.hist_edges[1:-1], right=True)
        group = keep.long() * 2 + self.data.mislabeled[idx].long()
        flat = (group * self.nbins + bins).nan_to_num(0).long()
        self._epoch_hist.index_add_(0, flat, torch.ones_like(flat))

    def _before_step(self) -> None:
        if not self._running.is_set():
            paused_at = time.perf_counter()
            self._running.wait()
            self._t0 += time.perf_counter() - paused_at  # paused time is not training time
        if self._stop.is_set():
            raise StopTraining
        for field, value in self._replay.pop(self.step, []):
            self._apply(field, value)
        with self._lock:
            pending, self._pending = self._pending, []
        for field, value in pending:
            self._apply(field, value)

    def _apply(self, field: str, value: float) -> None:
        old = getattr(self, field)
        if old == value:
            return
        setattr(self, field, value)
        if field == "beta" and isinstance(self.policy, SelectiveBackprop):
            self.policy.beta = float(value)
        if field == "staleness":
            self._replan = True
        self._events.append({"step": self.step, "epoch": self.epoch + 1, "field": field,
                             "old": float(old), "new": float(value)})

    def _budget(self) -> float | None:
        """The backprop budget: `max_backprops` and/or `max_backprop_epochs` x N, the lower."""
        limits = [b for b in (self.cfg.max_backprops, self.cfg.max_backprop_epochs and
                              self.cfg.max_backprop_epochs * self.n) if b]
        return min(limits) if limits else None

    def _budget_spent(self) -> bool:
        budget, limit = self._budget(), self.cfg.max_time_s
        if limit is not None and self.total_time + time.perf_counter() - self._t0 >= limit:
            return True  # the wall-clock budget (paused time excluded)
        return budget is not None and self.backprops >= budget

    # -- evaluation and records --------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        """Test loss and accuracy."""
        d = self.data
        self.model.eval()
        total_loss = torch.zeros((), dtype=torch.float64, device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        for s in range(0, len(d.y_test), EVAL_BATCH):
            x, y = d.x_test[s:s + EVAL_BATCH], d.y_test[s:s + EVAL_BATCH]
            with autocast(self.device, self.bf16):
                out = self.forward(self._prepare(x)).float()
            total_loss += F.cross_entropy(out, y, reduction="sum").double()
            correct += (out.argmax(1) == y).sum()
        n = len(d.y_test)
        return float(total_loss) / n, int(correct) / n

    def _finish_epoch(self) -> dict[str, Any]:
        with self.timer.section("eval"):
            test_loss, test_acc = self.evaluate()
        times = self.timer.totals()
        wall = time.perf_counter() - self._t0
        self.total_time += wall
        self._t0 = time.perf_counter()  # between epochs the time budget counts from here
        self.forwarded += self._epoch_forwarded
        loss_sum, mis_sum = self._epoch_stats.tolist()
        nb = self._epoch_backprops
        has_mislabels = self.cfg.mislabel_fraction > 0
        row = {
            "epoch": self.epoch + 1, "wall_time_s": wall,
            "examples_forwarded": self._epoch_forwarded, "examples_backpropped": nb,
            "keep_fraction": nb / self.n, "train_loss": loss_sum / nb if nb else math.nan,
            "test_loss": test_loss, "test_accuracy": test_acc,
            "mislabel_pick_rate": (mis_sum / nb if nb else math.nan) if has_mislabels else math.nan,
            "beta": float(self.beta), "staleness": int(self.staleness),
            "time_select_s": times.get("select", 0.0), "time_train_s": times.get("train", 0.0),
            "time_other_s": max(0.0, wall - times.get("select", 0.0) - times.get("train", 0.0)),
            "time_eval_s": times.get("eval", 0.0),
            "priming": self.priming, "lr": float(self.lr),
            "step": self.step, "total_backprops": self.backprops,
            "total_forwarded": self.forwarded, "total_time_s": self.total_time,
        }
        self._sel_rows.append(self._epoch_selected.cpu().numpy().copy())
        # float16 keeps the epochs x N record small; clamp so exploding losses stay finite
        self._loss_rows.append(self.last_loss.clamp(max=65504).cpu().numpy().astype(np.float16))
        self._hist_rows.append(self._epoch_hist.view(4, self.nbins).cpu().numpy().copy())
        return row

    def _record_epoch(self, row: dict[str, Any]) -> None:
        run = self.run
        new = pd.DataFrame([row], columns=METRIC_COLUMNS)
        run.metrics = new if not len(run.metrics) else pd.concat([run.metrics, new],
                                                                 ignore_index=True)
        run.selected = np.stack(self._sel_rows)
        run.losses = np.stack(self._loss_rows)
        run.hist = np.stack(self._hist_rows)
        run.examples = self.examples_frame()
        run.events = (pd.DataFrame(self._events, columns=EVENT_COLUMNS) if self._events
                      else run.events)
        self.run.meta = self._meta("running")
        self._save()

    def examples_frame(self) -> pd.DataFrame:
        """One row per training example (see `Run.examples`)."""
        d = self.data
        return pd.DataFrame({
            "index": np.arange(self.n),
            "source_index": d.source_index.cpu().numpy(),
            "label": d.y_train.cpu().numpy(),
            "true_label": d.true_train.cpu().numpy(),
            "mislabeled": d.mislabeled.cpu().numpy(),
            "times_selected": self.times_selected.cpu().numpy(),
            "times_forwarded": self.times_forwarded.cpu().numpy(),
            "last_loss": self.last_loss.cpu().numpy(),
        })

    def _save(self) -> None:
        if self.cfg.out_dir:
            self.run.save(self.cfg.out_dir)

    def _meta(self, status: str, error: str | None = None) -> dict[str, Any]:
        meta = {
            "status": status, "error": error,
            "sbexplore_version": __version__, "torch_version": torch.__version__,
            "python_version": platform.python_version(), "device": str(self.device),
            "torch_threads": torch.get_num_threads(),  # CPU results depend on it
            "device_name": (torch.cuda.get_device_name(self.device)
                            if self.device.type == "cuda" else platform.processor() or "cpu"),
            "precision": "bf16" if self.bf16 else "fp32",
            "memory_format": "channels_last" if self.channels_last else "contiguous",
            "augment": self.augment, "cutout": self.cutout,
            "classes": self.data.classes, "num_train": self.n, "num_test": len(self.data.y_test),
            "image_shape": list(self.data.x_train.shape[1:]),
            "dataset": self.cfg.dataset, "data_root": self.cfg.data_root,
            "model_class": type(self.model).__name__,
            "created": self.run.meta.get("created") if hasattr(self, "run") else None,
            "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        meta["created"] = meta["created"] or meta["updated"]
        return meta


def _replay_schedule(events: pd.DataFrame | None) -> dict[int, list[tuple[str, float]]]:
    out: dict[int, list[tuple[str, float]]] = {}
    if events is not None:
        for r in events.itertuples():
            value = int(r.new) if r.field == "staleness" else float(r.new)
            out.setdefault(int(r.step), []).append((str(r.field), value))
    return out


def train(cfg: RunConfig | None = None, *, model: nn.Module | None = None,
          callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None,
          **overrides: Any) -> Run:
    """Train one run to the end (blocking) and return it. `train(epochs=3)` works too.

    `replay` takes another run's `events` table and applies its live changes at the same steps.
    """
    cfg = (cfg or RunConfig()).replace(**overrides) if overrides else (cfg or RunConfig())
    return Trainer(cfg, model=model, callbacks=callbacks, replay=replay).fit()
