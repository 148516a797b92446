"""Model registry: small CPU models here, larger ones (ResNet, WRN, torchvision) register too."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from sbexplore.errors import ConfigError

# builder(in_channels, num_classes, image_size, dropout) -> nn.Module
ModelBuilder = Callable[[int, int, int, float], nn.Module]
MODELS: dict[str, ModelBuilder] = {}


def register_model(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    def deco(fn: ModelBuilder) -> ModelBuilder:
        MODELS[name] = fn
        return fn

    return deco


@register_model("mlp")
def mlp(in_channels: int, num_classes: int, image_size: int, dropout: float) -> nn.Module:
    """Two hidden layers of 256: the fastest baseline."""
    d = in_channels * image_size * image_size
    return nn.Sequential(
        nn.Flatten(), nn.Linear(d, 256), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout), nn.Linear(256, num_classes),
    )


def _conv_bn(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


@register_model("cnn")
def cnn(in_channels: int, num_classes: int, image_size: int, dropout: float) -> nn.Module:
    """Three conv-BN-ReLU blocks (32-64-128 channels) with pooling: ~99% on MNIST, CPU-fast.

    No second convolution at full resolution: it tripled the cost of a step on a 2-core CPU."""
    pool = [nn.MaxPool2d(2)] if image_size >= 16 else []  # keep 8x8 digits at full resolution
    layers: list[nn.Module] = [
        *_conv_bn(in_channels, 32), *pool, *_conv_bn(32, 64), nn.MaxPool2d(2),
        *_conv_bn(64, 128), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(128, num_classes),
    ]
    return nn.Sequential(*layers)


# ResNet-18, WRN-16-8, MobileNetV2 and torchvision's models; zoo imports torchvision only when
# one is built, so an import error here is a real fault to report
from sbexplore.models import zoo as _zoo  # noqa: F401, E402, I001


def is_known_model(name: str) -> bool:
    """A registered name, or a torchvision classification model name."""
    if name in MODELS:
        return True
    try:
        import torchvision
    except ModuleNotFoundError as exc:
        if exc.name == "torchvision":  # not installed: only registered names
            return False
        raise
    except Exception as exc:  # installed but broken: say so, not "model is not allowed"
        raise ImportError(f"torchvision is installed but fails to import ({type(exc).__name__}: "
                          f"{exc}); sbexplore needs it to check model={name!r}: reinstall the "
                          "torchvision that matches your torch") from exc
    return name in torchvision.models.list_models(module=torchvision.models)


def build_model(name: str | nn.Module, in_channels: int, num_classes: int, image_size: int,
                dropout: float = 0.0) -> nn.Module:
    """Instantiate a model by name (or return a user's nn.Module as is)."""
    if isinstance(name, nn.Module):
        return name
    if name in MODELS:
        return MODELS[name](in_channels, num_classes, image_size, dropout)
    if is_known_model(name):
        from sbexplore.models.zoo import torchvision_model

        return torchvision_model(name, in_channels, num_classes)  # grey input -> RGB adapter
    raise ConfigError(f"model={name!r} is not allowed: one of {', '.join(sorted(MODELS))} or a "
                      "torchvision classification model name")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ["MODELS", "build_model", "count_parameters", "is_known_model", "register_model"]
