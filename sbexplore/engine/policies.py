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
    """Turns a candidate batch's losses into keep probabilities.

    `needs_losses` says whether the policy needs a selection forward pass at all.
    """

    name = "policy"
    needs_losses = True

    def probabilities(self, losses: torch.Tensor | None, n: int,
                      device: torch.device) -> torch.Tensor:
        raise NotImplementedError


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
        k = max(1, math.ceil(self.keep * n - 1e-9))
        top = torch.topk(losses.float(), min(k, n)).indices
        return torch.zeros(n, device=device).index_fill_(0, top, 1.0)


class Traditional(Policy):
    """Traditional training: every example is backpropped, no selection pass."""

    name = "traditional"
    needs_losses = False

    def probabilities(self, losses, n, device):
        return torch.ones(n, device=device)


KeepAll = Traditional  # its name before 0.2


def make_policy(cfg, device: torch.device) -> Policy:
    """The policy object for a RunConfig."""
    if cfg.policy == "sb":
        return SelectiveBackprop(cfg.beta, cfg.history_size, cfg.prob_floor, device)
    if cfg.policy == "uniform":
        return Uniform(cfg.resolved_keep)
    if cfg.policy == "topk":
        return TopK(cfg.resolved_keep)
    return Traditional()
