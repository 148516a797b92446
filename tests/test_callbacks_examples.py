"""The README's W&B and MLflow callbacks run against stand-in modules with the real call
signatures (wandb.init/Run.log/Run.finish, mlflow.start_run/log_params/log_metrics/end_run)."""

import math
import re
import sys
import types

import pytest
from conftest import REPO

import sbexplore as sb

WANDB_EXAMPLE = '''
import math
import wandb
import sbexplore as sb

class WandbLogger(sb.Callback):
    def __init__(self, **init_kwargs):
        self.run = None
        self.init_kwargs = init_kwargs

    def on_epoch(self, recorder, row):
        if self.run is None:
            self.run = wandb.init(config=recorder.cfg.to_dict(), **self.init_kwargs)
        self.run.log({k: float(v) for k, v in row.items() if not math.isnan(v)},
                     step=int(row["epoch"]))

    def on_end(self, recorder):
        if self.run is not None:
            self.run.finish()

run = sb.train(cfg, callbacks=[WandbLogger(project="sbexplore")])
'''

MLFLOW_EXAMPLE = '''
import math
import mlflow
import sbexplore as sb

class MlflowLogger(sb.Callback):
    def on_epoch(self, recorder, row):
        if mlflow.active_run() is None:
            mlflow.start_run(run_name=recorder.name)
            mlflow.log_params(recorder.cfg.to_dict())
        mlflow.log_metrics({k: float(v) for k, v in row.items() if not math.isnan(v)},
                           step=int(row["epoch"]))

    def on_end(self, recorder):
        mlflow.end_run()

run = sb.train(cfg, callbacks=[MlflowLogger()])
'''


def _fake_wandb(log):
    class Run:
        def log(self, data, step=None, commit=None, sync=None):
            assert all(isinstance(k, str) and isinstance(v, float) for k, v in data.items())
            log.append(("log", step, dict(data)))

        def finish(self, exit_code=None, quiet=None):
            log.append(("finish",))

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
        end_run=lambda status="FINISHED": log.append(("end",)))


def _readme_block(needle):
    """The README's python block that uses `needle`, if the README has one yet."""
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return next((b for b in blocks if needle in b), None)


def _run_example(code, name, fake, monkeypatch):
    log = []
    monkeypatch.setitem(sys.modules, name, fake(log))
    cfg = sb.RunConfig(epochs=2, device="cpu", model="mlp", batch_size=256)
    scope = {"cfg": cfg}
    exec(compile(code, f"<{name} example>", "exec"), scope)
    return log, scope["run"]


@pytest.mark.parametrize("name,fake,code,needle", [
    ("wandb", _fake_wandb, WANDB_EXAMPLE, "wandb.init"),
    ("mlflow", _fake_mlflow, MLFLOW_EXAMPLE, "mlflow.log_metrics")])
def test_the_logging_examples_log_every_epoch_row(name, fake, code, needle, monkeypatch):
    codes = [code] + [b for b in [_readme_block(needle)] if b]
    for c in codes:
        log, run = _run_example(c, name, fake,
                                monkeypatch)
        rows = [e for e in log if e[0] == "log"]
        assert [e[1] for e in rows] == run.metrics["epoch"].tolist() == [1, 2]
        for (_, _, logged), (_, expected) in zip(rows, run.metrics.iterrows()):
            assert logged["test_accuracy"] == pytest.approx(expected["test_accuracy"])
            assert logged["keep_fraction"] == pytest.approx(expected["keep_fraction"])
            assert "mislabel_pick_rate" not in logged  # NaN without injected mislabels
        assert log[-1][0] in ("finish", "end") and log[0][0] in ("init", "start")
