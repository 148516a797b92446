"""Your own datasets in a hand-written loop: indices, labels, and label errors injected.

- `WithIndices(ds)`: yields (input, label, index), what `Selector.batches` needs.
- `dataset_labels(ds)`: one label per example, in index order, from any map-style dataset
  (`TensorDataset`, torchvision's `.targets`, `Subset` and `WithIndices` of those, else read
  once item by item); what `Recorder(cfg, train_set)` reads.
- `Mislabeled(ds, fraction, seed=...)`: the dataset with `round(fraction * N)` labels made wrong,
  exactly as the built-in loop's `mislabel_fraction` does; `Recorder(cfg, Mislabeled(...))`
  records the true labels and which were changed, so pick rates are measured.
"""

from __future__ import annotations

from typing import Any

import torch

from sbexplore.data import mislabel
from sbexplore.errors import ConfigError


def dataset_labels(ds: Any) -> torch.Tensor:
    """The labels (N,) int64 of a map-style dataset of (input, label, ...) items."""
    if isinstance(ds, Mislabeled):
        return ds.labels
    inner = getattr(ds, "dataset", None)
    if isinstance(ds, torch.utils.data.Subset):
        return dataset_labels(inner)[torch.as_tensor(ds.indices, dtype=torch.long)]
    if isinstance(ds, WithIndices):
        return dataset_labels(inner)
    if isinstance(ds, torch.utils.data.TensorDataset) and len(ds.tensors) >= 2:
        return _as_labels(ds.tensors[1], "TensorDataset's second tensor")
    targets = getattr(ds, "targets", None)
    if targets is not None:
        return _as_labels(targets, f"{type(ds).__name__}.targets")
    if not hasattr(ds, "__len__") or not hasattr(ds, "__getitem__"):
        raise ConfigError(f"labels must be a tensor of class indices or a map-style dataset "
                          f"(len and [i]), not {type(ds).__name__}")
    return _as_labels([int(ds[i][1]) for i in range(len(ds))], "the dataset's labels")


def _as_labels(v: Any, what: str) -> torch.Tensor:
    y = torch.as_tensor(v)
    if y.ndim != 1 or y.dtype.is_floating_point or y.dtype == torch.bool:
        raise ConfigError(f"{what} must be 1-d integer class indices, got shape "
                          f"{tuple(y.shape)} and dtype {y.dtype}")
    return y.long()


class Mislabeled(torch.utils.data.Dataset):
    """`dataset` with `round(fraction * N)` training labels made wrong (seeded, as the built-in
    loop's `mislabel_fraction`; `mode` flip or shuffle, see `data.mislabel`). Items are the
    dataset's with the label replaced; `labels`, `true_labels` and `mislabeled` say what
    changed. `num_classes`: None reads it from the labels (max + 1)."""

    def __init__(self, dataset: Any, fraction: float, *, seed: int = 0, mode: str = "flip",
                 num_classes: int | None = None):
        if not 0 <= fraction < 1:
            raise ConfigError(f"fraction={fraction!r} is not allowed: 0 <= fraction < 1")
        if mode not in ("flip", "shuffle"):
            raise ConfigError(f"mode={mode!r} is not allowed: flip or shuffle")
        self.dataset, self.fraction, self.seed, self.mode = dataset, float(fraction), seed, mode
        self.true_labels = dataset_labels(dataset)
        k = num_classes or int(self.true_labels.max()) + 1
        self.labels, self.mislabeled = mislabel(self.true_labels, fraction, k, seed, mode)

    @classmethod
    def from_config(cls, dataset: Any, cfg: Any, num_classes: int | None = None) -> Mislabeled:
        """The dataset with `cfg.mislabel_fraction`, `cfg.mislabel_mode` and `cfg.seed`."""
        return cls(dataset, cfg.mislabel_fraction, seed=cfg.seed, mode=cfg.mislabel_mode,
                   num_classes=num_classes)

    def __len__(self) -> int:
        return len(self.true_labels)

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        x, _, *rest = self.dataset[i]
        return (x, self.labels[i], *rest)


class WithIndices(torch.utils.data.Dataset):
    """Wraps a map-style dataset of (input, label) so it also yields each example's index."""

    def __init__(self, dataset: Any):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple[Any, Any, int]:
        x, y = self.dataset[i][:2]
        return x, y, i
