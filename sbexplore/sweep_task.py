"""One run of a sweep, shared by every backend: `run_one(config_json)` trains a config into its
out_dir; `Progress` is the bar over runs (a widget in a notebook, text in a terminal)."""

from __future__ import annotations

import sys

from sbexplore.config import RunConfig
from sbexplore.errors import ConfigError


def run_one(config_json: str, threads: int | None = None) -> str:
    """Train one run from its JSON config, save it to its out_dir and return that out_dir.

    `threads` fixes torch's CPU threads for the run: CPU results depend on the thread count,
    so backends that should agree exactly must train with the same number."""
    import torch

    from sbexplore.trainer import Trainer

    cfg = RunConfig.from_json(config_json)
    if not cfg.out_dir:
        raise ConfigError("run_one needs a config with out_dir set (expand_grid sets it)")
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        Trainer(cfg).fit()  # saves every epoch and at the end
    finally:
        torch.set_num_threads(before)
    return cfg.out_dir


class Progress:
    """A progress bar over runs: an ipywidgets IntProgress in a notebook, text in a terminal."""

    def __init__(self, total: int, skipped: int, enabled: bool):
        self.total, self.done, self.widget = total, 0, None
        self.enabled = enabled and total > 0
        if not self.enabled:
            return
        if _in_notebook():
            try:
                import ipywidgets as w
                from IPython.display import display

                self.widget = w.IntProgress(value=0, max=total, description="sweep",
                                            bar_style="info")
                self.label = w.Label(f"0/{total} runs ({skipped} already done)")
                display(w.HBox([self.widget, self.label]))
                return
            except ImportError:
                pass
        sys.stderr.write(f"sweep: {total} runs to train ({skipped} already done)\n")
        self._draw()

    def tick(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.widget is not None:
            self.widget.value = self.done
            self.label.value = f"{self.done}/{self.total} runs"
            if self.done == self.total:
                self.widget.bar_style = "success"
        else:
            self._draw()

    def _draw(self) -> None:
        filled = int(30 * self.done / self.total)
        end = "\n" if self.done == self.total else ""
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
                         f" runs{end}")
        sys.stderr.flush()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return type(get_ipython()).__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False
