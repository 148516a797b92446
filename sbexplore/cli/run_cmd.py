"""`sbexplore run`: train one run (saved by default), one line per epoch and a progress bar."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tqdm.auto import tqdm

from sbexplore.cli.config_flags import add_config_flags, config_from_args
from sbexplore.engine.distributed import destroy_process_group, init_from_env, world
from sbexplore.engine.progress import ProgressBar
from sbexplore.engine.recorder import Callback, Recorder
from sbexplore.engine.trainer import Trainer
from sbexplore.runs.folders import with_default_out_dir


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "run", help="train one run (flags mirror RunConfig fields)",
        description="Train one run; flags mirror RunConfig fields one to one. The run is saved "
                    "to --out-dir, else to ./runs/<name>-<YYYYmmdd-HHMMSS> ($SBEXPLORE_RUNS "
                    "instead of ./runs when set), unless --no-save. Re-run a saved run with "
                    "--config RUN_DIR/config.json (flags override it).")
    p.add_argument("--preset", default=None,
                   help="start from a preset (see sbexplore.config.presets)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines, no progress bar")
    p.add_argument("--no-save", dest="save", action="store_false",
                   help="without --out-dir, keep the run in memory only")
    add_config_flags(p)
    return p


class EpochPrinter(Callback):
    """One line per epoch (written above the progress bar, if one is showing)."""

    def __init__(self, stream=None):
        self._stream = stream

    @property
    def stream(self):
        return self._stream or sys.stdout

    def on_epoch(self, trainer: Recorder, row: dict[str, Any]) -> None:
        pick = row["mislabel_pick_rate"]
        pick_s = f"  pick {pick:.3f}" if pick == pick else ""
        tqdm.write(f"epoch {row['epoch']:>3}/{trainer.cfg.epochs}  acc {row['test_accuracy']:.4f}"
                   f"  loss {row['test_loss']:.4f}  keep {row['keep_fraction']:.3f}{pick_s}  "
                   f"{row['wall_time_s']:.2f}s", file=self.stream)
        self.stream.flush()


def main(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    several = init_from_env(cfg.device)  # under torchrun: one run across its processes
    lead = world()[0] == 0  # rank 0 prints and saves
    try:
        return _train(with_default_out_dir(cfg, args.save) if lead else cfg, args, lead)
    finally:
        if several:
            destroy_process_group()


def _train(cfg, args: argparse.Namespace, lead: bool) -> int:
    callbacks = [] if args.quiet or not lead else [EpochPrinter(), ProgressBar(leave=False)]
    trainer = Trainer(cfg, callbacks=callbacks)
    used = trainer.cfg
    say = print if lead else (lambda *a, **k: None)
    ranks = f", {trainer.world} processes" if trainer.world > 1 else ""
    say(f"{cfg.label} on {cfg.dataset}/{cfg.model}: {trainer.n} training examples, "
        f"device {trainer.device}{ranks}, recipe {used.recipe} (lr {used.lr:g}, batch "
        f"{used.batch_size}, {used.epochs} epochs)"
        + (f", saving to {cfg.out_dir}" if cfg.out_dir else ""))
    run = trainer.fit()
    say(f"{run.status}: test accuracy {run.metrics['test_accuracy'].iloc[-1]:.4f}, "
        f"{int(run.metrics['examples_backpropped'].sum())} backprops, "
        f"{run.metrics['wall_time_s'].sum():.1f}s")
    if cfg.out_dir and lead:
        say(f"saved: {cfg.out_dir} (re-run: sbexplore run --config {cfg.out_dir}/config.json)")
    return 0
