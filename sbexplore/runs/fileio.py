"""Atomic file writes (a crash never leaves a half-written file behind) and npz bytes."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temp name in the same folder, flush it to disk, then rename over `path` and
    flush the folder: a killed process or a power loss leaves the old file or the new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # ~1.5 ms per file on an SSD
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no folder handles to flush)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems (and FUSE mounts) refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def npz_bytes(arrays: dict[str, np.ndarray], compresslevel: int = 1) -> bytes:
    """An .npz (readable by `np.load`) deflated at `compresslevel`: level 1 is ~2.5x faster than
    `np.savez_compressed`'s 6 and about as small on loss/selection rows; 0 stores uncompressed."""
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compresslevel else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method, compresslevel=compresslevel or None) as zf:
        for name, a in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(a), allow_pickle=False)
    return buf.getvalue()
