"""Funnel plots of councils against the programme, with placed labels and alt text."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.markers import MarkerStyle
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import Affine2D, IdentityTransform, offset_copy

from review_lib.analysis.funnel import funnel_x, limits_at
from review_lib.analysis.summary import format_percent
from review_lib.report.charts.base import (
    _AXIS_COLOUR,
    _FIG_WIDTH,
    _TEXT_DARK,
    CHART_AXES,
    CONTEXT_COLOUR,
    FOCUS_COLOUR,
    _lay_out,
    _root_figure,
    literal_text,
)
from review_lib.report.charts.council import _count_range, _join

# --------------------------------------------------------------------------- cross-council

#: Marker of a council on a funnel plot by where it lies against the 95% limits: shape, not
#: colour alone, tells a council outside the limits.
FUNNEL_MARKERS: dict[str, str] = {"within": "o", "above": "^", "below": "v"}

#: Sequential colours of the heat map, light to dark blue (never red/green).
HEATMAP_COLOURS: tuple[str, str] = ("#DCE6F0", "#12436D")

#: Colours of the earlier and later review on a change plot (with different markers too).
CHANGE_COLOURS: dict[str, str] = {"before": "#28A197", "after": "#12436D"}
CHANGE_MARKERS: dict[str, str] = {"before": "s", "after": "o"}

_FUNNEL_SIZE = 46.0  # marker area, points squared
_FUNNEL_FOCUS_SIZE = 120.0
_FUNNEL_LABEL_FONT = 9.0
_FUNNEL_LABEL_ALL = 8  # label every council unless more than this many share one n
#: Where names crowd, name the councils outside the 95% limits unless there are more than
#: this many; then only those outside the 99.8% limits (at national scale, 40 names would
#: cover each other and the points).
_FUNNEL_LABEL_MOST = 12
_ADJUSTED_COLOUR = "#28A197"
_FUNNEL_EXTREME_COLOUR = "#6F777B"  # darker fill: outside the 99.8% limits as well


def _side(flag: str) -> str:
    """``"above"``, ``"below"`` or ``"within"`` the 95% limits, from a funnel flag."""
    flag = str(flag)
    if flag.startswith("above"):
        return "above"
    if flag.startswith("below"):
        return "below"
    return "within"


def _funnel_target(table: pd.DataFrame) -> float:
    if "target" in table.attrs:
        return float(table.attrs["target"])
    return float(table["successes"].sum() / table["n"].sum())


def _funnel_n_range(n: np.ndarray) -> tuple[float, float]:
    """The n range the limit curves span: a little beyond the councils' n.

    When every council has (nearly) the same n, the range is widened by 20% either side so
    the curves still show how the limits narrow as n grows.
    """
    low, high = float(np.min(n)), float(np.max(n))
    if high - low < 0.2 * high:
        return max(1.0, 0.8 * low), 1.2 * high
    pad = 0.05 * (high - low)
    return max(1.0, low - pad), high + pad


def funnel_limits(table: pd.DataFrame, n: np.ndarray | float, level: str, *,
                  adjusted: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The funnel control limits of a table at any n, as :func:`funnel_plot` draws them.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`review_lib.analysis.funnel.funnel_table` (its ``attrs`` give the method, target,
        design effect and overdispersion estimate).
    n : float or array of float
        Denominators at which to evaluate the limits (records, or ratings).
    level : {"95", "998"}
        Which pair of limits.
    adjusted : bool, optional
        Widened for overdispersion (FunnelPlotR); by default as the table was made.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` as proportions, NaN where a limit lies beyond 0% or 100% (no
        share at that n can be outside it, so nothing is drawn there). A council is drawn
        outside a limit exactly when its flag says so.
    """
    lower, upper = limits_at(table, n, level, adjusted=adjusted)
    lower = np.where(np.asarray(lower) < 0, np.nan, lower)
    upper = np.where(np.asarray(upper) > 1, np.nan, upper)
    return lower, upper


def _n_clusters(n: pd.Series, span: float) -> list[list[object]]:
    """Councils whose n lie close together on the x axis (within 4% of its span)."""
    ordered = n.sort_values(kind="stable")
    clusters: list[list[object]] = []
    previous = None
    for council, value in ordered.items():
        if previous is None or value - previous > 0.04 * span:
            clusters.append([])
        clusters[-1].append(council)
        previous = value
    return clusters


def _match_council(index: pd.Index, highlight: str | None) -> object | None:
    if highlight is None or str(highlight) == "":
        return None
    for council in index:
        if str(council) == str(highlight):
            return council
    for council in index:
        if str(council).casefold() == str(highlight).casefold():
            return council
    return None


def funnel_labelled(table: pd.DataFrame, *, highlight: str | None = None,
                    named: Collection[str] | None = None) -> list[object]:
    """The councils :func:`funnel_plot` names beside their points.

    Every council is named unless more than eight sit at (nearly) the same n, where names
    would crowd: then only councils outside the 95% limits and the highlighted council are;
    and where more than twelve councils are outside the 95% limits, only those outside the
    99.8% limits and the highlighted council.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`review_lib.analysis.stats.funnel_table`.
    highlight : str, optional
        The highlighted council.
    named : collection of str, optional
        The only councils that may be named besides the highlighted one (a council's own
        report names no other council unless asked to); every council by default.

    Returns
    -------
    list
        Council index values, in the table's order.
    """
    if table.empty:
        return []
    chosen = _match_council(table.index, highlight)
    x = pd.Series(funnel_x(table), index=table.index)
    low, high = _funnel_n_range(x.to_numpy())
    crowded = any(len(c) > _FUNNEL_LABEL_ALL for c in _n_clusters(x, high - low))
    if not crowded:
        chosen_ones = list(table.index)
    else:
        outside = _labelled_outside(table)
        chosen_ones = [council for council, flag in table["flag"].items()
                       if (str(flag) in outside) or council == chosen]
    return [council for council in chosen_ones if _nameable(council, chosen, named)]


def _nameable(council: object, chosen: object | None, named: Collection[str] | None) -> bool:
    """Whether a council may be named: the highlighted one always, the rest if ``named``."""
    return named is None or council == chosen or str(council) in {str(n) for n in named}


def _labelled_outside(table: pd.DataFrame) -> frozenset[str]:
    """The flags of the councils a crowded funnel names (see :func:`funnel_labelled`)."""
    flags = table["flag"].astype(str)
    if int((flags.map(_side) != "within").sum()) > _FUNNEL_LABEL_MOST:
        return frozenset({"above998", "below998"})
    return frozenset({"above95", "below95", "above998", "below998"})


def _dodge(points: np.ndarray, radii: np.ndarray, gap: float,
           x_bounds: tuple[float, float] = (-math.inf, math.inf)) -> np.ndarray:
    """Horizontal display offsets so markers that would overlap sit side by side.

    Points are placed in order; each takes the first of 0, +d, -d, +2d, -2d, ... pixels
    that keeps it clear of the points already placed and wholly inside ``x_bounds`` (the
    axes: a point moved past them would be cut off at the figure's edge). A point that
    cannot be kept clear stays where it is.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    radii = np.asarray(radii, dtype=float)
    offsets = np.zeros(len(points))
    for i, (x, y) in enumerate(points):
        step = 2 * radii[i] + gap
        left, right = x_bounds[0] + radii[i], x_bounds[1] - radii[i]
        # Only the points already placed whose row is near enough could be in the way.
        need = radii[i] + radii[:i] + gap * 0.5
        near = np.abs(points[:i, 1] - y) < need
        others_x = points[:i, 0][near] + offsets[:i][near]
        others_y, others_need = points[:i, 1][near], need[near]
        for k in range(2 * len(points) + 1):
            dx = step * ((k + 1) // 2) * (1 if k % 2 else -1) if k else 0.0
            if k and not left <= x + dx <= right:
                continue
            if np.all(np.hypot(x + dx - others_x, y - others_y) >= others_need):
                offsets[i] = dx
                break
    return offsets


@dataclass
class _FunnelPoint:
    council: object
    x: float  # display pixels, before dodging
    y: float
    radius: float
    dx: float = 0.0
    n: float = 0.0  # data x: the council's n (or effective n)

    @property
    def centre(self) -> float:
        return self.x + self.dx


def _free_places(areas: np.ndarray, leaders: np.ndarray, own: _FunnelPoint,
                 others: np.ndarray, point_boxes: np.ndarray, label_boxes: np.ndarray,
                 bounds: tuple[float, float, float, float]) -> list[np.ndarray]:
    """Which places are free for a name, by three rules, strictest first.

    Every rule keeps the name inside the axes and clear of the names placed before it.
    The first also keeps it clear of every point, and unambiguous: without a leader line
    the name must be nearer its own point than any other; with one, the line must not
    cross another point. The second drops the ambiguity test (the name then takes a leader
    line); the third lets the name cover points too. All the candidates are tested at once.

    Parameters
    ----------
    areas : numpy.ndarray
        Candidate boxes, one row ``(x0, y0, x1, y1)`` per place, in display pixels.
    leaders : numpy.ndarray
        Whether each place needs a leader line.
    own : _FunnelPoint
        The point being named.
    others : numpy.ndarray
        Every other point: rows ``(x, y, radius)``.
    point_boxes, label_boxes : numpy.ndarray
        Boxes taken by points (padded) and by names already placed, ``(x0, y0, x1, y1)``.
    bounds : tuple of float
        The axes' box.

    Returns
    -------
    list of numpy.ndarray
        Three boolean masks over the places: strict, without the ambiguity test, and
        clear of names only.
    """
    x0, y0, x1, y1 = areas.T
    inside = (x0 >= bounds[0]) & (x1 <= bounds[2]) & (y0 >= bounds[1]) & (y1 <= bounds[3])

    def clear_of(boxes: np.ndarray) -> np.ndarray:
        if not len(boxes):
            return np.ones(len(areas), bool)
        return ~((x0[:, None] < boxes[None, :, 2]) & (boxes[None, :, 0] < x1[:, None])
                 & (y0[:, None] < boxes[None, :, 3]) & (boxes[None, :, 1] < y1[:, None])
                 ).any(axis=1)

    of_names = inside & clear_of(label_boxes)
    of_points = of_names & clear_of(point_boxes)
    px, py, pr = (others[:, k][None, :] for k in range(3))
    # With a leader line: the line runs from the point towards the name's centre.
    cx, cy = ((x0 + x1) / 2)[:, None], ((y0 + y1) / 2)[:, None]
    dx, dy = cx - own.centre, cy - own.y
    length = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length == 0, 0.0,
                     np.clip(((px - own.centre) * dx + (py - own.y) * dy) / length, 0.0, 1.0))
    crossing = (np.hypot(own.centre + t * dx - px, own.y + t * dy - py) < pr + 1).any(axis=1)
    # Without one: nearer its own point than any other.
    def distance(x, y):  # from a point to each box (0 inside it)
        nx = np.minimum(np.maximum(x, x0[:, None]), x1[:, None])
        ny = np.minimum(np.maximum(y, y0[:, None]), y1[:, None])
        return np.hypot(nx - x, ny - y)

    mine = distance(own.centre, own.y)
    nearest = (distance(px, py) - pr > mine - own.radius).all(axis=1)
    unambiguous = np.where(leaders, ~crossing, nearest)
    return [of_points & unambiguous, of_points, of_names]


def _label_candidates(own: _FunnelPoint, width: float, height: float, gap: float
                      ) -> list[tuple[float, float, str, bool]]:
    """Places to try for a name, best first: ``(x, y, alignment, needs a leader line)``.

    Beside the point (right, then left) at its own height; then the same with growing
    vertical shifts of half a line; then further out, past one, two or four markers.
    """
    step = 2 * own.radius + gap
    candidates = []
    for extra in (0, 1, 2, 4):
        for k in range(0, 13):
            for dy in ((0.0,) if k == 0 else (k * height / 2, -k * height / 2)):
                for align in ("left", "right"):
                    sign = 1 if align == "left" else -1
                    x = own.centre + sign * (own.radius + gap + extra * step)
                    leader = extra > 0 or abs(dy) > 0.45 * height
                    candidates.append((x, own.y + dy, align, leader))
    return candidates


def _place_funnel_labels(ax: Axes, table: pd.DataFrame, points: dict[object, _FunnelPoint],
                         labelled: list[object], chosen: object | None) -> None:
    """Name councils beside their points so that no name covers another or any point.

    Names are placed one at a time, the highlighted council first, then councils outside
    the 99.8% and the 95% limits, then the rest; each takes the first free place among
    :func:`_label_candidates` by the strictest rule of :func:`_free_places` that any place
    meets, with a leader line when it had to move away from its point.
    """
    figure = _root_figure(ax)
    renderer = figure.canvas.get_renderer()
    px_per_pt = figure.dpi / 72
    gap = 3 * px_per_pt
    box = ax.get_window_extent(renderer)
    pad = 1.0 * px_per_pt
    every = list(points.values())
    point_boxes = np.array([(p.centre - p.radius - pad, p.y - p.radius - pad,
                             p.centre + p.radius + pad, p.y + p.radius + pad) for p in every])
    label_boxes = np.empty((0, 4))
    bounds = (box.x0, box.y0, box.x1, box.y1)
    rank = {"above998": 1, "below998": 1, "above95": 2, "below95": 2}
    order = sorted(labelled, key=lambda c: (c != chosen, rank.get(str(table.loc[c, "flag"]),
                                                                  3)))
    for council in order:
        own = points[council]
        probe = ax.text(0, 0, str(council), fontsize=_FUNNEL_LABEL_FONT,
                        fontweight="bold" if council == chosen else "normal")
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width, extent.height
        candidates = _label_candidates(own, width, height, gap)
        starts = np.array([x if align == "left" else x - width
                           for x, _, align, _ in candidates])
        heights = np.array([y for _, y, _, _ in candidates])
        areas = np.column_stack([starts, heights - height / 2, starts + width,
                                 heights + height / 2])
        leaders = np.array([leader for *_, leader in candidates])
        others = np.array([(p.centre, p.y, p.radius) for p in every if p is not own]
                          ).reshape(-1, 3)
        choice = candidates[0]
        # The first place free by the strictest rule that any place meets; a name moved
        # by a looser rule takes a leader line, so it is never taken for another's.
        for rule, free in enumerate(_free_places(areas, leaders, own, others, point_boxes,
                                                 label_boxes, bounds)):
            if free.any():
                x, y, align, leader = candidates[int(np.argmax(free))]
                choice = (x, y, align, leader or rule > 0)
                break
        x, y, align, leader = choice
        x0 = x if align == "left" else x - width
        label_boxes = np.vstack([label_boxes,
                                 (x0 - pad, y - height / 2, x0 + width + pad, y + height / 2)])
        _funnel_label(ax, table.loc[council], council, own, x, y, align, leader, chosen)


def _funnel_label(ax: Axes, row: pd.Series, council: object, own: _FunnelPoint, x: float,
                  y: float, align: str, leader: bool, chosen: object | None) -> None:
    figure = _root_figure(ax)
    px_per_pt = figure.dpi / 72
    dx_pt, dy_pt = (x - own.centre) / px_per_pt, (y - own.y) / px_per_pt
    anchor = offset_copy(ax.transData, fig=figure, x=own.dx / px_per_pt, units="points")
    arrow = (dict(arrowstyle="-", color="#6F777B", linewidth=0.6, shrinkA=1.5,
                  shrinkB=own.radius / px_per_pt + 1.5) if leader else None)
    focus = council == chosen
    ax.annotate(str(council), (float(own.n), float(row["share"]) * 100),
                xycoords=anchor, xytext=(dx_pt, dy_pt), textcoords="offset points",
                ha=align, va="center", fontsize=_FUNNEL_LABEL_FONT,
                fontweight="bold" if focus else "normal",
                color=FOCUS_COLOUR if focus else _TEXT_DARK, arrowprops=arrow,
                gid=f"funnel-label:{council}", zorder=5, annotation_clip=False,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8,
                          boxstyle="square,pad=0.1"))


@literal_text
def funnel_plot(table: pd.DataFrame, *, highlight: str | None = None, ax: Axes | None = None,
                title: str | None = None, xlabel: str = "Number of case records",
                show_adjusted: bool = False, named: Collection[str] | None = None) -> Axes:
    """Funnel plot: each council's share against its n, with control limits around the average.

    The programme average is a solid line; the 95% (dashed) and 99.8% (dotted) limits are
    drawn smoothly across the range of n, so a council's place is judged against what chance
    would give at its n, never ranked. Councils outside the 95% limits are drawn as
    triangles (pointing up above, down below), the others as circles; the highlighted
    council is larger and in the focus colour, the others grey. Councils are named beside
    their points (see :func:`funnel_labelled`); points at the same n and share are set side
    by side so none is hidden.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`review_lib.analysis.stats.funnel_table`: per council ``n``, ``share`` and
        ``flag``, with ``attrs["target"]``, and ``attrs["adjusted"]`` and
        ``attrs["overdispersion"]`` for limits widened for overdispersion.
    highlight : str, optional
        A council to pick out (case-insensitive).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    title : str, optional
        Axes title.
    xlabel : str, default "Number of case records"
        x-axis label.
    show_adjusted : bool, default False
        For a table with unadjusted limits, also draw the limits widened for overdispersion
        when there is overdispersion to allow for: the 95% ones as a shaded band, the
        99.8% ones as turquoise dash-dot lines.
    named : collection of str, optional
        The only councils named beside their points besides the highlighted one (see
        :func:`funnel_labelled`); every council that has room by default. The others are
        drawn unlabelled.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Shares and limits are in percent. The councils drawn alike
        (the same marker and colour) are one collection with ``gid``
        ``"funnel-points:<kind>"``, whose ``councils`` attribute names the council of each
        point and whose offsets are their ``(n, share %)`` (a point moved aside from
        another keeps its offset; only its marker is drawn to one side). The limit lines
        have ``gid`` ``"funnel-limit:<95|99.8>:<lower|upper>"``, the average
        ``"funnel-target"``; with ``show_adjusted``, the widened 95% band is
        ``"funnel-adjusted:95"`` and its 99.8% lines
        ``"funnel-adjusted:99.8:<lower|upper>"``. Names are annotations with ``gid``
        ``"funnel-label:<council>"``.
    """
    own_figure = ax is None
    if own_figure:
        _, ax = plt.subplots(subplot_kw=CHART_AXES, figsize=(_FIG_WIDTH, 6.0), layout="constrained")
    if table.empty:
        ax.text(0.5, 0.5, "No councils to show", transform=ax.transAxes, ha="center")
        return ax
    figure = _root_figure(ax)
    target = _funnel_target(table)
    adjusted = bool(table.attrs.get("adjusted", False))
    chosen = _match_council(table.index, highlight)
    n = funnel_x(table)
    low, high = _funnel_n_range(n)
    grid = np.linspace(low, high, 241)

    ax.plot(grid, np.full_like(grid, target * 100), color=_AXIS_COLOUR, linewidth=1.4,
            label=f"Programme average ({format_percent(target, 0)})", gid="funnel-target",
            zorder=2)
    widened = " (widened for overdispersion)" if adjusted else ""
    curves = [np.asarray(funnel_limits(table, grid, "95")),
              np.asarray(funnel_limits(table, grid, "998"))]
    for (lower, upper), name, style in zip(curves, ("95", "99.8"), ("--", ":"), strict=True):
        ax.plot(grid, upper * 100, linestyle=style, color=_AXIS_COLOUR, linewidth=1.3,
                label=f"{name}% limits{widened}", gid=f"funnel-limit:{name}:upper", zorder=2)
        ax.plot(grid, lower * 100, linestyle=style, color=_AXIS_COLOUR, linewidth=1.3,
                label="_nolegend_", gid=f"funnel-limit:{name}:lower", zorder=2)
    estimate = table.attrs.get("overdispersion")
    if show_adjusted and not adjusted and estimate is not None and estimate.adjusts:
        # A shaded band and a dash-dot line: a different kind of mark from the plain limits,
        # so they stay apart in greyscale too.
        lower, upper = funnel_limits(table, grid, "95", adjusted=True)
        curves.append(np.asarray((lower, upper)))
        ax.fill_between(grid, lower * 100, upper * 100, color=_ADJUSTED_COLOUR, alpha=0.16,
                        linewidth=0, label="95% limits widened for overdispersion",
                        gid="funnel-adjusted:95", zorder=1)
        lower, upper = funnel_limits(table, grid, "998", adjusted=True)
        curves.append(np.asarray((lower, upper)))
        for end, values in (("upper", upper), ("lower", lower)):
            ax.plot(grid, values * 100, linestyle="-.", color=_ADJUSTED_COLOUR, linewidth=1.2,
                    label=("99.8% limits widened for overdispersion" if end == "upper"
                           else "_nolegend_"), gid=f"funnel-adjusted:99.8:{end}", zorder=2)

    shares = table["share"].to_numpy(dtype=float) * 100
    drawn_low = [float(np.nanmin(c[0])) for c in curves if np.isfinite(c[0]).any()]
    drawn_high = [float(np.nanmax(c[1])) for c in curves if np.isfinite(c[1]).any()]
    bottom = min([float(np.nanmin(shares)), *(v * 100 for v in drawn_low)])
    top = max([float(np.nanmax(shares)), *(v * 100 for v in drawn_high)])
    y_low = max(0.0, math.floor((bottom - 3) / 10) * 10)
    y_high = min(100.0, math.ceil((top + 2) / 10) * 10)
    ax.set_ylim(y_low, y_high + (3 if top >= y_high - 2 else 0))
    ax.set_xlim(low, high)
    ax.set_yticks(np.arange(y_low, y_high + 0.001, 10 if y_high - y_low > 30 else 5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0f}%"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Share Good or better")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=CONTEXT_COLOUR, linewidth=0.5)
    ax.set_axisbelow(True)

    # Legend: the lines, the marker shapes, and the highlighted council.
    handles = list(ax.get_legend_handles_labels()[0])
    flags = set(table["flag"].astype(str))
    shown = [("within", "Within the 95% limits", CONTEXT_COLOUR),
             ("above", "Above the 95% limits", CONTEXT_COLOUR),
             ("below", "Below the 95% limits", CONTEXT_COLOUR)]
    shown += [(side, f"{side.capitalize()} the 99.8% limits too", _FUNNEL_EXTREME_COLOUR)
              for side in ("above", "below") if f"{side}998" in flags]
    for side, label, colour in shown:
        handles.append(plt.Line2D([], [], linestyle="none", marker=FUNNEL_MARKERS[side],
                                  markersize=math.sqrt(_FUNNEL_SIZE), color=colour,
                                  markeredgecolor=_AXIS_COLOUR, label=label))
    if chosen is not None:
        side = _side(table.loc[chosen, "flag"])
        handles.append(plt.Line2D([], [], linestyle="none", marker=FUNNEL_MARKERS[side],
                                  markersize=math.sqrt(_FUNNEL_FOCUS_SIZE) * 0.85,
                                  color=FOCUS_COLOUR, markeredgecolor="white",
                                  label=f"{chosen} (highlighted)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3,
              frameon=False, fontsize=8.5, handlelength=2.6, columnspacing=1.5)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")

    # Where the points land is known only once the layout is: lay out, then dodge and label.
    _lay_out(figure, keep=own_figure)
    px_per_pt = figure.dpi / 72
    display = ax.transData.transform(np.column_stack([n, shares]))
    sizes = np.array([_FUNNEL_FOCUS_SIZE if c == chosen else _FUNNEL_SIZE
                      for c in table.index])
    radii = np.sqrt(sizes) / 2 * px_per_pt
    box = ax.get_window_extent()
    offsets = _dodge(display, radii, 1.5 * px_per_pt, (box.x0, box.x1))
    points = {c: _FunnelPoint(c, float(x), float(y), float(r), float(dx), float(value))
              for c, (x, y), r, dx, value in zip(table.index, display, radii, offsets, n,
                                                  strict=True)}
    _draw_funnel_points(ax, table, n, shares, sizes, points, chosen)
    _place_funnel_labels(ax, table, points,
                         funnel_labelled(table, highlight=highlight, named=named), chosen)
    return ax


def _draw_funnel_points(ax: Axes, table: pd.DataFrame, n: np.ndarray, shares: np.ndarray,
                        sizes: np.ndarray, points: dict, chosen: object | None) -> None:
    """One collection per kind of point (marker and colour), the highlight drawn last.

    A hundred and fifty councils drawn as one collection each cost a quarter of a second a
    chart; drawn by kind, a few milliseconds. Each point's sideways move (``dx``, from
    :func:`_dodge`) is built into its own marker path, so its offset stays its data.
    """
    figure = _root_figure(ax)
    px_per_pt = figure.dpi / 72
    groups: dict[tuple, list[int]] = {}
    for i, council in enumerate(table.index):
        flag = str(table["flag"].iloc[i])
        focus = council == chosen
        colour = (FOCUS_COLOUR if focus else
                  _FUNNEL_EXTREME_COLOUR if flag.endswith("998") else CONTEXT_COLOUR)
        groups.setdefault((focus, FUNNEL_MARKERS[_side(flag)], colour), []).append(i)
    for (focus, marker, colour), rows in sorted(groups.items(), key=lambda g: g[0][0]):
        shape = MarkerStyle(marker)
        base = shape.get_path().transformed(shape.get_transform())
        paths = []
        for i in rows:
            # scatter scales a marker path by sqrt(size) points: the move in those units
            scale = math.sqrt(sizes[i])
            paths.append(base.transformed(
                Affine2D().translate(points[table.index[i]].dx / px_per_pt / scale, 0)))
        name = "highlight" if focus else f"{marker}:{colour}"
        collection = PathCollection(
            paths, sizes=sizes[rows], offsets=np.column_stack([n[rows], shares[rows]]),
            offset_transform=ax.transData, facecolors=colour,
            edgecolors="white" if focus else _AXIS_COLOUR,
            linewidths=1.0 if focus else 0.7, zorder=4 if focus else 3,
            gid=f"funnel-points:{name}", label="_nolegend_", clip_on=False)
        collection.set_transform(IdentityTransform())  # as scatter: sizes are in points
        collection.councils = tuple(table.index[i] for i in rows)
        ax.add_collection(collection, autolim=False)


def _funnel_measure(measure: str) -> tuple[str, str]:
    """What the shares are of, and what n counts, for a funnel's alt text."""
    text = measure.strip()
    if "judgement" in text.casefold():
        return "case records judged Good or better", "records"
    if "rating" in text.casefold():
        return f"{text} Good or better", "ratings"
    return f"{text} Good or better", text.split()[-1] if text else "records"


def alt_text_funnel(table: pd.DataFrame, *, highlight: str | None = None,
                    measure: str = "overall judgements",
                    named: Collection[str] | None = None) -> str:
    """Alt text for :func:`funnel_plot`: average, councils outside the limits, highlight.

    Parameters
    ----------
    table : pandas.DataFrame
        The table given to :func:`funnel_plot`.
    highlight : str, optional
        The highlighted council.
    measure : str, default "overall judgements"
        What the shares count: ``"overall judgements"`` or ``"question ratings"``.
    named : collection of str, optional
        The only councils named besides the highlighted one, as :func:`funnel_plot` names
        them; each other council the text mentions is "a council at 30%" (the council at
        30%). Every council by default.

    Returns
    -------
    str
        E.g. "Funnel plot of 14 councils' share of case records judged Good or better
        against number of records (20 each); programme average 82%. Outside the 95%
        limits: Kestrel Vale 100% (above), Pennant Cross 95% (above), Ravensfield 95%
        (above) and Northwold 30% (below). Of these, Kestrel Vale and Northwold are also
        outside the 99.8% limits. Dudley (90%), highlighted, is within the limits. Only the
        councils outside the 95% limits and Dudley are named on the chart." The last
        sentence appears only when the chart names some councils and not others (see
        :func:`funnel_labelled`); it says "the 99.8% limits" where only the councils
        outside those are named. Where more than twelve councils are outside the 95%
        limits, the text too names only those outside the 99.8% limits and counts the rest.
    """
    what, unit = _funnel_measure(measure)
    count = len(table)
    if count == 0:
        return f"Funnel plot of the share of {what}: no councils to show."
    chosen = _match_council(table.index, highlight)

    def name(council: object, share: float, article: str = "a") -> str:
        """``"Kestrel Vale 100%"``, or ``"a council at 100%"`` where it is not named."""
        if _nameable(council, chosen, named):
            return f"{council} {format_percent(share, 0)}" if article == "a" else str(council)
        return f"{article} council at {format_percent(share, 0)}"

    target = _funnel_target(table)
    councils = "council's" if count == 1 else "councils'"
    if table.attrs.get("axis") == "effective_n":
        against = (f"effective number of {unit}, allowing for the ratings of a record going "
                   f"together ({_count_range(table['effective_n'].round())} each)")
    else:
        against = f"number of {unit} ({_count_range(table['n'])} each)"
    parts = [f"Funnel plot of {count} {councils} share of {what} against {against}; "
             "programme average "
             f"{format_percent(target, 0)}."]
    if table.attrs.get("adjusted"):
        parts.append("The limits are widened for overdispersion.")
    sides = table["flag"].map(_side)
    outside = table.assign(_side=sides)[sides != "within"]
    outside = outside.sort_values(["_side", "share"], ascending=[True, False], kind="stable")
    if outside.empty:
        parts.append("Every council is within the 95% limits.")
    elif "above95" not in _labelled_outside(table):
        # As the chart names them: a long list names those outside the 99.8% limits only.
        extreme = outside[outside["flag"].astype(str).str.endswith("998")]
        listed = [f"{name(c, row.share)} ({row._side})" for c, row in extreme.iterrows()]
        rest = len(outside) - len(extreme)
        parts.append((f"Outside the 99.8% limits: {_join(listed)}. " if listed else
                      "No council is outside the 99.8% limits. ")
                     + f"{rest} {'more ' if listed else ''}council"
                     + ("s are" if rest != 1 else " is") + " outside the 95% limits only.")
    else:
        listed = [f"{name(c, row.share)} ({row._side})" for c, row in outside.iterrows()]
        sentence = f"Outside the 95% limits: {_join(listed)}."
        extreme = [name(c, outside.loc[c, "share"], "the") for c, f in outside["flag"].items()
                   if str(f).endswith("998")]
        if extreme and len(extreme) == len(outside):
            also = "both" if len(extreme) == 2 else "all" if len(extreme) > 2 else "also"
            sentence = sentence[:-1] + (f"; {also} also outside the 99.8% limits."
                                        if len(extreme) > 1 else
                                        ", also outside the 99.8% limits.")
        elif extreme:
            verb = "is" if len(extreme) == 1 else "are"
            sentence += f" Of these, {_join(extreme)} {verb} also outside the 99.8% limits."
        parts.append(sentence)
    if chosen is not None:
        row = table.loc[chosen]
        flag = str(row["flag"])
        where = ("within the limits" if flag == "within" else
                 f"{_side(flag)} the {'99.8' if flag.endswith('998') else '95'}% "
                 "limits")
        parts.append(f"{chosen} ({format_percent(row['share'], 0)}), highlighted, is {where}.")
    labelled = funnel_labelled(table, highlight=highlight, named=named)
    if named is not None and len(labelled) < count:
        # Only some councils may be named: the chart names exactly these.
        who = [str(c) for c in labelled]
        parts.append(f"Only {_join(who)} {'is' if len(who) == 1 else 'are'} named on the "
                     "chart." if who else "No council is named on the chart.")
    elif len(labelled) < count:
        flags = _labelled_outside(table)
        named = table.index[table["flag"].astype(str).isin(flags)]
        limits = "95" if "above95" in flags else "99.8"
        who = [f"the councils outside the {limits}% limits"] if len(named) else []
        if chosen is not None and (chosen not in named):
            who.append(str(chosen))
        if who:
            parts.append(f"Only {_join(who)} {'is' if who == [str(chosen)] else 'are'} "
                         "named on the chart.")
        else:
            parts.append("No council is named on the chart.")
    return " ".join(parts)


