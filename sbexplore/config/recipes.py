"""Recipes: how to train a model on a dataset by default, keyed by (dataset, model), with a
dataset-wide fallback (model `*`). A RunConfig field left None takes its recipe's value
(`RunConfig.resolved()`, which also records the recipe's key in `recipe`). Every value comes
from a measurement or a paper, which its entry's `evidence` cites (BENCHMARKS.md, "Recipes").
"""

from __future__ import annotations

from dataclasses import dataclass

ANY_MODEL = "*"


@dataclass(frozen=True)
class Recipe:
    """Default training settings (SGD with Nesterov momentum 0.9 and weight decay 5e-4)."""

    lr: float  # peak learning rate
    batch_size: int
    epochs: int
    evidence: str  # where the values come from: a measurement (BENCHMARKS.md) or a paper
    lr_schedule: str = "cosine"  # decays to 0 at `epochs`: late SB steps stay small
    warmup_epochs: float = 1.0  # linear warm-up over the first epoch: no early divergence
    augment: str = "none"
    cutout: int = 0
    prime_epochs: float = 1.0  # backprop everything for this many epochs' worth of examples


_COLLAPSE = ("BENCHMARKS.md 'Why SB collapsed after priming' and 'Recipes': lr 0.005, 1-epoch "
             "warm-up, cosine: SB never 5 points below its last priming epoch over 3 seeds, "
             "traditional 0.995; lr 0.02-0.05 dropped SB by up to 86 points "
             "(tests/test_recipes.py)")
_DIGITS_MLP = ("BENCHMARKS.md 'Recipes': mlp, 15 epochs, 3 seeds: lr 0.03 traditional 0.976 ± "
               "0.003, SB 0.971 ± 0.008, never below its last priming epoch, first-epoch loss "
               "2.12 < ln 10; lr 0.005 (the cnn's) 0.919; lr 0.01 0.954; lr 0.05 collapsed SB "
               "by 19 points (tests/test_recipes.py)")
_MNIST = ("BENCHMARKS.md 'Recipes' and 'Reproduction of Table 1': traditional >= 99.0% within 6 "
          "epochs on all 60,000 (tests/test_datasets.py); 20,000-image subset, 3 seeds: SB "
          "0.990 ± 0.001, no collapse")
_MNIST_MLP = ("BENCHMARKS.md 'Recipes': mlp, 20,000-image subset, 6 epochs, 3 seeds: lr 0.1 "
              "traditional 0.974 ± 0.001, SB 0.974 ± 0.000, no dip, first-epoch loss 0.50; lr "
              "0.02 dipped SB 14.6 points")
_IMAGEFOLDER = ("BENCHMARKS.md 'Recipes': CIFAR-10 JPEG folder, 5,000-image subset, first-epoch "
                "loss 2.01 < ln 10, 47.6% after 2 epochs (lr 0.05 at batch 128 diverged); all "
                "50,000: 77.2% after 10 epochs (benchmarks/bench_cifar_full.py)")
_RESNET_FOLDER = ("BENCHMARKS.md 'Recipes': CIFAR-10 JPEG folder, 1,000/500-image subset, 4 "
                  "epochs, 3 seeds: traditional 0.373 +- 0.013, SB 0.283 +- 0.008, worst SB dip "
                  "2.2 pt; first-epoch loss 2.09 < ln 10 on a 5,000-image subset (2.42 on the "
                  "1,000, 31 steps); the paper's ResNet-18 values are cifar10/resnet18's")
_NOT_MEASURED = "not measured here (no data on this machine): the MNIST cnn recipe's values"
_PAPER_CIFAR = ("the paper's (not measured here: no data): angelajiang/SelectiveBackprop "
                "examples/train.py, ResNet-18 lr 0.1, batch 128, 200 epochs, crop+flip, Cutout "
                "16 (CIFAR-100: 8); it decays at epochs 60/120/160 (preset paper-cifar10 has "
                "that exactly; a recipe decays by cosine)")
_PAPER_SVHN = ("the paper's (not measured here: no data): examples/train.py, WRN-16-8 lr 0.01, "
               "batch 128, 160 epochs, Cutout 20, no augmentation; it decays at epochs 80/120 "
               "(preset paper-svhn has that exactly; a recipe decays by cosine)")

RECIPES: dict[tuple[str, str], Recipe] = {
    ("digits", ANY_MODEL): Recipe(lr=0.005, batch_size=64, epochs=15, warmup_epochs=1.0,
                                  evidence=_COLLAPSE),
    ("digits", "cnn"): Recipe(lr=0.005, batch_size=64, epochs=15, warmup_epochs=1.0,
                              evidence=_COLLAPSE),
    ("digits", "mlp"): Recipe(lr=0.03, batch_size=64, epochs=15, warmup_epochs=1.0,
                              evidence=_DIGITS_MLP),
    ("mnist", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                                 evidence=_MNIST),
    ("mnist", "cnn"): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                             evidence=_MNIST),
    ("mnist", "mlp"): Recipe(lr=0.1, batch_size=128, epochs=6, warmup_epochs=0.2,
                             evidence=_MNIST_MLP),
    ("fashion_mnist", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=10, warmup_epochs=0.2,
                                         augment="crop+flip", evidence=_NOT_MEASURED),
    ("cifar10", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=10, warmup_epochs=0.2,
                                   augment="crop+flip", evidence=_NOT_MEASURED),
    ("cifar10", "resnet18"): Recipe(lr=0.1, batch_size=128, epochs=200, warmup_epochs=0.0,
                                    augment="crop+flip", cutout=16, evidence=_PAPER_CIFAR),
    ("cifar100", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=10, warmup_epochs=0.2,
                                    augment="crop+flip", evidence=_NOT_MEASURED),
    ("cifar100", "resnet18"): Recipe(lr=0.1, batch_size=128, epochs=200, warmup_epochs=0.0,
                                     augment="crop+flip", cutout=8, evidence=_PAPER_CIFAR),
    ("svhn", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                                evidence=_NOT_MEASURED),
    ("svhn", "wrn16_8"): Recipe(lr=0.01, batch_size=128, epochs=160, warmup_epochs=0.0,
                                cutout=20, evidence=_PAPER_SVHN),
    ("svhn_extra", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                                      evidence=_NOT_MEASURED),
    ("svhn_extra", "wrn16_8"): Recipe(lr=0.01, batch_size=128, epochs=160, warmup_epochs=0.0,
                                      cutout=20, evidence=_PAPER_SVHN),
    ("imagefolder", ANY_MODEL): Recipe(lr=0.02, batch_size=32, epochs=10, warmup_epochs=0.2,
                                       augment="crop+flip", evidence=_IMAGEFOLDER),
    ("imagefolder", "cnn"): Recipe(lr=0.02, batch_size=32, epochs=10, warmup_epochs=0.2,
                                   augment="crop+flip", evidence=_IMAGEFOLDER),
    ("imagefolder", "resnet18"): Recipe(lr=0.02, batch_size=32, epochs=10, warmup_epochs=0.2,
                                        augment="crop+flip", evidence=_RESNET_FOLDER),
    # data passed in code: untuned, so digits' careful lr and one priming epoch
    ("custom", ANY_MODEL): Recipe(lr=0.005, batch_size=64, epochs=20,
                                  evidence="untuned data: digits' careful values (see digits)"),
}


def recipe_for(dataset: str, model: str) -> tuple[str, Recipe]:
    """The recipe for `model` on `dataset` and its key (`digits/mlp`, or `digits/*` for the
    dataset-wide one)."""
    for key in ((dataset, model), (dataset, ANY_MODEL)):
        if key in RECIPES:
            return "/".join(key), RECIPES[key]
    raise KeyError(f"no recipe for dataset {dataset!r}")


def register_recipe(dataset: str, model: str, recipe: Recipe) -> Recipe:
    """Add a recipe (model `*`: any model on that dataset); a registered dataset needs one."""
    RECIPES[(dataset, model)] = recipe
    return recipe
