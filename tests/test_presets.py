"""Presets: the paper's recipes and quick CPU runs, overrides, a clear unknown-name error."""

from __future__ import annotations

import pytest

from sbexplore import RunConfig
from sbexplore.config.presets import DESCRIPTIONS, PRESETS, preset_fields
from sbexplore.errors import ConfigError

PAPER = ("paper-cifar10", "paper-cifar100", "paper-svhn")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_valid_config(name):
    cfg = RunConfig.from_preset(name)
    assert cfg.to_dict() == RunConfig.from_json(cfg.to_json()).to_dict()
    assert name in DESCRIPTIONS


def test_quick_presets_cover_mnist_and_fashion_mnist():
    assert RunConfig.from_preset("quick-mnist").dataset == "mnist"
    assert RunConfig.from_preset("quick-fashion-mnist").dataset == "fashion_mnist"
    for name in ("quick-mnist", "quick-fashion-mnist"):
        assert RunConfig.from_preset(name).model == "cnn"


def test_paper_cifar10_is_the_papers_recipe():
    c = RunConfig.from_preset("paper-cifar10")
    assert (c.dataset, c.model, c.batch_size, c.lr, c.momentum, c.nesterov) == (
        "cifar10", "resnet18", 128, 0.1, 0.9, True)
    assert (c.weight_decay, c.augment, c.cutout, c.dropout) == (5e-4, "crop+flip", 16, 0.0)
    assert (c.lr_schedule, c.schedule_unit, c.milestones, c.lr_decay) == (
        "multistep", "epochs", [60.0, 120.0, 160.0], 0.2)
    assert (c.epochs, c.warmup_epochs, c.prime_examples, c.beta) == (200, 0.0, 50_000, 3.0)


@pytest.mark.parametrize("name", PAPER)
def test_paper_presets_key_schedule_and_stop_by_epochs(name):
    c = RunConfig.from_preset(name)
    assert c.schedule_unit == "epochs" and c.max_backprop_epochs is None
    assert c.max_backprops is None and c.epochs > max(c.milestones)
    assert c.resolved() == c.replace(recipe=c.resolved().recipe)  # every recipe field is set:
    # no dataset default leaks in (resolving only names the recipe)


@pytest.mark.parametrize("name", PAPER)
def test_backprop_keyed_variants_differ_only_in_schedule_unit_and_stop(name):
    a, b = preset_fields(name), preset_fields(name + "-backprop-keyed")
    assert {k for k in {*a, *b} if a.get(k) != b.get(k)} == {
        "schedule_unit", "max_backprop_epochs", "epochs"}
    assert b["schedule_unit"] == "backprops" and b["max_backprop_epochs"] == a["epochs"]
    # SB keeps ~1/(beta+1) after priming, so it needs that many more epochs for the budget
    assert b["epochs"] >= a["epochs"] * (a["beta"] + 1)


def test_paper_cifar100_differs_only_in_dataset_and_cutout():
    a, b = preset_fields("paper-cifar10"), preset_fields("paper-cifar100")
    assert {k for k in a if a[k] != b[k]} == {"dataset", "cutout"}
    assert (b["dataset"], b["cutout"]) == ("cifar100", 8)


def test_paper_svhn_is_the_papers_recipe():
    c = RunConfig.from_preset("paper-svhn")
    assert (c.dataset, c.model, c.dropout, c.lr, c.cutout, c.augment) == (
        "svhn_extra", "wrn16_8", 0.4, 0.01, 20, "none")
    assert (c.milestones, c.lr_decay, c.schedule_unit, c.epochs) == (
        [80.0, 120.0], 0.1, "epochs", 160)
    assert c.prime_examples == 604_388  # one epoch of train + extra


def test_overrides_win_over_the_preset():
    c = RunConfig.from_preset("paper-cifar10", lr=0.05, dataset="imagefolder",
                              data_root="/somewhere", policy="traditional")
    assert (c.lr, c.dataset, c.data_root, c.policy) == (0.05, "imagefolder", "/somewhere",
                                                        "traditional")
    assert c.cutout == 16  # the rest of the recipe stays


def test_bad_override_is_a_config_error():
    with pytest.raises(ConfigError, match="lr=-1"):
        RunConfig.from_preset("quick-mnist", lr=-1)


def test_unknown_preset_lists_the_names():
    with pytest.raises(ConfigError, match="preset='nope'.*paper-cifar10.*quick-mnist"):
        RunConfig.from_preset("nope")


def test_preset_fields_is_a_copy():
    preset_fields("paper-cifar10")["milestones"].append(999)
    assert PRESETS["paper-cifar10"]["milestones"] == [60, 120, 160]


def test_cli_run_with_a_preset_and_missing_data_is_one_line(tmp_path, capsys):
    from sbexplore.cli import main

    code = main(["run", "--preset", "quick-mnist", "--data-root", str(tmp_path), "--device",
                 "cpu"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--download" in err
