"""The README is executable documentation: every shell command and every Python block runs, in
order, in a fresh folder, with this repository's code and venv (`.venv` links to it).

Markers: an HTML comment right before a block.
  `<!-- skip: REASON -->`            the block is not run (needs a GPU, a cluster, a server)
  `<!-- test: "OLD" -> "NEW" -->`    run with OLD replaced by NEW (tiny settings for the test)
Setup commands (`python3 -m venv`, `pip install`) are not repeated: the repo's venv is used; the
whole test suite (`python -m pytest`) is not started from inside itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow
README = REPO / "README.md"
NOT_REPEATED = {  # command prefix -> why the test does not run it
    "python3 -m venv .venv": "setup: .venv is the repository's venv",
    ".venv/bin/pip install": "setup: already installed in the repository's venv",
    ".venv/bin/python -m pytest": "the test suite itself (this test is part of it)",
}


@dataclass
class Block:
    lang: str
    code: str
    line: int
    skip: str | None = None
    subs: list[tuple[str, str]] = field(default_factory=list)


def readme_blocks(text: str) -> list[Block]:
    """Fenced bash/python blocks with the markers in the HTML comments just above them."""
    blocks: list[Block] = []
    pattern = re.compile(r"((?:<!--.*?-->\s*)*)^```(\w+)\n(.*?)^```", re.M | re.S)
    for m in pattern.finditer(text):
        lang = m.group(2)
        if lang not in ("bash", "python"):
            continue
        b = Block(lang, m.group(3), text.count("\n", 0, m.start(2)) + 1)
        for note in re.findall(r"<!--(.*?)-->", m.group(1), re.S):
            note = note.strip()
            if note.startswith("skip:"):
                b.skip = note[5:].strip()
            elif note.startswith("test:"):
                sub = re.fullmatch(r'test:\s*"(.*)"\s*->\s*"(.*)"', note, re.S)
                assert sub, f"README line {b.line}: bad marker {note!r}"
                b.subs.append((sub.group(1), sub.group(2)))
        blocks.append(b)
    return blocks


def shell_commands(code: str) -> list[str]:
    """One command per logical line (backslash continuations joined, comments dropped)."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.startswith("#")]


def _runnable(command: str) -> tuple[list[str], list[str]]:
    """Split `a && b` into the parts to run and the notes on the parts not repeated."""
    run, notes = [], []
    for part in (p.strip() for p in command.split("&&")):
        why = next((w for prefix, w in NOT_REPEATED.items() if part.startswith(prefix)), None)
        (notes.append(f"{part}: {why}") if why else run.append(part))
    return run, notes


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    return tmp_path


def _env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)  # this checkout's sbexplore, whatever the venv installed
    env.pop("SBEXPLORE_RUNS", None)  # the README says ./runs
    env["SBEXPLORE_DATA"] = env.get("SBEXPLORE_DATA", str(workdir / "data"))
    env["MPLBACKEND"] = "Agg"
    return env


def test_the_readme_has_the_two_commands_first_and_marks_every_skip_with_a_reason():
    blocks = readme_blocks(README.read_text())
    first = shell_commands(blocks[0].code)
    assert len(first) == 2 and "sbexplore demo" in first[0] and "pytest" in first[1]
    assert all(b.skip for b in blocks if b.skip is not None)


def test_every_readme_block_runs_in_order(workdir, monkeypatch, capsys):
    env = _env(workdir)
    monkeypatch.chdir(workdir)
    for k in ("PATH", "PYTHONPATH", "SBEXPLORE_DATA", "MPLBACKEND"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.delenv("SBEXPLORE_RUNS", raising=False)
    namespace: dict = {"__name__": "__readme__"}
    log: list[str] = []
    try:
        for b in readme_blocks(README.read_text()):
            where = f"README.md:{b.line} ({b.lang})"
            if b.skip:
                log.append(f"SKIPPED {where}: {b.skip}")
                continue
            code, t0 = b.code, time.perf_counter()
            for old, new in b.subs:
                assert old in code, f"{where}: marker text {old!r} is not in the block"
                code = code.replace(old, new)
            if b.lang == "python":
                exec(compile(code, where, "exec"), namespace)  # noqa: S102 - the README's code
                log.append(f"ran {where}: python block ({time.perf_counter() - t0:.0f} s)")
                continue
            for command in shell_commands(code):
                parts, notes = _runnable(command)
                log += [f"not repeated {where}: {n}" for n in notes]
                for part in parts:
                    p = subprocess.run(part, shell=True, cwd=workdir, env=env, text=True,
                                       capture_output=True, timeout=600)
                    assert p.returncode == 0, (f"{where}: `{part}` exited {p.returncode}\n"
                                               f"{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
                    log.append(f"ran {where}: {part} ({time.perf_counter() - t0:.0f} s)")
                    t0 = time.perf_counter()
    finally:
        _close(namespace)
        with capsys.disabled():
            print("\nREADME blocks:\n  " + "\n  ".join(log))


def _close(namespace: dict) -> None:
    """Stop what the README's blocks left running (live runs, dashboards' refresher threads)."""
    for value in namespace.values():
        if type(value).__name__ == "BackgroundRun":
            value.stop()
            value.join(30)
        elif type(value).__name__ == "Dashboard":
            value.close()
