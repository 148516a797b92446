"""What a view reads from a run in progress, named once: the `LiveSource` protocol.

A `BackgroundRun` (training in this process), a `Recorder` (any loop, your own included) and a
`FolderRun` (another process, read from its folder) are live sources, by structure (they define
these members; none inherits from the protocol); a `Run` is the record they produce. Views take
either and tell them apart with `isinstance(x, LiveSource)`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sbexplore.config import RunConfig
    from sbexplore.runs.record import Run
    from sbexplore.runs.snapshot import Snapshot


@runtime_checkable
class LiveSource(Protocol):
    """A run that may still be training: its record so far and a snapshot of its state."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> RunConfig: ...

    @property
    def status(self) -> str: ...

    @property
    def error(self) -> str | None: ...

    @property
    def record(self) -> Run:
        """The Run record: complete epochs so far, the final Run once done."""
        ...

    def snapshot(self, gallery: int = ...) -> Snapshot:
        """The state now (the epoch in progress too), safe to read from any thread."""
        ...

    @property
    def steerable(self) -> bool:
        """Whether this process can stop, pause and change it (another process's run: no)."""
        ...



class RecordAlias:
    """`.run`, the deprecated name of a live source's `.record` (kept for older code)."""

    @property
    def run(self) -> Run:
        warnings.warn(f"{type(self).__name__}.run is now .record (a Run is the record; this "
                      "is the live source that writes it)", DeprecationWarning, stacklevel=2)
        return self.record  # type: ignore[attr-defined]


def is_live(source: Any) -> bool:
    return isinstance(source, LiveSource)
