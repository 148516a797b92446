"""`sbexplore run --help` explains every flag: config.py's comment, the default, the choices."""

import dataclasses
import re

import pytest
from conftest import REPO

from sbexplore import RunConfig
from sbexplore.cli import main
from sbexplore.config.run_config import RECORD_FIELDS
from sbexplore.errors import ConfigError

FIELDS = [f for f in dataclasses.fields(RunConfig) if f.name not in RECORD_FIELDS]  # flags


@pytest.fixture(scope="module")
def help_text():
    import contextlib
    import io
    import os

    os.environ["COLUMNS"] = "10000"  # one line per flag: argparse wraps at the terminal width
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
            main(["run", "--help"])
    finally:
        del os.environ["COLUMNS"]
    return buf.getvalue()


def _flag_help(text: str, name: str) -> str:
    flag = "--" + name.replace("_", "-")
    m = re.search(rf"^  {re.escape(flag)}\b(.*?)(?=^  -|^\S|^$|\Z)", text, re.M | re.S)
    assert m, f"{flag} is missing from --help"
    return " ".join(m.group(1).split())


def _shown(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return " ".join(map(_shown, v)) or "[]"
    return str(v)


def _default(f):
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


@pytest.mark.parametrize("f", FIELDS, ids=[f.name for f in FIELDS])
def test_every_flag_shows_its_default(help_text, f):
    from sbexplore import config

    default = _default(f)
    recipe = default is None and f.name in getattr(config, "RECIPE_FIELDS", ())
    shown = "the recipe for the dataset and model" if recipe else _shown(default)
    assert f"default: {shown}" in _flag_help(help_text, f.name)


def _allowed_values(name: str) -> list[str] | None:
    """What RunConfig's own validation says is allowed for a nonsense value, if a list."""
    try:
        RunConfig(**{name: "zz-not-a-value"})
    except (ConfigError, TypeError) as exc:
        m = re.search(r"one of ([\w+\-, ]+?)(?: or a |$)", str(exc))
        return [v.strip() for v in m.group(1).split(",")] if m else None
    return None


CHOICE_FIELDS = {f.name: v for f in FIELDS if "str" in str(f.type)
                 if (v := _allowed_values(f.name)) is not None}


def test_the_fields_with_a_list_of_allowed_values_are_found():
    assert {"policy", "dataset", "model", "augment", "lr_schedule"} <= set(CHOICE_FIELDS)


@pytest.mark.parametrize("name", sorted(CHOICE_FIELDS))
def test_every_flag_with_a_list_of_allowed_values_shows_them_all(help_text, name):
    shown = _flag_help(help_text, name)
    assert all(v in shown for v in CHOICE_FIELDS[name]), (name, CHOICE_FIELDS[name], shown)


def test_help_is_the_comment_written_beside_each_field_in_config_py(help_text):
    source = (REPO / "sbexplore" / "config" / "run_config.py").read_text()
    comments = dict(re.findall(r"^    (\w+): [^#\n]*#\s*(.+)$", source, re.M))
    assert comments, "config.py's fields carry no comments"
    for name, comment in comments.items():
        if name not in RECORD_FIELDS:  # what resolved() records has no flag
            assert comment.strip() in _flag_help(help_text, name), name


def test_flags_are_grouped_under_config_py_section_comments(help_text):
    source = (REPO / "sbexplore" / "config" / "run_config.py").read_text()
    body = source.split("class RunConfig", 1)[1].split("def __post_init__", 1)[0]
    for section in re.findall(r"^    # ([a-z ]+)$", body, re.M):
        assert f"RunConfig: {section}:" in help_text


def test_a_choice_spelled_like_none_is_the_choice_not_none():
    from sbexplore.cli import build_parser
    from sbexplore.cli.config_flags import config_from_args

    args = build_parser().parse_args(["run", "--augment", "none", "--keep", "none"])
    cfg = config_from_args(args)
    assert cfg.augment == "none" and cfg.keep is None
