"""The Ray sweep backend on a local 2-CPU Ray instance bound to 127.0.0.1 (one per module)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from sbexplore import RunConfig, UserError, load_run
from sbexplore.errors import ConfigError
from sbexplore.models import MODELS, mlp, register_model
from sbexplore.runs.record import MANIFEST, TIMING_COLUMNS

TESTS = Path(__file__).resolve().parent
FLAKY_DIR_VAR = "SBEXPLORE_TEST_FLAKY_DIR"


# -- test models, registered in this process and (by a worker setup hook) in every Ray worker --
class _Raising(nn.Module):
    def __init__(self, inner: nn.Module, message: str):
        super().__init__()
        self.inner, self.message = inner, message

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError(self.message)


def _broken(in_channels: int, num_classes: int, image_size: int, dropout: float) -> nn.Module:
    return _Raising(mlp(in_channels, num_classes, image_size, dropout), "broken on purpose")


def _flaky(in_channels: int, num_classes: int, image_size: int, dropout: float) -> nn.Module:
    """Fails on every odd build (the first attempt), works on the next: counts builds in a file."""
    counter = Path(os.environ.get(FLAKY_DIR_VAR, "/nonexistent")) / "builds"
    builds = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(builds))
    model = mlp(in_channels, num_classes, image_size, dropout)
    return _Raising(model, "flaky: first attempt fails") if builds % 2 else model


def register_test_models() -> None:
    if "test_broken" not in MODELS:
        register_model("test_broken")(_broken)
        register_model("test_flaky")(_flaky)


register_test_models()

try:
    import ray
except ImportError:  # CI installs the extra: there the missing package is a failure
    ray = None


def _need_ray() -> None:
    if ray is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail('CI=true but Ray is not installed: pip install -e ".[ray]"')
        pytest.skip('Ray is not installed (pip install "sbexplore[ray]")')


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    """One local Ray instance (2 CPUs, loopback) for the module; test models in its workers."""
    _need_ray()
    from sbexplore.jobs.ray import connect

    if ray.is_initialized():
        ray.shutdown()
    flaky_dir = tmp_path_factory.mktemp("flaky")
    started = connect(num_cpus=2, runtime_env={
        "env_vars": {"PYTHONPATH": str(TESTS), FLAKY_DIR_VAR: str(flaky_dir)},
        "worker_process_setup_hook": "test_sweep_ray.register_test_models",
    })
    assert started
    yield flaky_dir
    ray.shutdown()


@pytest.fixture
def base() -> RunConfig:
    return RunConfig(dataset="digits", model="mlp", epochs=2, device="cpu", batch_size=64)


def _sweep(**kw):
    from sbexplore.jobs.sweeps import sweep

    return sweep(progress=False, **kw)


@pytest.mark.slow
def test_ray_sweep_equals_local_backend(ray_local, base, tmp_path):
    grid = {"beta": [1.0, 2.0, 3.0], "policy": ["sb", "uniform"]}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a Ray task with num_cpus=1 trains on one thread; so does this
    try:
        local = _sweep(base_config=base, grid=grid, seeds=[0, 1], out=tmp_path / "local")
    finally:
        torch.set_num_threads(threads)
    remote = _sweep(base_config=base, grid=grid, seeds=[0, 1], out=tmp_path / "ray",
                    backend="ray", num_cpus=1)
    assert not remote.errors and len(remote.trained) == 12 and len(remote.runs) == 12
    for a, b in zip(local.runs, remote.runs, strict=True):
        assert a.status == b.status == "finished"
        assert a.same_results(b), (a.name, b.name)
    drop = [*TIMING_COLUMNS, "out_dir", "accuracy_per_s"]
    assert local.summary.drop(columns=drop, errors="ignore").equals(
        remote.summary.drop(columns=drop, errors="ignore"))


@pytest.mark.slow
def test_failing_run_is_retried_then_reported(ray_local, base, tmp_path):
    from sbexplore.jobs.ray import run_ray

    good = [base.replace(seed=s, out_dir=str(tmp_path / f"good{s}")) for s in (0, 1)]
    flaky = base.replace(model="test_flaky", out_dir=str(tmp_path / "flaky"))
    broken = base.replace(model="test_broken", out_dir=str(tmp_path / "broken"))
    ticks = []
    out = run_ray([good[0], broken, flaky, good[1]], retries=1, progress=lambda: ticks.append(1))
    assert [c for c, _, _ in out] == [good[0], broken, flaky, good[1]]  # input order
    assert len(ticks) == 4
    (_, broken_dir, broken_err), (_, flaky_dir, flaky_err) = out[1], out[2]
    assert broken_dir is None
    assert "after 2 attempts" in broken_err and "RuntimeError: broken on purpose" in broken_err
    assert flaky_err is None and load_run(flaky_dir).status == "finished"
    assert (ray_local / "builds").read_text() == "2"  # failed once, retried once
    for _, d, err in (out[0], out[3]):
        assert err is None and load_run(d).status == "finished"


@pytest.mark.slow
def test_failed_run_is_reported_by_sweep_which_goes_on(ray_local, base, tmp_path):
    res = _sweep(base_config=base, grid={"model": ["mlp", "test_broken"]}, seeds=[0],
                 out=tmp_path, backend="ray", retries=0)
    assert [r.config.model for r in res.runs] == ["mlp"]
    (failed, text), = res.errors.items()
    assert failed.endswith("model=test_broken_seed=0")
    assert "after 1 attempt:" in text and "broken on purpose" in text


@pytest.mark.slow
def test_interrupted_sweep_resumes_without_redoing_finished_runs(ray_local, base, tmp_path):
    grid = {"beta": [1.0, 2.0, 3.0, 4.0]}
    first = _sweep(base_config=base, grid=grid, out=tmp_path, backend="ray")
    dirs = [Path(r.path) for r in first.runs]
    # the interruption: one run killed mid-training, one never started
    manifest = json.loads((dirs[1] / MANIFEST).read_text())
    manifest["meta"]["status"] = "running"
    (dirs[1] / MANIFEST).write_text(json.dumps(manifest))
    shutil.rmtree(dirs[2])
    mtimes = {d: (d / MANIFEST).stat().st_mtime_ns for d in (dirs[0], dirs[3])}
    again = _sweep(base_config=base, grid=grid, out=tmp_path, backend="ray")
    assert sorted(again.trained) == sorted(str(d) for d in dirs[1:3])
    assert sorted(again.skipped) == sorted(str(d) for d in (dirs[0], dirs[3]))
    assert {d: (d / MANIFEST).stat().st_mtime_ns for d in mtimes} == mtimes
    assert len(again.runs) == 4 and all(r.status == "finished" for r in again.runs)
    assert all(a.same_results(b) for a, b in zip(first.runs, again.runs, strict=True))


@pytest.mark.slow
def test_uri_out_dir_is_uploaded_and_mirrored(ray_local, base, tmp_path):
    from sbexplore.jobs.ray import run_ray

    uri = (tmp_path / "bucket" / "run0").as_uri()  # file://...; s3:// goes the same way
    [(cfg, local_dir, err)] = run_ray([base.replace(out_dir=uri)], progress=False)
    assert err is None and local_dir != uri
    stored, mirrored = load_run(tmp_path / "bucket" / "run0"), load_run(local_dir)
    assert stored.config.out_dir == mirrored.config.out_dir == uri
    assert stored.status == "finished" and stored.same_results(mirrored)


def test_unreadable_resources_are_config_errors(base):
    from sbexplore.jobs.ray import run_ray

    with pytest.raises(ConfigError, match="num_gpus=-1"):
        run_ray([base.replace(out_dir="x")], num_gpus=-1)
    with pytest.raises(ConfigError, match="retries"):
        run_ray([base.replace(out_dir="x")], retries=-2)
    with pytest.raises(ConfigError, match="address='nonsense'"):
        run_ray([base.replace(out_dir="x")], address="nonsense")


def test_without_ray_backend_ray_says_how_to_install(monkeypatch, base, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(UserError, match=r'pip install "sbexplore\[ray\]"'):
        _sweep(base_config=base, grid={"beta": [1.0]}, out=tmp_path, backend="ray")
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.slow
def test_local_instance_is_loopback_only_and_stopped_after(tmp_path):
    """address=None: run_ray starts its own instance on 127.0.0.1 and shuts it down after."""
    _need_ray()
    script = textwrap.dedent(f"""
        import json, ray
        from sbexplore import RunConfig
        from sbexplore.jobs.ray import run_ray
        seen = []
        cfg = RunConfig(dataset="digits", model="mlp", epochs=1, device="cpu",
                        out_dir={str(tmp_path / "run")!r})
        out = run_ray([cfg], num_cpus=1, progress=lambda: seen.append(
            [n["NodeManagerAddress"] for n in ray.nodes()]))
        print(json.dumps({{"nodes": seen, "error": out[0][2], "up": ray.is_initialized()}}))
    """)
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"nodes": [["127.0.0.1"]], "error": None, "up": False}
