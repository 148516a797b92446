"""RunConfig: defaults, validation that names the field, exact JSON round trip."""

import dataclasses
import json
import math

import pytest

from sbexplore import ConfigError, RunConfig
from sbexplore.config import RECIPE_FIELDS
from sbexplore.config.recipes import recipe_for
from sbexplore.data import DATASETS


def test_defaults_match_the_paper_where_it_has_one():
    cfg = RunConfig()
    assert (cfg.beta, cfg.history_size, cfg.prob_floor) == (2.0, 1024, 0.0)
    assert cfg.staleness == 1 and cfg.schedule_unit == "epochs"
    assert cfg.dataset == "digits" and cfg.download is False and cfg.mislabel_fraction == 0
    assert (cfg.mislabel_mode, cfg.max_time_s) == ("flip", None)


def test_recipe_fields_default_to_none_and_resolve_from_the_recipe():
    cfg = RunConfig(dataset="mnist")
    assert all(getattr(cfg, f) is None for f in RECIPE_FIELDS)
    r = cfg.resolved()
    key, recipe = recipe_for("mnist", "cnn")
    assert r.recipe == key == "mnist/cnn"
    assert all(getattr(r, f) == getattr(recipe, f) for f in RECIPE_FIELDS
               if f != "prime_examples")
    assert r.prime_examples == round(recipe.prime_epochs * 60_000)  # epochs of the data
    assert r.resolved() == r and cfg.resolved() == r  # idempotent, and cfg is unchanged
    assert cfg.lr is None


def test_recipe_priming_is_a_share_of_the_data_trained_on():
    assert RunConfig(dataset="mnist", train_subset=20_000).resolved().prime_examples == 20_000
    assert RunConfig(dataset="custom").resolved().prime_examples is None  # size unknown yet
    assert RunConfig(dataset="custom").resolved(num_train=450).prime_examples == 450
    rho = RunConfig(dataset="digits", policy="rho_loss", holdout_fraction=0.25).resolved()
    assert rho.prime_examples == 1438 - round(0.25 * 1438)  # the rest is trained on


def test_fields_a_user_sets_win_over_the_recipe():
    r = RunConfig(dataset="cifar10", lr=0.3, epochs=2, cutout=0).resolved()
    assert (r.lr, r.epochs, r.cutout) == (0.3, 2, 0)
    assert r.batch_size == recipe_for("cifar10", "cnn")[1].batch_size


def test_every_registered_dataset_has_a_complete_recipe_with_its_evidence():
    for name in DATASETS:
        r = RunConfig(dataset=name).resolved(num_train=1000)  # validates every recipe value
        assert all(getattr(r, f) is not None for f in RECIPE_FIELDS), name
        recipe = recipe_for(name, "cnn")[1]
        assert recipe.prime_epochs >= 0 and len(recipe.evidence) > 20, name


def test_runs_saved_with_prime_epochs_still_load():
    d = RunConfig().to_dict()
    d["prime_epochs"] = 1
    assert RunConfig.from_dict(d) == RunConfig()


def test_keep_defaults_to_sb_expected_rate():
    assert RunConfig(beta=3).resolved_keep == pytest.approx(0.25)
    assert RunConfig(beta=1, keep=0.4).resolved_keep == 0.4


@pytest.mark.parametrize("field,value,allowed", [
    ("beta", -0.5, ">= 0"),
    ("keep", 0.0, "0 < keep <= 1"),
    ("keep", 1.5, "0 < keep <= 1"),
    ("staleness", 0, ">= 1"),
    ("mislabel_fraction", 1.0, "0 <= mislabel_fraction < 1"),
    ("policy", "random", "sb, uniform, topk, traditional"),
    ("dataset", "imagenet", "digits"),
    ("model", "no_such_net", "one of cnn, mlp"),
    ("device", "tpu", "auto, cpu, cuda"),
    ("epochs", 0, ">= 1"),
    ("batch_size", "128", "expected int"),
    ("beta", float("nan"), "finite"),
    ("train_subset", 0, ">= 1"),
    ("prob_floor", 2.0, "0 <= prob_floor <= 1"),
    ("milestones", [10, -1], "positive"),
    ("milestones", [10, math.inf], "finite"),
    ("mislabel_mode", "swap", "flip, shuffle"),
    ("max_time_s", 0.0, "> 0"),
    ("warmup_epochs", -1.0, ">= 0"),
    ("prime_examples", -1, ">= 0"),
    ("name", "", "empty"),
])
def test_bad_values_raise_valueerror_naming_field_value_and_allowed(field, value, allowed):
    with pytest.raises(ValueError) as err:
        RunConfig(**{field: value})
    msg = str(err.value)
    assert msg.startswith(f"{field}=") and allowed in msg
    assert isinstance(err.value, ConfigError)


def test_json_round_trip_is_exact():
    cfg = RunConfig(beta=1.5, keep=0.3, staleness=3, mislabel_fraction=0.1, train_subset=500,
                    milestones=[60, 120], name="x", out_dir="/tmp/somewhere", nesterov=False)
    again = RunConfig.from_json(cfg.to_json())
    assert again == cfg
    assert json.loads(again.to_json()) == json.loads(cfg.to_json())


def test_unknown_fields_are_rejected_with_the_known_ones_listed():
    with pytest.raises(ConfigError, match="unknown config field.*'betta'"):
        RunConfig.from_dict({"betta": 2})


def test_replace_validates():
    with pytest.raises(ConfigError, match="staleness"):
        RunConfig().replace(staleness=-1)


def test_integers_are_accepted_for_float_fields():
    assert RunConfig(beta=3).beta == 3.0 and isinstance(RunConfig(beta=3).beta, float)


# -- every field x every kind of bad input: always a ConfigError ------------------------------

def _wrong_type(f: dataclasses.Field) -> object:
    t = str(f.type)
    if t.startswith("str"):
        return 3
    if t.startswith("int"):
        return 1.5
    if t.startswith("float"):
        return "1"
    if t.startswith("bool"):
        return "yes"
    return "1"  # list


BAD_INPUTS = {"wrong type": _wrong_type, "nan": lambda f: math.nan, "inf": lambda f: math.inf,
              "-inf": lambda f: -math.inf, "negative": lambda f: -1, "empty": lambda f: ""}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(RunConfig)])
def test_every_field_rejects_bad_input_with_a_config_error(field, kind):
    f = next(f for f in dataclasses.fields(RunConfig) if f.name == field)
    value = BAD_INPUTS[kind](f)
    with pytest.raises(ConfigError, match=f"^{field}="):
        RunConfig(**{field: value})
