"""The paper's models for small images: ResNet-18 (CIFAR stem), WideResNet-16-8, MobileNetV2."""

from __future__ import annotations

import torch
from torch import nn

from sbexplore.models import register_model

SMALL_IMAGE = 64  # at or below this size, stems keep the resolution (CIFAR-style)


@register_model("resnet18")
def resnet18(in_channels: int, num_classes: int, image_size: int, dropout: float) -> nn.Module:
    """torchvision's ResNet-18; up to 64x64 pixels with the CIFAR stem (a 3x3 stride-1 conv and
    no max-pool), larger images keep the ImageNet stem."""
    import torchvision

    m = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    if image_size <= SMALL_IMAGE:
        m.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        m.maxpool = nn.Identity()
    elif in_channels != 3:  # large images keep the ImageNet stem's 4x downsampling
        m.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
    if dropout > 0:
        m.fc = nn.Sequential(nn.Dropout(dropout), m.fc)
    return m


class WideBasic(nn.Module):
    """Pre-activation wide block (BN-ReLU-conv, dropout between the two convs)."""

    def __init__(self, cin: int, cout: int, stride: int, dropout: float):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(cin), nn.BatchNorm2d(cout)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout
                         else nn.Conv2d(cin, cout, 1, stride=stride, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = torch.relu(self.bn1(x))
        # the projection shortcut sees the pre-activated input, as in Zagoruyko & Komodakis
        skip = x if isinstance(self.shortcut, nn.Identity) else self.shortcut(o)
        o = self.conv2(self.drop(torch.relu(self.bn2(self.conv1(o)))))
        return o + skip


class WideResNet(nn.Module):
    """WRN-depth-k (Zagoruyko & Komodakis 2016): 3 groups of (depth-4)/6 wide blocks."""

    def __init__(self, depth: int, widen: int, in_channels: int, num_classes: int,
                 dropout: float = 0.0):
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError(f"WideResNet depth={depth} is not allowed: must be 6n+4")
        n = (depth - 4) // 6
        widths = [16, 16 * widen, 32 * widen, 64 * widen]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)]
        for g, stride in enumerate((1, 2, 2)):
            for b in range(n):
                layers.append(WideBasic(widths[g] if b == 0 else widths[g + 1], widths[g + 1],
                                        stride if b == 0 else 1, dropout))
        layers += [nn.BatchNorm2d(widths[3]), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(widths[3], num_classes)
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(mod, nn.Linear):
                nn.init.zeros_(mod.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


@register_model("wrn16_8")
def wrn16_8(in_channels: int, num_classes: int, image_size: int, dropout: float) -> nn.Module:
    """WideResNet-16-8 (11M parameters), the paper's SVHN model; honours `dropout`."""
    return WideResNet(16, 8, in_channels, num_classes, dropout)


@register_model("mobilenet_v2")
def mobilenet_v2(in_channels: int, num_classes: int, image_size: int, dropout: float
                 ) -> nn.Module:
    """torchvision's MobileNetV2; on small images the stem and first stage keep stride 1
    (8x downsampling instead of 32x, as usual for CIFAR)."""
    import torchvision

    m = torchvision.models.mobilenet_v2(weights=None, num_classes=num_classes, dropout=dropout)
    small = image_size <= SMALL_IMAGE
    m.features[0][0] = nn.Conv2d(in_channels, 32, 3, stride=1 if small else 2, padding=1,
                                 bias=False)
    if small:
        m.features[2].conv[1][0].stride = (1, 1)  # the first stride-2 inverted residual
    return m


class RepeatChannels(nn.Module):
    """Feed grey images to a 3-channel model by repeating the channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.expand(-1, 3, -1, -1)


def torchvision_model(name: str, in_channels: int, num_classes: int) -> nn.Module:
    """Any torchvision classification model by name, untrained. Grey input is repeated to RGB,
    other channel counts pass a learned 1x1 convolution first."""
    import torchvision

    m = torchvision.models.get_model(name, weights=None, num_classes=num_classes)
    if in_channels == 3:
        return m
    adapter = RepeatChannels() if in_channels == 1 else nn.Conv2d(in_channels, 3, 1)
    return nn.Sequential(adapter, m)
