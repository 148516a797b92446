"""`sbexplore paper`: figures at paper sizes, LaTeX/Markdown tables equal to the CSV, a methods
paragraph naming what differs, provenance everywhere (issue: the paper kit)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import sbexplore as sb
from sbexplore.studies.paper import differing_settings

pytestmark = pytest.mark.slow  # trains the small demo, exports figures through Chromium


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from sbexplore.studies.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out, log=lambda m: None, seeds=(0, 1), epochs=4)
    return out


@pytest.fixture(scope="module")
def kit(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("kit")
    p = subprocess.run([sys.executable, "-m", "sbexplore", "paper", str(demo_dir / "clean"),
                        "--out", str(out), "--format", "pdf,png"], capture_output=True,
                       text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    return out, p.stdout


def test_the_paper_command_writes_every_file_it_lists(kit):
    out, stdout = kit
    listed = re.findall(r"^  (\S+\.(?:tex|md|json))$", stdout, re.M)
    assert listed and all(__import__("pathlib").Path(p).is_file() for p in listed)
    for size in ("column", "page"):
        pdfs = list((out / "figures" / size).rglob("*.pdf"))
        assert len(pdfs) >= 5 and len(list((out / "figures" / size).rglob("*.png"))) == len(pdfs)
    for name in ("table1_time", "table1_backprops", "table1_cost", "summary"):
        for ext in ("tex", "md", "csv"):
            assert (out / "tables" / f"{name}.{ext}").is_file(), (name, ext)
    assert (out / "methods.md").is_file() and (out / "provenance.json").is_file()


def test_latex_tables_compile_or_parse_and_match_the_csv(kit):
    out, _ = kit
    for tex in (out / "tables").glob("*.tex"):
        text = tex.read_text()
        csv = pd.read_csv(tex.with_suffix(".csv"), comment="#", dtype=str).fillna("—")
        assert r"\toprule" in text and r"\bottomrule" in text and r"\midrule" in text
        body = text.split(r"\midrule")[1].split(r"\bottomrule")[0].strip().splitlines()
        assert len(body) == len(csv), tex.name
        for line, (_, row) in zip(body, csv.iterrows(), strict=True):
            cells = line.removesuffix(r" \\").split(" & ")
            assert len(cells) == len(csv.columns), (tex.name, line)
            for cell, value in zip(cells, row, strict=True):  # the numbers are the CSV's
                assert re.findall(r"\d+\.?\d*", cell) == re.findall(r"\d+\.?\d*", value), \
                    (tex.name, cell, value)
        if shutil.which("pdflatex"):
            doc = (r"\documentclass{article}\usepackage{booktabs}\begin{document}"
                   + text + r"\end{document}")
            (tex.parent / "check.tex").write_text(doc)
            p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "check.tex"],
                               cwd=tex.parent, capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, p.stdout[-2000:]


def test_methods_names_every_setting_that_differs(kit, demo_dir):
    out, _ = kit
    text = (out / "methods.md").read_text()
    runs = [sb.load_run(p.parent) for p in sorted((demo_dir / "clean").rglob("manifest.json"))]
    diff = differing_settings(runs)
    assert diff and "policy" in diff
    for field in diff:
        assert f"`{field}`" in text, field
    assert "sbexplore" in text and "Seeds: 0, 1" in text


def test_tables_and_figures_carry_the_provenance(kit):
    out, _ = kit
    from pypdf import PdfReader

    head = (out / "tables" / "summary.csv").read_text().splitlines()[0]
    assert head.startswith("# sbexplore ") and "torch" in head
    pdf = next((out / "figures" / "column").rglob("*.pdf"))
    assert "sbexplore" in PdfReader(str(pdf)).metadata["/Subject"]
