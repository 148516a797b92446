"""The policy object a RunConfig names: SB, the controls and the rivals."""

from __future__ import annotations

import torch

from sbexplore.engine import rivals
from sbexplore.engine.policies import Policy, SelectiveBackprop, TopK, Traditional, Uniform
from sbexplore.errors import ConfigError


def make_policy(cfg, device: torch.device,
                irreducible_losses: torch.Tensor | None = None) -> Policy:
    """The policy object for a RunConfig (rho_loss: with its holdout model's losses)."""
    if cfg.policy == "sb":
        return SelectiveBackprop(cfg.beta, cfg.history_size, cfg.prob_floor, device)
    if cfg.policy == "uniform":
        return Uniform(cfg.resolved_keep)
    if cfg.policy == "topk":
        return TopK(cfg.resolved_keep)
    if cfg.policy == "infobatch":
        return rivals.InfoBatch(cfg.infobatch_ratio, cfg.infobatch_delta)
    if cfg.policy == "online_batch":
        return rivals.OnlineBatch(cfg.selection_pressure)
    if cfg.policy == "importance":
        return rivals.ImportanceSampling(cfg.resolved_keep)
    if cfg.policy == "rho_loss":
        if irreducible_losses is None:
            raise ConfigError("policy='rho_loss' needs the irreducible losses of a holdout "
                              "model: sbexplore.engine.holdout.irreducible_losses(...) gives "
                              "them (the built-in trainer trains that model itself)")
        return rivals.RhoLoss(cfg.resolved_keep, irreducible_losses)
    return Traditional()
