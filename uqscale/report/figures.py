"""The look shared by every figure: palette, one colour per scale group, and figures
turned into self-contained ``data:`` URIs.

matplotlib is imported inside the functions (never at module import) and used
without pyplot: figures are :class:`matplotlib.figure.Figure` objects drawn on the Agg
canvas, so building a report never touches the user's backend or global state.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D31", "#7F7F7F")
"""Okabe and Ito's colour-blind-safe palette (black and yellow swapped for darker
tones that stay readable on white)."""
INK = "#1F2933"
MUTED = "#7B8794"
OTHERS = "#B8C2CC"
GREY_ZONE = "#F2D7A6"
TOP = 12
"""Inputs shown one by one in bar charts; the rest are pooled in one bar."""
WIDTH = 7.2
"""Default figure width in inches (the report's column is about 720 pixels at 100 dpi)."""

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#9AA5B1",
    "axes.linewidth": 0.7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#E4E7EB",
    "grid.linewidth": 0.6,
    "xtick.color": "#52606D",
    "ytick.color": "#52606D",
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.6,
    "text.color": INK,
    "svg.fonttype": "path",
    "svg.hashsalt": "uqscale",
    "figure.dpi": 100,
    "savefig.dpi": 100,
}


def group_colours(groups: Sequence[str]) -> dict[str, str]:
    """One colour per scale group, in order of first appearance.

    Examples
    --------
    >>> group_colours(["micro", "macro"])
    {'micro': '#0072B2', 'macro': '#E69F00'}
    """
    return {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(groups)}


def tint(colour: str, amount: float = 0.55) -> str:
    """``colour`` mixed with white (``amount`` of white), as ``#rrggbb``.

    Parameters
    ----------
    colour
        A colour written ``#rrggbb``.
    amount
        The share of white, from 0 (``colour`` itself) to 1 (white).

    Returns
    -------
    str
        The lighter colour, ``#rrggbb``.

    Examples
    --------
    >>> tint("#000000", 0.5)
    '#7f7f7f'
    """
    rgb = np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)], dtype=float)
    mixed = rgb + (255 - rgb) * amount
    return "#" + "".join(f"{int(v):02x}" for v in mixed)


def shade(colour: str, amount: float) -> str:
    """``colour`` mixed with black (``amount`` of black).

    Parameters
    ----------
    colour
        A ``#rrggbb`` colour.
    amount
        How much black, from 0 (unchanged) to 1 (black).

    Returns
    -------
    str
        The darker colour, also ``#rrggbb``.

    Examples
    --------
    >>> shade("#ffffff", 0.5)
    '#7f7f7f'
    """
    rgb = np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)], dtype=float)
    return "#" + "".join(f"{int(v):02x}" for v in rgb * (1 - amount))


def line_colours(names: Sequence[str], colours: dict[str, str]) -> dict[str, str]:
    """Colours for lines of ``names`` (in drawing order): each in its scale group's hue,
    inputs of one group told apart by darker and lighter shades of it.

    Parameters
    ----------
    names
        The lines' names (inputs), in the order they are drawn.
    colours
        ``{input: its scale group's colour}``; a name without one is drawn in ink shades.

    Returns
    -------
    dict[str, str]
        ``{name: colour}`` for every name.
    """
    variants = (
        lambda c: c,
        lambda c: shade(c, 0.4),
        lambda c: tint(c, 0.45),
        lambda c: shade(c, 0.65),
        lambda c: tint(c, 0.7),
    )
    seen: dict[str, int] = {}
    result = {}
    for name in names:
        base = colours.get(name, INK)
        k = seen.get(base, 0)
        seen[base] = k + 1
        result[name] = variants[k % len(variants)](base)
    return result


def input_colours(scale_of: dict[str, str], colours: dict[str, str]) -> dict[str, str]:
    """Each input's colour: that of its scale group.

    Parameters
    ----------
    scale_of
        ``{input: scale group}``.
    colours
        ``{scale group: colour}`` (:func:`group_colours`).

    Returns
    -------
    dict[str, str]
        ``{input: colour}``.
    """
    return {name: colours[group] for name, group in scale_of.items()}


@dataclass(frozen=True)
class Margins:
    """Space around the axes, in inches, and between panels (a fraction of a panel).

    Margins are set by hand rather than by a layout engine: laying out every figure
    would take most of a report's build time.
    """

    left: float = 0.6
    right: float = 0.15
    top: float = 0.3
    bottom: float = 0.45
    between: float = 0.3


def legend_margins(entries: int, columns: int = 4, **margins: float) -> Margins:
    """Margins that leave room under the axes for a figure legend of ``entries`` in
    ``columns`` (:func:`legend_below`).

    Parameters
    ----------
    entries
        How many entries the legend has (0: no legend).
    columns
        Entries per legend row.
    **margins
        :class:`Margins` fields to set instead of their defaults (inches).

    Returns
    -------
    Margins
        The margins, the bottom one grown by a row height per legend row.
    """
    rows = -(-entries // columns)
    return Margins(**({"bottom": 0.5 + 0.2 * rows, "between": 0.08} | margins))


def legend_below(fig: Any, handles: Sequence[Any], columns: int = 4) -> None:
    """A legend of ``handles`` centred under the axes, in the room
    :func:`legend_margins` left: never drawn over the data.

    Parameters
    ----------
    fig
        The matplotlib figure.
    handles
        The artists to list (their labels are the entries).
    columns
        Entries per legend row, at most (as given to :func:`legend_margins`).
    """
    fig.legend(
        handles=list(handles),
        loc="lower center",
        ncols=max(1, min(columns, len(handles))),
        bbox_to_anchor=(0.5, 0.0),
    )


def label_inches(labels: Sequence[str], size: float = 8.0) -> float:
    """About how wide the longest of ``labels`` is, in inches, at ``size`` points.

    Parameters
    ----------
    labels
        Tick or axis labels.
    size
        Their font size, in points.

    Returns
    -------
    float
        The width in inches, with a small gap (a margin for the labels).
    """
    longest = max((len(str(t)) for t in labels), default=0)
    return 0.15 + longest * size * 0.6 / 72


@contextmanager
def figure(
    width: float = WIDTH, height: float = 3.0, margins: Margins | None = None, **subplots: Any
) -> Iterator[Any]:
    """A new figure in the report's style with its axes: ``with figure(...) as (fig,
    axes)``. Keyword arguments go to :meth:`Figure.subplots`.

    Parameters
    ----------
    width
        The figure's width, in inches.
    height
        Its height, in inches.
    margins
        The space around and between the axes (default: :class:`Margins`'s).
    **subplots
        ``ncols``, ``sharey`` and the other arguments of :meth:`Figure.subplots`.

    Yields
    ------
    tuple[Figure, numpy.ndarray]
        The figure and its 2-D array of axes (``axes[row][column]``).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    m = margins or Margins()
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height))
        FigureCanvasAgg(fig)
        fig.subplots_adjust(
            left=m.left / width,
            right=1 - m.right / width,
            top=1 - m.top / height,
            bottom=m.bottom / height,
            wspace=m.between,
            hspace=m.between,
        )
        axes = fig.subplots(squeeze=False, **subplots)
        yield fig, axes


def to_uri(fig: Any) -> str:
    """The figure as a base64 ``data:image/svg+xml`` URI (vector, no external fonts:
    text is drawn as paths)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def top_inputs(
    order_by: np.ndarray, names: Sequence[str], top: int = TOP
) -> tuple[list[int], list[int]]:
    """Positions of the ``top`` largest entries (descending; NaN last) and of the rest.

    When only one input would be pooled it is shown instead: a bar "1 other" says less
    than the input's own name.

    Parameters
    ----------
    order_by
        One value per input (e.g. its largest ``ST``).
    names
        The inputs' names, in the order of ``order_by``.
    top
        How many to show one by one.

    Returns
    -------
    tuple[list[int], list[int]]
        The positions shown, largest first, and the positions pooled.

    Examples
    --------
    >>> top_inputs(np.array([0.1, 0.5, 0.2, 0.05]), ["a", "b", "c", "d"], top=2)
    ([1, 2], [0, 3])
    >>> top_inputs(np.array([0.1, 0.5, 0.2]), ["a", "b", "c"], top=2)
    ([1, 2, 0], [])
    """
    values = np.where(np.isfinite(order_by), order_by, -np.inf)
    ranked = [int(k) for k in np.argsort(-values, kind="stable")]
    if len(names) <= top + 1:
        return ranked, []
    return ranked[:top], ranked[top:]


def short(text: str, width: int = 18) -> str:
    """``text`` cut to ``width`` characters with an ellipsis.

    Parameters
    ----------
    text
        A label (an input's or output's name).
    width
        The most characters it may keep, the ellipsis included.

    Returns
    -------
    str
        ``text`` itself when it fits.

    Examples
    --------
    >>> short("thermal_conductivity_of_the_wall", 12)
    'thermal_con…'
    """
    return text if len(text) <= width else text[: width - 1] + "…"


def log_axis(values: np.ndarray) -> bool:
    """Whether positive ``values`` spanning more than a decade read better on a log axis."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return bool(finite.size > 1 and (finite > 0).all() and finite.max() / finite.min() > 20)
