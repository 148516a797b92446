"""Export figures to PDF, SVG and PNG offline through kaleido (which drives the system Chromium),
with the data behind each figure written next to it as CSV. Every file is written atomically."""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from sbexplore.errors import UserError
from sbexplore.figures.data import figure_data
from sbexplore.figures.sizes import caption, check_size, sized
from sbexplore.runs.fileio import atomic_write

FORMATS = ("pdf", "svg", "png")
DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_SCALE = 800, 500, 2.0
NO_CHROME = ("exporting PDF/SVG/PNG needs Chrome or Chromium, which kaleido drives, and none "
             "was found: install it (Debian/Ubuntu: `apt-get install chromium`)")

_server_lock = threading.Lock()
_server_started = False


def check_format(fmt: str) -> str:
    """The lower-case format, or a UserError naming the allowed ones."""
    f = fmt.lower().lstrip(".")
    if f not in FORMATS:
        raise UserError(f"format {fmt!r} is not allowed: one of {', '.join(FORMATS)}")
    return f


def parse_formats(text: str | Iterable[str]) -> list[str]:
    """'pdf,svg' or ['pdf', 'svg'] -> validated formats, in order, without repeats."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = [check_format(s.strip()) for s in items if s.strip()]
    if not out:
        raise UserError(f"format {text!r} is not allowed: give one or more of {', '.join(FORMATS)}")
    return list(dict.fromkeys(out))


def export(fig: go.Figure, path: str | os.PathLike, width: int | None = None,
           height: int | None = None, scale: float | None = None,
           data: pd.DataFrame | bool | None = None, size: str | None = None,
           provenance: str | None = None) -> Path:
    """Write `fig` to `path` (format from the suffix: .pdf, .svg or .png) and the data behind
    it to the same name with .csv (`data`: a frame, None for `figure_data(fig)`, False: none).
    Size: `size` column, page or slide (`figures.sizes`: physical width and fonts together),
    else the figure's own width/height, else 800x500; `scale` multiplies PNG pixels.
    `provenance`: a line stored in the file's metadata (and atop the CSV)."""
    if size is not None:
        fig = sized(fig, size)
    p = Path(path)
    fmt = check_format(p.suffix) if p.suffix else None
    if fmt is None:
        raise UserError(f"path {str(p)!r} has no format suffix: end it with "
                        f"{', '.join('.' + f for f in FORMATS)}")
    image = to_bytes(fig, fmt, width, height, scale)
    if provenance:
        image = with_metadata(image, fmt, provenance)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(p, image)
    if data is not False:
        table = figure_data(fig) if data is None or data is True else data
        head = f"# {provenance}\n" if provenance else ""
        atomic_write(p.with_suffix(".csv"), (head + table.to_csv(index=False)).encode())
    return p


def with_metadata(image: bytes, fmt: str, text: str) -> bytes:
    """The image with `text` in its metadata: PDF Subject, SVG <metadata>, PNG tEXt."""
    if fmt == "svg":
        svg = image.decode()
        at = svg.find(">", svg.find("<svg")) + 1
        note = text.replace("&", "&amp;").replace("<", "&lt;")
        return (svg[:at] + f"<metadata>{note}</metadata>" + svg[at:]).encode()
    if fmt == "png":
        from PIL import Image, PngImagePlugin

        img = Image.open(io.BytesIO(image))
        info = PngImagePlugin.PngInfo()
        info.add_text("Description", text)
        buf = io.BytesIO()
        img.save(buf, format="PNG", pnginfo=info)
        return buf.getvalue()
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(image)))
    writer.add_metadata({"/Subject": text, "/Creator": "sbexplore"})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def export_all(figs: Mapping[str, go.Figure], out: str | os.PathLike,
               formats: Iterable[str] = FORMATS, width: int | None = None,
               height: int | None = None, scale: float | None = None,
               size: str | None = None, provenance: str | None = None) -> list[Path]:
    """Export each named figure in every format under `out` (names may hold sub-folders), with
    one CSV per figure (`size`, `provenance`: see `export`); returns the paths written."""
    if size is not None:
        check_size(size)
    fmts = parse_formats(formats)
    out = Path(out)
    written: list[Path] = []
    captions = []
    for name, fig in figs.items():
        for i, fmt in enumerate(fmts):
            written.append(export(fig, out / f"{name}.{fmt}", width, height, scale,
                                  data=None if i == 0 else False, size=size,
                                  provenance=provenance))
        written.append(out / f"{name}.csv")
        if size is not None:
            captions.append(f"- **{name}**: {caption(sized(fig, size))}")
    if captions:  # at paper sizes titles and bar notes leave the figures for the captions
        text = "# Captions\n\n" + "\n".join(captions) + "\n"
        if provenance:
            text = f"<!-- {provenance} -->\n" + text
        atomic_write(out / "captions.md", text.encode())
        written.append(out / "captions.md")
    return written


def to_bytes(fig: go.Figure, fmt: str, width: int | None = None, height: int | None = None,
             scale: float | None = None) -> bytes:
    """The image bytes, through one long-lived kaleido server (a browser start per process)."""
    import plotly.io as pio

    fmt = check_format(fmt)
    _start_server()
    w = width or fig.layout.width or DEFAULT_WIDTH
    h = height or fig.layout.height or DEFAULT_HEIGHT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "kopts ignored if using a server"
            return pio.to_image(fig, format=fmt, width=w, height=h,
                                scale=scale or (DEFAULT_SCALE if fmt == "png" else 1))
    except Exception as exc:
        if _is_no_chrome(exc):
            raise UserError(NO_CHROME) from None
        raise


def _start_server() -> None:
    global _server_started
    with _server_lock:
        if _server_started:
            return
        import kaleido

        try:
            kaleido.start_sync_server(silence_warnings=True)
        except Exception as exc:
            if _is_no_chrome(exc):
                raise UserError(NO_CHROME) from None
            raise
        _server_started = True


def _is_no_chrome(exc: BaseException) -> bool:
    from kaleido.errors import ChromeNotFoundError

    text = str(exc).lower()
    return isinstance(exc, ChromeNotFoundError) or ("chrome" in text and (
        "not found" in text or "could not find" in text or "get_chrome" in text))
