"""Image galleries: the hardest (most backpropped), easiest (least backpropped) and mislabeled
training images as a grid of ipywidgets `Image` (PNG), mislabeled ones marked."""

from __future__ import annotations

import functools
import io
from typing import Any

import ipywidgets as w
import numpy as np

from sbexplore.data import raw_image
from sbexplore.figures.style import MISLABELED_COLOR

WHICH = {"hardest": "Hardest (most backpropped)", "easiest": "Easiest (least backpropped)",
         "mislabeled": "Mislabeled, most backpropped"}
RENAMED_WHICH = {"picked_mislabeled": "mislabeled"}  # its name before 0.2
TARGET_PX = 72  # small images are upscaled (nearest neighbour) to about this size


def to_png(img: np.ndarray, target: int = TARGET_PX) -> bytes:
    """HWC uint8 -> PNG bytes, upscaled by an integer factor so 8x8 digits are visible."""
    from PIL import Image

    scale = max(1, target // max(img.shape[:2]))
    if scale > 1:
        img = img.repeat(scale, axis=0).repeat(scale, axis=1)
    pil = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return buf.getvalue()


@functools.lru_cache(maxsize=4096)
def example_png(dataset: str, source_index: int, data_root: str | None,
                image_size: int | None) -> bytes:
    """A training image as upscaled PNG bytes, encoded once per process (galleries redraw)."""
    return to_png(raw_image(dataset, source_index, data_root, image_size))


def gallery_items(snap: dict[str, Any], which: str = "hardest", k: int = 16
                  ) -> list[dict[str, Any]]:
    """The examples of a snapshot's gallery with their PNG and caption."""
    which = RENAMED_WHICH.get(which, which)
    if which not in WHICH:
        raise ValueError(f"which={which!r} is not allowed: one of {', '.join(WHICH)}")
    g, cfg, classes = snap[which], snap["config"], snap.get("classes") or []

    def name(c: int) -> str:
        return classes[c] if c < len(classes) else str(c)

    items = []
    for i in range(min(k, len(g["index"]))):
        label, true = int(g["label"][i]), int(g["true_label"][i])
        mis = bool(g["mislabeled"][i])
        png = example_png(cfg.dataset, int(g["source_index"][i]), cfg.data_root, cfg.image_size)
        caption = (f"given {name(label)} / true {name(true)}" if mis else name(label))
        items.append({"index": int(g["index"][i]), "png": png, "caption": caption,
                      "mislabeled": mis, "times_backpropped": int(g["times_backpropped"][i])})
    return items


class _Tile(w.VBox):
    """One image with its caption; reused across updates (only changed values are sent)."""

    def __init__(self) -> None:
        self.img = w.Image(format="png", layout=w.Layout(width=f"{TARGET_PX}px",
                                                         height=f"{TARGET_PX}px"))
        self.text = w.HTML()
        super().__init__([self.img, self.text],
                         layout=w.Layout(align_items="center", margin="2px"))

    def show(self, item: dict[str, Any]) -> None:
        mis = item["mislabeled"]  # marked by text and a dashed frame, not by colour alone
        border = f"3px dashed {MISLABELED_COLOR}" if mis else "1px solid #DDDDDD"
        color = MISLABELED_COLOR if mis else "#222222"
        text = (f"<div style='font-size:11px;line-height:1.1;color:{color};width:{TARGET_PX+6}"
                f"px'>{'<b>✗ wrong label</b><br>' if mis else ''}{item['caption']}"
                f"<br>×{item['times_backpropped']}</div>")
        if self.img.value != item["png"]:
            self.img.value = item["png"]
        if self.img.layout.border != border:
            self.img.layout.border = border
        if self.text.value != text:
            self.text.value = text


class Gallery(w.VBox):
    """A titled grid of images; `update(snapshot)` redraws only when the examples changed."""

    def __init__(self, which: str = "hardest", k: int = 16, columns: int = 8):
        which = RENAMED_WHICH.get(which, which)
        if which not in WHICH:
            raise ValueError(f"which={which!r} is not allowed: one of {', '.join(WHICH)}")
        self.which, self.k, self._shown = which, k, None
        self.tiles: list[_Tile] = []
        self.title = w.HTML(f"<b>{WHICH[which]}</b>")
        self.grid = w.GridBox([], layout=w.Layout(
            grid_template_columns=f"repeat({columns}, {TARGET_PX + 10}px)"))
        super().__init__([self.title, self.grid])

    def update(self, snap: dict[str, Any]) -> None:
        if snap["config"].dataset == "custom":  # data passed in code: no images to load
            self.layout.display = "none"
            return
        self.layout.display = None
        g = snap[self.which]
        key = (snap["name"], tuple(g["index"][:self.k].tolist()),
               tuple(g["times_backpropped"][:self.k].tolist()))
        if key == self._shown:
            return
        self._shown = key
        items = gallery_items(snap, self.which, self.k)
        while len(self.tiles) < len(items):
            self.tiles.append(_Tile())
        with self.hold_sync():
            title = (f"<b>{WHICH[self.which]}</b> — {snap['name']}"
                     + ("" if items else " (none yet)"))
            if self.title.value != title:
                self.title.value = title
            for tile, item in zip(self.tiles, items, strict=False):
                tile.show(item)
            if len(self.grid.children) != len(items):
                self.grid.children = self.tiles[:len(items)]


def image_grid(source: Any, which: str = "hardest", k: int = 16, columns: int = 8) -> Gallery:
    """A gallery widget for a Run, a BackgroundRun or a snapshot (usable in any notebook)."""
    from sbexplore.runs.snapshot import Snapshot
    from sbexplore.runs.source import LiveSource

    if isinstance(source, Snapshot):
        snap = source
    elif isinstance(source, LiveSource):
        snap = source.snapshot(gallery=k)
    else:
        snap = Snapshot.from_run(source, gallery=k)
    gallery = Gallery(which, k, columns)
    gallery.update(snap)
    return gallery
