"""Physical sizes for papers and slides: width, fonts, markers and lines set together.

Sizes are in points; plotly lays out in CSS pixels (96 per inch, so 1 pt = 4/3 px), and a PDF
exported from a layout W px wide is W * 3/4 pt wide. A column figure is therefore laid out 312 px
wide with 10.7-px text and exports as 234 pt (3.25 in) with 8-pt text: placed at 100%, it reads
like a matplotlib figure made for the venue. `sized(fig, "column")` returns a resized copy;
the screen (notebook) sizes of the figures themselves are unchanged.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import plotly.graph_objects as go

from sbexplore.errors import UserError


@dataclass(frozen=True)
class Size:
    width: int  # points (= layout pixels in a PDF)
    font: float  # body text; ticks and legend one point less, the title one more
    aspect: float  # height / width, before room for the legend and titles


SIZES = {
    "column": Size(234, 8, 0.78),  # 3.25 in: one column of a two-column paper
    "page": Size(486, 9, 0.55),  # 6.75 in: the full text width
    "slide": Size(960, 18, 0.5625),  # 13.33 in, 16:9
}
MIN_FONT = 7.0  # the smallest text in a paper figure, in points
PX_PER_PT = 96 / 72  # CSS pixels per point


def check_size(size: str) -> Size:
    if size not in SIZES:
        raise UserError(f"size={size!r} is not allowed: one of {', '.join(SIZES)} (or none "
                        "for the screen size)")
    return SIZES[size]


def sized(fig: go.Figure, size: str) -> go.Figure:
    """A copy of `fig` at a physical size, laid out so no text overlaps or leaves the figure.

    Fonts, margins, markers and lines scale together. The title leaves the figure for the
    caption (`caption(fig)`: a paper's figures carry none); so do notes that would not fit on
    bars. Bar charts turn horizontal, panels side by side stack, category names and long
    subplot titles wrap, labels of lines stacked on one spot spread apart, image grids reflow
    to tiles their captions fit, and the legend sits below everything.
    """
    s = check_size(size)
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    for attr in ("_sbexplore_data",):  # the table behind the figure travels with it
        if hasattr(fig, attr):
            object.__setattr__(out, attr, getattr(fig, attr))
    px = PX_PER_PT
    font, small = s.font * px, max(MIN_FONT, s.font - 1) * px
    width = s.width * px
    ratio = width / (fig.layout.width or 800)
    lay = out.layout
    notes = _bar_notes(out)
    meta = dict(lay.meta) if isinstance(lay.meta, dict) else {}
    meta.update(caption=_plain(lay.title.text or ""), notes=notes, size=size)
    lay.meta = meta
    lay.title.text = None
    if out.data and all(t.type == "image" for t in out.data):
        return _image_grid(out, width, font, small)
    panel_h = width * s.aspect
    bars = [t for t in out.data if t.type == "bar"]
    if bars and all(isinstance(v, str) for t in bars for v in (t.x if t.x is not None else ())):
        panel_h = _horizontal_bars(out, width, small)  # category bars; numeric ones stay
    lay.font.size = font
    for name in _axes(lay):
        ax = getattr(lay, name)
        ax.tickfont.size = small
        ax.title.font.size = font
        ax.automargin = True
        if ax.type == "log":  # plotly draws the 2s and 5s between decades at 3/4 size
            ax.dtick = 1
        ax.ticklabelstandoff = round(small * 0.3)  # x and y labels clear at the corner
    _spread_line_labels(lay)
    for ann in lay.annotations or ():
        ann.font.size = max(small, min(font, (ann.font.size or font) * ratio))
    _colorbars(out, small)
    for tr in out.data:
        _thin(tr, ratio)
    rows = _legend_rows(out, width, small)
    legend = rows * small * 1.6
    # the legend sits at the very bottom, under the axis ticks and title: it covers nothing
    lay.legend.update(orientation="h", x=0, xanchor="left", xref="container", y=0,
                      yanchor="bottom", yref="container", entrywidth=0, itemwidth=30,
                      tracegroupgap=2, font=dict(size=small))
    top = font * 1.2 if not _panel_titles(lay) else font * 2.2
    bottom = small * 1.6 + font * 1.8 + legend + 4 * px
    lay.update(width=round(width), height=round(panel_h + top + bottom),
               margin=dict(l=round(font * 4.5), r=round(font * 1.5), t=round(top),
                           b=round(bottom), autoexpand=True))
    return out


def caption(fig: go.Figure) -> str:
    """The caption of a `sized` figure: its title, then the notes moved off the figure."""
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    text = meta.get("caption") or _plain(fig.layout.title.text or "")
    notes = meta.get("notes") or []
    return " ".join([text.rstrip(".") + "." if text else "", *notes]).strip()


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", str(text)).replace("  ", " ").strip()


def _axes(lay: go.Layout) -> list[str]:
    return [n for n in dir(lay) if re.fullmatch(r"[xy]axis\d*", n)
            and getattr(lay, n, None) is not None]


def _panel_titles(lay: go.Layout) -> list:
    """make_subplots' panel titles: paper-anchored annotations centred above a panel."""
    return [a for a in lay.annotations or () if a.xref == "paper" and a.yref == "paper"
            and a.yanchor == "bottom" and a.xanchor == "center"]


def wrap(text: str, chars: int) -> str:
    """`text` broken into lines of at most `chars` characters at spaces (`<br>` joins)."""
    lines: list[str] = []
    for word in _plain(text).split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _bar_notes(fig: go.Figure) -> list[str]:
    """Take the text off bars (it cannot be legible on thin bars at paper sizes) and return it
    as caption notes, per panel: 'n=3' shared by all bars becomes one sentence, the rest is
    grouped by bar and note ('wall time: SB 2 of 3 reached (×1.1, ×1.2)')."""
    bars = [t for t in fig.data if t.type == "bar" and t.text is not None]
    names = [str(t.name or "") for t in bars]
    prefix = _common_words(names)
    titles = {round(float(a.x), 3): _plain(a.text) for a in _panel_titles(fig.layout)}
    grouped: dict[tuple[str, str, str], list[str]] = {}
    counts = set()
    for t, name in zip(bars, names, strict=True):
        panel = titles.get(_panel_of(fig.layout, t), "") if len(titles) > 1 else ""
        for x, v in zip(t.x, t.text, strict=False):
            v = str(v)
            if re.fullmatch(r"n=\d+", v):
                counts.add(v)
            else:
                grouped.setdefault((panel, str(x), v), []).append(name[len(prefix):] or name)
        t.text = None
    if not bars:
        return []
    notes = ["Bars: mean over the seeds that reached the target; whiskers: std"
             + (f"; {' or '.join(sorted(counts))} seeds unless noted." if counts else ".")]
    per_panel: dict[str, list[str]] = {}
    for (panel, x, v), which in grouped.items():
        per_panel.setdefault(panel, []).append(f"{x} {v} ({', '.join(which)})")
    same = len({tuple(v) for v in per_panel.values()}) == 1  # reaching is clock-free
    parts = next(iter(per_panel.values()), []) if same else [
        f"{panel}: {part}" for panel, ps in per_panel.items() for part in ps]
    if parts:
        notes.append("Not every seed reached every target: " + "; ".join(parts) + ".")
    return notes


def _common_words(names: list[str]) -> str:
    """The words every name starts with ('final error ' of 'final error ×1.1', ...)."""
    if len(names) < 2:
        return ""
    words = [n.split(" ") for n in names]
    k = 0
    while all(len(w) > k + 1 and w[k] == words[0][k] for w in words):
        k += 1
    return " ".join(words[0][:k]) + " " if k else ""


def _panel_of(lay: go.Layout, trace: go.BaseTraceType) -> float:
    """The centre of the trace's x domain: where make_subplots puts its panel's title."""
    axis = getattr(lay, "xaxis" + (trace.xaxis or "x")[1:])
    lo, hi = axis.domain or (0, 1)
    return round((lo + hi) / 2, 3)


def _swap(ref: str | None) -> str | None:
    return None if ref is None else {"x": "y", "y": "x"}[ref[0]] + ref[1:]


def _horizontal_bars(fig: go.Figure, width: float, small: float) -> float:
    """Bars turned horizontal (category names read across, wrapped), panels stacked; returns
    the plotting height the bars need."""
    lay = fig.layout
    for t in fig.data:
        if t.type != "bar":
            continue
        t.x, t.y = t.y, t.x
        t.xaxis, t.yaxis = _swap(t.yaxis or "y"), _swap(t.xaxis or "x")
        t.orientation = "h"
        if t.error_y is not None and t.error_y.array is not None:
            t.error_x, t.error_y = t.error_y.to_plotly_json(), None
    for shape in lay.shapes or ():
        shape.x0, shape.y0, shape.x1, shape.y1 = shape.y0, shape.x0, shape.y1, shape.x1
        shape.xref, shape.yref = _swap(shape.yref), _swap(shape.xref)
    pairs = sorted({(t.xaxis or "x", t.yaxis or "y") for t in fig.data})
    titles = {n: getattr(lay, n).title.text for n in _axes(lay)}
    for n in _axes(lay):  # axis titles follow their data
        getattr(lay, n).title.text = titles.get(_swap(n[0]) + n[1:])
    cats = list(dict.fromkeys(str(c) for t in fig.data if t.type == "bar" for c in t.y))
    groups = len({t.name for t in fig.data if t.type == "bar"}) if lay.barmode == "group" else 1
    chars = max(10, int(width * 0.3 / (0.55 * small)))
    lines = max((wrap(c, chars).count("<br>") + 1 for c in cats), default=1)
    band = max(len(cats) * max(groups * small * 0.9, small * (1.5 * lines + 0.8)), 60)
    panel_titles = _panel_titles(lay)
    gap = small * 4.6 if len(pairs) > 1 else 0  # the x ticks above, then the panel title
    total = band * len(pairs) + gap * (len(pairs) - 1)
    x_title = next((v for k, v in titles.items() if k.startswith("y") and v), None)
    for i, (xa, ya) in enumerate(pairs):
        xname, yname = "xaxis" + xa[1:], "yaxis" + ya[1:]
        top = 1 - i * (band + gap) / total
        if len(pairs) > 1:
            getattr(lay, xname).domain = [0, 1]
            getattr(lay, yname).domain = [max(0.0, top - band / total), top]
            getattr(lay, xname).title.text = x_title if i == len(pairs) - 1 else None
            getattr(lay, yname).title.text = None
            if i < len(panel_titles):
                panel_titles[i].update(x=0.5, y=top, yanchor="bottom")
        getattr(lay, yname).update(tickmode="array", tickvals=cats,
                                   ticktext=[wrap(c, chars) for c in cats],
                                   autorange="reversed", tickangle=0)
    return total


def _spread_line_labels(lay: go.Layout) -> None:
    """Labels of reference lines drawn at one corner (`add_hline(annotation_text=...)`) spread
    across the panel, left, centre and right, and drop their shared first words after the
    first: 'final error ×1.1', '×1.2', '×1.4'."""
    groups: dict[tuple, list] = {}
    for a in lay.annotations or ():
        if isinstance(a.xref, str) and a.xref.endswith("domain") and a.showarrow is False:
            groups.setdefault((a.xref, a.x), []).append(a)
    for anns in groups.values():
        if len(anns) < 2:
            continue
        prefix = _common_words([str(a.text) for a in anns])
        k = len(anns)
        for i, a in enumerate(anns):
            a.x = i / (k - 1)
            a.xanchor = "left" if i == 0 else "right" if i == k - 1 else "center"
            if i and prefix:
                a.text = str(a.text)[len(prefix):]


def _colorbars(fig: go.Figure, small: float) -> None:
    """Colour bar titles beside the bar, read upwards: they never meet its tick labels."""
    bars = [fig.layout.coloraxis.colorbar] if fig.layout.coloraxis.colorbar else []
    bars += [t.marker.colorbar for t in fig.data if getattr(t, "marker", None) is not None
             and getattr(t.marker, "colorbar", None) is not None
             and t.marker.colorbar.title.text]
    for cb in bars:
        cb.title.side = "right"
        cb.title.font.size = small
        cb.tickfont.size = small
        cb.thickness = round(small)
        cb.title.text = _plain(cb.title.text or "") or None


def _image_grid(fig: go.Figure, width: float, font: float, small: float) -> go.Figure:
    """An image grid reflowed to as many columns as its captions allow at this width."""
    from plotly.subplots import make_subplots

    images = list(fig.data)
    captions = [a for a in fig.layout.annotations or () if a.text][:len(images)]
    # captions wrap to lines that let at least four tiles sit side by side
    chars = max(8, int(((width - 8) / min(4, len(images) or 1) - 6) / (0.55 * small)))
    texts = ["<br>".join(wrap(line, chars) for line in _plain_lines(a.text)) for a in captions]
    longest = max((len(line) for t in texts for line in _plain_lines(t)), default=4)
    lines = max((len(_plain_lines(t)) for t in texts), default=1)
    tile = max(longest * 0.55 * small + 6, 48)
    cols = max(1, min(len(images), int((width - 8) // tile)))
    rows = -(-len(images) // cols)
    cap_h = lines * small * 1.25 + 4
    tile_w = (width - 8) / cols
    height = rows * (tile_w + cap_h) + 8
    grid = make_subplots(rows=rows, cols=cols, subplot_titles=texts,
                         horizontal_spacing=4 / width, vertical_spacing=cap_h / height)
    for i, t in enumerate(images):
        grid.add_trace(t, row=i // cols + 1, col=i % cols + 1)
    for new, old in zip(grid.layout.annotations, captions, strict=False):
        new.font = dict(size=small, color=old.font.color)
    grid.update_xaxes(visible=False)
    grid.update_yaxes(visible=False)
    grid.update_layout(template=fig.layout.template, meta=fig.layout.meta, width=round(width),
                       height=round(height + cap_h), showlegend=False,
                       margin=dict(l=4, r=4, t=round(cap_h), b=4))
    for attr in ("_sbexplore_data",):
        if hasattr(fig, attr):
            object.__setattr__(grid, attr, getattr(fig, attr))
    return grid


def _plain_lines(text: str | None) -> list[str]:
    return [_plain(x) for x in re.split(r"<br\s*/?>", str(text or ""))]


def _legend_rows(fig: go.Figure, width: float, font: float) -> int:
    """About how many rows the legend's entries take at this width (px)."""
    names = [t.name for t in fig.data
             if getattr(t, "name", None) and getattr(t, "showlegend", None) is not False]
    if not names or fig.layout.showlegend is False:
        return 0
    widths = [len(str(n)) * 0.55 * font + 40 for n in dict.fromkeys(names)]
    rows, used = 1, 0.0
    for w in widths:
        if used + w > width and used:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _thin(trace: go.BaseTraceType, ratio: float) -> None:
    """Marker sizes and line widths scaled with the figure (not below legible minimums)."""
    scale = max(0.5, min(1.0, ratio * 1.6))
    marker = getattr(trace, "marker", None)
    if marker is not None and isinstance(getattr(marker, "size", None), (int, float)):
        marker.size = max(3, marker.size * scale)
    line = getattr(trace, "line", None)
    if line is not None and isinstance(getattr(line, "width", None), (int, float)):
        line.width = max(0.75, line.width * scale)
