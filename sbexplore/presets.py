"""Named starting points: the paper's recipes and quick CPU runs (`RunConfig.from_preset`).

The paper's learning-rate schedules are keyed by backprops (`schedule_unit="backprops"`): a
milestone of 60 means "after 60 epochs' worth of backpropagated examples", so SB and traditional
training decay at the same amount of learning. Runs stop at the traditional run's backprop budget
(`max_backprop_epochs`, in epochs' worth, so it fits any training-set size: subsets and image
folders too); `epochs` only caps SB's longer run.
"""

from __future__ import annotations

from typing import Any

from sbexplore.errors import ConfigError

_PAPER_CIFAR: dict[str, Any] = {
    "model": "resnet18", "batch_size": 128, "lr": 0.1, "momentum": 0.9, "nesterov": True,
    "weight_decay": 5e-4, "augment": "crop+flip", "lr_schedule": "multistep",
    "schedule_unit": "backprops", "milestones": [60, 120, 160], "lr_decay": 0.2,
    "max_backprop_epochs": 200,  # traditional's 200 epochs
    "epochs": 1000,  # SB at beta=2 needs ~600 epochs for the same backprops
    "policy": "sb", "beta": 2.0,
}

PRESETS: dict[str, dict[str, Any]] = {
    "paper-cifar10": {**_PAPER_CIFAR, "dataset": "cifar10", "cutout": 16},
    "paper-cifar100": {**_PAPER_CIFAR, "dataset": "cifar100", "cutout": 8},
    "paper-svhn": {
        "dataset": "svhn_extra", "model": "wrn16_8", "dropout": 0.4, "batch_size": 128,
        "lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4, "augment": "none",
        "cutout": 20, "lr_schedule": "multistep", "schedule_unit": "backprops",
        "milestones": [80, 120], "lr_decay": 0.1, "max_backprop_epochs": 160,
        "epochs": 800, "policy": "sb", "beta": 2.0,
    },
    # quick CPU runs: a few minutes on a laptop, no augmentation (it pays off only over many
    # epochs); SB from the second epoch, as in the paper
    "quick-mnist": {
        "dataset": "mnist", "model": "cnn", "epochs": 2, "batch_size": 128, "lr": 0.05,
        "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4, "augment": "none",
        "cutout": 0, "lr_schedule": "constant", "policy": "sb", "beta": 2.0,
    },
    "quick-fashion-mnist": {
        "dataset": "fashion_mnist", "model": "cnn", "epochs": 5, "batch_size": 128,
        "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4, "augment": "none",
        "cutout": 0, "lr_schedule": "cosine", "policy": "sb", "beta": 2.0,
    },
}

DESCRIPTIONS = {
    "paper-cifar10": "ResNet-18, crop+flip+Cutout 16, lr 0.1 x0.2 at 60/120/160 epochs of "
                     "backprops, 200 epochs' worth",
    "paper-cifar100": "as paper-cifar10 on CIFAR-100 with Cutout 8",
    "paper-svhn": "WRN-16-8 (dropout 0.4) on train+extra, Cutout 20, lr 0.01 x0.1 at 80/120 "
                  "epochs of backprops, 160 epochs' worth",
    "quick-mnist": "small CNN, 2 epochs on MNIST (~97-99% test accuracy on a CPU)",
    "quick-fashion-mnist": "small CNN, 5 epochs on Fashion-MNIST with a cosine schedule",
}


def preset_fields(name: str) -> dict[str, Any]:
    """The RunConfig fields of preset `name` (a copy: safe to modify)."""
    if name not in PRESETS:
        raise ConfigError(f"preset={name!r} is not allowed: one of {', '.join(sorted(PRESETS))}")
    return {k: list(v) if isinstance(v, list) else v for k, v in PRESETS[name].items()}


__all__ = ["DESCRIPTIONS", "PRESETS", "preset_fields"]
