"""Time to a ready panel when k students open the classroom app at once, cold and warm.

Cold: `voila notebooks/app.ipynb` (each tab starts its own kernel and imports torch when it
arrives). Warm: `sbexplore app --students k` (k kernels pre-started; the tabs are opened once the
server logged every kernel warm). k headless Chromium tabs open the link together; a tab is
ready when its Start button shows. Also prints what `--students` measured for one kernel, and
the capacity it implies here and for a 16-core, 64 GB server (an estimate from those numbers).

    python -m benchmarks.bench_warm_tabs [--tabs 1 2 4] [--modes cold warm] [--limit-s 300]

A tab not ready within `--limit-s` counts as not ready (printed as "k of n ready").
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import hardware
from sbexplore.ui.app import WARM

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(argv: list[str], cwd: str, warm: int) -> tuple[subprocess.Popen, list[str], str]:
    port, token = _port(), secrets.token_hex(8)
    proc = subprocess.Popen([*argv, f"--port={port}", f"--token={token}", "--no-browser"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    end = time.time() + 300
    while time.time() < end:
        listening = socket.socket().connect_ex(("127.0.0.1", port)) == 0
        if listening and sum(x.count(WARM) for x in lines) >= warm:
            return proc, lines, f"http://127.0.0.1:{port}/?token={token}"
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not get ready: " + "".join(lines)[-2000:])


def open_tabs(url: str, k: int, limit_s: float = 300.0) -> list[float]:
    """Seconds from opening until each tab was ready (inf: not within `limit_s`)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        pages, t0 = [], time.time()
        for _ in range(k):
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url, wait_until="commit", timeout=300_000)
            pages.append(page)
        ready = []
        for page in pages:
            left = max(1.0, limit_s - (time.time() - t0))
            try:
                page.locator(".widget-button", has_text="Start").wait_for(timeout=left * 1000)
                ready.append(time.time() - t0)
            except PlaywrightTimeout:
                ready.append(float("inf"))
        browser.close()
    return ready


def _cell(times: list[float]) -> str:
    done = [t for t in times if t != float("inf")]
    if not done:
        return f"none of {len(times)} ready"
    span = f"{done[0]:.1f} s" if len(times) == 1 else f"{min(done):.1f}-{max(done):.1f} s"
    return span if len(done) == len(times) else f"{span} ({len(done)} of {len(times)} ready)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tabs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--modes", nargs="+", choices=("cold", "warm"), default=["cold", "warm"])
    ap.add_argument("--limit-s", type=float, default=300.0)
    a = ap.parse_args()
    print(f"# {hardware()}", flush=True)
    print("| tabs opened at once | cold: each tab starts its kernel | warm pool "
          "(`--students k`) | server start to warm pool |\n|---|---|---|---|", flush=True)
    plan = ""
    for k in a.tabs:
        row = {"cold": [], "warm": [], "warm_start_s": float("nan")}
        for mode in a.modes:
            with tempfile.TemporaryDirectory() as cwd:
                argv = ([sys.executable, "-m", "voila", str(REPO / "notebooks" / "app.ipynb"),
                         "--strip_sources=True"] if mode == "cold" else
                        [sys.executable, "-m", "sbexplore", "app", f"--students={k}"])
                t0 = time.time()
                proc, lines, url = _server(argv, cwd, 0 if mode == "cold" else k)
                row[f"{mode}_start_s"] = time.time() - t0
                try:
                    row[mode] = open_tabs(url, k, a.limit_s)
                finally:
                    proc.terminate()
                    proc.wait(30)
                if mode == "warm":
                    plan = "".join(x for x in lines if x.startswith("  "))
        print(f"| {k} | " + " | ".join(_cell(row[m]) if row[m] else "not run"
                                       for m in ("cold", "warm")) +
              f" | {row['warm_start_s']:.0f} s |", flush=True)
    print("\nwhat `sbexplore app --students` printed (the last run):\n" + plan)
    m = json.loads(subprocess.run([sys.executable, "-m", "sbexplore.ui.probe"],
                                  capture_output=True, text=True, check=True).stdout)
    from sbexplore.ui.classroom import capacity

    big = capacity(16, 64 * 1024, m["rss_mb"], m["cpu_cores"])
    print(f"one kernel, measured again: {m}\nestimate for a 16-core, 64 GB server (from these "
          f"measured numbers, not measured there): {big.students} students ({big.by_cpu} by "
          f"cores, {big.by_memory} by memory)")


if __name__ == "__main__":
    main()
