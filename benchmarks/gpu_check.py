"""The GPU check: run it the moment a GPU is lent, as the machine is (torch and torchvision,
pandas and pyarrow; no plotly, no ipywidgets, no network, no installs). Under 8 minutes on one
H200; prints markdown tables for BENCHMARKS.md ("GPU check").

    mkdir -p data && cp ../shared/data/cifar10-jpg.tar.gz data/       # data/ is git-ignored
    python benchmarks/gpu_check.py --archive data/cifar10-jpg.tar.gz   # on the GPU machine
    python benchmarks/gpu_check.py --dry-run                            # CPU, tiny: CI runs it

Through the device tool: run(command="python benchmarks/gpu_check.py --archive
data/cifar10-jpg.tar.gz", carry=["data"], timeout_s=540), leaving time for a rerun.

Checks, each a row (ok / FAILED and its numbers):
1. the CUDA paths the project uses: bf16 autocast, channels_last and torch.compile, each a
   short cnn run on a 5,000-image subset of the CIFAR folder that must train (finite losses,
   accuracy at least twice chance);
2. a background run on the device: pause (it stops advancing), resume, stop;
3. the selection pass's share of a training step: selection forward seconds per example over
   backprop-step seconds per example (F/T) on the CIFAR cnn;
4. SB β=3 against traditional on the CIFAR-10 JPEG folder, ResNet-18 under the paper-cifar10
   preset shortened to fit (epochs and milestones scaled): time to traditional's final error
   × 1.1/1.2/1.4 on the three clocks, and images per second;
5. the GPU memory peak.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from benchmarks.common import hardware, markdown  # noqa: E402
from sbexplore import RunConfig, train  # noqa: E402
from sbexplore.analysis import speedup_table  # noqa: E402

ROWS: list[dict] = []
DRY = {"on": False}  # a dry run says so in every row: CPU, digits standing in for CIFAR


def check(name: str):
    """Record a check's outcome and numbers; a failure is a row, not the end of the script."""
    def deco(fn):
        def run(*args, **kwargs):
            t = time.perf_counter()
            try:
                detail = fn(*args, **kwargs) or ""
                ok = "ok"
            except Exception as exc:  # noqa: BLE001 - every failure becomes a reported row
                detail = f"{type(exc).__name__}: {str(exc)[:160]}"
                ok = "FAILED"
                traceback.print_exc()
            if DRY["on"]:
                detail = f"dry run (CPU, digits): {detail}"
            ROWS.append({"check": name, "result": ok, "detail": detail,
                         "seconds": round(time.perf_counter() - t, 1)})
            print(f"# {name}: {ok} {detail}", flush=True)
        return run
    return deco


def quick(root: str | None, device: str, **fields) -> RunConfig:
    """A short cnn run: the CIFAR folder's 5,000-image subset on the GPU (the device image has
    no scikit-learn, so no digits there), digits in the dry run."""
    if root is None:
        return RunConfig(**{"model": "cnn", "device": device, "epochs": 2, **fields})
    return RunConfig(**{"dataset": "imagefolder", "data_root": root, "train_subset": 5_000,
                        "model": "cnn", "device": device, "epochs": 3, **fields})


def trained_above(run, chance: float) -> str:
    m = run.metrics
    if not m["train_loss"].map(math.isfinite).all():
        raise AssertionError(f"non-finite training loss: {m['train_loss'].tolist()}")
    acc = m["test_accuracy"].iloc[-1]
    if acc < 2 * chance:
        raise AssertionError(f"test accuracy {acc:.3f} after {len(m)} epochs (chance {chance})")
    return f"acc {acc:.3f}, {m['wall_time_s'].sum():.1f} s, precision {run.meta['precision']}"


def trained(run) -> str:
    return trained_above(run, 1 / max(1, len(run.classes) or 10))


@check("cuda: bf16 autocast")
def bf16(root: str | None, device: str) -> str:
    return trained(train(quick(root, device, precision="bf16" if device != "cpu" else "fp32"),
                         progress=False))


@check("cuda: channels_last")
def channels_last(root: str | None, device: str) -> str:
    run = train(quick(root, device, memory_format="channels_last"), progress=False)
    return trained(run) + f", memory format {run.meta['memory_format']}"


@check("cuda: torch.compile")
def compiled(root: str | None, device: str) -> str:
    return trained(train(quick(root, device, compile=True), progress=False))


@check("background run: pause, resume, stop")
def background(root: str | None, device: str) -> str:
    from sbexplore import start

    live = start(quick(root, device, epochs=10_000), save=False)

    def batches() -> int:
        return live.trainer.counts.candidate_batches if live.trainer is not None else 0

    deadline = time.time() + 120
    while batches() < 5:
        if time.time() > deadline or live.done:
            raise AssertionError(f"no progress: status {live.status}, {live.error}")
        time.sleep(0.05)
    live.pause()
    time.sleep(0.5)
    at = batches()
    time.sleep(1.0)
    if batches() != at or live.status != "paused":
        raise AssertionError(f"still advancing while paused ({at} -> {batches()}), "
                             f"status {live.status}")
    live.resume()
    time.sleep(0.5)
    live.stop()
    live.join(60)
    if live.status != "stopped":
        raise AssertionError(f"status {live.status} after stop")
    return f"paused at candidate batch {at}, stopped at {batches()}"


def cifar_config(root: str | None, device: str, dry: bool, **fields) -> RunConfig:
    if dry or root is None:  # the CPU dry run: digits stands in for the CIFAR folder
        return RunConfig(**{"dataset": "digits", "model": "mlp", "device": device, "epochs": 3,
                            **fields})
    return RunConfig(dataset="imagefolder", data_root=root, device=device, **fields)


@check("selection pass share of a training step (F/T)")
def selection_share(root: str | None, device: str, dry: bool) -> str:
    run = train(cifar_config(root, device, dry, model="cnn", policy="sb", beta=3.0,
                             **({} if dry else {"epochs": 3})), progress=False)
    m = run.metrics[~run.metrics["priming"]]
    per_f = m["time_select_s"].sum() / max(1, m["examples_forwarded"].sum())
    per_t = m["time_train_s"].sum() / max(1, m["examples_backpropped"].sum())
    return (f"F/T {per_f / per_t:.3f} (selection {per_f * 1e6:.1f} µs/example, step "
            f"{per_t * 1e6:.1f} µs/example); selection {m['time_select_s'].sum():.1f} s of "
            f"{m['wall_time_s'].sum():.1f} s")


SPEEDUP: list[pd.DataFrame] = []


@check("SB β=3 vs traditional, ResNet-18, paper-cifar10 shortened")
def paper_cifar(root: str | None, device: str, dry: bool, epochs: int) -> str:
    if dry or root is None:
        base = cifar_config(root, device, True)
        cfgs = [base.replace(policy="traditional"), base.replace(policy="sb", beta=3.0)]
    else:
        scale = epochs / 200  # the preset's 200 epochs and milestones, shortened together
        base = RunConfig.from_preset(
            "paper-cifar10", dataset="imagefolder", data_root=root, device=device,
            epochs=epochs, milestones=[round(m * scale, 2) for m in (60, 120, 160)],
            prime_examples=None, cutout=16)
        cfgs = [base.replace(policy="traditional"), base]
    runs = [train(c, progress=False) for c in cfgs]
    table = speedup_table(runs)
    SPEEDUP.append(table)
    rates = []
    for r in runs:
        m = r.metrics
        work = int(m["examples_forwarded"].sum() + m["examples_backpropped"].sum())
        rates.append(f"{r.name}: {work:,} examples in {m['wall_time_s'].sum():.0f} s = "
                     f"{len(r.examples) * len(m) / m['wall_time_s'].sum():,.0f} images/s, "
                     f"acc {m['test_accuracy'].iloc[-1]:.3f}")
    return "; ".join(rates)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU, tiny settings: checks that the script runs (CI)")
    ap.add_argument("--archive", default=str(Path(__file__).resolve().parents[1] / "data"
                                             / "cifar10-jpg.tar.gz"),
                    help="the CIFAR-10 JPEG archive (../shared/data/cifar10-jpg.tar.gz)")
    ap.add_argument("--epochs", type=int, default=12, help="ResNet-18 epochs (default 12)")
    a = ap.parse_args()
    cuda = torch.cuda.is_available()
    if not cuda and not a.dry_run:
        sys.exit("no CUDA device: run with --dry-run on a CPU")
    device = "cpu" if a.dry_run else "cuda"
    DRY["on"] = a.dry_run
    print(f"# gpu_check{' (dry run)' if a.dry_run else ''}: {hardware()}", flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = None
        if not a.dry_run and Path(a.archive).is_file():
            subprocess.run(["tar", "xzf", a.archive, "-C", tmp], check=True)
            root = str(Path(tmp) / "cifar10-jpg")
        elif not a.dry_run:
            sys.exit(f"{a.archive} not found: copy ../shared/data/cifar10-jpg.tar.gz there "
                     "(and name its folder in the device tool's carry)")
        bf16(root, device)
        channels_last(root, device)
        if not a.dry_run:
            compiled(root, device)
        background(root, device)
        selection_share(root, device, a.dry_run)
        paper_cifar(root, device, a.dry_run, a.epochs)
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda and not a.dry_run else float("nan")
    ROWS.append({"check": "GPU memory peak", "result": "ok" if peak == peak else "n/a",
                 "detail": f"{peak:.2f} GiB allocated" if peak == peak else "no GPU",
                 "seconds": 0.0})
    print(f"\n### GPU check ({hardware()})\n")
    print(markdown(pd.DataFrame(ROWS)))
    if SPEEDUP:
        from sbexplore.analysis import format_table

        print("\n### Time to traditional's final error x k, three clocks\n")
        sp = format_table(SPEEDUP[0])
        cols = ["run", "clock", "factor", "target", "seeds", "reached", "value", "speedup"]
        print(markdown(sp[[c for c in cols if c in sp.columns]].astype(str)))
    print(f"\n# total {time.perf_counter() - t0:.0f} s")
    if any(r["result"] == "FAILED" for r in ROWS):
        sys.exit(1)


if __name__ == "__main__":
    main()
