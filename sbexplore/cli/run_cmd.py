"""`sbexplore run`: train one run, one line per epoch."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sbexplore.cli.config_flags import add_config_flags, config_from_args
from sbexplore.recorder import Callback, Recorder
from sbexplore.trainer import Trainer


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="train one run (flags mirror RunConfig fields)",
                       description="Train one run; flags mirror RunConfig fields one to one.")
    p.add_argument("--preset", default=None, help="start from a preset (see sbexplore.presets)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    add_config_flags(p)
    return p


class EpochPrinter(Callback):
    """One line per epoch, and a progress bar inside long epochs when stderr is a terminal."""

    def __init__(self, stream=None, bar: bool | None = None):
        self._stream = stream
        self.bar = sys.stderr.isatty() if bar is None else bar

    def on_step(self, trainer: Recorder) -> None:
        if not self.bar:
            return
        done = min(trainer.n, trainer.batch_in_epoch * trainer.cfg.batch_size)
        steps = trainer.steps_per_epoch
        if steps >= 50:
            filled = int(30 * done / trainer.n)
            sys.stderr.write(f"\r  epoch {trainer.epoch + 1} [{'#' * filled}{'.' * (30 - filled)}]"
                             f" {done}/{trainer.n}")
            sys.stderr.flush()

    @property
    def stream(self):
        return self._stream or sys.stdout

    def on_epoch(self, trainer: Recorder, row: dict[str, Any]) -> None:
        if self.bar:
            sys.stderr.write("\r" + " " * 60 + "\r")
        pick = row["mislabel_pick_rate"]
        pick_s = f"  pick {pick:.3f}" if pick == pick else ""
        self.stream.write(
            f"epoch {row['epoch']:>3}/{trainer.cfg.epochs}  acc {row['test_accuracy']:.4f}  "
            f"loss {row['test_loss']:.4f}  keep {row['keep_fraction']:.3f}{pick_s}  "
            f"{row['wall_time_s']:.2f}s\n")
        self.stream.flush()


def main(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    trainer = Trainer(cfg, callbacks=[] if args.quiet else [EpochPrinter()])
    print(f"{cfg.label} on {cfg.dataset}/{cfg.model}: {trainer.n} training examples, "
          f"device {trainer.device}" + (f", saving to {cfg.out_dir}" if cfg.out_dir else ""))
    run = trainer.fit()
    print(f"{run.status}: test accuracy {run.metrics['test_accuracy'].iloc[-1]:.4f}, "
          f"{int(run.metrics['examples_backpropped'].sum())} backprops, "
          f"{run.metrics['wall_time_s'].sum():.1f}s")
    return 0
