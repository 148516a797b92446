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
_MNIST = ("BENCHMARKS.md 'Recipes' and 'Reproduction of Table 1': traditional >= 99.0% within 6 "
          "epochs on all 60,000 (tests/test_datasets.py); 20,000-image subset, 3 seeds: SB "
          "0.990 ± 0.001, no collapse")
_IMAGEFOLDER = ("BENCHMARKS.md 'Recipes': CIFAR-10 JPEG folder, 5,000-image subset, first-epoch "
                "loss 2.01 < ln 10, 47.6% after 2 epochs (lr 0.05 at batch 128 diverged); all "
                "50,000: 77.2% after 10 epochs (benchmarks/bench_cifar_full.py)")
_NOT_MEASURED = "not measured here (no data on this machine): the MNIST cnn recipe's values"

RECIPES: dict[tuple[str, str], Recipe] = {
    ("digits", ANY_MODEL): Recipe(lr=0.005, batch_size=64, epochs=15, warmup_epochs=1.0,
                                  evidence=_COLLAPSE),
    ("mnist", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                                 evidence=_MNIST),
    ("fashion_mnist", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=10, warmup_epochs=0.2,
                                         augment="crop+flip", evidence=_NOT_MEASURED),
    ("cifar10", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=10, warmup_epochs=0.2,
                                   augment="crop+flip", evidence=_NOT_MEASURED),
    ("cifar100", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=10, warmup_epochs=0.2,
                                    augment="crop+flip", evidence=_NOT_MEASURED),
    ("svhn", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                                evidence=_NOT_MEASURED),
    ("svhn_extra", ANY_MODEL): Recipe(lr=0.05, batch_size=128, epochs=6, warmup_epochs=0.2,
                                      evidence=_NOT_MEASURED),
    ("imagefolder", ANY_MODEL): Recipe(lr=0.02, batch_size=32, epochs=10, warmup_epochs=0.2,
                                       augment="crop+flip", evidence=_IMAGEFOLDER),
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
