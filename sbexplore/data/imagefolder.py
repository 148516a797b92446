"""Your own images: `data_root/train/<class>/*` and `data_root/test/<class>/*` (or `val/`).

Listed by torchvision's ImageFolder, decoded once in parallel threads, each image resized (shorter
side) and centre-cropped to `image_size` x `image_size` (default 32). Folders whose images are all
grey give 1-channel data, others RGB.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from sbexplore.data.registry import DatasetSpec, RawData, register
from sbexplore.errors import ConfigError, DataError

DEFAULT_IMAGE_SIZE = 32
MIN_IMAGE_SIZE = 8
TEST_DIRS = ("test", "val")
MEMORY_SHARE = 0.75  # decoded data may use this share of the available RAM (training copies some)
MAX_CHUNK = 256  # images per decoding task: amortises the thread-pool overhead
LAYOUT = "data_root/train/<class>/*.jpg|png|... and data_root/test/<class>/* (or val/)"


def available_memory() -> int | None:
    """Bytes of RAM available to this process now (None when unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _split_dirs(root: Path) -> tuple[Path, Path]:
    if not root.is_dir():
        raise DataError(f"dataset='imagefolder': data_root={root} is not a folder; expected "
                        f"{LAYOUT}")
    train = root / "train"
    test = next((root / d for d in TEST_DIRS if (root / d).is_dir()), None)
    if not train.is_dir() or test is None:
        missing = "train/" if not train.is_dir() else "test/ (or val/)"
        nested = [p for p in root.iterdir() if p.is_dir() and (p / "train").is_dir()]
        hint = f"; did you mean data_root={nested[0]}?" if len(nested) == 1 else ""
        raise DataError(f"dataset='imagefolder': no {missing} folder in data_root={root}; "
                        f"expected {LAYOUT}{hint}")
    return train, test


def _scan(split: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """Class names and (path, class index) samples of one split, refusing empty classes."""
    from torchvision.datasets import ImageFolder

    try:
        ds = ImageFolder(str(split), allow_empty=True)
    except FileNotFoundError as exc:
        raise DataError(f"dataset='imagefolder': {split} has no class folders ({exc}); "
                        f"expected {LAYOUT}") from exc
    counts = np.bincount(np.asarray(ds.targets, dtype=np.int64), minlength=len(ds.classes))
    empty = [c for c, k in zip(ds.classes, counts, strict=True) if k == 0]
    if empty:
        raise DataError(f"dataset='imagefolder': class folder(s) {empty} in {split} hold no "
                        f"images (.jpg, .jpeg, .png, .bmp, .webp, .tif, ...); add images or "
                        f"remove the folder(s)")
    return list(ds.classes), list(ds.samples)


def decode_image(path: str, size: int) -> np.ndarray:
    """One image as (size, size, 3) uint8: shorter side resized to `size`, centre-cropped."""
    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (size, size))  # JPEG: decode at a reduced scale when much larger
        im = im.convert("RGB")
        w, h = im.size
        if (w, h) != (size, size):
            scale = size / min(w, h)
            nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
            im = im.resize((nw, nh), Image.Resampling.BILINEAR)
            left, top = (nw - size) // 2, (nh - size) // 2
            im = im.crop((left, top, left + size, top + size))
        return np.asarray(im)


def _decode_all(samples: list[tuple[str, int]], size: int, workers: int) -> torch.Tensor:
    out = np.empty((len(samples), 3, size, size), dtype=np.uint8)  # NCHW: no copy afterwards
    # PIL decodes without the GIL: big images gain from threads, tiny ones mostly from chunking
    chunk = max(16, min(MAX_CHUNK, len(samples) // (8 * workers) + 1))

    def work(start: int) -> None:
        for i in range(start, min(start + chunk, len(samples))):
            path = samples[i][0]
            try:
                out[i] = decode_image(path, size).transpose(2, 0, 1)
            except Exception as exc:  # PIL raises many types for a bad file
                raise DataError(f"dataset='imagefolder': cannot read image {path} ({exc}); "
                                "remove or replace it") from exc

    with ThreadPoolExecutor(max_workers=workers) as pool:  # list(): re-raises a worker's error
        list(pool.map(work, range(0, len(samples), chunk)))
    return torch.from_numpy(out)


def _is_grey(x: torch.Tensor) -> bool:
    for s in range(0, len(x), 4096):  # chunked: a colour set answers at the first chunk
        c = x[s:s + 4096]
        if not (torch.equal(c[:, 0], c[:, 1]) and torch.equal(c[:, 1], c[:, 2])):
            return False
    return True


def load_imagefolder(root: str, download: bool, image_size: int | None) -> RawData:
    size = DEFAULT_IMAGE_SIZE if image_size is None else image_size
    if size < MIN_IMAGE_SIZE:
        raise ConfigError(f"image_size={size} is not allowed for dataset='imagefolder': must be "
                          f">= {MIN_IMAGE_SIZE} (None means {DEFAULT_IMAGE_SIZE})")
    train_dir, test_dir = _split_dirs(Path(root))
    classes, train = _scan(train_dir)
    test_classes, test = _scan(test_dir)
    if classes != test_classes:
        only_train = sorted(set(classes) - set(test_classes))
        only_test = sorted(set(test_classes) - set(classes))
        raise DataError(f"dataset='imagefolder': the class folders of {train_dir} and "
                        f"{test_dir} differ (only in train: {only_train}; only in "
                        f"{test_dir.name}: {only_test}); both need the same classes")
    need = (len(train) + len(test)) * 3 * size * size
    avail = available_memory()
    if avail is not None and need > MEMORY_SHARE * avail:
        raise DataError(f"dataset='imagefolder': {len(train) + len(test):,} images at "
                        f"image_size={size} need {need / 2**30:.1f} GiB decoded, more than "
                        f"{MEMORY_SHARE:.0%} of the {avail / 2**30:.1f} GiB of RAM available; "
                        f"use a smaller image_size or fewer images")
    workers = min(16, os.cpu_count() or 1)
    x_train, x_test = _decode_all(train, size, workers), _decode_all(test, size, workers)
    if _is_grey(x_train) and _is_grey(x_test):
        x_train, x_test = x_train[:, :1], x_test[:, :1]
    return RawData(x_train.contiguous(), torch.tensor([t for _, t in train], dtype=torch.long),
                   x_test.contiguous(), torch.tensor([t for _, t in test], dtype=torch.long),
                   classes)


register(DatasetSpec(
    name="imagefolder",
    load=load_imagefolder,
    description=f"your images: {LAYOUT}, resized/cropped to image_size (default 32)",
))
