"""The weekly chart of /statistiche, drawn with matplotlib as a PNG.

matplotlib is imported on first use (it takes about a second), and drawing is blocking work:
callers run `weekly_png` in a thread. Colours are the Okabe-Ito pair (blue and orange), told
apart by people with any common colour-vision deficiency; every bar carries its number, so the
chart reads without colours at all.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

BLUE = "#0072B2"
ORANGE = "#E69F00"

# One drawing at a time, charts and posters (bot.poster) alike: matplotlib's font cache is shared.
MATPLOTLIB_LOCK = threading.Lock()


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]
    colour: str


def weekly_png(title: str, weeks: Sequence[str], series: Sequence[Series]) -> bytes:
    """Grouped bars, one group per week (labels under the axis), one bar per series."""
    with MATPLOTLIB_LOCK:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        figure = Figure(figsize=(9, 4.8), dpi=110, layout="constrained")
        axes = figure.subplots()
        width = 0.8 / max(len(series), 1)
        for i, one in enumerate(series):
            offset = (i - (len(series) - 1) / 2) * width
            bars = axes.bar(
                [x + offset for x in range(len(weeks))],
                one.values,
                width,
                label=one.label,
                color=one.colour,
            )
            axes.bar_label(bars, labels=[str(v) if v else "" for v in one.values], fontsize=8)
        axes.set_title(title)
        axes.set_xticks(range(len(weeks)), weeks, rotation=45, ha="right", fontsize=9)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.margins(y=0.15)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(frameon=False, loc="upper left")
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
        return out.getvalue()
