"""The methods a researcher would try instead of SB, as selection policies in the same loop.

Each is a `policies.Policy`: the Selector, the Recorder, every view and every clock treat them
like SB. Defaults cite their papers (see README, "SB against its rivals"):

- InfoBatch (Qin et al., ICLR 2024; NUS-HPC-AI-Lab/InfoBatch): each epoch, prune at random a
  share r of the examples whose latest loss is below the mean, scale the kept ones' loss by
  1/(1 - r), and train on everything in the last 1 - δ of the epochs. No selection forward
  pass: the losses come from training. r = 0.5 (`ratio`), δ = 0.875 (`delta`).
- Online batch selection (Loshchilov & Hutter, ICLR 2016 workshop, arXiv:1511.06343): rank
  every example by its latest known loss; rank i (0 = highest) is kept with probability
  s^(-i/N), so the best rank's probability is s times the worst's (the selection pressure);
  losses are refreshed by a selection pass every `staleness` epochs and by every backprop.
  s = 100 (s_e = 10^2, one of the paper's settings). Expected keep fraction (1 - 1/s)/ln s.
- Importance sampling by loss (a common simplification of Katharopoulos & Fleuret, ICML 2018,
  who sample by an upper bound of the gradient norm): candidate i of a batch of n is kept with
  probability q_i = min(1, keep * n * L_i / sum L) and weighted by keep / q_i = 1 / (n * p_i)
  (p_i = L_i / sum L), so the weighted gradient is an unbiased estimate of the batch's mean.
- RHO-LOSS (Mindermann et al., ICML 2022; OATML/RHO-Loss): the reducible holdout loss, the
  training loss minus the loss of an "irreducible loss" model trained first on a held-out
  split; the top share of each candidate batch is kept (the paper: 10%).
"""

from __future__ import annotations

import math

import torch

from sbexplore.engine.policies import Policy, top_share
from sbexplore.errors import ConfigError


class InfoBatch(Policy):
    """Prune below-mean-loss examples with probability `ratio` during the first `delta` of the
    epochs; kept ones weigh 1/(1 - ratio). Unseen examples (no loss yet) are kept."""

    name = "infobatch"
    needs_losses = False
    uses_indices = True
    reweights = True

    def __init__(self, ratio: float = 0.5, delta: float = 0.875):
        if not 0 <= ratio < 1:
            raise ConfigError(f"infobatch_ratio={ratio!r} is not allowed: 0 <= r < 1")
        if not 0 < delta <= 1:
            raise ConfigError(f"infobatch_delta={delta!r} is not allowed: 0 < δ <= 1")
        self.ratio, self.delta = ratio, delta
        self.keep_prob: torch.Tensor | None = None
        self.pruning = False

    def begin_epoch(self, epoch, epochs, stored_losses):
        if epochs is None:
            raise ConfigError("policy 'infobatch' prunes during the first δ of the epochs, so "
                              "it needs their number: iterate `selector.epochs(n)` (or pass "
                              "`epochs=` to the Selector)")
        self.pruning = epoch < self.delta * epochs  # the last 1 - δ train on everything
        known = ~torch.isnan(stored_losses)
        low = torch.zeros_like(known)
        if self.pruning and bool(known.any()):
            low = known & (stored_losses < stored_losses[known].mean())
        self.keep_prob = torch.where(low, 1.0 - self.ratio, 1.0)

    def probabilities(self, losses, n, device, idx=None):
        return self.keep_prob[idx]

    def weights(self, probs, idx):
        return 1.0 / probs  # 1/(1 - r) for a kept below-mean example, 1 otherwise


class OnlineBatch(Policy):
    """Keep probability s^(-rank/N) by the rank of the latest known loss among all N examples
    (ranked against the losses known at the epoch's start; unseen examples rank first)."""

    name = "online_batch"
    uses_indices = True

    def __init__(self, selection_pressure: float = 100.0):
        if not selection_pressure > 1:
            raise ConfigError(f"selection_pressure={selection_pressure!r} is not allowed: > 1")
        self.pressure = selection_pressure
        self.ranked: torch.Tensor | None = None  # known losses, descending

    def begin_epoch(self, epoch, epochs, stored_losses):
        self.n = len(stored_losses)
        known = stored_losses[~torch.isnan(stored_losses)]
        self.ranked = torch.sort(known.float()).values  # ascending, for searchsorted

    def probabilities(self, losses, n, device, idx=None):
        # rank 0 = the highest loss: the number of known losses strictly above this one
        above = len(self.ranked) - torch.searchsorted(self.ranked, losses.float().contiguous(),
                                                      right=True)
        above = torch.where(torch.isnan(losses), torch.zeros_like(above), above)
        return torch.pow(self.pressure, -above.float() / max(1, self.n))

    @staticmethod
    def expected_keep(selection_pressure: float) -> float:
        """The keep fraction of rank-uniform losses: (1 - 1/s) / ln s."""
        s = selection_pressure
        return (1.0 - 1.0 / s) / math.log(s)

    @staticmethod
    def pressure_for_keep(keep: float) -> float:
        """The selection pressure whose expected keep fraction is `keep` (0 < keep < 1)."""
        if not 0 < keep < 1:
            raise ConfigError(f"keep={keep!r} is not allowed: 0 < keep < 1")
        lo, hi = 1.0 + 1e-9, 1e12  # expected_keep falls from 1 to 0 as s grows
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if OnlineBatch.expected_keep(mid) > keep else (lo, mid)
        return math.sqrt(lo * hi)


class ImportanceSampling(Policy):
    """Keep with probability q = min(1, keep * n * L / sum L); kept losses weigh keep / q."""

    name = "importance"
    reweights = True

    def __init__(self, keep: float):
        if not 0 < keep <= 1:
            raise ConfigError(f"keep={keep!r} is not allowed: 0 < keep <= 1")
        self.keep = keep

    def probabilities(self, losses, n, device):
        loss = losses.float().clamp_min(0)
        total = loss.sum()
        if not total > 0:  # every loss is 0: nothing to prefer
            return torch.full((n,), self.keep, device=device)
        return (self.keep * n * loss / total).clamp_(max=1.0)

    def weights(self, probs, idx):
        return self.keep / probs.clamp_min(1e-12)


class RhoLoss(Policy):
    """Keep the top `keep` share of each candidate batch by reducible holdout loss: the
    training loss minus the irreducible loss of each example (by example index)."""

    name = "rho_loss"
    uses_indices = True

    def __init__(self, keep: float, irreducible_losses: torch.Tensor):
        if not 0 < keep <= 1:
            raise ConfigError(f"keep={keep!r} is not allowed: 0 < keep <= 1")
        if irreducible_losses.ndim != 1:
            raise ConfigError("irreducible_losses must be 1-d: one loss per training example")
        self.keep, self.irreducible = keep, irreducible_losses.float()

    def probabilities(self, losses, n, device, idx=None):
        return top_share(self.reducible(losses, idx), self.keep, device)

    def reducible(self, losses: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return losses.float() - self.irreducible.to(losses.device)[idx]
