"""benchmarks/gpu_check.py runs end to end (--dry-run: CPU, digits), so the script the GPU
machine gets has been executed before its 15 minutes start."""

import subprocess
import sys
from pathlib import Path

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
