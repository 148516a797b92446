"""The run record: `Run` and its crash-consistent folder (`record`), atomic writes (`fileio`),
paths and URIs (`storage`), default folders (`folders`), live views' state (`snapshot`), runs in
progress (`source`: the LiveSource protocol) and folders another process writes (`follow`)."""

from sbexplore.runs.record import METRICS, Run, load_run
from sbexplore.runs.snapshot import Snapshot
from sbexplore.runs.source import LiveSource

__all__ = ["METRICS", "LiveSource", "Run", "Snapshot", "load_run"]
