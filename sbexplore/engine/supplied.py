"""What a loop supplied itself, described for the run's meta: the model's class and size, the
optimizer and its hyperparameters, the learning-rate scheduler, the loss. A hand-written loop's
record says these instead of RunConfig defaults it never used."""

from __future__ import annotations

import math
from typing import Any

from torch import nn

NOT_GIVEN = "user-supplied (not given to the Recorder)"


def _plain(v: Any) -> Any:
    """A JSON-able hyperparameter value, or None for anything else (tensors, callables)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, (tuple, list)) and all(isinstance(x, (int, float)) for x in v):
        return list(v)
    return None


def describe_model(model: nn.Module) -> dict[str, Any]:
    """`{"model_class": "Net", "model_parameters": 1199882}` (meta keys)."""
    model = getattr(model, "_orig_mod", model)  # torch.compile's wrapper: the model inside
    return {"model_class": type(model).__name__,
            "model_parameters": int(sum(p.numel() for p in model.parameters()))}


def describe_optimizer(opt: Any) -> dict[str, Any] | str:
    """The optimizer's class and its first parameter group's hyperparameters."""
    if opt is None:
        return NOT_GIVEN
    group = opt.param_groups[0] if getattr(opt, "param_groups", None) else {}
    flags = {"params", "maximize", "differentiable", "foreach", "capturable", "fused",
             "decoupled_weight_decay"}  # implementation switches, not hyperparameters
    params = {k: _plain(v) for k, v in group.items()
              if k not in flags and not (k in ("maximize",) and v is False)}
    return {"class": type(opt).__name__, **{k: v for k, v in params.items() if v is not None}}


def describe_scheduler(sched: Any) -> dict[str, Any] | str:
    """The scheduler's class and its settings (its state, less the step counters)."""
    if sched is None:
        return NOT_GIVEN
    state = sched.state_dict() if hasattr(sched, "state_dict") else {}
    skip = {"last_epoch", "_step_count", "_get_lr_called_within_step", "_last_lr",
            "base_lrs", "verbose", "_is_initial"}
    params = {k: _plain(v) for k, v in state.items() if k not in skip and not k.startswith("_")}
    return {"class": type(sched).__name__, **{k: v for k, v in params.items() if v is not None}}


def describe_loss(fn: Any, default: bool) -> str:
    """The loss function's name; `(default)` for the Selector's own cross-entropy."""
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return f"{name} (default: cross-entropy, reduction='none')" if default else name
