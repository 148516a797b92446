"""`sbexplore app`: the lesson and dashboard as a web app (Voilà): no code visible, one kernel
per browser tab, bound to 127.0.0.1 unless told otherwise (then a token is required)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from sbexplore.errors import UserError
from sbexplore.ui.classroom import (
    DEFAULT_MAX_RUNS,
    DEFAULT_THREADS,
    ENV_MAX_RUNS,
    ENV_THREADS,
    Limits,
    limits_from_env,
)

REPO_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "app.ipynb"
APP_SOURCE = "from sbexplore.ui.app import build_app\n\nbuild_app()"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("app", help="serve the lesson and dashboard as a web app (Voilà)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1: this machine only; any "
                        "other needs a token, generated and printed once if not given)")
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--token", default=None,
                   help="token students add to the URL (?token=...); default: none on "
                        "127.0.0.1, a random one on any other interface")
    p.add_argument("--threads", type=int, default=None,
                   help=f"torch threads per browser tab (default ${ENV_THREADS} or "
                        f"{DEFAULT_THREADS})")
    p.add_argument("--max-runs", type=int, default=None, dest="max_runs",
                   help=f"runs training at once per browser tab (default ${ENV_MAX_RUNS} or "
                        f"{DEFAULT_MAX_RUNS})")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        raise UserError(f"--ip={ip!r} is not allowed: give an IP address such as 127.0.0.1 "
                        "or 0.0.0.0") from None


def app_notebook() -> Path:
    """notebooks/app.ipynb in a clone; an equivalent one-cell notebook for an installed wheel."""
    if REPO_NOTEBOOK.is_file():
        return REPO_NOTEBOOK
    import nbformat

    folder = Path(tempfile.mkdtemp(prefix="sbexplore-app-"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(APP_SOURCE)])
    nbformat.write(nb, folder / "app.ipynb")
    return folder / "app.ipynb"


def voila_argv(args: argparse.Namespace, notebook: Path) -> tuple[list[str], str | None]:
    """Voilà's arguments and the token to print (None when bound to loopback without one)."""
    token = args.token
    if token is None and not is_loopback(args.ip):
        token = secrets.token_urlsafe(24)
    if token is not None and not token.strip():
        raise UserError("--token='' is not allowed: on another interface than 127.0.0.1 a "
                        "non-empty token is required")
    argv = [str(notebook), f"--Voila.ip={args.ip}", f"--port={args.port}",
            "--strip_sources=True", "--show_tracebacks=False", "--Voila.port_retries=0"]
    if token is not None:
        argv.append(f"--token={token}")
    if args.no_browser:
        argv.append("--no-browser")
    return argv, token


def main(args: argparse.Namespace) -> int:
    try:
        from voila.app import main as voila_main
    except ImportError:
        raise UserError("sbexplore app needs Voilà: pip install 'sbexplore[app]' "
                        "(or pip install voila)") from None
    env = limits_from_env()
    limits = Limits(threads=args.threads or env.threads, max_runs=args.max_runs or env.max_runs)
    os.environ[ENV_THREADS], os.environ[ENV_MAX_RUNS] = str(limits.threads), str(limits.max_runs)
    here = str(Path(__file__).resolve().parents[2])  # kernels import this very sbexplore
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (here, os.environ.get("PYTHONPATH")) if p)
    argv, token = voila_argv(args, app_notebook())
    host = "localhost" if is_loopback(args.ip) else args.ip
    url = f"http://{host}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"sbexplore app: {url}\n  each browser tab gets its own kernel: {limits.threads} "
          f"torch thread(s), at most {limits.max_runs} runs at once. Ctrl-C stops the server.",
          flush=True)
    voila_main(argv=argv)
    return 0
