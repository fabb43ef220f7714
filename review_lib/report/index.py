"""``reports/index.html``: every cycle's council reports and calibration reports.

Each council's reports come with its headline figure; each moderation exercise's calibration
report with its agreement and the auditors it names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from pathlib import Path

from review_lib import __version__
from review_lib.analysis.summary import format_percent
from review_lib.paths import TEMPLATE_DIR, TEMPLATE_NAME
from review_lib.report.html import esc, synthetic_banner


def _stylesheet() -> str:
    return (TEMPLATE_DIR / TEMPLATE_NAME / "static" / "report.css").read_text(encoding="utf-8")


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML page in the report style.

    Parameters
    ----------
    title : str
        The page title.
    body : str
        HTML for inside ``<main>``.

    Returns
    -------
    str
        The page.
    """
    return (f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f"<title>{esc(title)}</title>\n<style>\n{_stylesheet()}\n</style>\n</head>\n"
            f'<body class="practice-review">\n<main>\n{body}\n</main>\n</body>\n</html>\n')


#: How the index describes a council's funnel position (overall judgements).
POSITION_TEXT = {
    "within": "inside the 95% limits (no clear evidence of a difference)",
    "above95": "above the 95% limits (worth a closer look, not conclusive)",
    "below95": "below the 95% limits (worth a closer look, not conclusive)",
    "above998": "above the 99.8% limits",
    "below998": "below the 99.8% limits",
}


def _positions(path: Path) -> dict[str, str]:
    """Council -> funnel flag from a cycle's cross-council metrics, if written."""
    try:
        return {c: f["flag"] for c, f in
                json.loads(path.read_text(encoding="utf-8"))["councils"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _read_metrics(reports_dir: Path) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(reports_dir.glob("*/*/metrics.json")):
        try:
            found.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return found


def _read_calibrations(reports_dir: Path) -> list[tuple[Path, dict]]:
    """Every calibration report's metrics (``<cycle>/moderation/<exercise>/metrics.json``)."""
    found = []
    for path in sorted(reports_dir.glob("*/moderation/*/metrics.json")):
        try:
            metrics = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(metrics, dict) and metrics.get("kind") == "calibration":
            found.append((path, metrics))
    return found


def _calibration_table(reports_dir: Path, cycle: str, entries: list[tuple[Path, dict]]
                       ) -> str:
    """The cycle's calibration reports: exercise, agreement, auditors named, link."""
    rows = []
    for path, metrics in sorted(entries, key=lambda item: item[1]["exercise"].casefold()):
        folder = path.parent.relative_to(reports_dir).as_posix()
        try:
            alpha = metrics["ratings"]["alpha_ordinal"]
            agreement = (f"{alpha['estimate']:.2f} ({alpha['ci_low']:.2f} to "
                         f"{alpha['ci_high']:.2f})").replace("-", "−")
        except (KeyError, TypeError, ValueError):
            agreement = "not available"
        named = metrics.get("auditors_named") or {}
        who = "; ".join(f"{a}: {d}" for a, d in named.items()) or "none"
        link = (f'<a href="{esc(folder)}/calibration.html">Calibration<span '
                f'class="visually-hidden"> report, {esc(metrics["exercise"])}</span></a>'
                if (path.parent / "calibration.html").exists() else "not produced")
        rows.append(f'<tr><th scope="row">{esc(metrics["exercise"])}</th>'
                    f'<td class="num">{len(metrics.get("auditors", []))} x '
                    f'{esc(metrics.get("n_cases", ""))}</td><td class="num">{esc(agreement)}'
                    f"</td><td>{esc(who)}</td><td>{link}</td></tr>")
    return (f'<table class="data"><caption>Moderation exercises, cycle {esc(cycle)}: '
            "auditor calibration</caption><thead><tr>"
            '<th scope="col">Exercise</th><th scope="col" class="num">Auditors x cases</th>'
            '<th scope="col" class="num">Krippendorff\'s alpha (95% interval)</th>'
            '<th scope="col">Auditors more generous or severe</th>'
            '<th scope="col">Report</th></tr></thead><tbody>' + "".join(rows)
            + "</tbody></table>")


def _recommendations(reports_dir: Path, cycle: str, rows: list[tuple[Path, dict]]) -> str:
    """Each council's recommendations, and how many of its previous review's have updates."""
    table, lists = [], []
    for path, metrics in rows:
        found = metrics.get("recommendations")
        if not found:
            continue
        council = metrics["council"]
        made = found.get("recommendations") or []
        earlier = found.get("previous")
        follow = (f"{earlier['updated']} of {earlier['count']} ({esc(earlier['cycle'])})"
                  if earlier else "none to follow up")
        status = {"draft": "draft", "final": "final"}.get(found.get("status"), "no notes")
        table.append(f'<tr><th scope="row">{esc(council)}</th><td class="num">{len(made)}</td>'
                     f'<td class="num">{follow}</td><td>{status}</td></tr>')
        if made:
            folder = path.parent.relative_to(reports_dir).as_posix()
            items = "".join(f"<li>{esc(r['text'])}</li>" for r in made)
            lists.append(f'<details><summary>{esc(council)}: {len(made)} recommendation'
                         f'{"s" if len(made) != 1 else ""}</summary><ol>{items}</ol>'
                         f'<p><a href="{esc(folder)}/leadership.html#recommendations">With '
                         f"their evidence, in the report<span class=\"visually-hidden\"> for "
                         f"{esc(council)}</span></a></p></details>")
    if not table:
        return ""
    return (f"<h3>Recommendations, cycle {esc(cycle)}</h3>"
            f'<table class="data"><caption>The review teams\' recommendations, and the '
            "previous review's recommendations with an update from the host council"
            '</caption><thead><tr><th scope="col">Council</th>'
            '<th scope="col" class="num">Recommendations</th>'
            '<th scope="col" class="num">Previous review\'s with an update</th>'
            '<th scope="col">Notes</th></tr></thead><tbody>' + "".join(table)
            + "</tbody></table>" + "".join(lists))


def _council_table(reports_dir: Path, cycle: str, rows: list[tuple[Path, dict]],
                   positions: dict[str, str], region: str = "") -> str:
    """One table of council reports (the cycle's, or one region's)."""
    where = f", {esc(region)}" if region else ""
    parts = [f'<table class="data"><caption>Council reports, cycle {esc(cycle)}{where}'
             '</caption><thead><tr><th scope="col">Council</th>'
             '<th scope="col" class="num">Cases judged Good or better</th>'
             '<th scope="col" class="num">95% interval</th>'
             '<th scope="col">Against the programme average</th>'
             '<th scope="col">Reports</th></tr></thead><tbody>']
    for path, metrics in rows:
        folder = path.parent.relative_to(reports_dir).as_posix()
        share = metrics["good_or_better"]
        figure = (f"{share['count']} of {share['n']} "
                  f"({format_percent(share['share'], 0)})")
        interval = (f"{format_percent(share['ci_low'], 0)} to "
                    f"{format_percent(share['ci_high'], 0)}")
        links = []
        for stem, label in (("leadership", "Report"), ("distributions", "Distributions")):
            if (path.parent / f"{stem}.html").exists():
                links.append(f'<a href="{esc(folder)}/{stem}.html">{label}'
                             f'<span class="visually-hidden"> for '
                             f"{esc(metrics['council'])}</span></a>")
        position = POSITION_TEXT.get(positions.get(metrics["council"], ""), "not compared")
        parts.append(f'<tr><th scope="row">{esc(metrics["council"])}</th>'
                     f'<td class="num">{esc(figure)}</td><td class="num">'
                     f"{esc(interval)}</td><td>{esc(position)}</td>"
                     f"<td>{' · '.join(links) or 'not produced'}</td></tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _region_block(reports_dir: Path, cycle: str, region: str, rows: list[tuple[Path, dict]],
                  positions: dict[str, str]) -> list[str]:
    """A region's heading, the link to its cross-council report, and its councils' table."""
    from review_lib.report.regions import region_slug

    name = region or "No region given"
    parts = [f"<h3>{esc(name)}</h3>"]
    if region:
        folder = f"{cycle}/regions/{region_slug(region)}"
        if (reports_dir / folder / "cross-council.html").exists():
            parts.append(f'<p><a href="{esc(folder)}/cross-council.html">Cross-council '
                         f"comparison, {esc(region)}, {esc(cycle)}</a></p>")
    parts.append(_council_table(reports_dir, cycle, rows, positions, name))
    return parts


def build_index(reports_dir: Path, run_date: dt.date | None = None, *,
                folders: Collection[str] | None = None) -> str:
    """The index page listing the council and calibration reports under ``reports_dir``.

    Parameters
    ----------
    reports_dir : Path
        Root of the outputs.
    run_date : datetime.date, optional
        Today by default.
    folders : collection of str, optional
        The report folders to list, relative to ``reports_dir`` (``"2022-24/dudley"``,
        ``"2022-24/moderation/autumn-2023-calibration"``): those of the programme a run
        read. Reports left in ``reports_dir`` by a run of other data are then not listed
        (the page says how many there are), so a sample run never lists another
        programme's council under the synthetic sample's banner. None lists every report
        found.

    Returns
    -------
    str
        HTML.
    """
    entries = _read_metrics(Path(reports_dir))
    calibrations = _read_calibrations(Path(reports_dir))
    left_out = 0
    if folders is not None:
        wanted = set(folders)

        def listed(path: Path) -> bool:
            return path.parent.relative_to(reports_dir).as_posix() in wanted

        left_out = sum(not listed(p) for p, _ in [*entries, *calibrations])
        entries = [(p, m) for p, m in entries if listed(p)]
        calibrations = [(p, m) for p, m in calibrations if listed(p)]
    cycles = sorted({m["cycle"] for _, m in entries} | {m["cycle"] for _, m in calibrations},
                    reverse=True)
    synthetic = any(m.get("synthetic") for _, m in [*entries, *calibrations])
    also = (", and the calibration report of each moderation exercise" if calibrations
            else "")
    parts = ["<h1>Practice Review reports</h1>",
             '<p class="subtitle">Council reports by programme cycle, with each council\'s '
             f"share of case records judged Outstanding or Good{also}.</p>"]
    parts.append(synthetic_banner(synthetic))
    if left_out:
        parts.append(f"<p>{left_out} other report folder{'s' if left_out != 1 else ''} "
                     f"here {'are' if left_out != 1 else 'is'} not listed: not of the data "
                     "the latest run read (another data folder, or a review whose file now "
                     "has errors).</p>")
    if not entries and not calibrations:
        parts.append("<p>No reports have been produced yet.</p>")
    for cycle in cycles:
        rows = sorted(((p, m) for p, m in entries if m["cycle"] == cycle),
                      key=lambda item: item[1]["council"].casefold())
        cross = Path(reports_dir) / cycle / "cross-council.html"
        positions = _positions(Path(reports_dir) / cycle / "metrics.json")
        parts.append(f"<h2>Cycle {esc(cycle)}</h2>")
        if cross.exists():
            parts.append(f'<p><a href="{esc(cycle)}/cross-council.html">Cross-council '
                         f"comparison, {esc(cycle)}</a></p>")
        moderated = [(p, m) for p, m in calibrations if m["cycle"] == cycle]
        if not rows:
            parts.append(_calibration_table(Path(reports_dir), cycle, moderated))
            continue
        if any(m.get("region") for _, m in rows):
            for region in sorted({m.get("region") or "" for _, m in rows},
                                 key=lambda r: (r == "", r.casefold())):
                parts += _region_block(Path(reports_dir), cycle, region,
                                       [(p, m) for p, m in rows
                                        if (m.get("region") or "") == region], positions)
        else:
            parts.append(_council_table(Path(reports_dir), cycle, rows, positions))
        parts.append(_recommendations(Path(reports_dir), cycle, rows))
        if moderated:
            parts.append(_calibration_table(Path(reports_dir), cycle, moderated))
    run_date = run_date or dt.date.today()
    parts.append(f'<footer class="report-footer"><p>review_lib {esc(__version__)}. Index made '
                 f"on {run_date.isoformat()}. Each share comes with its 95% interval, the "
                 "range of values consistent with the data once chance is allowed for: with "
                 "20 cases, differences of 10 to 20 points between councils are often no "
                 "clear evidence of a real difference. The position against the programme "
                 "average comes from funnel limits on overall judgements (see the "
                 "cross-council report); councils are listed alphabetically, not ranked."
                 "</p></footer>")
    return page("Practice Review reports", "\n".join(parts))
