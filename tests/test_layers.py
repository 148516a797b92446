"""The core imports and trains without the UI stack (as on a bare GPU box: torch only)."""

import subprocess
import sys

from conftest import REPO

BLOCK_UI = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"plotly", "ipywidgets", "IPython", "ipykernel", "jupyterlab",
                                  "anywidget", "kaleido", "nbclient", "nbformat"}:
            raise ImportError(f"{name} is blocked: the core must not need it")
sys.meta_path.insert(0, Block())
"""


def test_core_trains_sweeps_and_analyses_without_jupyter_or_plotly(tmp_path):
    code = BLOCK_UI + f"""
import sbexplore as sb
from sbexplore import analysis, runner, sweeps, selection, presets, demo
run = sb.train(sb.RunConfig(model="mlp", epochs=2, device="cpu", out_dir={str(tmp_path)!r}))
assert sb.load_run({str(tmp_path)!r}) == run
live = sb.start(sb.RunConfig(model="mlp", epochs=1, device="cpu")); live.join()
assert live.status == "finished", live.error
print("ok", analysis.realised_keep(run))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ok")
