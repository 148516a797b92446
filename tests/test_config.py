"""RunConfig: defaults, validation that names the field, exact JSON round trip."""

import json

import pytest

from sbexplore import ConfigError, RunConfig


def test_defaults_match_the_paper_where_it_has_one():
    cfg = RunConfig()
    assert (cfg.beta, cfg.history_size, cfg.prob_floor) == (2.0, 1024, 0.0)
    assert (cfg.staleness, cfg.prime_epochs, cfg.batch_size) == (1, 1, 128)
    assert cfg.dataset == "digits" and cfg.download is False and cfg.mislabel_fraction == 0


def test_keep_defaults_to_sb_expected_rate():
    assert RunConfig(beta=3).resolved_keep == pytest.approx(0.25)
    assert RunConfig(beta=1, keep=0.4).resolved_keep == 0.4


@pytest.mark.parametrize("field,value,allowed", [
    ("beta", -0.5, ">= 0"),
    ("keep", 0.0, "0 < keep <= 1"),
    ("keep", 1.5, "0 < keep <= 1"),
    ("staleness", 0, ">= 1"),
    ("mislabel_fraction", 1.0, "0 <= f < 1"),
    ("policy", "random", "sb, uniform, topk, all"),
    ("dataset", "imagenet", "digits"),
    ("model", "no_such_net", "one of cnn, mlp"),
    ("device", "tpu", "auto, cpu, cuda"),
    ("epochs", 0, ">= 1"),
    ("batch_size", "128", "expected int"),
    ("beta", float("nan"), "finite"),
    ("train_subset", 0, "positive integer"),
    ("prob_floor", 2.0, "0 <= prob_floor <= 1"),
    ("milestones", [10, -1], "positive numbers"),
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
