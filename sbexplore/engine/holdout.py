"""RHO-LOSS's holdout model: a seeded holdout split of the training set, a model trained on it
first, and its per-example ("irreducible") losses on the examples that are trained on.

The built-in Trainer does all of this when `policy="rho_loss"` (`trainer.train_holdout_model`);
a hand-written loop calls `holdout_split` and `irreducible_losses` with a model of its own, or
`train_holdout_model`, and passes the losses to its Selector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from sbexplore.errors import ConfigError

HOLDOUT_SEED = 4242  # the split is the same for every run seed: runs compare on equal data


def holdout_split(n: int, fraction: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(train indices, holdout indices) of n examples: a seeded random `fraction` held out."""
    k = round(fraction * n)
    if not 0 < k < n:
        raise ConfigError(f"holdout_fraction={fraction!r} is not allowed here: it holds out "
                          f"{k} of {n} training examples, which leaves "
                          f"{'no holdout' if k <= 0 else 'no training data'}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(HOLDOUT_SEED))
    return perm[k:].sort().values, perm[:k].sort().values


@dataclass
class HoldoutModel:
    """The irreducible-loss model's losses on the training part, and what training it cost."""

    losses: torch.Tensor  # one per example trained on (in their order)
    seconds: float
    backprops: int


def irreducible_losses(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                       loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                       transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                       batch_size: int = 1024) -> torch.Tensor:
    """Per-example losses of a trained `model` (eval mode, no grad) on inputs `x`, labels `y`."""
    was = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(y), batch_size):
            xb = x[s:s + batch_size]
            out.append(loss_fn(model(transform(xb) if transform else xb).float(),
                               y[s:s + batch_size]).float())
    model.train(was)
    return torch.cat(out) if out else torch.zeros(0)
