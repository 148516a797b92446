"""Where and how a run computes: device, precision and memory layout, chosen by device type."""

from __future__ import annotations

import contextlib

import torch

from sbexplore.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """`auto` picks CUDA when present, else the CPU; an unavailable device is a ConfigError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={name!r} is not allowed here: no CUDA device is available "
                          "(use device='cpu' or 'auto')")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device='mps' is not allowed here: no MPS device is available")
    return torch.device(name)


def use_bf16(precision: str, device: torch.device) -> bool:
    """bf16 autocast: on CUDA by default (`auto`), or when asked for."""
    return precision == "bf16" or (precision == "auto" and device.type == "cuda")


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def use_channels_last(memory_format: str, device: torch.device, image_ndim: int) -> bool:
    """channels_last for image batches on CPU and CUDA (measured faster for our convnets on both;
    see BENCHMARKS.md). Fixed by device type, never timed at run time, so runs stay reproducible."""
    if image_ndim != 4 or memory_format == "contiguous":
        return False
    return memory_format == "channels_last" or device.type in ("cuda", "cpu")
