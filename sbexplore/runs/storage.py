"""Where run folders live: local paths or pyarrow URIs (`s3://`, `gs://`, `file://`). Joining,
copying, mirroring to a local cache and reading a folder's saved status. A leaf: it imports no
sweep or training module, so every module that stores runs can share it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sbexplore.errors import UserError
from sbexplore.runs.record import FILES, MANIFEST, saved_status, status_of


def is_uri(path: str | os.PathLike | None) -> bool:
    return bool(path) and "://" in str(path)


def join(out: str | os.PathLike, folder: str) -> str:
    """`out/folder` for paths and URIs alike (Path() would turn s3://b into s3:/b)."""
    return f"{str(out).rstrip('/')}/{folder}" if is_uri(out) else str(Path(out) / folder)


def read_status(out_dir: str | os.PathLike) -> str | None:
    """The status saved in a run folder, local or at a URI; None when it holds no readable save."""
    if not is_uri(out_dir):
        return saved_status(out_dir)
    from pyarrow import fs

    try:
        filesystem, path = fs.FileSystem.from_uri(str(out_dir))
    except Exception:  # pyarrow raises ArrowInvalid/ArrowNotImplementedError/OSError
        return None
    for name in (MANIFEST, FILES["meta"]):
        try:
            with filesystem.open_input_stream(f"{path}/{name}") as f:
                return status_of(name, f.read())
        except (OSError, ValueError):
            continue
    return None


def copy_tree(src: str, dst: str) -> None:
    """Copy a folder between local paths and pyarrow URIs (s3://, gs://, hdfs://, file://)."""
    from pyarrow import fs

    try:
        src_fs, src_path = fs.FileSystem.from_uri(src) if is_uri(src) else (
            fs.LocalFileSystem(), str(Path(src).resolve()))
        dst_fs, dst_path = fs.FileSystem.from_uri(dst) if is_uri(dst) else (
            fs.LocalFileSystem(), str(Path(dst).resolve()))
    except Exception as exc:  # pyarrow raises ArrowInvalid/ArrowNotImplementedError/OSError
        raise UserError(f"out_dir={dst!r}: pyarrow cannot open this URI ({exc})") from None
    dst_fs.create_dir(dst_path, recursive=True)
    fs.copy_files(src_path, dst_path, source_filesystem=src_fs, destination_filesystem=dst_fs)


def mirror(uri: str, cache: str | Path | None = None) -> str:
    """Copy a run folder at `uri` into a local cache folder (refreshed) and return its path."""
    import shutil

    root = Path(cache or Path(tempfile.gettempdir()) / "sbexplore-ray-mirror")
    local = root / hashlib.sha1(uri.encode()).hexdigest()[:16] / uri.rstrip("/").split("/")[-1]
    shutil.rmtree(local, ignore_errors=True)
    local.parent.mkdir(parents=True, exist_ok=True)
    copy_tree(uri, str(local))
    return str(local)
