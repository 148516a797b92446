"""MNIST, Fashion-MNIST, CIFAR-10/100 and SVHN through torchvision's dataset classes.

Each is decoded once into uint8 (N, C, H, W) tensors. Files are fetched only with
`download=True`; when they are missing, a DataError says which files go where under `data_root`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sbexplore.data.registry import DatasetSpec, RawData, register
from sbexplore.errors import ConfigError, DataError

RESIZE_CHUNK = 4096  # images resized per step: bounds the float copy's memory


@dataclass(frozen=True)
class Layout:
    """Where torchvision expects a dataset's files, relative to `data_root`."""

    folder: str  # "" for files directly in data_root
    files: tuple[str, ...]
    size_mb: int  # download size, for the error message

    def missing(self, root: str) -> list[Path]:
        base = Path(root) / self.folder
        return [base / f for f in self.files if not (base / f).is_file()]


_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
LAYOUTS = {
    "mnist": Layout("MNIST/raw", _MNIST_FILES, 12),
    "fashion_mnist": Layout("FashionMNIST/raw", _MNIST_FILES, 30),
    "cifar10": Layout("cifar-10-batches-py", ("batches.meta", "test_batch",
                      *(f"data_batch_{i}" for i in range(1, 6))), 163),
    "cifar100": Layout("cifar-100-python", ("meta", "train", "test"), 161),
    "svhn": Layout("", ("train_32x32.mat", "test_32x32.mat"), 246),
    "svhn_extra": Layout("", ("train_32x32.mat", "extra_32x32.mat", "test_32x32.mat"), 1570),
}


def check_files(name: str, root: str, download: bool) -> None:
    """Raise a DataError naming the missing files and how to get them (unless downloading)."""
    layout = LAYOUTS[name]
    missing = layout.missing(root)
    if missing and not download:
        where = Path(root) / layout.folder
        raise DataError(
            f"dataset={name!r}: files missing under data_root={root}: expected "
            f"{', '.join(p.name for p in missing)} in {where} (torchvision's layout). "
            f"Copy them there, point data_root (--data-root or $SBEXPLORE_DATA) at the folder "
            f"that holds them, or pass --download (download=True) to fetch them "
            f"(about {layout.size_mb} MB).")


def _open(name: str, root: str, download: bool, make: Callable[[], object]) -> object:
    """Build a torchvision dataset, turning its download/integrity errors into DataErrors."""
    check_files(name, root, download)
    try:
        return make()
    except ImportError as exc:  # SVHN's .mat files need scipy
        raise DataError(f"dataset={name!r} needs {exc.name or 'scipy'} to read its files: "
                        f"pip install {exc.name or 'scipy'}") from exc
    except (OSError, RuntimeError, ValueError) as exc:
        action = "downloading it into" if download else "reading it from"
        raise DataError(f"dataset={name!r}: {action} data_root={root} failed ({exc}). "
                        f"Check the files in {Path(root) / LAYOUTS[name].folder}, or delete "
                        f"them and pass --download (download=True) to fetch fresh copies."
                        ) from exc


def resize_images(x: torch.Tensor, size: int | None) -> torch.Tensor:
    """Square-resize uint8 images (antialiased bilinear) when `size` differs from theirs."""
    if size is None or (x.shape[-2] == size and x.shape[-1] == size):
        return x
    if size < 8:
        raise ConfigError(f"image_size={size} is not allowed: must be >= 8 (or None for the "
                          "dataset's own size)")
    out = torch.empty((x.shape[0], x.shape[1], size, size), dtype=torch.uint8)
    for s in range(0, len(x), RESIZE_CHUNK):
        chunk = F.interpolate(x[s:s + RESIZE_CHUNK].float(), size=(size, size), mode="bilinear",
                              antialias=True, align_corners=False)
        out[s:s + RESIZE_CHUNK] = chunk.round_().clamp_(0, 255).to(torch.uint8)
    return out


def _mnist_like(name: str, cls_name: str, digit_names: bool):
    def load(root: str, download: bool, image_size: int | None) -> RawData:
        from torchvision import datasets

        cls = getattr(datasets, cls_name)
        train = _open(name, root, download, lambda: cls(root, train=True, download=download))
        test = _open(name, root, download, lambda: cls(root, train=False, download=download))
        classes = [str(i) for i in range(10)] if digit_names else list(train.classes)
        return RawData(resize_images(train.data[:, None].contiguous(), image_size),
                       train.targets.long(), resize_images(test.data[:, None].contiguous(),
                       image_size), test.targets.long(), classes)

    return load


def _cifar(name: str, cls_name: str):
    def load(root: str, download: bool, image_size: int | None) -> RawData:
        from torchvision import datasets

        cls = getattr(datasets, cls_name)
        train = _open(name, root, download, lambda: cls(root, train=True, download=download))
        test = _open(name, root, download, lambda: cls(root, train=False, download=download))

        def images(ds) -> torch.Tensor:  # NHWC numpy -> NCHW tensor
            return resize_images(torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous(),
                                 image_size)

        return RawData(images(train), torch.tensor(train.targets, dtype=torch.long),
                       images(test), torch.tensor(test.targets, dtype=torch.long),
                       list(train.classes))

    return load


def _svhn(name: str, train_splits: tuple[str, ...]):
    def load(root: str, download: bool, image_size: int | None) -> RawData:
        from torchvision import datasets

        def split(s: str) -> tuple[np.ndarray, np.ndarray]:
            ds = _open(name, root, download,
                       lambda: datasets.SVHN(root, split=s, download=download))
            return ds.data, ds.labels  # (N, 3, 32, 32) uint8; labels already 0..9

        parts = [split(s) for s in train_splits]
        x_test, y_test = split("test")
        x_train = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        y_train = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        return RawData(resize_images(torch.from_numpy(x_train), image_size),
                       torch.from_numpy(y_train.astype(np.int64)),
                       resize_images(torch.from_numpy(x_test), image_size),
                       torch.from_numpy(y_test.astype(np.int64)), [str(i) for i in range(10)])

    return load


register(DatasetSpec("mnist", _mnist_like("mnist", "MNIST", True),
                     "MNIST handwritten digits, 28x28 grey (60,000 train / 10,000 test)", 60_000))
register(DatasetSpec("fashion_mnist", _mnist_like("fashion_mnist", "FashionMNIST", False),
                     "Fashion-MNIST clothes, 28x28 grey (60,000 train / 10,000 test)", 60_000))
register(DatasetSpec("cifar10", _cifar("cifar10", "CIFAR10"),
                     "CIFAR-10, 32x32 colour, 10 classes (50,000 train / 10,000 test)", 50_000))
register(DatasetSpec("cifar100", _cifar("cifar100", "CIFAR100"),
                     "CIFAR-100, 32x32 colour, 100 classes (50,000 train / 10,000 test)", 50_000))
register(DatasetSpec("svhn", _svhn("svhn", ("train",)),
                     "SVHN house numbers, 32x32 colour, train split (73,257 train / 26,032 test)",
                     73_257))
register(DatasetSpec("svhn_extra", _svhn("svhn_extra", ("train", "extra")),
                     "SVHN train + extra splits, as in the paper (604,388 train / 26,032 test)",
                     604_388))
