"""benchmarks/gpu_check.py runs end to end (--dry-run: CPU, digits), so the script the GPU
machine gets has been executed before its 15 minutes start."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_gpu_check_dry_run_passes_every_check(tmp_path):
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--dry-run"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    rows = [line for line in p.stdout.splitlines() if line.startswith("| ")]
    checks = [r for r in rows if "dry run (CPU, digits)" in r]
    assert len(checks) == 5 and all("| ok |" in r for r in checks), "\n".join(rows)
    assert "| SB β=3 | backprops | ×1.1 |" in p.stdout  # the speedup table printed
    assert not list(tmp_path.iterdir())  # nothing written where it ran


BARE = ("plotly", "ipywidgets", "tqdm", "sklearn", "pypdf", "kaleido", "anywidget", "IPython",
        "jupyterlab", "matplotlib", "nbformat", "ray", "lightning")
ON_THE_GPU_BOX = """
import importlib.machinery as m, runpy, sys
BARE = {bare!r}
class Hide:  # the path finder, blind to what the GPU box lacks (find_spec says None)
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.split(".")[0] in BARE:
            return None
        return m.PathFinder.find_spec(name, path, target)
    @classmethod
    def invalidate_caches(cls):
        m.PathFinder.invalidate_caches()
sys.meta_path = [Hide if f is m.PathFinder else f for f in sys.meta_path]
check = runpy.run_path({script!r}, run_name="gpu_check")
from sbexplore import train
run = train(check["quick"]({root!r}, "cpu", epochs=1, train_subset=None))
print("trained", len(run.metrics), run.config.dataset)
"""


@pytest.mark.slow
def test_the_gpu_checks_own_runs_need_only_what_the_gpu_box_has(tmp_path):
    """The device image has torch, torchvision, pandas and pyarrow: no scikit-learn (digits),
    tqdm, plotly or ipywidgets. The GPU path of gpu_check trains on the CIFAR folder."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for c in ("cat", "dog"):
            (tmp_path / split / c).mkdir(parents=True)
            for i in range(8):
                Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
                    tmp_path / split / c / f"{i}.jpg")
    code = ON_THE_GPU_BOX.format(bare=BARE, script=str(REPO / "benchmarks" / "gpu_check.py"),
                                 root=str(tmp_path))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "trained 1 imagefolder" in p.stdout
