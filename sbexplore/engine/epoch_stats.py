"""Statistics of the epoch in progress, accumulated on the device without a host sync: the loss
histogram (backpropped/skipped x clean/mislabeled), the backpropped examples and their loss and
mislabel sums, and the latest candidate batch (for the rule view)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from sbexplore.runs.record import HIST_EDGES, HIST_GROUPS

NBINS = len(HIST_EDGES) - 1


class EpochStats:
    """Reset at each epoch's start; `summary()` syncs once at its end."""

    def __init__(self, n: int, mislabeled: torch.Tensor):
        dev = mislabeled.device
        self.mislabeled = mislabeled
        self.hist = torch.zeros(len(HIST_GROUPS) * NBINS, dtype=torch.int64, device=dev)
        self.backpropped = torch.zeros(n, dtype=torch.uint8, device=dev)
        self.sums = torch.zeros(2, dtype=torch.float64, device=dev)  # loss, mislabeled
        # logit-gradient norms: sum and count over the backpropped examples, then over the
        # candidates a selection forward pass saw
        self.grads = torch.zeros(4, dtype=torch.float64, device=dev)
        self.edges = torch.tensor(HIST_EDGES, dtype=torch.float32, device=dev)
        self.last_batch: dict[str, torch.Tensor] = {}

    def reset(self) -> None:
        self.hist.zero_()
        self.backpropped.zero_()
        self.sums.zero_()
        self.grads.zero_()

    def gradients(self, norms: torch.Tensor | None, backpropped: bool) -> None:
        """Logit-gradient norms of examples backpropped (or offered to a selection pass)."""
        if norms is not None and len(norms):
            at = 0 if backpropped else 2
            self.grads[at] += norms.sum().double()
            self.grads[at + 1] += len(norms)

    def candidates(self, idx: torch.Tensor, losses: torch.Tensor, keep: torch.Tensor,
                   probs: torch.Tensor | None) -> None:
        """A ranked candidate batch: histogram its losses by the keep draw; remember it."""
        self.histogram(losses, keep, idx)
        batch = {"losses": losses.detach(), "keep": keep}
        if probs is not None:
            batch["probs"] = probs.detach()
        self.last_batch = batch

    def backprops(self, idx: torch.Tensor, losses: torch.Tensor, histogram: bool) -> None:
        """Examples backpropped with these losses (`histogram`: no ranking put them in it)."""
        self.backpropped[idx] = 1
        mis = self.mislabeled[idx]
        self.sums += torch.stack([losses.sum().double(), mis.sum().double()])
        if histogram:
            self.histogram(losses, torch.ones_like(mis), idx)

    def histogram(self, losses: torch.Tensor, keep: torch.Tensor, idx: torch.Tensor) -> None:
        bins = torch.bucketize(losses.float().clamp_min(0), self.edges[1:-1], right=True)
        group = keep.long() * 2 + self.mislabeled[idx].long()
        flat = (group * NBINS + bins).nan_to_num(0).long()
        self.hist.index_add_(0, flat, torch.ones_like(flat))

    def summary(self, backprops: int, has_mislabels: bool,
                random_grad: float = math.nan) -> dict[str, float]:
        """train_loss, mislabel_pick_rate and grad_ratio of the epoch (one host sync).
        `random_grad`: a random batch's mean logit-gradient norm when no selection pass saw
        this epoch's candidates (the latest known of every example)."""
        loss_sum, mis_sum, *_ = self.sums.tolist()
        bp_sum, bp_n, cand_sum, cand_n = self.grads.tolist()
        random = cand_sum / cand_n if cand_n else random_grad
        return {"train_loss": loss_sum / backprops if backprops else math.nan,
                "mislabel_pick_rate": (mis_sum / backprops if backprops else math.nan)
                if has_mislabels else math.nan,
                "grad_ratio": (bp_sum / bp_n) / random if bp_n and random > 0 else math.nan}

    def live(self) -> dict[str, Any]:
        """Copies for a snapshot: the histogram so far, the sums and the latest batch."""
        with torch.no_grad():
            return {"hist": self.hist.clone().cpu().numpy().reshape(len(HIST_GROUPS), -1),
                    "sums": self.sums.clone().cpu().numpy(),
                    "last_batch": {k: v.clone().cpu().numpy()
                                   for k, v in dict(self.last_batch).items()}}


def empty_hist() -> np.ndarray:
    return np.zeros((len(HIST_GROUPS), NBINS), np.int64)
