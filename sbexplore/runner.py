"""Background training: `start(cfg)` runs a Trainer in a daemon thread and returns at once.

The notebook stays usable while the run trains; `snapshot()` reads the live state (a few small
device->host copies) from any thread, and `stop/pause/resume/set` steer the run.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from sbexplore.config import RunConfig
from sbexplore.records import HIST_EDGES, HIST_GROUPS, Run
from sbexplore.selection import SelectiveBackprop, loss_percentiles
from sbexplore.trainer import Callback, Trainer

STATUSES = ("running", "paused", "stopped", "finished", "failed")
GALLERY_SIZE = 16  # hardest / easiest examples reported by snapshot()


class BackgroundRun:
    """A run training in a daemon thread. Create it with `start(cfg)`."""

    def __init__(self, cfg: RunConfig, model: nn.Module | None = None,
                 callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None):
        self.config = cfg = cfg.resolved()  # the recipe fields the run will use
        self.trainer: Trainer | None = None
        self.error: str | None = None  # traceback text when the thread failed
        self.exception: BaseException | None = None
        self._result: Run | None = None
        self._ready = threading.Event()  # set once the trainer exists (or construction failed)
        self._finished = threading.Event()  # set when training ended, before done callbacks
        self._done_callbacks: list[Callable[[BackgroundRun], None]] = []
        self._callbacks_lock = threading.Lock()
        self._info: dict[str, np.ndarray] | None = None  # per-example labels, once trained
        self._stop_requested = False
        self._paused_early = False
        self._thread = threading.Thread(target=self._main, name=f"sbexplore:{cfg.label}",
                                        args=(model, list(callbacks), replay), daemon=True)
        self._thread.start()

    def _main(self, model, callbacks, replay) -> None:
        try:
            trainer = Trainer(self.config, model=model, callbacks=callbacks, replay=replay)
            if self._stop_requested:
                trainer.stop()
            elif self._paused_early:
                trainer.pause()
            self.trainer = trainer
            self._ready.set()
            self._result = trainer.fit()
        except BaseException as exc:  # surfaced through .status/.error, never swallowed
            self.exception = exc
            self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        finally:
            self._ready.set()
            self._finished.set()
            with self._callbacks_lock:
                callbacks = list(self._done_callbacks)
            for fn in callbacks:
                self._call(fn)

    def add_done_callback(self, fn: Callable[[BackgroundRun], None]) -> None:
        """Call `fn(run)` when training ends (at once if it already has), as futures do."""
        with self._callbacks_lock:
            if not self._finished.is_set():
                self._done_callbacks.append(fn)
                return
        self._call(fn)

    def _call(self, fn: Callable[[BackgroundRun], None]) -> None:
        try:
            fn(self)
        except Exception:  # a listener's bug must not hide the run's own outcome
            traceback.print_exc()

    # -- state --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """running | paused | stopped | finished | failed."""
        if self.error is not None:
            return "failed"
        if not self._finished.is_set():
            t = self.trainer
            paused = t.paused if t is not None else self._paused_early
            return "paused" if paused and not self._stop_requested else "running"
        return self.run.status if self.run.status in STATUSES else "finished"

    def _example_info(self, t: Trainer) -> dict[str, np.ndarray]:
        """Per-example labels: constant during a run, so copied off the device once."""
        if self._info is None:
            d = t.data
            self._info = {"index": np.arange(t.n), "source_index": d.source_index.cpu().numpy(),
                          "label": d.y_train.cpu().numpy(),
                          "true_label": d.true_train.cpu().numpy(),
                          "mislabeled": d.mislabeled.cpu().numpy().astype(bool)}
        return dict(self._info)

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def run(self) -> Run:
        """The Run being recorded (complete epochs so far; the final Run once done)."""
        if self._result is not None:
            return self._result
        if self.trainer is not None:
            return self.trainer.run
        return Run(config=self.config, meta={"status": "failed" if self.error else "created",
                                             "error": self.error})

    @property
    def name(self) -> str:
        return self.config.label

    def __repr__(self) -> str:
        t = self.trainer
        where = f", epoch={t.epoch + 1}/{self.config.epochs}, step={t.step}" if t else ""
        return f"BackgroundRun({self.name!r}, status={self.status!r}{where})"

    # -- control ------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop after the current training step; the run is saved with status 'stopped'."""
        self._stop_requested = True
        if self.trainer is not None:
            self.trainer.stop()

    def pause(self) -> None:
        self._paused_early = True
        if self.trainer is not None:
            self.trainer.pause()

    def resume(self) -> None:
        self._paused_early = False
        if self.trainer is not None:
            self.trainer.resume()

    def set(self, field: str, value: float) -> None:
        """Change beta or staleness from the next candidate batch on (recorded in events)."""
        self._ready.wait()
        if self.trainer is None:
            raise RuntimeError(f"run {self.name!r} failed before training started:\n{self.error}")
        self.trainer.set(field, value)

    def set_beta(self, beta: float) -> None:
        self.set("beta", float(beta))

    def set_staleness(self, staleness: int) -> None:
        self.set("staleness", int(staleness))

    def join(self, timeout: float | None = None) -> Run:
        """Wait for the thread (at most `timeout` s); returns the Run (check `.status`)."""
        self._thread.join(timeout)
        return self.run

    # -- live view ----------------------------------------------------------------------
    def snapshot(self, gallery: int = GALLERY_SIZE) -> dict[str, Any]:
        """The live state as plain Python/numpy: safe to read from any thread, cheap at 5 Hz."""
        t, cfg = self.trainer, self.config
        snap: dict[str, Any] = {
            "name": self.name, "status": self.status, "error": self.error, "config": cfg,
            "epochs": cfg.epochs, "step": 0, "epoch": 0, "backprops": 0, "forwarded": 0,
            "progress": 0.0, "beta": cfg.beta, "staleness": cfg.staleness,
            "hist_edges": HIST_EDGES, "hist_groups": HIST_GROUPS,
            "hist": np.zeros((4, len(HIST_EDGES) - 1), np.int64), "hist_last": None,
            "metrics": self.run.metrics.copy(), "events": self.run.events.copy(),
            "mislabel_fraction": cfg.mislabel_fraction, "mislabel_pick_rate": float("nan"),
            "hardest": _empty_gallery(), "easiest": _empty_gallery(),
            "picked_mislabeled": _empty_gallery(), "last_batch": None,
            "dataset": cfg.dataset, "classes": [],
        }
        if t is None:
            return snap
        steps_per_epoch = -(-t.n // cfg.batch_size)
        with torch.no_grad():
            times_sel = t.times_selected.clone().cpu().numpy()
            last_loss = t.last_loss.clone().cpu().numpy()
            hist = t._epoch_hist.clone().cpu().numpy().reshape(4, -1)
            batch = {k: v.clone().cpu().numpy() for k, v in dict(t._last_batch).items()}
        info = self._example_info(t)
        run = self.run
        snap.update(
            step=t.step, epoch=min(t.epoch + 1, cfg.epochs), backprops=t.backprops,
            forwarded=t.forwarded, progress=min(1.0, t.step / (steps_per_epoch * cfg.epochs)),
            beta=float(t.beta), staleness=int(t.staleness), hist=hist,
            hist_last=run.hist[-1] if len(run.hist) else None, classes=list(t.data.classes),
            mislabel_pick_rate=_pick_rate(times_sel, info["mislabeled"], cfg.mislabel_fraction),
        )
        info["times_selected"] = times_sel
        info["last_loss"] = last_loss
        snap.update(_galleries(info, gallery))
        if batch:
            batch["percentile"] = _percentiles(t, batch["losses"])
            snap["last_batch"] = batch
        return snap


def _galleries(info: dict[str, np.ndarray], k: int) -> dict[str, dict[str, np.ndarray]]:
    """hardest: most often backpropped (ties: higher latest loss); easiest: the reverse;
    picked_mislabeled: the mislabeled examples backpropped most often."""
    order = np.lexsort((np.nan_to_num(info["last_loss"], nan=0.0), info["times_selected"]))
    hard = order[::-1]
    mis = hard[info["mislabeled"][hard].astype(bool)]
    return {name: {key: v[idx[:k]] for key, v in info.items()}
            for name, idx in (("hardest", hard), ("easiest", order), ("picked_mislabeled", mis))}


def _empty_gallery() -> dict[str, np.ndarray]:
    return {k: np.zeros(0, np.int64) for k in ("index", "source_index", "label", "true_label",
                                               "mislabeled", "times_selected", "last_loss")}


def _pick_rate(times_selected: np.ndarray, mislabeled: np.ndarray, fraction: float) -> float:
    """Share of all backprops so far that went to mislabeled examples (NaN without any)."""
    if fraction <= 0:
        return float("nan")
    return float(times_selected[mislabeled].sum() / max(1, times_selected.sum()))


def _percentiles(t: Trainer, losses: np.ndarray) -> np.ndarray:
    """Each loss's percentile in SB's window (what the rule ranks), else within the batch."""
    policy = t.policy
    if isinstance(policy, SelectiveBackprop) and policy.history.count:
        window = policy.history.window().clone().cpu()
        return loss_percentiles(torch.from_numpy(losses), window).numpy()
    ranks = np.argsort(np.argsort(losses))
    return ranks / max(1, len(losses))


def start(cfg: RunConfig | None = None, model: nn.Module | None = None, *,
          callbacks: Iterable[Callback] = (), replay: pd.DataFrame | None = None,
          **overrides: Any) -> BackgroundRun:
    """Start training in a daemon thread and return at once; `start(epochs=5)` works too."""
    cfg = cfg or RunConfig()
    if overrides:
        cfg = cfg.replace(**overrides)
    return BackgroundRun(cfg, model=model, callbacks=callbacks, replay=replay)


def run_snapshot(run: Run, epoch: int | None = None, gallery: int = GALLERY_SIZE
                 ) -> dict[str, Any]:
    """A saved Run as a `snapshot()` dict at the end of `epoch` (1-based, default last): the
    views draw live and saved runs alike, and a saved run can be replayed epoch by epoch."""
    cfg, n_ep = run.config, len(run.metrics)
    e = n_ep if epoch is None else max(0, min(int(epoch), n_ep))
    ex = run.examples
    if len(run.selected) and e:
        times_sel = run.selected[:e].astype(np.int64).sum(0)
        last_loss = run.losses[e - 1].astype(np.float32)
    else:
        times_sel = np.zeros(len(ex), np.int64)
        last_loss = np.full(len(ex), np.nan, np.float32)
    info = {k: ex[k].to_numpy() for k in ("index", "source_index", "label", "true_label")}
    info["mislabeled"] = ex["mislabeled"].to_numpy().astype(bool)
    info["times_selected"], info["last_loss"] = times_sel, last_loss
    m = run.metrics.iloc[:e].copy()
    mis = info["mislabeled"]
    last = m.iloc[-1] if len(m) else None
    return {
        "name": run.name, "status": run.status, "error": run.meta.get("error"), "config": cfg,
        "epochs": cfg.epochs, "epoch": e, "epochs_done": n_ep,
        "step": int(last["step"]) if last is not None else 0,
        "backprops": int(last["total_backprops"]) if last is not None else 0,
        "forwarded": int(last["total_forwarded"]) if last is not None else 0,
        "progress": e / cfg.epochs, "beta": float(last["beta"]) if last is not None else cfg.beta,
        "staleness": int(last["staleness"]) if last is not None else cfg.staleness,
        "hist_edges": run.hist_edges, "hist_groups": HIST_GROUPS,
        "hist": run.hist[e - 1] if e else np.zeros((4, len(run.hist_edges) - 1), np.int64),
        "hist_last": None, "metrics": m, "events": run.events,
        "mislabel_fraction": cfg.mislabel_fraction,
        "mislabel_pick_rate": _pick_rate(times_sel, mis, cfg.mislabel_fraction),
        **_galleries(info, gallery), "last_batch": None, "dataset": cfg.dataset,
        "classes": run.classes,
    }
