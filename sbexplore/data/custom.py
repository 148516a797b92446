"""Your own data: tensors or map-style datasets, as `train(cfg, data=...)` takes them.

Decoded once into tensors on the training device (like the registered datasets). uint8 images
(N, C, H, W) are normalised and augmented as images; any other float inputs (tabular features,
say) are used as they are. Datasets too large to decode (over MAX_DECODE_BYTES), or with
`stream=True`, are read through a DataLoader every epoch instead: slower, and the dataset's own
transform does any normalisation and augmentation.
"""

from __future__ import annotations

from typing import Any

import torch

from sbexplore.data import TrainData, channel_stats, mislabel
from sbexplore.data.registry import DatasetSpec, RawData, register
from sbexplore.errors import ConfigError, DataError

MAX_DECODE_BYTES = 8 * 2**30  # datasets larger than this are refused with a clear message


def _not_loadable(root: str, download: bool, image_size: int | None) -> RawData:
    raise DataError("dataset='custom' means data passed in code: train(cfg, data=(x_train, "
                    "y_train, x_test, y_test)) or data=(train_set, test_set)")


register(DatasetSpec(
    name="custom", load=_not_loadable, needs_root=False,
    description="your own tensors or datasets, passed as train(cfg, data=...)"))


class TensorData(TrainData):
    """TrainData whose inputs may be float features (used as they are) or uint8 images."""

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8:
            return super().normalize(x)
        return x.float()


class StreamedData(TensorData):
    """Datasets read batch by batch through a DataLoader (too large to decode, or asked to
    stream): only the labels live in memory. Slower than tensors: each epoch decodes anew."""

    train_set: Any = None
    test_set: Any = None


def stream_train_data(data: Any, device: torch.device, cfg: Any) -> StreamedData:
    """`(train_set, test_set)` kept as datasets; labels read once (`.targets` if present)."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ConfigError("stream=True needs data=(train_set, test_set) map-style datasets")
    train_set, test_set = data
    y_tr, y_te = _labels(train_set, "train_set"), _labels(test_set, "test_set")
    x0 = _tensor(train_set[0][0], "train_set[0] input")
    num_classes = int(max(y_tr.max(), y_te.max() if len(y_te) else 0)) + 1
    noisy, flipped = mislabel(y_tr, cfg.mislabel_fraction, num_classes, cfg.seed)
    out = StreamedData(
        x_train=x0[None].expand(len(y_tr), *x0.shape), y_train=noisy.to(device),
        true_train=y_tr.to(device), mislabeled=flipped.to(device),
        x_test=x0[None].expand(0, *x0.shape), y_test=y_te.to(device),
        source_index=torch.arange(len(y_tr), device=device),
        classes=[str(c) for c in range(num_classes)], mean=torch.zeros(1, device=device),
        std=torch.ones(1, device=device))
    out.train_set, out.test_set = train_set, test_set
    return out


def _labels(ds: Any, name: str) -> torch.Tensor:
    targets = getattr(ds, "targets", None)
    if targets is not None:
        return torch.as_tensor(targets).long()
    if not hasattr(ds, "__len__") or not hasattr(ds, "__getitem__"):
        raise ConfigError(f"{name} must be a map-style dataset (len and [i]), not "
                          f"{type(ds).__name__}")
    return torch.tensor([int(ds[i][1]) for i in range(len(ds))], dtype=torch.long)


def too_large_to_decode(data: Any) -> bool:
    """(train_set, test_set) datasets whose training inputs would exceed MAX_DECODE_BYTES."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2) or not len(data[0]):
        return False
    x0 = _tensor(data[0][0][0], "train_set[0] input")
    return x0.element_size() * x0.numel() * len(data[0]) > MAX_DECODE_BYTES


def as_train_data(data: Any, device: torch.device, cfg: Any) -> TrainData:
    """`(x_train, y_train, x_test, y_test)` tensors or `(train_set, test_set)` datasets, with
    `cfg.train_subset` ignored and `cfg.mislabel_fraction` applied, on `device`."""
    if isinstance(data, (tuple, list)) and len(data) == 4:
        x_tr, y_tr, x_te, y_te = (_tensor(v, n) for v, n in zip(data, (
            "x_train", "y_train", "x_test", "y_test")))
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        (x_tr, y_tr), (x_te, y_te) = _decode(data[0], "train_set"), _decode(data[1], "test_set")
    else:
        raise ConfigError("data must be (x_train, y_train, x_test, y_test) tensors or "
                          f"(train_set, test_set) datasets, not {type(data).__name__}")
    for x, y, name in ((x_tr, y_tr, "train"), (x_te, y_te, "test")):
        if len(x) != len(y):
            raise ConfigError(f"x_{name} has {len(x)} examples but y_{name} has {len(y)}: "
                              "they must match")
        if y.ndim != 1 or y.dtype.is_floating_point:
            raise ConfigError(f"y_{name} must be a 1-d tensor of integer class indices")
    if not len(x_tr):
        raise ConfigError("x_train is empty: at least one training example is needed")
    y_tr, y_te = y_tr.long(), y_te.long()
    num_classes = int(max(y_tr.max(), y_te.max() if len(y_te) else 0)) + 1
    noisy, flipped = mislabel(y_tr, cfg.mislabel_fraction, num_classes, cfg.seed)
    if x_tr.dtype == torch.uint8 and x_tr.ndim == 4:
        mean, std = channel_stats(x_tr)
    else:
        mean, std = torch.zeros(1), torch.ones(1)
    return TensorData(
        x_train=x_tr.to(device), y_train=noisy.to(device), true_train=y_tr.to(device),
        mislabeled=flipped.to(device), x_test=x_te.to(device), y_test=y_te.to(device),
        source_index=torch.arange(len(y_tr), device=device),
        classes=[str(c) for c in range(num_classes)], mean=mean.to(device), std=std.to(device))


def _tensor(v: Any, name: str) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach().cpu()
    try:
        return torch.as_tensor(v)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"{name} must be a tensor or array, not {type(v).__name__}") from exc


def _decode(ds: Any, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a map-style dataset of (input, label) once into two tensors."""
    if not hasattr(ds, "__len__") or not hasattr(ds, "__getitem__"):
        raise ConfigError(f"{name} must be a map-style dataset (len and [i]), not "
                          f"{type(ds).__name__}")
    n = len(ds)
    if n == 0:
        return torch.zeros(0), torch.zeros(0, dtype=torch.long)
    x0 = _tensor(ds[0][0], f"{name}[0] input")
    xs, ys = [x0], [int(ds[0][1])]
    for i in range(1, n):
        x, y = ds[i][:2]
        xs.append(_tensor(x, f"{name}[{i}] input"))
        ys.append(int(y))
    return torch.stack(xs), torch.tensor(ys, dtype=torch.long)
