"""Named starting points: the paper's protocol and quick CPU runs (`RunConfig.from_preset`).

`paper-*` follow the paper's runs: the learning-rate schedule and the stop are keyed by *epochs*
(examples seen), as the original's `--forwardlr` option does and its experiment scripts pass, so
SB and traditional training decay at the same epoch and stop at the same epoch; SB's speedup is
then what it saves per epoch. Sources, cited per value below:
  [train.py]  angelajiang/SelectiveBackprop, examples/train.py (argparse defaults, optimizer,
              MultiStepLR, the three example command lines in its header)
  [SBP]       angelajiang/SelectiveBackprop, lib/SelectiveBackpropper.py
  [NOTES]     ../shared/NOTES.md (forwardlr in the paper's scripts; Cutout fills the mean)
`paper-*-backprop-keyed` key the schedule and the stop by backprops instead (the library's
default without `--forwardlr`): a milestone of 60 means "after 60 epochs' worth of backpropagated
examples", so SB runs ~1/keep times more epochs and is a different experiment from the paper's.
"""

from __future__ import annotations

from typing import Any

from sbexplore.errors import ConfigError

_SGD: dict[str, Any] = {
    "batch_size": 128,  # [train.py] --batch_size default 128
    "momentum": 0.9, "nesterov": True,  # [train.py] SGD(momentum=0.9, nesterov=True, ...)
    "weight_decay": 5e-4,  # [train.py] SGD(..., weight_decay=5e-4)
    "warmup_epochs": 0.0,  # [train.py] no warm-up
    "lr_schedule": "multistep",  # [train.py] MultiStepLR
    "schedule_unit": "epochs",  # [NOTES] --forwardlr: lr changes keyed by examples seen
    "policy": "sb",
    "beta": 3.0,  # [train.py] --prob_pow default 3
    "staleness": 1,  # plain SB; Stale-SB is staleness=3 ([train.py] --staleness default 3)
}

_PAPER_CIFAR: dict[str, Any] = {
    **_SGD,
    "model": "resnet18",  # [train.py] --model default resnet18 (CIFAR commands)
    "lr": 0.1,  # [train.py] --learning_rate default 0.1
    "augment": "crop+flip",  # [train.py] --data_augmentation: RandomCrop(32, 4) + flip
    "milestones": [60, 120, 160], "lr_decay": 0.2,  # [train.py] MultiStepLR CIFAR branch
    "epochs": 200,  # stop after the last decay has run 40 epochs (160 + 40), keyed by epochs
    "prime_examples": 50_000,  # [SBP] num_images_to_prime = training-set size: one epoch
    "dropout": 0.0,  # [train.py] ResNet18 has no dropout
}

PRESETS: dict[str, dict[str, Any]] = {
    "paper-cifar10": {**_PAPER_CIFAR, "dataset": "cifar10",
                      "cutout": 16},  # [train.py] header: cifar10 --cutout --length 16
    "paper-cifar100": {**_PAPER_CIFAR, "dataset": "cifar100",
                       "cutout": 8},  # [train.py] header: cifar100 --cutout --length 8
    "paper-svhn": {
        **_SGD,
        "dataset": "svhn_extra",  # [train.py] svhn branch concatenates train + extra
        "model": "wrn16_8",  # [train.py] WideResNet(depth=16, widen_factor=8) for svhn
        "dropout": 0.4,  # [train.py] dropRate=0.4 for svhn
        "lr": 0.01,  # [train.py] header: svhn --learning_rate 0.01
        "augment": "none",  # [train.py] header: the svhn command has no --data_augmentation
        "cutout": 20,  # [train.py] header: svhn --cutout --length 20
        "milestones": [80, 120], "lr_decay": 0.1,  # [train.py] MultiStepLR svhn branch
        "epochs": 160,  # [train.py] header: svhn --epochs 160
        "prime_examples": 604_388,  # [SBP] one epoch of train + extra
    },
    # quick CPU runs on top of the dataset's recipe: SB selects from the second epoch
    "quick-mnist": {"dataset": "mnist", "model": "cnn", "epochs": 2, "policy": "sb",
                    "beta": 2.0},
    "quick-fashion-mnist": {"dataset": "fashion_mnist", "model": "cnn", "epochs": 5,
                            "policy": "sb", "beta": 2.0},
}


def _backprop_keyed(p: dict[str, Any]) -> dict[str, Any]:
    """The same recipe with schedule and stop keyed by backprops (epochs only cap SB's run)."""
    return {**p, "schedule_unit": "backprops", "max_backprop_epochs": float(p["epochs"]),
            "epochs": int(p["epochs"] * (p["beta"] + 1) * 1.5)}  # room for SB's ~1/keep epochs


for _name in ("paper-cifar10", "paper-cifar100", "paper-svhn"):
    PRESETS[f"{_name}-backprop-keyed"] = _backprop_keyed(PRESETS[_name])

DESCRIPTIONS = {
    "paper-cifar10": "ResNet-18, crop+flip+Cutout 16, lr 0.1 x0.2 at epochs 60/120/160, 200 "
                     "epochs, β=3 (the paper's protocol: keyed by epochs)",
    "paper-cifar100": "as paper-cifar10 on CIFAR-100 with Cutout 8",
    "paper-svhn": "WRN-16-8 (dropout 0.4) on train+extra, Cutout 20, lr 0.01 x0.1 at epochs "
                  "80/120, 160 epochs, β=3",
    "paper-cifar10-backprop-keyed": "paper-cifar10 with the schedule and the stop keyed by "
                                    "backprops (200 epochs' worth); SB runs ~4x the epochs",
    "paper-cifar100-backprop-keyed": "paper-cifar100 keyed by backprops",
    "paper-svhn-backprop-keyed": "paper-svhn keyed by backprops (160 epochs' worth)",
    "quick-mnist": "small CNN, 2 epochs on MNIST with its recipe (~98-99% on a CPU)",
    "quick-fashion-mnist": "small CNN, 5 epochs on Fashion-MNIST with its recipe",
}


def preset_fields(name: str) -> dict[str, Any]:
    """The RunConfig fields of preset `name` (a copy: safe to modify)."""
    if name not in PRESETS:
        raise ConfigError(f"preset={name!r} is not allowed: one of {', '.join(sorted(PRESETS))}")
    return {k: list(v) if isinstance(v, list) else v for k, v in PRESETS[name].items()}


__all__ = ["DESCRIPTIONS", "PRESETS", "preset_fields"]
