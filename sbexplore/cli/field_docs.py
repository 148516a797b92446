"""RunConfig's documentation, read from `config.py` itself: one source for `--help`.

Each field's help is its trailing `# comment`; its section is the comment line above a group of
fields; its choices are the tuple that `config.py` validates it against (`one_of("policy",
POLICIES)`), or the dataset registry.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import io
import tokenize
from dataclasses import dataclass
from typing import Any

from sbexplore.config import RunConfig
from sbexplore.config import run_config as config_module

OPEN_CHOICES = ("model",)  # any torchvision classification model name works too


@dataclass(frozen=True)
class FieldDoc:
    """What `--help` says about one RunConfig field."""

    name: str
    comment: str  # the trailing comment, "" when the line has none
    section: str  # the comment heading its group of fields ("" before the first)
    default: Any
    choices: tuple[str, ...] | None  # the allowed values, when the field takes one of a list
    strict: bool = True  # False: `choices` are the registered names, others may work too


@functools.lru_cache(maxsize=1)
def field_docs() -> dict[str, FieldDoc]:
    """Every RunConfig field's comment, section, default and choices, in declaration order."""
    source = inspect.getsource(config_module)
    notes = field_comments(source)
    choices = _choices(ast.parse(source))
    return {f.name: FieldDoc(f.name, *notes.get(f.name, ("", "")), _default(f),
                             choices.get(f.name), strict=f.name not in OPEN_CHOICES)
            for f in dataclasses.fields(RunConfig)}


def field_comments(source: str, class_name: str = "RunConfig") -> dict[str, tuple[str, str]]:
    """field -> (comment, section) from the class's source. A field's comment is the one at
    the end of its line, else the comment lines right above it; a short comment line of a few
    plain words (`# selection`) heads a section."""
    comments = _comments_by_line(source)
    cls = next(n for n in ast.parse(source).body
               if isinstance(n, ast.ClassDef) and n.name == class_name)
    out: dict[str, tuple[str, str]] = {}
    section = ""
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, ln = [], node.lineno - 1
        while ln in comments and comments[ln][1]:  # the comment-only lines right above
            above.insert(0, comments[ln][0])
            ln -= 1
        if above and _is_heading(above[0]):
            section, above = above[0], above[1:]
        trailing = comments.get(node.lineno, ("", True))
        text = trailing[0] if not trailing[1] else ""
        out[node.target.id] = (text or " ".join(above), section)
    return out


def _is_heading(text: str) -> bool:
    return len(text.split()) <= 4 and text.replace(" ", "").isalpha()


def _comments_by_line(source: str) -> dict[int, tuple[str, bool]]:
    """line -> (comment text, whether the line holds only the comment)."""
    out: dict[int, tuple[str, bool]] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            alone = not tok.line[:tok.start[1]].strip()
            out[tok.start[0]] = (tok.string.lstrip("#").strip(), alone)
    return out


def _choices(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    """`one_of("policy", POLICIES)` calls in config.py -> {"policy": POLICIES}; `dataset` and
    `model` from the registries config.py checks them against."""
    from sbexplore.data.registry import DATASETS
    from sbexplore.models import MODELS

    found: dict[str, tuple[str, ...]] = {"dataset": tuple(sorted(DATASETS)),
                                         "model": tuple(sorted(MODELS))}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "one_of" and len(node.args) == 2
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[1], ast.Name)):
            values = getattr(config_module, node.args[1].id, None)
            if isinstance(values, tuple):
                found[node.args[0].value] = values
    return found


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def _recipe_example(name: str) -> str:
    """` (digits/cnn: 15)`: the value the defaults' recipe (the default dataset and model)
    gives a field, and which recipe that is."""
    default = RunConfig().resolved()
    return f" ({default.recipe}: {format_default(getattr(default, name))})"


def format_default(value: Any) -> str:
    """How `--help` writes a default: `none`, `true`/`false`, numbers and names as typed."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return " ".join(format_default(v) for v in value) or "[]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def help_text(doc: FieldDoc) -> str:
    """`<comment> (default: X; one of: a, b)`, escaped for argparse."""
    tail = f"default: {format_default(doc.default)}"
    if doc.default is None and doc.name in getattr(config_module, "RECIPE_FIELDS", ()):
        tail = f"default: the recipe for the dataset and model{_recipe_example(doc.name)}"
    if doc.choices:
        tail += ("; one of: " if doc.strict else "; registered: ") + ", ".join(doc.choices)
    text = f"{doc.comment} ({tail})" if doc.comment else tail
    return text.replace("%", "%%")
