"""Seams: no module reads another module's private attributes (views use the Recorder)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sbexplore"


def _own_private_names(tree: ast.AST) -> set[str]:
    """Private attributes a file defines on its own objects (`self._x = ...`, `_x = ...`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id in ("self", "cls") and node.attr.startswith("_"):
            names.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_"):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_no_module_reads_another_modules_private_attributes():
    trees = {path: ast.parse(path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))}
    ours = set().union(*(_own_private_names(t) for t in trees.values()))  # defined in sbexplore
    offenders = []
    for path, tree in trees.items():
        own = _own_private_names(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr in own:  # the file's own class, reached through another name
                continue
            if node.attr not in ours:  # a third-party widget's internals, not another module's
                continue
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                             f"{ast.unparse(node)}")
    assert not offenders, "private attributes read across modules:\n" + "\n".join(offenders)
