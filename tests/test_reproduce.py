"""sbexplore.studies.reproduce: the CPU estimate and the paper's CIFAR-10 section (planned
without a GPU, trained with one)."""

from __future__ import annotations

import json

import torch

from sbexplore import RunConfig, train
from sbexplore.studies import reproduce as rp


def test_the_estimate_scales_with_seeds_epochs_and_subset():
    base = RunConfig(**rp.DEFAULTS)
    one = rp.estimate_seconds(base, 1)
    assert rp.estimate_seconds(base, 3) == 3 * one
    assert rp.estimate_seconds(base.replace(epochs=12), 1) == 2 * one
    full = rp.estimate_seconds(base.replace(train_subset=None), 3)
    assert 45 * 60 < full < 65 * 60  # six methods on all 60,000 images (four measured, +2)


def test_paper_cifar10_without_a_gpu_says_what_it_would_run(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    lines: list[str] = []
    assert rp.paper_cifar10(run=True, log=lines.append) == []
    text = "\n".join(lines)
    assert text.startswith("no GPU: would run")
    cfg = json.loads(text[text.index("{"):text.rindex("}") + 1])
    assert cfg["model"] == "resnet18" and cfg["beta"] == 3.0 and cfg["epochs"] == 200
    assert f"{rp.PAPER_CIFAR10_GPU_HOURS:g} h per run" in text
    lines.clear()
    assert rp.paper_cifar10(run=False, log=lines.append) == []
    assert lines[0].startswith("not run (run=False)")


def test_paper_cifar10_with_a_gpu_trains_sb_and_traditional(monkeypatch, tmp_path, tiny):
    """With CUDA the preset trains SB β=3 and traditional on 'cuda' (here: a digits stand-in on
    the CPU, so the table is real), saved under `out`, and logs their Table 1."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    seen: list[RunConfig] = []

    def fake_train(cfg: RunConfig):
        seen.append(cfg)
        return train(tiny.replace(policy=cfg.policy, name=cfg.name, epochs=4))

    monkeypatch.setattr(rp, "train", fake_train)
    lines: list[str] = []
    runs = rp.paper_cifar10(out=tmp_path, log=lines.append)
    assert [(c.policy, c.device, c.beta, c.model) for c in seen] == [
        ("sb", "cuda", 3.0, "resnet18"), ("traditional", "cuda", 3.0, "resnet18")]
    assert [c.out_dir for c in seen] == [str(tmp_path / "cifar10-sb"),
                                         str(tmp_path / "cifar10-traditional")]
    assert len(runs) == 2 and "speedup" in lines[-1]
