"""Recipes per (dataset, model): each measured entry against the stability criteria
(BENCHMARKS.md "Recipes"; sbexplore/config/recipes.py cites the numbers).

    python -m benchmarks.bench_recipes                            # every measured entry
    python -m benchmarks.bench_recipes --only digits/mlp --lrs 0.01,0.02,0.03,0.05
    python -m benchmarks.bench_recipes --quickstart     # the dashboard's model: epoch times

Per entry and learning rate, over seeds: the first epoch's training loss (must be below ln C),
traditional's and SB β=2's final test accuracy (mean ± std), SB's worst post-priming dip below
its last priming epoch (must stay within 5 points on every seed), and seconds per training epoch
(evaluation excluded). Everything else is the recipe's.

The CIFAR-10 entries run on a class-balanced subset folder built from ../shared/data's archive
(`--cifar-train` / `--cifar-test` images), so a ResNet-18 measurement fits a 2-core CPU; the
numbers say so.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import hardware
from sbexplore import RunConfig, train
from sbexplore.config.recipes import recipe_for

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ENTRIES = {
    "digits/mlp": {"dataset": "digits", "model": "mlp"},
    "digits/cnn": {"dataset": "digits", "model": "cnn"},
    "mnist/mlp": {"dataset": "mnist", "model": "mlp", "train_subset": 20_000},
    "mnist/cnn": {"dataset": "mnist", "model": "cnn", "train_subset": 20_000},
    "imagefolder/cnn": {"dataset": "imagefolder", "model": "cnn", "epochs": 4},
    "imagefolder/resnet18": {"dataset": "imagefolder", "model": "resnet18", "epochs": 4},
}


def subset_folder(archive: Path, out: Path, train: int, test: int) -> Path:
    """A class-balanced CIFAR-10 JPEG folder with `train` and `test` images (first files)."""
    subprocess.run(["tar", "xzf", str(archive), "-C", str(out)], check=True)
    full, small = out / "cifar10-jpg", out / "cifar10-small"
    for split, n in (("train", train), ("test", test)):
        classes = sorted(p for p in (full / split).iterdir() if p.is_dir())
        for c in classes:
            dest = small / split / c.name
            dest.mkdir(parents=True)
            for f in sorted(c.iterdir())[:n // len(classes)]:
                shutil.copy(f, dest / f.name)
    shutil.rmtree(full)
    return small


def measure(fields: dict, lr: float | None, seeds: list[int]) -> str:
    first, finals, dips, per_epoch = [], {"traditional": [], "sb": []}, [], []
    classes = None
    for seed in seeds:
        for policy in ("traditional", "sb"):
            cfg = RunConfig(**fields, policy=policy, seed=seed, device="cpu",
                            **({} if lr is None else {"lr": lr}))
            run = train(cfg, progress=False)
            m = run.metrics
            classes = len(run.meta.get("classes") or []) or classes
            finals[policy].append(m["test_accuracy"].iloc[-1])
            per_epoch.append(float(m["wall_time_s"].median()))
            if policy == "traditional":
                first.append(m["train_loss"].iloc[0])
            else:
                acc, pr = m["test_accuracy"].to_numpy(), m["priming"].astype(bool).to_numpy()
                dips.append(100 * (acc[pr][-1] - acc[~pr].min()) if (~pr).any() else math.nan)
    lr_used = cfg.resolved().lr

    def stat(v):
        return f"{np.mean(v):.3f} ± {np.std(v):.3f}"

    ln_c = f" (ln C {math.log(classes):.2f})" if classes else ""
    return (f"lr {lr_used:g}: first loss {np.mean(first):.2f}{ln_c}; traditional "
            f"{stat(finals['traditional'])}; SB {stat(finals['sb'])}; worst SB dip "
            f"{np.nanmax(dips):.1f} pt (seeds > 5 pt: {sum(d > 5 for d in dips)}/{len(dips)}); "
            f"{np.median(per_epoch):.2f} s/epoch; n={len(seeds)}")


def quickstart() -> None:
    """Seconds per training epoch of the mlp and the cnn on digits on one thread (a laptop
    core), and the quickstart dashboard's defaults over 3 seeds."""
    import statistics

    import torch

    from sbexplore.ui.dashboard import DEFAULT

    torch.set_num_threads(1)
    for model in ("mlp", "cnn"):
        for policy in ("sb", "traditional"):
            m = train(RunConfig(dataset="digits", model=model, device="cpu", policy=policy),
                      progress=False).metrics
            print(f"digits {model} {policy}, 1 thread: {m['wall_time_s'].median():.3f} s per "
                  f"training epoch, final {m['test_accuracy'].iloc[-1]:.3f}", flush=True)
    accs = [train(DEFAULT.replace(device="cpu", seed=s), progress=False)
            .metrics["test_accuracy"].iloc[-1] for s in (0, 1, 2)]
    print(f"quickstart dashboard defaults: final {statistics.mean(accs):.3f} ± "
          f"{statistics.pstdev(accs):.3f} (n=3: {', '.join(f'{a:.3f}' for a in accs)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None,
                    help="entries, comma-separated: " + ", ".join(ENTRIES))
    ap.add_argument("--lrs", default=None, help="learning rates to try (default: the recipe's)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--archive", default=str(SHARED / "cifar10-jpg.tar.gz"))
    ap.add_argument("--cifar-train", type=int, default=1000)
    ap.add_argument("--cifar-test", type=int, default=1000)
    ap.add_argument("--quickstart", action="store_true", help=quickstart.__doc__)
    a = ap.parse_args()
    if a.quickstart:
        return quickstart()
    seeds = [int(s) for s in a.seeds.split(",")]
    lrs = [float(x) for x in a.lrs.split(",")] if a.lrs else [None]
    print(f"# {hardware()}; seeds {seeds}; SB beta=2", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = None
        for key, fields in ENTRIES.items():
            if a.only and key not in a.only.split(","):
                continue
            fields = dict(fields)
            if fields["dataset"] == "mnist":
                fields["data_root"] = str(SHARED)
            if fields["dataset"] == "imagefolder":
                if folder is None:
                    folder = subset_folder(Path(a.archive), Path(tmp), a.cifar_train,
                                           a.cifar_test)
                fields["data_root"] = str(folder)
            name, _ = recipe_for(fields["dataset"], fields["model"])
            where = (f", CIFAR-10 subset folder {a.cifar_train:,}/{a.cifar_test:,}"
                     if fields["dataset"] == "imagefolder" else "")
            for lr in lrs:
                print(f"{key} (recipe {name}{where}, "
                      f"{fields.get('epochs', 'recipe')} epochs): {measure(fields, lr, seeds)}",
                      flush=True)


if __name__ == "__main__":
    main()
