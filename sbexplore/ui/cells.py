"""One panel per notebook cell: re-running the cell that made a panel replaces the old one.

Re-running a cell clears its output, so the old panel vanishes from the page, but its Python
object lives on: its runs would go on training unseen, halving the CPU of the new one. The
cell is known from the `cellId` JupyterLab sends with each execute request (None elsewhere:
plain Python, Voilà, a kernel without it), and nothing is replaced then.
"""

from __future__ import annotations

import weakref
from typing import Any

_BY_CELL: dict[str, weakref.ref] = {}


def current_cell_id() -> str | None:
    """The id of the notebook cell being executed, or None outside a notebook cell."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else None
    except Exception:  # an older or foreign kernel
        return None
    cell = ((parent or {}).get("metadata") or {}).get("cellId")
    return str(cell) if cell else None


def claim(panel: Any, cell: str | None = None) -> Any:
    """Register `panel` as the one made by `cell` (default: the cell running now); returns the
    panel that cell made before (None if none, or it is gone)."""
    cell = cell if cell is not None else current_cell_id()
    if cell is None:
        return None
    old = _BY_CELL.get(cell)
    _BY_CELL[cell] = weakref.ref(panel)
    old = old() if old is not None else None
    return old if old is not panel else None
