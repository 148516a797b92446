"""The notebook UI (needs ipywidgets and plotly): `Dashboard`, galleries, the refresher, the lesson
and the classroom app (warm kernels, the room and the teacher's view)."""

from __future__ import annotations

from sbexplore.ui.dashboard import Dashboard, sync_figure
from sbexplore.ui.gallery import Gallery, gallery_items, image_grid, to_png

__all__ = ["Dashboard", "Gallery", "gallery_items", "image_grid", "sync_figure", "to_png"]
