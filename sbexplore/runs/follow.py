"""Follow runs that another process writes (a sweep's workers, a CLI run) from their folders."""

from __future__ import annotations

import os
from pathlib import Path

from sbexplore.errors import RunFolderError, UserError
from sbexplore.runs.record import CONFIG, FILES, MANIFEST, Run, is_run_dir, load_run
from sbexplore.runs.snapshot import GALLERY_SIZE, Snapshot
from sbexplore.runs.source import RecordAlias


class FolderRun(RecordAlias):
    """A run folder being written elsewhere: a `LiveSource` reloaded whenever its saved files
    change. It cannot be steered from here: the process that trains it owns it."""

    steerable = False

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not is_run_dir(self.path):
            raise UserError(f"path={str(self.path)!r} is not allowed: not a run folder")
        self._stamp: tuple[float, ...] | None = None
        self._run: Run = load_run(self.path)
        self.refresh()

    def refresh(self) -> bool:
        """Reload if the folder changed since the last look; returns whether it did."""
        # the manifest is written last: it changes once per complete save (format 1: any file)
        names = (MANIFEST, CONFIG) if (self.path / MANIFEST).exists() else (
            FILES["meta"], FILES["metrics"], FILES["arrays"])
        try:
            stamp = tuple(os.stat(self.path / name).st_mtime_ns for name in names)
        except OSError:
            return False
        if stamp == self._stamp:
            return False
        try:
            run = load_run(self.path)
        except (RunFolderError, OSError):  # a save (or two) went by while we read: next time
            return False
        self._run, self._stamp = run, stamp
        return True

    @property
    def record(self) -> Run:
        return self._run

    @property
    def config(self):
        return self._run.config

    @property
    def name(self) -> str:
        return self._run.name

    @property
    def status(self) -> str:
        return self._run.status

    @property
    def error(self) -> str | None:
        return self._run.meta.get("error")

    def snapshot(self, gallery: int = GALLERY_SIZE) -> Snapshot:
        self.refresh()
        return Snapshot.from_run(self._run, gallery=gallery)

    def stop(self) -> None:
        raise UserError(f"run {self.name!r} trains in another process (a sweep or a CLI run): "
                        "stop it there")

    def __repr__(self) -> str:
        return f"FolderRun({str(self.path)!r}, status={self.status!r})"


def run_folders(path: str | os.PathLike) -> list[Path]:
    """The run folders in `path` (itself, or its sub-folders: a sweep), sorted by name."""
    p = Path(path)
    if is_run_dir(p):
        return [p]
    return sorted(d for d in p.iterdir() if is_run_dir(d)) if p.is_dir() else []
