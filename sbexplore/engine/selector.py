"""Selective-Backprop in your own PyTorch loop (the built-in Trainer uses exactly this).

    sb = Selector(model, num_examples=len(train_set), batch_size=128, beta=2)
    for epoch in sb.epochs(10):                 # ends early if a dashboard stops the run
        for x, y, idx in sb.batches(loader):   # loader yields (inputs, labels, example indices)
            out = model(x)
            losses = loss_fn(out, y)            # reduction="none": one loss per example
            opt.zero_grad(); sb.reduce(losses).backward(); opt.step()
            sb.backpropped(idx, losses, out)
        sb.end_epoch(test_loss=..., test_accuracy=...)

`batches` runs the selection forward pass (no grad) on each candidate batch, ranks the losses
with the policy, draws who is kept, and yields full batches of kept examples from a pool (the
remainder at the epoch's end). Stale-SB reuses stored losses by example index. `reduce(losses)`
is the batch's loss to backprop: the mean, weighted for policies that reweight (importance
sampling, InfoBatch). One host sync per candidate batch (the size of the kept set); with a
loader that isn't `sb.batch_sampler()`, Stale-SB epochs add one more (to split fresh from stale
examples).
"""

from __future__ import annotations

import collections
import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
import torch.utils.data
from torch import nn

from sbexplore.config import POLICIES, RunConfig
from sbexplore.data.labels import WithIndices
from sbexplore.engine.control import StopTraining
from sbexplore.engine.counts import Counts
from sbexplore.engine.make_policy import make_policy
from sbexplore.engine.policies import Policy, SelectiveBackprop, Traditional
from sbexplore.engine.recorder import Recorder
from sbexplore.errors import ConfigError

__all__ = ["EPOCH_END", "Selector", "WithIndices", "cross_entropy_per_example"]


class _EpochEnd:
    """What `Selector.offer` is given once an epoch's candidate batches are done."""

    def __repr__(self) -> str:
        return "EPOCH_END"


EPOCH_END = _EpochEnd()

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
Weighted = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]


def cross_entropy_per_example(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The default loss: cross-entropy with reduction='none'."""
    return F.cross_entropy(outputs, labels, reduction="none")


class Selector:
    """Chooses which examples of each candidate batch get a backward pass.

    `policy`: a name of `config.POLICIES` (rho_loss needs its `irreducible_losses`) or a
    `policies.Policy`. `prime_examples`: backprop everything until this many examples were
    backpropped (whole epochs), as SB primes. `epochs`: the planned epochs (InfoBatch needs
    them; `epochs(n)` sets them too). `transform` maps a batch's inputs to the model's (the
    Trainer normalises uint8 images). Pass a `Recorder` to record the run and let a dashboard
    watch and steer it.
    """

    def __init__(self, model: nn.Module, num_examples: int, batch_size: int = 128, *,
                 policy: str | Policy = "sb", beta: float = 2.0, keep: float | None = None,
                 staleness: int = 1, history_size: int = 1024, prob_floor: float = 0.0,
                 prime_examples: int = 0, loss_fn: Callable[..., torch.Tensor] | None = None,
                 select_mode: str = "eval", bf16: bool = False,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 device: torch.device | str | None = None, seed: int = 0,
                 recorder: Recorder | None = None, epochs: int | None = None,
                 irreducible_losses: torch.Tensor | None = None):
        for name, v, lo in (("num_examples", num_examples, 1), ("batch_size", batch_size, 1),
                            ("staleness", staleness, 1), ("prime_examples", prime_examples, 0)):
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise ConfigError(f"{name}={v!r} is not allowed: an integer >= {lo}")
        if select_mode not in ("eval", "train"):
            raise ConfigError(f"select_mode={select_mode!r} is not allowed: eval or train")
        if device is None:
            p = next(model.parameters(), None)
            device = p.device if p is not None else "cpu"
        self.device = dev = torch.device(device)
        if isinstance(policy, str):
            if policy not in (*POLICIES, "all"):
                raise ConfigError(f"policy={policy!r} is not allowed: one of "
                                  f"{', '.join(POLICIES)} or a policies.Policy")
            policy = make_policy(RunConfig(policy=policy, beta=beta, keep=keep,
                                           history_size=history_size, prob_floor=prob_floor),
                                 dev, irreducible_losses)
        self.policy = policy
        self.model, self.n, self.batch_size = model, num_examples, batch_size
        self.staleness, self.prime_examples = staleness, prime_examples
        self.loss_fn = loss_fn or cross_entropy_per_example
        self.select_mode, self.bf16 = select_mode, bf16
        self.transform = transform or (lambda x: x)
        self.gen = torch.Generator(device=dev).manual_seed(seed)
        self.recorder = recorder
        if recorder is not None and recorder.n != num_examples:
            raise ConfigError(f"num_examples={num_examples} but the Recorder has {recorder.n} "
                              "labels: give the Recorder one label per training example, in "
                              "dataset index order (Recorder(cfg, train_set) reads them)")
        if recorder is not None:
            recorder.uses(model, self.loss_fn, default_loss=loss_fn is None)
        if recorder is not None:  # one set of counts, advanced here, read by the recorder
            self.counts = recorder.counts
            self.counts.batch_size = batch_size
            if isinstance(policy, SelectiveBackprop):
                recorder.window_fn = policy.history.window
        else:
            self.counts = Counts(num_examples, batch_size)
        self.stored_loss = torch.full((num_examples,), float("nan"), device=dev)
        self.last_select_epoch = torch.full((num_examples,), -1, dtype=torch.int32, device=dev)
        self.planned_epochs = epochs
        self.batch_weights: torch.Tensor | None = None  # the yielded batch's loss weights
        self._order: torch.Tensor | None = None  # this epoch's planned order, if planned
        self._fresh_counts: list[int] = []
        self._lazy = False  # the loader reads the plan lazily (re-planning mid-epoch works)
        self._replan = False
        self._reduced = True  # reduce() was called for the batch in hand
        self._warned_unweighted = False
        self._warned_priming = False
        self._feed: _Feed | None = None  # `offer`: candidate batches handed in one at a time
        self._stepper: Iterator[Batch | None] | None = None
        self._check_priming(epochs)

    @classmethod
    def from_config(cls, cfg: RunConfig, model: nn.Module, num_examples: int, *,
                    device: torch.device | None = None, recorder: Recorder | None = None,
                    irreducible_losses: torch.Tensor | None = None,
                    **kwargs: Any) -> Selector:
        """A Selector with a RunConfig's selection settings (resolved: recipe values filled);
        rho_loss takes the `irreducible_losses` of its holdout model (`engine.holdout`)."""
        if device is None:
            p = next(model.parameters(), None)
            device = p.device if p is not None else torch.device("cpu")
        cfg = cfg.resolved(num_train=num_examples)
        return cls(model, num_examples, cfg.batch_size,
                   policy=make_policy(cfg, device, irreducible_losses),
                   staleness=cfg.staleness, prime_examples=int(cfg.prime_examples),
                   select_mode=cfg.select_mode, device=device, seed=cfg.seed,
                   recorder=recorder, epochs=cfg.epochs, **kwargs)

    # -- the epoch's order -----------------------------------------------------------------
    @property
    def epoch(self) -> int:
        """0-based epoch in progress."""
        return self.counts.epoch

    @property
    def backprops(self) -> int:
        """Examples backpropped so far."""
        return self.counts.backprops

    @property
    def priming(self) -> bool:
        return self.counts.priming

    @property
    def selecting(self) -> bool:
        """This epoch ranks candidates (not priming, and the policy looks at losses)."""
        return self.counts.selecting

    def plan_epoch(self) -> torch.Tensor:
        """A seeded random order of all examples for the next epoch, each candidate batch's
        examples due a fresh selection pass first (one host sync per epoch, not per batch)."""
        perm = torch.randperm(self.n, generator=self.gen, device=self.device)
        self._order, self._fresh_counts = self._plan(perm, self._next_epoch_priming())
        return self._order

    def batch_sampler(self) -> Iterable[list[int]]:
        """A batch sampler for `DataLoader(ds, batch_sampler=sb.batch_sampler())`: the planned
        order, so Stale-SB needs no extra sync."""
        return _PlannedSampler(self)

    def tensor_batches(self, x: torch.Tensor, y: torch.Tensor,
                       augment: Callable[[torch.Tensor], torch.Tensor] | None = None
                       ) -> Iterator[Batch]:
        """Candidate batches straight from device tensors in the planned order (read lazily,
        so a staleness change re-plans the rest of the epoch)."""
        self.plan_epoch()
        self._lazy = True
        for start in range(0, self.n, self.batch_size):
            idx = self._order[start:start + self.batch_size]
            xb = x[idx]
            yield (augment(xb) if augment else xb), y[idx], idx

    # -- one epoch ---------------------------------------------------------------------------
    def batches(self, loader: Iterable[Any]) -> Iterator[Batch]:
        """Full backprop batches (inputs, labels, indices) chosen from `loader`'s candidates."""
        self._check_loader(loader)
        self._begin_epoch()
        pool: list[Batch] = []
        pool_n = 0
        it = iter(loader)
        b = 0
        while True:
            while self._feed is not None and self._feed.waiting:
                yield None  # `offer`: suspended until the next candidate batch is offered
            try:
                self._pause_point()
                x, y, idx = _unpack(next(it))
                self._check_indices(idx)
            except (StopIteration, StopTraining):
                if self.stopped:
                    return  # stopped: the epoch ends here, no flush
                break
            idx = idx.to(self.device)
            if self.priming or isinstance(self.policy, Traditional):
                yield from self._train(x, y, idx)  # traditional / priming: no selection, no sync
            else:
                x, y, idx, keep, w = self._select(x, y, idx, b)
                if keep.numel():
                    pool.append((x[keep], y[keep], idx[keep], None if w is None else w[keep]))
                    pool_n += keep.numel()
                while pool_n >= self.batch_size:
                    xs, ys, ids, ws = _concat(pool)
                    B = self.batch_size
                    yield from self._train(xs[:B], ys[:B], ids[:B], _head(ws, B))
                    pool = [(xs[B:], ys[B:], ids[B:], _tail(ws, B))] if pool_n > B else []
                    pool_n -= B
            self.counts.candidate_batch_done(len(idx))
            b += 1
            if self.recorder is not None:
                self.recorder.candidate_batch_done()
        if pool_n:  # flush the remainder at the end of the epoch
            yield from self._train(*_concat(pool))
        self._order, self._lazy = None, False

    def offer(self, batch: Any) -> Batch | None:
        """One candidate batch at a time, for frameworks that own the loop (PyTorch
        Lightning's `training_step`): returns the next full backprop batch SB chose, or None
        (no step for this one). Offer `EPOCH_END` (or None) once the epoch's candidates are
        done: it returns
        the epoch's remainder (or None). Equivalent to `batches()`, which this drives."""
        end = batch is None or batch is EPOCH_END
        if self._feed is None:
            if end or self.stopped:
                return None
            self._feed = _Feed()
            self._stepper = self.batches(self._feed)
        if end:
            self._feed.ended = True
        else:
            self._feed.items.append(batch)
        try:
            return next(self._stepper)
        except StopIteration:
            self._feed = self._stepper = None
            return None

    def close_offers(self) -> None:
        """End an epoch of `offer` calls: the last backprop batch's time is closed."""
        if self._feed is not None:
            self._feed.ended = True
            for _ in self._stepper:  # nothing left to yield but the end of the epoch
                pass
            self._feed = self._stepper = None

    def reduce(self, losses: torch.Tensor) -> torch.Tensor:
        """The loss to backprop for the batch in hand: the mean of its per-example `losses`,
        weighted for a policy that reweights (importance sampling, InfoBatch)."""
        self._reduced = True
        w = self.batch_weights
        return losses.mean() if w is None else (losses * w).mean()

    def backpropped(self, idx: torch.Tensor, losses: torch.Tensor,
                    outputs: torch.Tensor | None = None) -> None:
        """Report a backprop batch's per-example losses (and logits, for predictions)."""
        if losses.ndim != 1 or len(losses) != len(idx):
            raise ConfigError(f"losses has shape {tuple(losses.shape)}: expected one loss per "
                              f"example ({len(idx)},) — use a loss with reduction='none'")
        self.stored_loss[idx] = losses.detach().float()  # refreshes the value, not its age
        self.counts.add_backprops(len(idx))
        if not self._reduced and not self._warned_unweighted:
            self._warned_unweighted = True
            warnings.warn(f"policy {self.policy.name!r} weights the examples it keeps, but this "
                          "batch's loss was not reduced with `selector.reduce(losses)`: "
                          "backprop `selector.reduce(losses)` instead of `losses.mean()`, or "
                          "the weights are lost", UserWarning, stacklevel=2)
        if self.recorder is not None:
            self.recorder.backpropped(idx, losses, outputs)

    def end_epoch(self, test_loss: float = float("nan"), test_accuracy: float = float("nan"),
                  **extra: Any) -> dict[str, Any] | None:
        """Close the epoch (with its evaluation, for the recorder); returns the metrics row."""
        row = None
        if self.recorder is not None:
            row = self.recorder.end_epoch(test_loss, test_accuracy, **extra)
        self.counts.end_epoch()
        return row

    def evaluating(self) -> contextlib.AbstractContextManager:
        """`with selector.evaluating(): ...` — time spent in the block is evaluation
        (`time_eval_s`), kept off the training clock, as the built-in trainer's is."""
        return self._section("eval")

    def epochs(self, n: int) -> Iterator[int]:
        """`for epoch in sb.epochs(10):` — 0-based epoch numbers, as `range(n)` gives them,
        ending early once stopped (the metrics' `epoch` column counts from 1: epoch 0 is
        row `epoch == 1`)."""
        self.planned_epochs = n
        self._check_priming(n)
        for epoch in range(self.epoch, n):
            if self.stopped:
                return
            yield epoch

    @property
    def stopped(self) -> bool:
        """A stop was requested (from a dashboard or `recorder.stop()`)."""
        return self.recorder is not None and self.recorder.control.stopping

    @property
    def progress(self) -> float:
        """Epochs of examples offered so far (fractional): what epoch-keyed schedules read."""
        return self.counts.progress

    # -- internals ---------------------------------------------------------------------------
    def _check_priming(self, epochs: int | None) -> None:
        """Warn when priming covers every planned epoch: the run would never select."""
        if (epochs is None or self._warned_priming or isinstance(self.policy, Traditional)
                or self.prime_examples < epochs * self.n):
            return
        self._warned_priming = True
        warnings.warn(f"prime_examples={self.prime_examples:,} covers all {epochs} epoch(s) of "
                      f"{self.n:,} examples: every epoch backprops everything (priming) and "
                      f"policy {self.policy.name!r} never selects. Train for more epochs, or "
                      "lower prime_examples (RunConfig(prime_examples=0): select from the "
                      "start)", UserWarning, stacklevel=3)

    def _check_loader(self, loader: Iterable[Any]) -> None:
        ds = getattr(loader, "dataset", None)
        if ds is not None and hasattr(ds, "__len__") and len(ds) != self.n:
            raise ConfigError(f"the loader's dataset has {len(ds):,} examples but num_examples="
                              f"{self.n:,}: they must match (examples past num_examples would "
                              "be trained unrecorded, or indices would run out of range)")

    def _check_indices(self, idx: torch.Tensor) -> None:
        if idx.device.type == "cpu" and len(idx) and (int(idx.min()) < 0
                                                       or int(idx.max()) >= self.n):
            raise ConfigError(f"the loader yielded example index {int(idx.max())} (min "
                              f"{int(idx.min())}): indices must lie in 0..{self.n - 1} "
                              f"(num_examples={self.n}); wrap the training set itself with "
                              "sbexplore.WithIndices(train_set)")

    def _next_epoch_priming(self) -> bool:
        return self.backprops < self.prime_examples

    def _begin_epoch(self) -> None:
        priming = self._next_epoch_priming()
        self.counts.begin_epoch(priming=priming,
                                selecting=not priming and self.policy.needs_losses)
        if not priming:
            self.policy.begin_epoch(self.epoch, self.planned_epochs, self.stored_loss)
        if self.recorder is not None:
            self.recorder.begin_epoch()

    def _plan(self, perm: torch.Tensor, priming: bool) -> tuple[torch.Tensor, list[int]]:
        if priming or not self.policy.needs_losses:
            return perm, []
        last = self.last_select_epoch[perm]
        fresh = (last < 0) | (self.epoch - last >= self.staleness)
        batch_id = torch.arange(len(perm), device=self.device) // self.batch_size
        order = torch.argsort(batch_id * 2 + (~fresh).long(), stable=True)
        counts = torch.zeros(int(len(perm) - 1) // self.batch_size + 1, dtype=torch.long,
                             device=self.device)
        counts.index_add_(0, batch_id, fresh.long())
        return perm[order], counts.tolist()

    def _pause_point(self) -> None:
        """Before each candidate batch: the recorder's pause point, and its live changes."""
        if self.recorder is None:
            return
        for field, value in self._live_changes():
            old = self._live_values()[field]
            if old == value:
                continue
            if field == "beta" and isinstance(self.policy, SelectiveBackprop):
                self.policy.beta = float(value)
            if field == "staleness":
                self.staleness = int(value)
                self._replan = True
            self.recorder.change(field, old, value)
        if self._replan and self._order is not None and self._lazy:
            start = self.counts.seen_in_epoch
            rest, counts = self._plan(self._order[start:], False)
            self._order = torch.cat([self._order[:start], rest])
            self._fresh_counts = [0] * (start // self.batch_size) + counts
        if self._replan and not self._lazy:
            self._order = None  # an eager loader keeps its order: split fresh/stale per batch
        self._replan = False

    def _live_changes(self) -> list[tuple[str, float]]:
        """The recorder's pause point: waits while paused, raises StopTraining when stopped,
        returns the live settings due now."""
        return self.recorder.pause_point()

    def _live_values(self) -> dict[str, float]:
        return {"beta": getattr(self.policy, "beta", 0.0), "staleness": self.staleness,
                "pace": self.recorder.live["pace"]}

    def _n_fresh(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor, b: int
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """The batch with the examples due a fresh selection pass first, and their count."""
        if self._order is not None and b < len(self._fresh_counts):
            return x, y, idx, self._fresh_counts[b]  # planned: counted once per epoch
        if self.staleness == 1:
            return x, y, idx, len(idx)  # every example is due every epoch
        last = self.last_select_epoch[idx]
        stale = ~((last < 0) | (self.epoch - last >= self.staleness))
        order = torch.argsort(stale.long(), stable=True)
        n = len(idx) - int(stale.sum())  # the extra sync of an unplanned Stale-SB epoch
        return x[order], y[order], idx[order], n

    def _select(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor, b: int
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                           torch.Tensor | None]:
        """The batch (fresh examples first), the positions in it of the kept examples, and
        the candidates' loss weights (None: the policy does not reweight)."""
        n = len(idx)
        losses = None
        if self.policy.needs_losses:
            x, y, idx, n_fresh = self._n_fresh(x, y, idx, b)
            losses = self._selection_losses(x, y, idx, n_fresh)
        if self.policy.uses_indices:
            probs = self.policy.probabilities(losses, n, self.device, idx=idx)
        else:
            probs = self.policy.probabilities(losses, n, self.device)
        keep = torch.rand(n, generator=self.gen, device=self.device) < probs
        pos = keep.nonzero().squeeze(1)  # the one host sync of this candidate batch
        if self.recorder is not None and losses is not None:
            self.recorder.candidates(idx, losses, keep, probs)
        weights = self.policy.weights(probs, idx) if self.policy.reweights else None
        return x, y, idx, pos, weights

    def _selection_losses(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor,
                          n_fresh: int) -> torch.Tensor:
        """Fresh losses from a no-grad forward pass on the first `n_fresh` examples, stored
        ones for the rest (Stale-SB spends no forward pass on them)."""
        losses = self.stored_loss[idx]
        if n_fresh:
            fresh_idx = idx[:n_fresh]
            with self._section("select"):
                was_training = self.model.training
                self.model.train(self.select_mode == "train")
                fresh, out = self._forward_losses(x[:n_fresh], y[:n_fresh])
                self.model.train(was_training)
            if fresh.ndim != 1 or len(fresh) != n_fresh:
                raise ConfigError(f"loss_fn returned shape {tuple(fresh.shape)}: expected one "
                                  f"loss per example ({n_fresh},) — use reduction='none'")
            losses[:n_fresh] = fresh
            self.stored_loss[fresh_idx] = fresh
            self.last_select_epoch[fresh_idx] = self.epoch
            self.counts.add_forwarded(n_fresh)
            if self.recorder is not None:
                self.recorder.forwarded(fresh_idx, fresh, out)
        return losses

    def _forward_losses(self, x: torch.Tensor, y: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """The selection forward pass (no grad): per-example losses and the outputs."""
        with torch.no_grad(), self._autocast():
            out = self.model(self.transform(x))
        return self.loss_fn(out.float(), y), out

    def _train(self, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor,
               weights: torch.Tensor | None = None) -> Iterator[Batch]:
        self.batch_weights = weights
        self._reduced = weights is None  # an unweighted batch needs no reduce()
        if self.recorder is not None:
            self.recorder.batch_yielded()
        with self._section("train"):  # spans the caller's step, up to its next request
            yield x, y, idx

    def _section(self, name: str) -> contextlib.AbstractContextManager:
        return (self.recorder.timer.section(name) if self.recorder is not None
                else contextlib.nullcontext())

    def _autocast(self) -> contextlib.AbstractContextManager:
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)


def _concat(pool: list[Weighted]) -> Weighted:
    """The pool's parts as one batch (weights: None when the policy gives none)."""
    xs, ys, ids, ws = zip(*pool)
    return (torch.cat(xs), torch.cat(ys), torch.cat(ids),
            None if ws[0] is None else torch.cat(ws))


def _head(w: torch.Tensor | None, k: int) -> torch.Tensor | None:
    return None if w is None else w[:k]


def _tail(w: torch.Tensor | None, k: int) -> torch.Tensor | None:
    return None if w is None else w[k:]


class _Feed:
    """The candidate batches `offer` hands to `batches()`, one at a time."""

    def __init__(self) -> None:
        self.items: collections.deque[Any] = collections.deque()
        self.ended = False

    @property
    def waiting(self) -> bool:
        return not self.items and not self.ended

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> Any:
        if self.items:
            return self.items.popleft()
        raise StopIteration


class _PlannedSampler:
    """Yields the Selector's planned order in candidate batches, one epoch per iteration."""

    def __init__(self, selector: Selector):
        self.sb = selector

    def __len__(self) -> int:
        return -(-self.sb.n // self.sb.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        order = self.sb.plan_epoch().tolist()
        B = self.sb.batch_size
        for s in range(0, len(order), B):
            yield order[s:s + B]


def _unpack(batch: Any) -> Batch:
    if isinstance(batch, (tuple, list)) and len(batch) == 3:
        x, y, idx = batch
        if isinstance(idx, torch.Tensor) and idx.ndim == 1 and idx.dtype in (
                torch.int64, torch.int32) and len(idx) == len(y):
            return x, y, idx.long()
    raise ConfigError("loader must yield (inputs, labels, indices) with indices a 1-d integer "
                      "tensor of example positions, one per example: wrap your dataset with "
                      "sbexplore.WithIndices(dataset)")
