"""Every recipe cites its evidence; a run says which recipe it took."""

import subprocess
import sys

from sbexplore import RunConfig
from sbexplore.config.recipes import ANY_MODEL, RECIPES, recipe_for
from sbexplore.data.registry import DATASETS


def test_every_recipe_entry_cites_a_measurement_or_a_paper():
    for key, recipe in RECIPES.items():
        text = recipe.evidence.strip()
        assert len(text) > 30, key
        assert any(w in text for w in ("BENCHMARKS.md", "paper", "not measured", "untuned")), key


def test_every_registered_dataset_has_a_recipe_and_models_their_own():
    assert {d for d, _ in RECIPES} >= set(DATASETS)
    assert recipe_for("digits", "mlp")[0] == "digits/mlp"
    assert recipe_for("digits", "resnet18")[0] == f"digits/{ANY_MODEL}"
    assert RECIPES[("digits", "mlp")].lr != RECIPES[("digits", "cnn")].lr  # measured apart


def test_resolved_and_run_help_name_the_recipe():
    cfg = RunConfig(model="mlp").resolved()
    assert cfg.recipe == "digits/mlp" and cfg.lr == RECIPES[("digits", "mlp")].lr
    out = subprocess.run([sys.executable, "-m", "sbexplore", "run", "--help"],
                         capture_output=True, text=True, timeout=60).stdout
    assert "recipe" in out and "digits/" in out
