"""The training engine: selection `policies`, the `Selector` (which examples get a backward
pass), the `Recorder` (what happened, for every view), `control` (stop, pause, live changes),
`counts`, timing and schedules, and the built-in `Trainer` that uses them like any loop."""

from sbexplore.engine.control import LiveControl, StopTraining
from sbexplore.engine.counts import Counts
from sbexplore.engine.policies import Policy
from sbexplore.engine.recorder import Callback, Recorder
from sbexplore.engine.selector import Selector, WithIndices
from sbexplore.engine.trainer import Trainer, train

__all__ = ["Callback", "Counts", "LiveControl", "Policy", "Recorder", "Selector",
           "StopTraining", "Trainer", "WithIndices", "train"]
