"""Start a JupyterLab server for browser tests: one place for its flags and its wait."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nbexec import kernel_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings_env(folder: Path) -> dict[str, str]:
    """JupyterLab user settings for tests: every cell stays rendered (no windowing), so a
    widget scrolled out of view can still be read."""
    f = folder / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text('{"windowingMode": "none"}')
    return {"JUPYTERLAB_SETTINGS_DIR": str(folder),
            "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces")}


@contextmanager
def jupyterlab(root: Path, extra_args: tuple[str, ...] = (), env: dict | None = None,
               timeout: float = 90.0) -> Iterator[tuple[str, str]]:
    """Serve `root`; yields (base URL, token) once the server answers, stops it afterwards."""
    port, token = _free_port(), secrets.token_hex(16)
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    proc = subprocess.Popen(
        [jupyter, "lab", "--allow-root", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--ServerApp.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *extra_args],
        env={**kernel_env(), **lab_settings_env(root.parent / f"lab-settings-{port}"),
             **(env or {})}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    with _served(proc, f"{base}/api/status?token={token}", "JupyterLab", timeout):
        yield base, token


@contextmanager
def _served(proc: subprocess.Popen, probe: str, name: str, timeout: float) -> Iterator[None]:
    """Wait until `probe` answers (or fail after `timeout` s), then stop `proc` afterwards."""
    t0 = time.time()
    try:
        while True:
            try:
                urllib.request.urlopen(probe, timeout=2)
                break
            except OSError:
                if time.time() - t0 > timeout or proc.poll() is not None:
                    raise RuntimeError(f"{name} did not start within {timeout:.0f} s") from None
                time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def voila(notebook: Path, timeout: float = 90.0) -> Iterator[str]:
    """Serve `notebook` with Voilà on 127.0.0.1 with a token; yields the page's URL."""
    port, token = _free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", f"--token={token}"],
        env=kernel_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    with _served(proc, f"{base}/voila/static/voila.js", "Voilà", timeout):
        yield f"{base}/?token={token}"
