"""Paper figures: no text outside the figure, no two text boxes overlapping, legible sizes, PDFs
of the requested physical width with their fonts embedded (issue: the paper kit)."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import plotly
import pytest

from sbexplore.figures import figures_for
from sbexplore.figures.sizes import MIN_FONT, PX_PER_PT, SIZES, sized

pytestmark = pytest.mark.slow  # trains the small demo; renders in Chromium

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TOLERANCE_PX = 0.5

COLLECT = """
(fig) => Plotly.newPlot('g', fig.data, fig.layout, {staticPlot: true}).then(() => {
  const root = document.querySelector('#g .main-svg').getBoundingClientRect();
  const boxes = [];
  for (const el of document.querySelectorAll('#g text')) {
    const text = (el.textContent || '').trim();
    if (!text || el.closest('.hoverlayer')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    boxes.push({text: text.slice(0, 40), cls: el.getAttribute('class') || '',
                x0: r.left - root.left, y0: r.top - root.top, x1: r.right - root.left,
                y1: r.bottom - root.top, size});
  }
  return {width: root.width, height: root.height, boxes};
})
"""


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """The demo's two stories, small: every figure kind `sbexplore figures` makes."""
    from sbexplore.studies.demo import run_demo

    result = run_demo(tmp_path_factory.mktemp("demo"), log=lambda m: None, seeds=(0, 1),
                      epochs=4)
    return result


@pytest.fixture(scope="module")
def plot_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_content(f"<html><head><script>{PLOTLY_JS.read_text()}</script></head>"
                     "<body style='margin:0'><div id='g'></div></body></html>")
    yield page
    page.close()


def overlaps(a: dict, b: dict) -> bool:
    return (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > TOLERANCE_PX
            and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > TOLERANCE_PX)


def layout_problems(page, fig) -> tuple[list[str], list[dict]]:
    got = page.evaluate(COLLECT, json.loads(fig.to_json()))
    w, h, boxes = got["width"], got["height"], got["boxes"]
    problems = [f"outside the figure ({w:.0f}x{h:.0f}): {b['text']!r} "
                f"[{b['x0']:.0f},{b['y0']:.0f},{b['x1']:.0f},{b['y1']:.0f}]"
                for b in boxes if b["x0"] < -TOLERANCE_PX or b["y0"] < -TOLERANCE_PX
                or b["x1"] > w + TOLERANCE_PX or b["y1"] > h + TOLERANCE_PX]
    problems += [f"overlap: {a['text']!r} ({a['cls']}) and {b['text']!r} ({b['cls']})"
                 for a, b in itertools.combinations(boxes, 2) if overlaps(a, b)]
    return problems, boxes


@pytest.mark.parametrize("size", ["column", "page", "slide"])
def test_every_figure_at_paper_size_has_no_overlap_and_no_clipping(demo_runs, plot_page, size):
    failures = {}
    smallest = []
    for story in (demo_runs.clean, demo_runs.mislabeled):
        for name, fig in figures_for(story).items():
            problems, boxes = layout_problems(plot_page, sized(fig, size))
            smallest += [b["size"] for b in boxes]
            if problems:
                failures[name] = problems[:4]
    print(f"\n[layout] {size}: {len(failures)} figure(s) with problems")
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)
    if size == "column":
        assert min(smallest) / PX_PER_PT >= MIN_FONT - 0.01  # 7 pt in the exported PDF


def test_a_column_pdf_is_3_25_inches_wide_with_its_fonts_embedded(demo_runs):
    from pypdf import PdfReader

    from sbexplore.figures.export import to_bytes

    fig = figures_for(demo_runs.clean)["learning_curves_epoch"]
    pdf = PdfReader(io.BytesIO(to_bytes(sized(fig, "column"), "pdf")))
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) - SIZES["column"].width) <= 0.01 * SIZES["column"].width
    fonts = pdf.pages[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        desc = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()[
            "/FontDescriptor"]
        desc = desc.get_object()
        assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


def test_titles_and_bar_notes_move_into_the_caption(demo_runs):
    from sbexplore.figures.sizes import caption

    fig = figures_for(demo_runs.clean)["speedup"]
    small = sized(fig, "column")
    assert not small.layout.title.text and fig.layout.title.text  # the screen figure keeps it
    assert all(t.text is None for t in small.data if t.type == "bar")
    text = caption(small)
    assert text.startswith(fig.layout.title.text)
    notes = {str(v) for t in fig.data if t.type == "bar" for v in t.text}
    assert "Bars: mean over" in text
    for note in notes - {n for n in notes if n.startswith("n=")}:
        assert note in text  # 'never reached', 'k of n reached' survive in words
