"""The dataset registry: adding a dataset is one `register(DatasetSpec(...))` call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class RawData:
    """A decoded dataset: uint8 images (N, C, H, W) and int64 labels, on the CPU."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]


@dataclass(frozen=True)
class Recipe:
    """How to train the default model (`cnn`) on a dataset; chosen by measurement (see
    BENCHMARKS.md, "Recipes"). A RunConfig field left None takes the value here."""

    lr: float  # peak learning rate (SGD, Nesterov momentum 0.9, weight decay 5e-4)
    batch_size: int
    epochs: int
    lr_schedule: str = "cosine"  # decays to 0 at `epochs`: late SB steps stay small
    warmup_epochs: float = 1.0  # linear warm-up over the first epoch: no early divergence
    augment: str = "none"
    cutout: int = 0
    prime_examples: int = 0  # backprop everything until this many examples were backpropped


@dataclass(frozen=True)
class DatasetSpec:
    """How to load a dataset and how to train on it by default.

    `load(root, download, image_size)` returns RawData or raises DataError saying which files
    go where. `recipe` holds the defaults a RunConfig inherits for fields it leaves None.
    """

    name: str
    load: Callable[[str, bool, int | None], RawData]
    description: str
    recipe: Recipe
    needs_root: bool = True  # False for data bundled with a package (digits)

    @property
    def augment(self) -> str:
        return self.recipe.augment

    @property
    def cutout(self) -> int:
        return self.recipe.cutout


DATASETS: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    DATASETS[spec.name] = spec
    return spec
