"""Charts of auditor calibration: each auditor's leniency, and agreement question by question.

Both are dot plots with intervals: a dot per row, its 95% interval as a line, and the
reference line they are read against. What the wording names (an auditor more generous or
more severe, a question read differently) is marked by shape and by text as well as by
colour, and never in red and green.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MultipleLocator

from review_lib.report.charts.base import (
    _AXIS_COLOUR,
    _FIG_WIDTH,
    _TEXT_DARK,
    _TITLE_PAD,
    CHART_AXES,
    CONTEXT_COLOUR,
    FOCUS_COLOUR,
    PALETTE,
    _style,
    literal_text,
)

#: How each leniency direction is drawn: colour, marker and legend text.
LENIENCY_STYLES: dict[str, tuple[str, str, str]] = {
    "more generous": (FOCUS_COLOUR, "^", "More generous: the interval is above zero"),
    "more severe": (PALETTE[3], "v", "More severe: the interval is below zero"),
    "no clear difference": ("#6F6F6F", "o", "No clear difference: the interval includes zero"),
}

#: Questions auditors read differently, and the others, in the agreement chart.
QUESTION_STYLES: dict[bool, tuple[str, str]] = {True: (PALETTE[3], "D"),
                                                False: (FOCUS_COLOUR, "o")}


def _figure(rows: int) -> Axes:
    _, ax = plt.subplots(figsize=(_FIG_WIDTH, 2.1 + 0.45 * max(rows, 1)), layout="constrained",
                         subplot_kw=CHART_AXES)
    return ax


def _signed(value: float) -> str:
    return "n/a" if value != value else f"{value:+.2f}".replace("-", "−")


def _plain(value: float) -> str:
    return "n/a" if value != value else f"{value:.2f}".replace("-", "−")


@literal_text
def leniency_plot(leniency: pd.DataFrame, *, reference: str = "consensus",
                  ax: Axes | None = None, title: str | None = None,
                  xlabel: str | None = None) -> Axes:
    """Each auditor's mean difference from the reference, in levels, with its interval.

    One row per auditor: the mean difference as a dot (a triangle up for more generous,
    down for more severe, a circle for no clear difference), its 95% interval as a line,
    and, at the right, the figure and what it means. A solid line marks zero, where an
    auditor rates as the reference does.

    Parameters
    ----------
    leniency : pandas.DataFrame
        Indexed by auditor: ``mean_difference``, ``low``, ``high`` and ``direction``, as
        :func:`review_lib.analysis.agreement.leniency` gives (and
        :attr:`review_lib.analysis.calibration.Calibration.leniency`).
    reference : str, default "consensus"
        What the auditors are compared with, for the axis label ("consensus" or "other
        auditors").
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure whose height grows with the auditors.
    title : str, optional
        Axes title, above the legend.
    xlabel : str, optional
        x-axis label; by default it says what the difference is measured from.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes; collections with ``gid`` ``"leniency-point:<direction>"`` (offsets
        ``(difference, row)``), interval lines with ``gid`` ``"leniency-interval"`` and the
        zero line ``"leniency-zero"``; right-hand labels with ``gid`` ``"leniency-label"``.
    """
    frame = leniency
    count = len(frame)
    ax = ax if ax is not None else _figure(count)
    rows = np.arange(count, dtype=float)
    values = frame[["mean_difference", "low", "high"]].to_numpy(dtype=float)
    extent = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
    limit = max(1.0, math.ceil(extent * 4 + 0.5) / 4)
    ax.axvline(0, color=_AXIS_COLOUR, linewidth=1.2, zorder=1, gid="leniency-zero")
    ax.hlines(rows, frame["low"].to_numpy(dtype=float), frame["high"].to_numpy(dtype=float),
              color=_AXIS_COLOUR, linewidth=2.0, zorder=2, gid="leniency-interval")
    for direction, (colour, marker, label) in LENIENCY_STYLES.items():
        chosen = (frame["direction"] == direction).to_numpy()
        if not chosen.any():
            continue
        ax.scatter(frame["mean_difference"].to_numpy(dtype=float)[chosen], rows[chosen],
                   marker=marker, s=90, color=colour, edgecolors="white", linewidths=0.8,
                   zorder=4, label=label, gid=f"leniency-point:{direction}")
    ax.set_yticks(rows, [str(a) for a in frame.index])
    ax.set_ylim(count - 0.5, -0.5)
    ax.set_xlim(-limit, limit)
    ax.xaxis.set_major_locator(MultipleLocator(0.25 if limit <= 1.5 else 0.5))
    ax.xaxis.set_major_formatter(lambda x, _: _signed(x) if abs(x) > 1e-9 else "0")
    ax.set_xlabel(xlabel or f"Mean difference from the {reference}, in levels of the scale "
                            "(above zero: more generous)")
    _style(ax)
    transform = ax.get_yaxis_transform()
    ax.text(1.02, -0.5, f"Difference ({_leniency_level(frame)} interval)", transform=transform,
            ha="left",
            va="bottom", fontsize=9, fontweight="bold", color=_TEXT_DARK)
    for row, item in zip(rows, frame.itertuples(), strict=True):
        ax.text(1.02, row, f"{_signed(item.mean_difference)} ({_signed(item.low)} to "
                           f"{_signed(item.high)})", transform=transform, ha="left",
                va="center", fontsize=9, color=_TEXT_DARK, gid="leniency-label")
    handles = [Line2D([], [], linestyle="none", marker=marker, markersize=8, color=colour,
                      label=label) for colour, marker, label in LENIENCY_STYLES.values()]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=1,
              frameon=False, fontsize=8.5, handlelength=1.2, borderaxespad=0.4)
    ax.heading_pad = _TITLE_PAD + 30  # a title set later stays above the legend
    if title:
        ax.set_title(title, loc="left", pad=_TITLE_PAD + 30, fontsize=11, fontweight="bold")
    return ax


def _leniency_level(frame: pd.DataFrame) -> str:
    """``"95%"``, or the adjusted intervals' own level (``"99%"`` for five auditors)."""
    if "interval_confidence" not in frame or frame.empty:
        return "95%"
    share = float(frame["interval_confidence"].iloc[0]) * 100
    return f"{share:.0f}%" if abs(share - round(share)) < 0.05 else f"{share:.1f}%"


def alt_text_leniency(leniency: pd.DataFrame, *, reference: str = "consensus") -> str:
    """Alt text for :func:`leniency_plot`: every auditor's figure and which are named.

    Parameters
    ----------
    leniency : pandas.DataFrame
        The frame given to :func:`leniency_plot`.
    reference : str, default "consensus"
        What the auditors are compared with.

    Returns
    -------
    str
        E.g. "Dot plot of each of 5 auditors' mean difference from the consensus, in levels
        of the scale, with 95% intervals: PSW A +0.01 (−0.05 to +0.09), no clear
        difference; PSW B +0.49 (+0.34 to +0.61), more generous; ..."
    """
    if leniency.empty:
        return "Leniency chart: no auditor could be compared."
    parts = [f"{auditor} {_signed(row.mean_difference)} ({_signed(row.low)} to "
             f"{_signed(row.high)}), {row.direction}"
             for auditor, row in zip(leniency.index, leniency.itertuples(), strict=True)]
    return (f"Dot plot of each of {len(leniency)} auditors' mean difference from the "
            f"{reference}, in levels of the scale, with {_leniency_level(leniency)} "
            f"intervals: {'; '.join(parts)}. "
            "An auditor is more generous or more severe only where the whole interval is "
            "on one side of zero.")


@literal_text
def question_agreement_plot(per_question: pd.DataFrame, *, overall: float | None = None,
                            labels: Mapping[object, str] | None = None,
                            ax: Axes | None = None, title: str | None = None,
                            xlabel: str = "Gwet's AC2 (quadratic weights): 1 is full "
                                          "agreement, 0 what chance would give") -> Axes:
    """Agreement on each question (Gwet's AC2), with its interval and the overall level.

    One row per question, in the frame's order: the AC2 of the auditors' ratings of that
    question as a dot, its 95% interval as a line, and a dashed line at the AC2 of all the
    ratings. A question the auditors read differently (``read_differently``) is drawn as
    an orange diamond and marked ``*`` after its name, explained in the legend.

    Parameters
    ----------
    per_question : pandas.DataFrame
        Indexed by question id: ``ac2_quadratic``, ``ac2_low``, ``ac2_high``,
        ``read_differently`` and optionally ``label``, as
        :attr:`review_lib.analysis.calibration.Calibration.per_question` holds them.
    overall : float, optional
        The AC2 of every rating, drawn as a dashed line.
    labels : mapping, optional
        Question id to the name shown; by default ``"<id> <label>"``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure whose height grows with the questions.
    title : str, optional
        Axes title.
    xlabel : str
        x-axis label.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes; collections with ``gid`` ``"question-point:different"`` and
        ``"question-point:others"`` (offsets ``(AC2, row)``), interval lines
        ``"question-interval"``, the overall line ``"question-overall"``, and tick labels
        ending in ``" *"`` for questions read differently.
    """
    frame = per_question
    count = len(frame)
    ax = ax if ax is not None else _figure(count)
    rows = np.arange(count, dtype=float)
    different = frame["read_differently"].astype(bool).to_numpy()
    values = frame[["ac2_quadratic", "ac2_low", "ac2_high"]].to_numpy(dtype=float)
    low = np.nanmin(values) if np.isfinite(values).any() else 0.0
    x_low = min(0.0, math.floor(low * 10) / 10)
    if overall is not None and overall == overall:
        ax.axvline(overall, color=_AXIS_COLOUR, linestyle="--", linewidth=1.1, zorder=1,
                   gid="question-overall", label=f"All questions together ({overall:.2f})")
    ax.hlines(rows, frame["ac2_low"].to_numpy(dtype=float),
              frame["ac2_high"].to_numpy(dtype=float), color=CONTEXT_COLOUR, linewidth=2.4,
              zorder=2, gid="question-interval")
    for flag, name, label in ((False, "others", "Agreement on the question, with its 95% "
                                                "interval"),
                              (True, "different", "* Read differently: clearly less agreement "
                                                  "than on the other questions")):
        chosen = different == flag
        if not chosen.any():
            continue
        colour, marker = QUESTION_STYLES[flag]
        ax.scatter(values[chosen, 0], rows[chosen], marker=marker, s=70 if flag else 55,
                   color=colour, edgecolors="white", linewidths=0.8, zorder=4, label=label,
                   gid=f"question-point:{name}")
    names = []
    for qid, item in frame.iterrows():
        name = (labels or {}).get(qid) or (f"{qid} {item['label']}" if "label" in frame
                                           and str(item["label"]) != str(qid) else str(qid))
        names.append(f"{name} *" if item["read_differently"] else name)
    ax.set_yticks(rows, names)
    ax.set_ylim(count - 0.5, -0.5)
    ax.set_xlim(x_low - 0.02, 1.02)
    ax.xaxis.set_major_locator(MultipleLocator(0.2))
    ax.xaxis.set_major_formatter(lambda x, _: _plain(x))
    ax.set_xlabel(xlabel)
    _style(ax)
    if not different.any():
        ax.scatter([], [], marker="none", label="* would mark a question read differently "
                                                "(none here)")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=1, frameon=False,
              fontsize=8.5, handlelength=1.4, borderaxespad=0.4)
    ax.heading_pad = _TITLE_PAD + 30  # a title set later stays above the legend
    if title:
        ax.set_title(title, loc="left", pad=_TITLE_PAD + 30, fontsize=11, fontweight="bold")
    return ax


def alt_text_question_agreement(per_question: pd.DataFrame, *,
                                overall: float | None = None,
                                labels: Mapping[object, str] | None = None) -> str:
    """Alt text for :func:`question_agreement_plot`: the range and the questions named.

    Parameters
    ----------
    per_question : pandas.DataFrame
        The frame given to :func:`question_agreement_plot`.
    overall : float, optional
        The AC2 of every rating.
    labels : mapping, optional
        Question id to the name used.

    Returns
    -------
    str
        E.g. "Dot plot of the auditors' agreement on each of 12 questions (Gwet's AC2), with
        95% intervals; 0.83 over all questions. Highest: Q4 Outcomes 0.92; lowest: Q11
        Management oversight 0.57. Read differently: Q11 Management oversight."
    """
    if per_question.empty:
        return "Question agreement chart: no question was rated by two auditors."

    def name(qid) -> str:
        if labels and qid in labels:
            return str(labels[qid])
        label = per_question.loc[qid, "label"] if "label" in per_question else qid
        return f"{qid} {label}" if str(label) != str(qid) else str(qid)

    ac2 = per_question["ac2_quadratic"].astype(float)
    best, worst = ac2.idxmax(), ac2.idxmin()
    overall_text = (f"; {overall:.2f} over all questions" if overall is not None
                    and overall == overall else "")
    different = [name(q) for q in per_question.index[per_question["read_differently"]]]
    named = ("Read differently (clearly less agreement than on the other questions): "
             + ", ".join(different) + "." if different else
             "No question was read clearly differently from the others.")
    return (f"Dot plot of the auditors' agreement on each of {len(per_question)} questions "
            f"(Gwet's AC2, quadratic weights), with 95% intervals{overall_text}. Highest: "
            f"{name(best)} {ac2[best]:.2f}; lowest: {name(worst)} {ac2[worst]:.2f}. {named}")
