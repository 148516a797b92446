"""Selection policies: the Selective-Backprop rule, a device ring buffer of recent losses, and
the controls (uniform, top-k, traditional).

The rule, as in the original code (angelajiang/SelectiveBackprop): the candidate batch's losses
are appended to the window of the last R losses first; then example i is kept with probability
P_i = max(floor, (#window entries strictly below L_i / window length) ** beta).
"""

from __future__ import annotations

import math

import torch


def loss_percentiles(losses: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
    """Each loss's share of `history` entries strictly below it (ties count as not below)."""
    ordered = torch.sort(history.float()).values
    below = torch.searchsorted(ordered, losses.float().contiguous(), right=False)
    return below.float().div_(history.numel())


def sb_probabilities(losses: torch.Tensor, history: torch.Tensor, beta: float,
                     floor: float = 0.0) -> torch.Tensor:
    """Keep probabilities for `losses` ranked against `history` (the batch already appended)."""
    p = loss_percentiles(losses, history).pow_(beta)
    return p.clamp_min_(floor) if floor > 0 else p


class LossHistory:
    """A fixed-size ring buffer of the most recent losses, on the training device."""

    def __init__(self, size: int, device: torch.device | str = "cpu"):
        self.size = size
        self.buffer = torch.zeros(size, device=device)
        self.count = 0  # valid entries (host int: batch sizes are known, no sync needed)
        self.pos = 0  # next write position

    def append(self, losses: torch.Tensor) -> None:
        losses = losses.detach().reshape(-1)[-self.size:]
        n = losses.numel()
        first = min(n, self.size - self.pos)  # slice writes: cheaper than index arithmetic
        self.buffer[self.pos:self.pos + first] = losses[:first]
        if first < n:
            self.buffer[: n - first] = losses[first:]
        self.pos = (self.pos + n) % self.size
        self.count = min(self.size, self.count + n)

    def window(self) -> torch.Tensor:
        """The valid entries (order does not matter for ranking)."""
        return self.buffer[: self.count]

    def resize(self, size: int) -> None:
        """Change the window length, keeping the most recent entries."""
        recent = self.buffer[(self.pos - self.count + torch.arange(self.count,
                              device=self.buffer.device)) % self.size]
        self.__init__(size, self.buffer.device)  # type: ignore[misc]
        if recent.numel():
            self.append(recent)


class Policy:
    """Turns a candidate batch into keep probabilities (and, when it reweights, the weights of
    the kept examples' losses in the backward pass).

    - `needs_losses`: candidates get a selection forward pass (fresh every `staleness` epochs,
      stored in between); False: `losses` is None.
    - `uses_indices`: `probabilities` also gets the candidates' example indices (`idx=`).
    - `reweights`: `weights(probs, idx)` gives each candidate's loss weight should it be kept.
    """

    name = "policy"
    needs_losses = True
    uses_indices = False
    reweights = False

    def begin_epoch(self, epoch: int, epochs: int | None, stored_losses: torch.Tensor) -> None:
        """Before each epoch (0-based; `epochs` planned, None when unknown): the latest known
        loss of every example (NaN where none is known yet)."""

    def probabilities(self, losses: torch.Tensor | None, n: int,
                      device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def weights(self, probs: torch.Tensor, idx: torch.Tensor) -> torch.Tensor | None:
        """Loss weights of the candidates (used for the kept ones); None: all 1."""
        return None


class SelectiveBackprop(Policy):
    """P = max(floor, percentile ** beta) against a window of recent losses."""

    name = "sb"

    def __init__(self, beta: float, history_size: int = 1024, floor: float = 0.0,
                 device: torch.device | str = "cpu"):
        self.beta, self.floor = beta, floor
        self.history = LossHistory(history_size, device)

    def probabilities(self, losses, n, device):
        self.history.append(losses)
        return sb_probabilities(losses, self.history.window(), self.beta, self.floor)


class Uniform(Policy):
    """Keep each example with probability `keep`, ignoring its loss (the matched-rate control)."""

    name = "uniform"
    needs_losses = False

    def __init__(self, keep: float):
        self.keep = keep

    def probabilities(self, losses, n, device):
        return torch.full((n,), self.keep, device=device)


class TopK(Policy):
    """Keep the highest-loss ceil(keep * n) examples of each candidate batch."""

    name = "topk"

    def __init__(self, keep: float):
        self.keep = keep

    def probabilities(self, losses, n, device):
        return top_share(losses, self.keep, device)


def top_share(scores: torch.Tensor, keep: float, device: torch.device) -> torch.Tensor:
    """Probability 1 for the ceil(keep * n) highest `scores` of a batch, 0 for the rest."""
    n = len(scores)
    k = max(1, math.ceil(keep * n - 1e-9))
    top = torch.topk(scores.float(), min(k, n)).indices
    return torch.zeros(n, device=device).index_fill_(0, top, 1.0)


class Traditional(Policy):
    """Traditional training: every example is backpropped, no selection pass."""

    name = "traditional"
    needs_losses = False

    def probabilities(self, losses, n, device):
        return torch.ones(n, device=device)


KeepAll = Traditional  # its name before 0.2
