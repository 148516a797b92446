"""The dataset registry: adding a dataset is one `register(DatasetSpec(...))` call (and a
recipe, `config.recipes.register_recipe`)."""

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
class DatasetSpec:
    """How to load a dataset. `load(root, download, image_size)` returns RawData or raises
    DataError saying which files go where. How to train on it is its recipe
    (`config.recipes`), which a registered dataset needs."""

    name: str
    load: Callable[[str, bool, int | None], RawData]
    description: str
    num_train: int | None = None  # training examples, where known before loading
    needs_root: bool = True  # False for data bundled with a package (digits)


DATASETS: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    DATASETS[spec.name] = spec
    return spec
