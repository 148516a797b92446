"""What one student's kernel costs on this machine, measured: `python -m sbexplore.ui.probe`.

`sbexplore app --students N` runs it once, in a fresh process with the classroom's limits, before
the server starts: it imports sbexplore and torch, builds the app, then trains the most a student
may train at once (`max_runs` paced lesson runs, the dashboard redrawing) for a few seconds. It
prints one JSON line: resident memory, CPU cores used, and how long building the app took.
No browser is attached, so the cost of sending the views to one is not in the CPU figure.
"""

from __future__ import annotations

import json
import os
import sys
import time

MEASURE_S = 4.0  # seconds of paced training measured


def rss_mb() -> float:
    """This process's resident memory (MB), from /proc (Linux) or getrusage's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def measure(seconds: float = MEASURE_S) -> dict[str, float]:
    from sbexplore.ui.app import App
    from sbexplore.ui.lesson import LESSON_PACE_S

    t0 = time.perf_counter()
    app = App()
    built = time.perf_counter()
    dash = app.dashboard
    dash.save = False  # a probe leaves no run folders behind
    runs = [dash.start(app.config.replace(epochs=10_000, seed=s), pace=LESSON_PACE_S)
            for s in range(app.limits.max_runs)]
    time.sleep(1.0)  # past the data loading and the first epochs
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    memory = rss_mb()
    for r in runs:
        if r is not None:
            r.stop()
    for r in runs:
        if r is not None:
            r.join(10)
    dash.close()
    return {"rss_mb": round(memory, 1), "cpu_cores": round(cpu, 3),
            "runs": sum(r is not None for r in runs), "threads": app.limits.threads,
            "build_s": round(built - t0, 2)}


if __name__ == "__main__":
    print(json.dumps(measure(float(os.environ.get("SBEXPLORE_PROBE_S", MEASURE_S)))),
          flush=True)
