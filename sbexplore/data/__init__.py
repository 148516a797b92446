"""Datasets as device-resident tensors: registry, loading, subsets, mislabels, raw images."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

# these register their datasets; torchvision_sets and imagefolder import torchvision only when
# one is loaded, so an import error here is a real fault to report, never a "missing dataset"
from sbexplore.data import digits as _digits  # noqa: F401
from sbexplore.data import imagefolder as _imf  # noqa: F401
from sbexplore.data import torchvision_sets as _tv  # noqa: F401
from sbexplore.data.registry import DATASETS, DatasetSpec, RawData, register

__all__ = ["DATASETS", "DatasetSpec", "RawData", "TrainData", "channel_stats", "clear_cache",
           "default_data_root", "load_data", "load_raw", "mislabel", "raw_image", "register",
           "subset_indices"]

SUBSET_SEED = 12345  # train_subset is the same for every run seed, so runs compare on equal data


def default_data_root() -> str:
    """`$SBEXPLORE_DATA`, else ~/.cache/sbexplore/data."""
    return os.environ.get("SBEXPLORE_DATA") or str(Path.home() / ".cache" / "sbexplore" / "data")


@dataclass
class TrainData:
    """What the training loop needs, already on its device."""

    x_train: torch.Tensor  # uint8 (N, C, H, W)
    y_train: torch.Tensor  # labels as trained (after mislabeling)
    true_train: torch.Tensor  # the dataset's labels
    mislabeled: torch.Tensor  # bool (N,)
    x_test: torch.Tensor
    y_test: torch.Tensor
    source_index: torch.Tensor  # (N,) index of each example in the original training set
    classes: list[str]
    mean: torch.Tensor  # (1, C, 1, 1) in [0, 1] pixel units
    std: torch.Tensor

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 images -> float, per-channel standardised."""
        return (x.float().div_(255.0) - self.mean) / self.std

    def subset(self, idx: torch.Tensor) -> TrainData:
        """The same data with only the training examples `idx` (test set unchanged)."""
        return dataclasses.replace(
            self, x_train=self.x_train[idx], y_train=self.y_train[idx],
            true_train=self.true_train[idx], mislabeled=self.mislabeled[idx],
            source_index=self.source_index[idx])


_CACHE: OrderedDict[tuple[str, str, int | None], RawData] = OrderedDict()
_CACHE_SIZE = 2  # decoded datasets kept per process (CIFAR-10 is ~180 MB)
_CACHE_LOCK = threading.Lock()  # two runs starting together decode once


def load_raw(dataset: str, data_root: str | None = None, image_size: int | None = None,
             download: bool = False) -> RawData:
    """Decode a registered dataset once per process (cached by dataset, folder and size)."""
    spec = DATASETS[dataset]
    root = str(Path(data_root or default_data_root()).expanduser().absolute())
    key = (dataset, root if spec.needs_root else "", image_size)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        raw = spec.load(root, download, image_size)
        _CACHE[key] = raw
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return raw


def clear_cache() -> None:
    """Forget decoded datasets (e.g. after changing the files of an image folder)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def channel_stats(x: torch.Tensor, sample: int = 10000) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std in [0, 1] units from an evenly strided sample of the images."""
    xf = x[::max(1, len(x) // sample)][:sample].float().div_(255.0)
    mean = xf.mean(dim=(0, 2, 3)).view(1, -1, 1, 1)
    std = xf.std(dim=(0, 2, 3)).clamp_min(1e-3).view(1, -1, 1, 1)
    return mean, std


def subset_indices(n: int, k: int | None) -> torch.Tensor:
    """The fixed, seeded subset of k of n training examples (all of them when k is None)."""
    if k is None:
        return torch.arange(n)
    if k > n:
        from sbexplore.errors import ConfigError

        raise ConfigError(f"train_subset={k} is not allowed: the training set has only {n} "
                          "examples")
    g = torch.Generator().manual_seed(SUBSET_SEED)
    return torch.randperm(n, generator=g)[:k].sort().values


def mislabel(labels: torch.Tensor, fraction: float, num_classes: int, seed: int,
             mode: str = "flip") -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt round(fraction*N) labels chosen with `seed`; returns (labels, wrong mask).

    "flip": each gets a uniformly drawn other class (all of them end up wrong). "shuffle": their
    labels are permuted among themselves, as in the paper's runs: class counts are kept and about
    1/num_classes of them stay correct (not marked wrong)."""
    n = len(labels)
    k = round(fraction * n)
    g = torch.Generator().manual_seed(seed + 7919)
    which = torch.randperm(n, generator=g)[:k]
    noisy = labels.clone()
    if mode == "shuffle":
        noisy[which] = labels[which[torch.randperm(k, generator=g)]]
    else:
        shift = torch.randint(1, num_classes, (k,), generator=g)
        noisy[which] = (labels[which] + shift) % num_classes
    return noisy, noisy != labels


def load_data(cfg, device: torch.device) -> TrainData:
    """Load `cfg.dataset`, apply `train_subset` and `mislabel_fraction`, move it to `device`."""
    raw = load_raw(cfg.dataset, cfg.data_root, cfg.image_size, cfg.download)
    src = subset_indices(len(raw.y_train), cfg.train_subset)
    x, true = raw.x_train[src], raw.y_train[src]
    y, flipped = mislabel(true, cfg.mislabel_fraction, len(raw.classes), cfg.seed,
                          cfg.mislabel_mode)
    # dataset-level statistics (not the subset's): a strided sample also covers every class of
    # class-sorted data such as image folders
    mean, std = channel_stats(raw.x_train)
    return TrainData(
        x_train=x.to(device), y_train=y.to(device), true_train=true.to(device),
        mislabeled=flipped.to(device), x_test=raw.x_test.to(device), y_test=raw.y_test.to(device),
        source_index=src.to(device), classes=list(raw.classes), mean=mean.to(device),
        std=std.to(device),
    )


def raw_image(dataset: str, source_index: int, data_root: str | None = None,
              image_size: int | None = None) -> np.ndarray:
    """The displayable image (H, W, C) uint8 of a training example by its original index."""
    raw = load_raw(dataset, data_root, image_size)
    return raw.x_train[source_index].permute(1, 2, 0).numpy()
