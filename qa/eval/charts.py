"""Grouped bar charts as inline SVG: no JavaScript, no CDN, so the report opens offline.

One function, ``bar_chart``: categories along the x axis, one bar per series in each
category, every bar labelled with its value and a hover title.
"""

from __future__ import annotations

import math
from html import escape

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2"]
MODE_COLORS = {"dense": PALETTE[0], "bm25": PALETTE[1], "hybrid": PALETTE[2]}


def _color(name: str, i: int) -> str:
    return MODE_COLORS.get(name, PALETTE[i % len(PALETTE)])


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value``: clean axis ticks."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def bar_chart(
    title: str,
    categories: list[str],
    series: dict[str, list[float | None]],
    *,
    max_value: float | None = 1.0,
    unit: str = "",
    width: int = 760,
    height: int = 280,
) -> str:
    """An SVG grouped bar chart; ``max_value=None`` scales to the largest value."""
    left, right, top, bottom = 48, 12, 40, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for vs in series.values() for v in vs if v is not None]
    top_value = max_value if max_value is not None else nice_ceiling(max(values, default=1.0))
    n_series = max(len(series), 1)
    group_w = plot_w / max(len(categories), 1)
    bar_w = min(28.0, group_w * 0.8 / n_series)
    fmt = (lambda v: f"{v:.0f}") if max_value is None else (lambda v: f"{v:.2f}")

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="{left}" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):  # grid lines and y labels at 0, 25, 50, 75, 100 % of the scale
        tick = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{fmt(tick)}</text>')
    for ci, category in enumerate(categories):
        gx = left + ci * group_w + (group_w - bar_w * n_series) / 2
        for si, (name, vals) in enumerate(series.items()):
            value = vals[ci] if ci < len(vals) else None
            x = gx + si * bar_w
            label = "–" if value is None else fmt(value)
            tip = f"{category} · {name}: {label}{unit}"
            if value is not None:
                h = plot_h * min(value / top_value, 1.0) if top_value else 0.0
                y = top + plot_h - h
                out.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                    f'fill="{_color(name, si)}"><title>{escape(tip)}</title></rect>'
                )
            else:
                y = top + plot_h
            out.append(
                f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y - 3:.1f}" class="value" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
        cx = left + ci * group_w + group_w / 2
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 16}" class="axis" text-anchor="middle">'
            f"{escape(category)}</text>"
        )
    lx = width - right - sum(24 + 7 * len(name) for name in series)
    for si, name in enumerate(series):  # legend on the title's line, right-aligned
        out.append(f'<rect x="{lx}" y="8" width="12" height="12" fill="{_color(name, si)}"/>')
        out.append(f'<text x="{lx + 16}" y="18" class="axis">{escape(name)}</text>')
        lx += 24 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)
