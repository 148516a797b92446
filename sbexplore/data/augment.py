"""Batched, on-device augmentation: random crop, horizontal flip, Cutout. Seeded by a Generator."""

from __future__ import annotations

import torch

CROP_PADDING = 4  # at 32x32, as in the paper; other sizes scale it (see crop_padding)


def random_crop(x: torch.Tensor, pad: int, gen: torch.Generator) -> torch.Tensor:
    """Zero-pad by `pad` and crop each image back to its size at a random offset."""
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n, 1), generator=gen, device=x.device)
    dx = torch.randint(0, 2 * pad + 1, (n, 1), generator=gen, device=x.device)
    rows = (dy + torch.arange(h, device=x.device))[:, :, None]  # (n, h, 1)
    cols = (dx + torch.arange(w, device=x.device))[:, None, :]  # (n, 1, w)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def random_flip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    flip = torch.rand(x.shape[0], generator=gen, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def cutout(x: torch.Tensor, length: int, gen: torch.Generator,
           fill: torch.Tensor | None = None) -> torch.Tensor:
    """Fill a `length`-sided square (clipped at the border) at a random centre of each image
    with `fill` ((1, C, 1, 1) in [0, 1] units: the dataset mean, so that the hole is 0 after
    normalisation, as in the original, which masks normalised images); None fills 0."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n, 1, 1), generator=gen, device=x.device)
    cx = torch.randint(0, w, (n, 1, 1), generator=gen, device=x.device)
    yy = torch.arange(h, device=x.device)[None, :, None]
    xx = torch.arange(w, device=x.device)[None, None, :]
    half = length // 2
    top, left = cy - half, cx - half
    hole = (yy >= top) & (yy < top + length) & (xx >= left) & (xx < left + length)
    if fill is None:
        return x.masked_fill(hole[:, None], 0)
    value = (fill.reshape(1, -1, 1, 1) * 255).round().to(x.dtype)
    return torch.where(hole[:, None], value, x)


def crop_padding(size: int) -> int:
    """The crop padding for `size`-pixel images: 4 at 32 (the paper's), scaled with the size."""
    return max(1, round(size * CROP_PADDING / 32))


def augment_batch(x: torch.Tensor, mode: str, cutout_len: int, gen: torch.Generator,
                  fill: torch.Tensor | None = None) -> torch.Tensor:
    """Apply `mode` (none | crop | crop+flip) to uint8 images, then Cutout if `cutout_len` > 0
    (holes filled with `fill`, the dataset mean in [0, 1] units)."""
    if mode in ("crop", "crop+flip"):
        x = random_crop(x, crop_padding(min(x.shape[-2:])), gen)
    if mode == "crop+flip":
        x = random_flip(x, gen)
    if cutout_len > 0:
        x = cutout(x, cutout_len, gen, fill)
    return x
