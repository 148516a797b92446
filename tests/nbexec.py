"""Execute a notebook headless with injected parameters (papermill-style), via nbclient."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def inject_parameters(nb: nbformat.NotebookNode, parameters: dict[str, Any]) -> None:
    """Add a cell assigning `parameters` right after the cell tagged `parameters`."""
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if not tagged:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    source = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, cell)


def execute_notebook(path: str | os.PathLike, parameters: dict[str, Any] | None = None,
                     timeout: int = 600, cwd: str | os.PathLike | None = None
                     ) -> nbformat.NotebookNode:
    """Run every cell (raising `CellExecutionError` on the first error); returns the notebook
    with outputs. `cwd` is the kernel's working directory (default: the notebook's folder)."""
    nb = nbformat.read(Path(path), as_version=4)
    inject_parameters(nb, parameters or {})
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd or Path(path).parent)}})
    client.execute(env=kernel_env())
    return nb


def execute_cells(*sources: str, cwd: str | os.PathLike, allow_errors: bool = False,
                  timeout: int = 120) -> nbformat.NotebookNode:
    """A new notebook of these code cells, executed in a kernel (errors kept as outputs with
    `allow_errors`); returns it with its outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env=kernel_env())
    return nb


def kernel_env() -> dict[str, str]:
    """This environment with the repository first on PYTHONPATH, so the kernel imports this
    checkout's sbexplore even where an editable install is stale."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def cell_outputs_text(nb: nbformat.NotebookNode) -> str:
    """All text outputs (stream, plain-text results, errors) joined, for assertions."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out:
                parts.append(str(out["data"].get("text/plain", "")))
    return "\n".join(parts)
