"""Charts as server-rendered SVG (pygal): no script, no CDN, readable without JavaScript."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from html import escape

import pygal
from markupsafe import Markup
from pygal.style import Style

FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif'
STYLE = Style(
    font_family=FONT,
    background="transparent",
    plot_background="transparent",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#9ca3af",
    colors=("#1d4ed8", "#0f766e", "#b45309", "#be123c", "#6d28d9", "#4b5563"),
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=12,
    value_label_font_size=12,
    tooltip_font_size=12,
    legend_font_size=13,
)
#: pygal writes its configuration in an inline <script>; the page's CSP forbids it and the chart
#: needs none of it, so it is dropped.
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
#: A bar's label longer than this is shortened with "…", its whole text in a tooltip (<title>).
LABEL_CHARS = 12


def text_width(text: str, size: float) -> float:
    """The width `text` takes: a Chinese character is a whole em, a Latin one about 0.6."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.6 * size for ch in text)


def shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def label_room(shown: Sequence[str], size: float) -> float:
    """What pygal's label-width guess (0.6 em a character) leaves out for Chinese labels."""
    if not shown:
        return 0.0
    return max(0.0, max(text_width(t, size) for t in shown) - 0.6 * size * max(map(len, shown)))


def bars(
    title: str, rows: Sequence[tuple[str, float]], *, height: int | None = None
) -> Markup | None:
    """A horizontal bar chart of labelled values, with the values printed on the bars.

    None when every value is zero: the numbers beside the chart say it better than empty bars.
    """
    if not any(value for _, value in rows):
        return None
    # pygal draws the first row at the bottom; the table beside reads top-down.
    rows = list(reversed(rows))
    labels = [label for label, _ in rows]
    shown = [shorten(label) for label in labels]
    chart = pygal.HorizontalBar(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        print_values=True,
        width=400,
        height=height or max(120, 30 * len(rows) + 50),
        truncate_label=-1,
        show_x_guides=False,
        margin=8,
        margin_left=8 + label_room(shown, STYLE.label_font_size),
        spacing=6,
        show_y_guides=False,
        explicit_size=False,
        title=None,
    )
    chart.x_labels = shown
    chart.add(title, [value for _, value in rows])
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    for label, short in zip(labels, shown, strict=True):
        if short != label:
            # The whole label as the shortened one's tooltip.
            drawn = f">{escape(short)}</text>"
            svg = svg.replace(drawn, f">{escape(short)}<title>{escape(label)}</title></text>", 1)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)
    # pygal escapes every label and value; scripts are stripped above and the title escaped.
    return Markup(svg)  # noqa: S704


def lines(
    title: str, months: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> Markup | None:
    """Lines over months, one per series, with a legend below."""
    if not months or not any(any(values) for _, values in series):
        return None
    chart = pygal.Line(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=640,
        height=260,
        legend_at_bottom=True,
        truncate_legend=-1,
        show_x_guides=False,
        margin=8,
        explicit_size=False,
        x_label_rotation=0,
        title=None,
    )
    chart.x_labels = list(months)
    for name, values in series:
        chart.add(name, list(values))
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)
    return Markup(svg)  # noqa: S704 (pygal escapes its labels; the title goes through _attr)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
