"""The README's W&B and MLflow callbacks run against stand-in modules with the real call
signatures (wandb.init/Run.log/Run.finish, mlflow.start_run/log_params/log_metrics/end_run)."""

import math
import re
import sys
import types

import pytest
from conftest import REPO

import sbexplore as sb


def _fake_wandb(log):
    class Run:
        def log(self, data, step=None, commit=None, sync=None):
            assert all(isinstance(k, str) and isinstance(v, float) for k, v in data.items())
            log.append(("log", step, dict(data)))

        def finish(self, exit_code=None, quiet=None):
            log.append(("finish", exit_code))

    def init(project=None, config=None, **kwargs):
        log.append(("init", project, config))
        return Run()

    return types.SimpleNamespace(init=init)


def _fake_mlflow(log):
    state = {"active": None}

    def start_run(run_id=None, experiment_id=None, run_name=None, **kwargs):
        state["active"] = run_name
        log.append(("start", run_name))

    def log_metrics(metrics, step=None, **kwargs):
        assert all(isinstance(v, float) and not math.isnan(v) for v in metrics.values())
        log.append(("log", step, dict(metrics)))

    return types.SimpleNamespace(
        start_run=start_run, active_run=lambda: state["active"], log_metrics=log_metrics,
        log_params=lambda params, **kw: log.append(("params", dict(params))),
        end_run=lambda status="FINISHED": log.append(("end", status)))


def _readme_block(needle):
    """The README's python block that uses `needle`."""
    text = (REPO / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if needle in b]
    assert len(blocks) == 1, f"the README has {len(blocks)} blocks using {needle}"
    return blocks[0]


def _run_example(code, name, fake, monkeypatch, fail=False, log=None):
    log = [] if log is None else log
    monkeypatch.setitem(sys.modules, name, fake(log))
    if fail:  # the example's own sb.train call, with a loop that breaks in epoch 2
        class Broken(sb.Callback):
            def on_candidate_batch(self, recorder):
                if recorder.counts.epoch == 1:
                    raise RuntimeError("the loop broke")

        train = sb.train
        monkeypatch.setattr(sb, "train", lambda cfg, callbacks: train(
            cfg, callbacks=[*callbacks, Broken()]))
    cfg = sb.RunConfig(epochs=2, device="cpu", model="mlp", batch_size=256)
    scope = {"cfg": cfg}
    exec(compile(code, f"<{name} example>", "exec"), scope)
    return log, scope["run"]


@pytest.mark.parametrize("name,fake,needle,ok,failed", [
    ("wandb", _fake_wandb, "wandb.init", ("finish", 0), ("finish", 1)),
    ("mlflow", _fake_mlflow, "mlflow.log_metrics", ("end", "FINISHED"), ("end", "FAILED"))])
def test_the_logging_examples_log_every_epoch_row(name, fake, needle, ok, failed, monkeypatch):
    code = _readme_block(needle)
    log, run = _run_example(code, name, fake, monkeypatch)
    rows = [e for e in log if e[0] == "log"]
    assert [e[1] for e in rows] == run.metrics["epoch"].tolist() == [1, 2]
    for (_, _, logged), (_, expected) in zip(rows, run.metrics.iterrows()):
        assert logged["test_accuracy"] == pytest.approx(expected["test_accuracy"])
        assert logged["keep_fraction"] == pytest.approx(expected["keep_fraction"])
        assert "mislabel_pick_rate" not in logged  # NaN without injected mislabels
    assert log[0][0] in ("init", "start") and log[-1] == ok
    # a failed run still ends the logger's run, marked failed
    log = []
    with pytest.raises(RuntimeError, match="the loop broke"):
        _run_example(code, name, fake, monkeypatch, fail=True, log=log)
    assert [e[1] for e in log if e[0] == "log"] == [1] and log[-1] == failed
