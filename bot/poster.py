"""Printable posters of a deep link: a title, the QR code, the link written out and a line saying
what scanning it gives, on an A4 page: a PDF to print, and the same page as a 300 dpi PNG to
share in chats or hand to a print shop that wants an image.

A4 only, because the A sizes share one shape: the A4 PDF prints on A5 or A3 paper in proportion
(any print dialog's "fit to page", or two A4 pages on one sheet for A5 flyers).

Drawn with matplotlib, imported on first use as `bot.chart` does; drawing is blocking work, so
callers run `pdf` and `png` in a thread. The page is laid out in points (1/72 inch) from the
top, within margins of 17 mm, which every home printer can print. The QR code comes first: it
takes the height the texts leave, up to the width between the margins, and a long title shrinks
and wraps (up to three lines) before the code goes under 14 cm with its quiet zone, so the code
itself stays 10 cm wide or more (11 cm for a lab's link), and a code scans from about ten times
its width. The texts under it shrink and wrap the same way. The code is one vector path: sharp at
any size, with no seams between its modules. The link is in a monospaced face, where l, I and 1
differ, because people may type it; in the PDF it is also a link to click.
"""

from __future__ import annotations

import functools
import io
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from bot.chart import BLUE, MATPLOTLIB_LOCK

if TYPE_CHECKING:  # imported on first use (see the module's docstring)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from segno import QRCode

A4 = (595.276, 841.89)  # points: 210 x 297 mm
MARGIN = 48.0  # points: about 17 mm
QUIET = 4  # modules of white around the code, as the QR standard asks
MIN_QR = 400.0  # points, quiet zone included, that a long title leaves to the code: 14 cm
PNG_DPI = 300
INK = "#1a1a1a"  # texts; the code alone is pure black
GREY = "#555555"
SANS = "DejaVu Sans"  # shipped with matplotlib: the same page on every machine
MONO = "DejaVu Sans Mono"
DASHES = ("–", "—", "-")


@dataclass(frozen=True)
class Poster:
    title: str  # "Spazio Q"
    link: str  # "https://t.me/LabSocialiPaviaBot?start=lab_spazio-q"
    line: str  # what scanning the code gives, in the posters' language
    second_line: str = ""  # the same in a second language, in smaller type
    kicker: str = ""  # a small line above the title: whose poster it is


def pdf(poster: Poster) -> bytes:
    """The poster as a one-page A4 PDF."""
    with MATPLOTLIB_LOCK:
        figure = _draw(poster)
        out = io.BytesIO()
        metadata = {"Title": poster.title, "Subject": poster.link, "Creator": None}
        figure.savefig(out, format="pdf", metadata=metadata)
        return out.getvalue()


def png(poster: Poster) -> bytes:
    """The poster as an A4 image at 300 dpi (2480 x 3507 pixels, RGB)."""
    with MATPLOTLIB_LOCK:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image  # comes with matplotlib

        figure = _draw(poster)
        figure.set_dpi(PNG_DPI)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", dpi=(PNG_DPI, PNG_DPI), compress_level=3)
        return out.getvalue()


def written(link: str) -> str:
    """The link as a person types it, without the scheme."""
    return link.removeprefix("https://").removeprefix("http://")


# --- fitting text -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Font:
    family: str = SANS
    weight: str = "normal"
    style: Literal["normal", "italic", "oblique"] = "normal"


@dataclass(frozen=True)
class Block:
    """Lines of text, centred, in one font and size."""

    lines: tuple[str, ...]
    size: float  # points
    font: Font
    colour: str = INK
    leading: float = 1.2  # line height, in sizes
    url: str | None = None

    @property
    def height(self) -> float:
        return self.size * self.leading * len(self.lines)


def _width_at(font: Font, size: float) -> Callable[[str], float]:
    """A text's width in points, in `font` at `size`."""
    return lambda text: _unit_width(font, text) * size


@functools.lru_cache(maxsize=1024)
def _unit_width(font: Font, text: str) -> float:
    """A text's width at 1 point: widths scale with the size (matplotlib measures at 100 points
    and scales too), so each line is measured once whatever the sizes tried."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=font.family, weight=font.weight, style=font.style, size=100)
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0] / 100


def _wrap(
    tokens: Sequence[str], joiner: str, width: Callable[[str], float], room: float, most: int
) -> tuple[str, ...] | None:
    """The most even cut of `tokens` into the fewest lines (at most `most`) no wider than
    `room`, or None. Lines that would start with a dash are avoided when another cut fits."""
    for count in range(1, min(most, len(tokens)) + 1):
        best: tuple[tuple[int, float], tuple[str, ...]] | None = None
        for cuts in itertools.combinations(range(1, len(tokens)), count - 1):
            bounds = (0, *cuts, len(tokens))
            lines = tuple(joiner.join(tokens[a:b]) for a, b in itertools.pairwise(bounds))
            widths = [width(line) for line in lines]
            if max(widths) > room:
                continue
            cost = (sum(line.startswith(DASHES) for line in lines), max(widths) - min(widths))
            if best is None or cost < best[0]:
                best = (cost, lines)
        if best is not None:
            return best[1]
    return None


def _fit(
    tokens: Sequence[str],
    *,
    font: Font,
    sizes: tuple[float, float],
    most: int,
    joiner: str = " ",
    room: float = A4[0] - 2 * MARGIN,
    height: float | None = None,
    leading: float = 1.2,
) -> tuple[float, tuple[str, ...]] | None:
    """The largest size from sizes[0] down to sizes[1] (by 1 point) at which the text fits in
    `most` lines (and in `height`, if given), with those lines; None if it fits at none."""
    size = sizes[0]
    while size >= sizes[1]:
        lines = _wrap(tokens, joiner, _width_at(font, size), room, most)
        if lines is not None and (height is None or len(lines) * size * leading <= height):
            return size, lines
        size -= 1
    return None


def _block(
    text: str,
    *,
    font: Font,
    sizes: tuple[float, float],
    most: int,
    colour: str = INK,
    leading: float = 1.2,
    height: float | None = None,
    few: tuple[int, float] | None = None,
) -> Block:
    """Words wrapped to fit, in `most` lines and `height`, at the largest size of `sizes`; in
    `few` = (lines, smallest size) if they read well there. A text too long even at the
    smallest size is cut anywhere, and one too tall takes the smallest size."""
    words = text.split()
    fitted = None
    if few is not None:
        fitted = _fit(words, font=font, sizes=(sizes[0], few[1]), most=few[0], leading=leading)
    for limit in (height, None):
        if fitted is None:
            fitted = _fit(words, font=font, sizes=sizes, most=most, height=limit, leading=leading)
    if fitted is None:
        size = sizes[1]
        width = _width_at(font, size)
        lines = [""]
        for char in " ".join(text.split()):
            if width(lines[-1] + char) > A4[0] - 2 * MARGIN:
                lines.append("")
            lines[-1] += char
        fitted = size, tuple(line.strip() for line in lines)
    return Block(fitted[1], fitted[0], font, colour, leading)


def _link_block(link: str) -> Block:
    """The link on one line if it reads well there, else cut before "?start=", else anywhere."""
    shown = written(link)
    head, mark, tail = shown.partition("?")
    font = Font(MONO)
    fitted = _fit([shown], font=font, sizes=(22, 16), most=1)
    if fitted is None and mark:
        fitted = _fit([head, mark + tail], font=font, sizes=(22, 11), most=2, joiner="")
    if fitted is None:
        return replace(_block(shown, font=font, sizes=(11, 11), most=1, colour=BLUE), url=link)
    return Block(fitted[1], fitted[0], font, BLUE, url=link)


# --- the page -----------------------------------------------------------------------------------

GAP = 12.0  # points between blocks
LINK_GAP = 4.0  # between the code's quiet zone and the link


def _draw(poster: Poster) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import segno
    from matplotlib.figure import Figure

    page_w, page_h = A4
    bold = Font(weight="bold")
    above: list[Block] = []
    if poster.kicker:
        above.append(_block(poster.kicker, font=bold, sizes=(16, 11), most=2, colour=BLUE))
    link = _link_block(poster.link)
    below = [_block(poster.line, font=Font(), sizes=(24, 14), most=3, leading=1.3, few=(2, 20))]
    if poster.second_line:
        italic = Font(style="italic")
        below.append(
            _block(poster.second_line, font=italic, sizes=(15, 10), most=3, colour=GREY,
                   leading=1.3, few=(2, 12))
        )  # fmt: skip
    # The title takes what the code leaves: the code scans from afar, the title is read close.
    room = page_h - 2 * MARGIN - sum(b.height + GAP for b in [*above, *below]) - LINK_GAP
    room -= link.height + MIN_QR
    title = _block(poster.title, font=bold, sizes=(60, 24), most=3, leading=1.15, height=room)
    above.append(title)

    top = MARGIN + sum(b.height for b in above) + GAP * (len(above) - 1)
    bottom = page_h - MARGIN - sum(b.height for b in below) - GAP * len(below)
    bottom -= LINK_GAP + link.height
    size = min(page_w - 2 * MARGIN, bottom - top)  # the quiet zone keeps texts off the code
    qr_top = top + (bottom - top - size) / 2

    figure = Figure(figsize=(page_w / 72, page_h / 72), dpi=72)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_xlim(0, page_w)
    axes.set_ylim(page_h, 0)  # points from the top left, as the page is read

    def put(block: Block, y: float) -> float:
        """Draw `block` with its top at `y`; returns its bottom."""
        for line in block.lines:
            baseline = y + block.size * (block.leading / 2 + 0.38)
            axes.text(
                page_w / 2, baseline, line, ha="center", va="baseline", fontsize=block.size,
                family=block.font.family, weight=block.font.weight, style=block.font.style,
                color=block.colour, url=block.url,
            )  # fmt: skip
            y += block.size * block.leading
        return y

    y = MARGIN
    for block in above:
        y = put(block, y) + GAP
    code = segno.make(poster.link, error="m")
    _draw_code(axes, code, (page_w - size) / 2, qr_top, size)
    y = put(link, qr_top + size + LINK_GAP)
    for block in below:
        y = put(block, y + GAP)
    return figure


def _draw_code(axes: Axes, code: QRCode, left: float, top: float, size: float) -> None:
    """The QR code as one filled path of its dark runs, `size` points wide with its quiet
    zone."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    rows = [list(row) for row in code.matrix_iter(scale=1, border=QUIET)]
    module = size / len(rows)
    vertices: list[tuple[float, float]] = []
    for r, row in enumerate(rows):
        c = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                x0, x1 = left + c * module, left + (c + length) * module
                y0, y1 = top + r * module, top + (r + 1) * module
                vertices += [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            c += length
    codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    path = Path(vertices, codes * (len(vertices) // 5))
    axes.add_patch(PathPatch(path, facecolor="black", edgecolor="none", linewidth=0))
