"""Progress bars with rate and ETA (tqdm: a widget in notebooks, text in a terminal).

`ProgressBar` follows one run's candidate batches through the Recorder's counts;
`RunsBar` counts the runs of a sweep.
"""

from __future__ import annotations

import sys
from typing import Any

from sbexplore.engine.recorder import Callback, Recorder

try:
    from tqdm.auto import tqdm
except ImportError:  # a bare GPU box (torch, pandas): training runs, without a bar
    class tqdm:  # type: ignore[no-redef]
        """No bar: what ProgressBar and RunsBar call, doing nothing."""

        def __init__(self, *args: Any, **kwargs: Any):
            self.n = 0

        def update(self, n: int = 1) -> None:
            self.n += n

        def set_description(self, *args: Any, **kwargs: Any) -> None:
            pass

        def set_postfix(self, *args: Any, **kwargs: Any) -> None:
            pass

        def close(self) -> None:
            pass


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm draws a widget)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return type(get_ipython()).__name__ == "ZMQInteractiveShell"


def _show(enabled: bool | None) -> bool:
    """None: in a notebook, or when stderr is a terminal (not in logs or pipes)."""
    return enabled if enabled is not None else in_notebook() or sys.stderr.isatty()


class ProgressBar(Callback):
    """One bar over a run's candidate batches: epoch k/E, rate, ETA, test accuracy and keep."""

    def __init__(self, enabled: bool | None = None, leave: bool = True):
        self.enabled, self.leave = _show(enabled), leave
        self.bar: Any = None

    def _open(self, recorder: Recorder) -> Any:
        if self.bar is None:
            cfg = recorder.cfg
            self.bar = tqdm(total=cfg.epochs * recorder.counts.candidate_batches_per_epoch,
                            unit="batch",
                            desc=f"{cfg.label} epoch 1/{cfg.epochs}", leave=self.leave,
                            dynamic_ncols=True, disable=not self.enabled)
        return self.bar

    def on_candidate_batch(self, recorder: Recorder) -> None:
        bar = self._open(recorder)
        bar.update(recorder.counts.candidate_batches - bar.n)

    def on_epoch(self, recorder: Recorder, row: dict[str, Any]) -> None:
        bar, cfg = self._open(recorder), recorder.cfg
        bar.set_description(f"{cfg.label} epoch {min(row['epoch'] + 1, cfg.epochs)}/{cfg.epochs}",
                            refresh=False)
        bar.set_postfix(acc=f"{row['test_accuracy']:.3f}", keep=f"{row['keep_fraction']:.2f}")

    def on_end(self, recorder: Recorder) -> None:
        if self.bar is not None:
            self.bar.close()


class RunsBar:
    """A bar over the runs of a sweep; `tick()` after each run (finished or failed)."""

    def __init__(self, total: int, skipped: int = 0, enabled: bool = True):
        self.total, self.done = total, 0
        self.enabled = enabled and total > 0
        note = f" ({skipped} already done)" if skipped else ""
        self.bar = tqdm(total=total, unit="run", desc=f"sweep{note}", dynamic_ncols=True,
                        disable=not self.enabled)

    def tick(self) -> None:
        self.done += 1
        self.bar.update(1)
        if self.done >= self.total:
            self.bar.close()
