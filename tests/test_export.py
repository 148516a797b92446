"""Export writes valid PDF, SVG and PNG files (through the system Chromium) plus a CSV."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import plotly.graph_objects as go
import pytest

from sbexplore.errors import UserError
from sbexplore.figures import attach_data
from sbexplore.figures.export import export, export_all, parse_formats


def fig() -> go.Figure:
    return attach_data(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])),
                       pd.DataFrame({"run": ["a", "b"], "value": [1, 2]}))


def test_export_three_formats_with_csv(tmp_path, chromium):
    paths = export_all({"bars": fig(), "sub/bars": fig()}, tmp_path, ["pdf", "svg", "png"])
    assert (tmp_path / "bars.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "bars.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert ET.parse(tmp_path / "bars.svg").getroot().tag.endswith("svg")
    assert pd.read_csv(tmp_path / "bars.csv")["value"].tolist() == [1, 2]
    assert (tmp_path / "sub" / "bars.svg").is_file() and len(paths) == 8
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_png_size_follows_width_height_scale(tmp_path, chromium):
    import struct

    p = export(fig(), tmp_path / "f.png", width=300, height=200, scale=1, data=False)
    w, h = struct.unpack(">II", p.read_bytes()[16:24])
    assert (w, h) == (300, 200)
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.parametrize("name", ["f.jpg", "f", "f.eps"])
def test_export_rejects_unknown_format(tmp_path, name):
    with pytest.raises(UserError, match=r"pdf, \.?svg, \.?png"):
        export(fig(), tmp_path / name)
    assert not list(tmp_path.iterdir())


def test_parse_formats():
    assert parse_formats("PDF, png,pdf") == ["pdf", "png"]
    with pytest.raises(UserError, match="'tiff'"):
        parse_formats("pdf,tiff")
