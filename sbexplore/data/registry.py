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
class DatasetSpec:
    """How to load a dataset and how to train on it by default.

    `load(root, download, image_size)` returns RawData or raises DataError saying which files
    go where. `augment`/`cutout` are the defaults a RunConfig inherits when it leaves them None.
    """

    name: str
    load: Callable[[str, bool, int | None], RawData]
    description: str
    augment: str = "none"
    cutout: int = 0
    needs_root: bool = True  # False for data bundled with a package (digits)


DATASETS: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    DATASETS[spec.name] = spec
    return spec
