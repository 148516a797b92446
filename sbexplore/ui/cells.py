"""One cell's panels: running the cell that made a panel again replaces the old ones.

Re-running a cell clears its output, so the old panel vanishes from the page, but its Python
object lives on: its runs would go on training unseen, halving the CPU of the new one. The
cell is known from the `cellId` JupyterLab sends with each execute request, and its execution
from the request's id (None elsewhere: plain Python, Voilà, a kernel without them; nothing is
replaced then). Panels made by one execution (two dashboards in one cell) all stay.
"""

from __future__ import annotations

import weakref
from typing import Any

_BY_CELL: dict[str, tuple[str, list[weakref.ref]]] = {}  # cell id: (execution, panels)


def current_cell() -> tuple[str, str] | None:
    """(cell id, execution id) of the notebook cell being executed, or None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else None
    except Exception:  # an older or foreign kernel
        return None
    parent = parent or {}
    cell = (parent.get("metadata") or {}).get("cellId")
    execution = (parent.get("header") or {}).get("msg_id")
    return (str(cell), str(execution)) if cell and execution else None


def claim(panel: Any, where: tuple[str, str] | None = None) -> list[Any]:
    """Register `panel` as made by the cell execution `where` (default: the one running now);
    returns the panels an earlier execution of that cell made (to be replaced)."""
    where = where if where is not None else current_cell()
    if where is None:
        return []
    cell, execution = where
    before, refs = _BY_CELL.get(cell, (None, []))
    if before == execution:  # the same execution: another panel beside the first
        refs.append(weakref.ref(panel))
        return []
    _BY_CELL[cell] = (execution, [weakref.ref(panel)])
    return [p for p in (r() for r in refs) if p is not None and p is not panel]
