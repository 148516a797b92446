"""pyproject.toml and environment.yml list the same dependencies with the same bounds."""

import re

import tomllib
from conftest import REPO

CONDA_NAMES = {"torch": "pytorch", "kaleido": "python-kaleido"}  # pip name -> conda-forge name


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", req)
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject_dependencies_and_dev_extra():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    pip_reqs = dict(_split(r) for r in reqs)
    wanted = {CONDA_NAMES.get(k, k): v for k, v in pip_reqs.items()}
    text = (REPO / "environment.yml").read_text()
    lines = text.split("dependencies:", 1)[1].splitlines()
    conda = dict(_split(ln.strip()[2:]) for ln in lines if ln.startswith("  - "))
    conda = {k: v for k, v in conda.items() if k not in ("python", "pip")}
    assert conda == wanted
