"""The demo's runs: two at once (threads) train exactly what one at a time trains, in order."""

from __future__ import annotations

import pytest
import torch

from sbexplore.errors import ConfigError
from sbexplore.studies.demo import DEMO_EPOCHS, run_demo, training_pool

SMALL = dict(seeds=(0, 1), mislabel_fractions=(0.2,), epochs=2, log=lambda *_: None)


@pytest.mark.slow  # twice 16 runs
def test_two_workers_train_the_same_runs_as_one(monkeypatch):
    """Every run but the wall-clock-matched control (its budget is SB's measured seconds, and
    its schedule and stop read the clock) is bit-identical however many train at once."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        together = run_demo(workers=2, **SMALL)  # 1 torch thread per run
        assert torch.get_num_threads() == 2  # restored
        torch.set_num_threads(1)
        alone = run_demo(workers=1, **SMALL)
    finally:
        torch.set_num_threads(before)
    assert [r.config.label for r in alone.clean[:6]] == [
        "SB", "Stale-SB n=3", "uniform (matched)", "traditional, SB's budget (backprops)",
        "traditional, SB's budget (time)", "traditional"]
    timed = [r.config.schedule_unit == "time" for r in alone.runs]
    assert sum(timed) == 2  # one wall-clock control per seed
    for a, b, clock in zip(together.runs, alone.runs, timed):  # no shared RNG or state
        if clock:
            assert a.config.replace(max_time_s=None, schedule_unit="epochs") == \
                b.config.replace(max_time_s=None, schedule_unit="epochs")
        else:
            assert a.config == b.config and a.same_results(b), a.config.label


def test_workers_must_be_a_positive_integer():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="^workers="), training_pool(bad):
            pass


def test_the_demo_trains_fewer_epochs_than_the_recipe_but_a_full_schedule():
    from sbexplore import RunConfig
    from sbexplore.studies.demo import DEMO_DEFAULTS

    cfg = RunConfig(**DEMO_DEFAULTS).resolved()
    assert cfg.epochs == DEMO_EPOCHS < RunConfig(dataset="digits").resolved().epochs
    assert cfg.lr_schedule == "cosine" and cfg.schedule_unit == "epochs"  # decays to the end
