"""The training images a run can show, for its galleries.

A registered dataset's images are read back by source index (`data.raw_image`). Data passed in
code (`train(data=...)`, or your own loop with `Recorder(..., images=...)`) is not on disk for
anyone else, so a finished run stores the images its galleries show: the `STORED_PER_RANKING`
most and least backpropped examples and those with the lowest probability of their label (the
label-error suspects), as `StoredImages` in the run folder. Runs of non-image data have none,
and their image views are skipped with a note (`image_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

STORED_PER_RANKING = 64  # enough for the default galleries (16) and larger ones


@dataclass
class StoredImages:
    """Images of some training examples: `index` (K,) positions, `pixels` (K, H, W, C) uint8."""

    index: np.ndarray
    pixels: np.ndarray

    def get(self, i: int) -> np.ndarray | None:
        hit = np.flatnonzero(self.index == i)
        return self.pixels[hit[0]] if len(hit) else None

    def to_npz(self) -> dict[str, np.ndarray]:
        return {"index": self.index.astype(np.int64), "pixels": self.pixels.astype(np.uint8)}


def as_displayable(x: Any) -> np.ndarray | None:
    """One input as an (H, W, C) uint8 image: uint8 (C, H, W), (H, W, C) or (H, W) as they are;
    float images scaled to their own range. None for inputs that are not images."""
    t = torch.as_tensor(x).detach().cpu()
    if t.ndim == 2:
        t = t.unsqueeze(0)
    if t.ndim != 3 or min(t.shape[-2:]) < 4:
        return None  # a feature vector, or a tiny table: not an image
    if t.shape[0] in (1, 3):
        t = t.permute(1, 2, 0)
    elif t.shape[-1] not in (1, 3):
        return None
    if t.dtype != torch.uint8:
        t = t.float()
        lo, hi = t.min(), t.max()
        t = ((t - lo) / (hi - lo) * 255 if hi > lo else torch.zeros_like(t)).round()
        t = t.clamp(0, 255).to(torch.uint8)
    return t.contiguous().numpy()


def gallery_indices(times_backpropped: np.ndarray, last_prob: np.ndarray,
                    k: int = STORED_PER_RANKING) -> np.ndarray:
    """The examples the galleries show: the k most and least backpropped (ties by index, as
    `analysis.backprop_ranking`) and the k with the lowest probability of their label."""
    n = len(times_backpropped)
    order = np.lexsort((np.arange(n), -times_backpropped.astype(np.int64)))
    least = np.lexsort((np.arange(n), times_backpropped.astype(np.int64)))
    prob = np.where(np.isnan(last_prob), np.inf, last_prob)
    suspects = np.lexsort((np.arange(n), prob))
    return np.unique(np.concatenate([order[:k], least[:k], suspects[:k]]))


def image_reader(images: Any) -> Any:
    """`read(indices) -> list of (H, W, C) uint8 or None` from a tensor or array of inputs
    (N, ...), a map-style dataset (its items' first element) or a callable index -> input."""
    if images is None:
        return None
    if isinstance(images, (torch.Tensor, np.ndarray)):
        return lambda idx: [as_displayable(images[int(i)]) for i in idx]
    if hasattr(images, "__getitem__") and hasattr(images, "__len__"):
        return lambda idx: [as_displayable(images[int(i)][0]) for i in idx]
    if callable(images):
        return lambda idx: [as_displayable(images(int(i))) for i in idx]
    raise TypeError(f"images must be a tensor, a dataset or a callable, not "
                    f"{type(images).__name__}")


def store(read: Any, indices: np.ndarray) -> StoredImages | None:
    """The images of `indices` as StoredImages; None when they are not images (or differ in
    shape, as a folder of unresized photos would)."""
    imgs = read(indices) if read is not None and len(indices) else []
    if not imgs or any(i is None for i in imgs) or len({i.shape for i in imgs}) > 1:
        return None
    return StoredImages(np.asarray(indices, np.int64), np.stack(imgs))
