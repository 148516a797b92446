"""`sbexplore app`: the lesson and dashboard as a web app (Voilà): no code visible, one kernel
per browser tab taken from a pool of pre-started ones (`--students N`: N, sized against what one
kernel measurably costs here), bound to 127.0.0.1 unless told otherwise (then a token is
required)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import subprocess
import sys
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
    capacity,
    limits_from_env,
    this_machine,
)

REPO_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "app.ipynb"
# a taken kernel is replaced this long after: a refill imports torch, and started at once it
# would take CPU from the page its student is loading
REFILL_DELAY_S = 15.0
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
    p.add_argument("--students", type=int, default=None,
                   help="students expected at once: keeps that many kernels pre-started "
                        "(sbexplore imported, the app built), measures what one costs here and "
                        "says how large a class this machine serves (default: a pool of 1)")
    p.add_argument("--teacher", action="store_true",
                   help="also serve the teacher's view (predictions tallied, the class's "
                        "results, answers revealed on a click) on --teacher-port, with its own "
                        "token; students' tabs report anonymously to a store in ./sbexplore-room")
    p.add_argument("--teacher-port", type=int, default=None, dest="teacher_port",
                   help="the teacher's view's port (default: --port + 1)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def start_teacher(args: argparse.Namespace, folder: Path | None = None) -> tuple[Any, str]:
    """The teacher's view and its URL, on a fresh store in `folder` (default ./sbexplore-room),
    whose path the students' kernels get in $SBEXPLORE_ROOM."""
    import time

    from sbexplore.ui.room import ENV_ROOM, Room
    from sbexplore.ui.teacher import TeacherView

    folder = folder or Path.cwd() / "sbexplore-room"
    room = Room(folder / f"room-{time.strftime('%Y%m%d-%H%M%S')}.sqlite")
    os.environ[ENV_ROOM] = str(room.path)
    port = args.teacher_port if args.teacher_port is not None else args.port + 1
    try:
        view = TeacherView(room, host=args.ip, port=port).start()
    except OSError as exc:
        raise UserError(f"--teacher-port={port} is not allowed: {exc.strerror}") from None
    return view, f"{base_url(args.ip, view.port)}?token={view.token}"


def base_url(ip: str, port: int) -> str:
    """The address to print for a server on `ip:port` (localhost for a loopback one)."""
    return f"http://{'localhost' if is_loopback(ip) else ip}:{port}/"


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


def voila_argv(args: argparse.Namespace, notebook: Path, pool: int = 1
               ) -> tuple[list[str], str | None]:
    """Voilà's arguments (a pool of `pool` pre-started kernels) and the token to print (None
    when bound to loopback without one)."""
    token = args.token
    if token is None and not is_loopback(args.ip):
        token = secrets.token_urlsafe(24)
    if token is not None and not token.strip():
        raise UserError("--token='' is not allowed: on another interface than 127.0.0.1 a "
                        "non-empty token is required")
    argv = [str(notebook), f"--Voila.ip={args.ip}", f"--port={args.port}",
            "--strip_sources=True", "--show_tracebacks=False", "--Voila.port_retries=0",
            "--preheat_kernel=True", f"--pool_size={pool}",
            f"--VoilaKernelManager.fill_delay={REFILL_DELAY_S:g}"]
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
    plan = None if args.students is None else class_plan(args.students, limits)
    pool = 1 if plan is None else plan["pool"]
    argv, token = voila_argv(args, app_notebook(), pool)
    url = base_url(args.ip, args.port) + (f"?token={token}" if token else "")
    print(f"sbexplore app: {url}\n  each browser tab gets its own kernel: {limits.threads} "
          f"torch thread(s), at most {limits.max_runs} runs at once; {pool} kernel(s) kept "
          "pre-started (refilled as tabs take them). Ctrl-C stops the server.", flush=True)
    if plan is not None:
        print(plan["text"], flush=True)
    if args.teacher:
        _, teacher_url = start_teacher(args)
        print(f"  the teacher's view (keep this link to yourself): {teacher_url}\n  the "
              f"class's answers: {os.environ['SBEXPLORE_ROOM']}", flush=True)
    voila_main(argv=argv)
    return 0


def probe(limits: Limits) -> dict[str, Any]:
    """What one student's kernel costs here: `sbexplore.ui.probe` in a fresh process."""
    env = dict(os.environ, **{ENV_THREADS: str(limits.threads),
                              ENV_MAX_RUNS: str(limits.max_runs)})
    done = subprocess.run([sys.executable, "-m", "sbexplore.ui.probe"], env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise UserError("measuring a student's kernel failed (python -m sbexplore.ui.probe): "
                        + (done.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def class_plan(students: int, limits: Limits, measured: dict[str, Any] | None = None,
               machine: tuple[int, float] | None = None) -> dict[str, Any]:
    """The pool for `students` and the lines that say what it costs: per kernel (measured),
    the largest class this machine serves, and a warning when `students` exceeds it. The pool
    never holds more kernels than the memory fits."""
    if isinstance(students, bool) or not isinstance(students, int) or students < 1:
        raise UserError(f"--students={students!r} is not allowed: must be an integer >= 1")
    m = measured if measured is not None else probe(limits)
    cores, memory = machine or this_machine()
    cap = capacity(cores, memory, m["rss_mb"], m["cpu_cores"])
    pool = max(1, min(students, cap.by_memory))
    lines = [f"  {students} student(s): a pool of {pool} pre-started kernel(s)",
             f"  one student's kernel, measured now: {m['rss_mb']:.0f} MB; "
             f"{m['cpu_cores']:.2f} cores while {m['runs']} paced lesson run(s) train "
             f"(the most a student may run at once); {m['threads']} torch thread(s)",
             f"  this machine ({cores} cores, {memory / 1024:.1f} GB): at most {cap.students} "
             f"students at the lesson's pace ({cap.by_cpu} by cores, {cap.by_memory} by "
             f"memory)"]
    if students > cap.students:
        lines.append(f"  WARNING: {students} students exceed the {cap.students} this machine "
                     f"serves (its {cap.bound} run out): runs will slow down"
                     + (f", and only {pool} kernels fit in memory" if pool < students else "")
                     + "; use a larger machine or lower --max-runs")
    return {"pool": pool, "capacity": cap, "measured": m, "text": "\n".join(lines)}
