"""The embedded default: scikit-learn's bundled 8x8 handwritten digits (no download)."""

from __future__ import annotations

import torch

from sbexplore.data.registry import DatasetSpec, RawData, register

TEST_SHARE = 0.2
SPLIT_SEED = 20191002  # fixed: every run sees the same train/test split


def load_digits_data(root: str, download: bool, image_size: int | None) -> RawData:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy(d.images).float().mul(255.0 / 16.0).round().to(torch.uint8)[:, None]
    y = torch.from_numpy(d.target).long()
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(SPLIT_SEED))
    n_test = round(TEST_SHARE * len(y))
    test, train = perm[:n_test].sort().values, perm[n_test:].sort().values
    return RawData(x[train], y[train], x[test], y[test], [str(i) for i in range(10)])


register(DatasetSpec(
    name="digits",
    load=load_digits_data,
    description="scikit-learn's 1,797 8x8 digits, bundled (1,438 train / 359 test)",
    num_train=1438, needs_root=False,
))
