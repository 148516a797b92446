"""Models: the paper's zoo, torchvision models by name, and any user nn.Module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from sbexplore import RunConfig
from sbexplore.engine.trainer import Trainer, train
from sbexplore.models import MODELS, build_model, count_parameters, is_known_model
from sbexplore.models.zoo import torchvision_model

ZOO = ("resnet18", "wrn16_8", "mobilenet_v2")


@pytest.mark.parametrize("name", ZOO)
@pytest.mark.parametrize("channels,size", [(3, 32), (1, 28)])
def test_zoo_model_forward_backward_shapes(name, channels, size):
    torch.manual_seed(0)
    m = build_model(name, channels, 7, size, 0.0)
    out = m(torch.randn(2, channels, size, size))
    assert out.shape == (2, 7)
    out.logsumexp(1).mean().backward()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)


def test_zoo_models_are_registered():
    assert set(ZOO) <= set(MODELS)


def test_resnet18_has_the_cifar_stem():
    m = build_model("resnet18", 3, 10, 32, 0.0)
    assert m.conv1.kernel_size == (3, 3) and m.conv1.stride == (1, 1)
    assert isinstance(m.maxpool, nn.Identity)
    assert 11.0e6 < count_parameters(m) < 11.3e6  # ResNet-18 with a 10-way head


def test_wrn16_8_honours_dropout_and_size():
    m = build_model("wrn16_8", 3, 10, 32, 0.4)
    drops = [mod.p for mod in m.modules() if isinstance(mod, nn.Dropout)]
    assert len(drops) == 6 and set(drops) == {0.4}  # one per wide block
    assert 10.9e6 < count_parameters(m) < 11.0e6  # WRN-16-8: 11.0M parameters
    assert not any(isinstance(mod, nn.Dropout) for mod in
                   build_model("wrn16_8", 3, 10, 32, 0.0).modules())


def test_wrn16_8_dropout_is_active_only_in_training():
    torch.manual_seed(0)
    m = build_model("wrn16_8", 3, 10, 16, 0.5)
    x = torch.randn(2, 3, 16, 16)
    m.train()
    assert not torch.equal(m(x), m(x))
    m.eval()
    assert torch.equal(m(x), m(x))


def test_mobilenet_v2_keeps_resolution_on_small_images():
    m = build_model("mobilenet_v2", 3, 10, 32, 0.0)
    assert m.features(torch.randn(1, 3, 32, 32)).shape[-2:] == (4, 4)  # 8x, not 32x


def test_torchvision_model_by_name_builds_and_is_known():
    assert is_known_model("mobilenet_v3_small") and not is_known_model("no_such_net")
    m = build_model("mobilenet_v3_small", 3, 5, 32, 0.0)
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 5)


def test_torchvision_model_adapts_grey_and_other_channel_counts():
    assert torchvision_model("resnet18", 1, 4)(torch.randn(2, 1, 32, 32)).shape == (2, 4)
    assert torchvision_model("resnet18", 2, 4)(torch.randn(2, 2, 32, 32)).shape == (2, 4)


def test_torchvision_model_by_name_trains_through_the_trainer(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("test", 3)):
        for cls in ("a", "b"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(
                    tmp_path / split / cls / f"{i}.png")
    cfg = RunConfig(dataset="imagefolder", data_root=str(tmp_path), model="mobilenet_v3_small",
                    epochs=2, batch_size=8, device="cpu")
    run = train(cfg)
    assert run.status == "finished" and run.meta["model_class"] == "MobileNetV3"


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


def test_user_module_through_trainer(tiny):
    net = TinyNet()
    before = net.fc.weight.detach().clone()
    run = Trainer(tiny, model=net).fit()
    assert run.meta["model_class"] == "TinyNet" and run.status == "finished"
    assert not torch.equal(before, net.fc.weight.detach())  # the user's module was trained
    assert run.metrics["test_accuracy"].iloc[-1] > 0.5


def test_user_module_through_train(tiny):
    run = train(tiny, model=TinyNet())
    assert run.meta["model_class"] == "TinyNet"
    assert run.metrics["test_accuracy"].iloc[-1] > 0.5



def test_a_torchvision_model_by_name_trains_on_grey_digits(tiny):
    from sbexplore import train

    run = train(tiny.replace(model="mobilenet_v3_small", epochs=1, train_subset=256))
    assert len(run.metrics) == 1 and run.status == "finished"
