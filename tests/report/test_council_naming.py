"""A council's own reports name no other council unless asked, and never a draft's."""

from __future__ import annotations

import argparse
import html
import json
import re

import pytest

from review_lib.batch.jobs import plan_jobs
from review_lib.batch.run import add_run_parser
from review_lib.data.loading import load_programme
from review_lib.paths import SAMPLE_DIR
from review_lib.report import charts, leadership
from review_lib.report.context import open_review
from review_lib.report.council import draft_councils, named_councils

#: The leadership notebook's sections, in its order.
SECTIONS = ("title", "summary", "navigation", "introduction", "previous_review", "meetings",
            "audit_data", "records_analysis", "observations", "key_strengths",
            "recommendations", "review_team", "appendix", "footer")


def _cycle_councils() -> list[str]:
    programme = load_programme(SAMPLE_DIR)
    return sorted({str(r.council) for r in programme.in_cycle("2022-24").reviews})


def _readable(page: str) -> str:
    """What a reader or a screen reader meets: the text, and every alt text and title.

    Less the review team section: the team's own list of its members names the councils
    the Principal Social Workers come from, as the published report does; that is the
    team's word, not a comparison.
    """
    page = re.sub(r'<h2 id="review-team">.*?</section>', " ", page, flags=re.S)
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'src="data:[^"]*"', "", page)
    attributes = " ".join(re.findall(r'\b(?:alt|title|aria-label)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(f"{text} {attributes}")


def _names_in(text: str, names) -> list[str]:
    return [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)]


@pytest.mark.slow
@pytest.mark.parametrize("council", ["Dudley", "Northwold"])
def test_a_councils_reports_name_no_other_council_by_default(sample_run, council):
    _, out = sample_run
    folder = out / "reports" / "2022-24" / council.lower()
    others = [c for c in _cycle_councils() if c != council]
    for name in ("leadership", "distributions"):
        page = (folder / f"{name}.html").read_text(encoding="utf-8")
        assert _names_in(_readable(page), others) == [], name
        assert council in _readable(page)
        claims = (folder / f"{name}.claims.json").read_text(encoding="utf-8")
        assert _names_in(claims, others) == [], f"{name}.claims.json"
    # The funnel is still there, with the council itself named and the rest described.
    page = (folder / "leadership.html").read_text(encoding="utf-8")
    alt = html.unescape(re.search(r'alt="(Funnel plot[^"]*)"', page).group(1))
    assert f"Only {council} is named on the chart." in alt
    assert "a council at 100% (above)" in alt or council == "Kestrel Vale"


@pytest.mark.slow
def test_the_cross_council_report_names_every_council(sample_run):
    _, out = sample_run
    page = _readable((out / "reports" / "2022-24" / "cross-council.html").read_text("utf-8"))
    assert _names_in(page, _cycle_councils()) == _cycle_councils()


def _leadership(context) -> tuple[str, str]:
    sections = [getattr(leadership, name)(context) for name in SECTIONS]
    page = "\n".join(s.html for s in sections)
    claims = json.dumps([c for s in sections for c in (s.claims or [])], default=str)
    return _readable(page), claims


def test_name_councils_names_the_others_but_never_a_draft():
    plain = open_review("Dudley", "2022-24")
    named = open_review("Dudley", "2022-24", name_councils=True)
    assert draft_councils(named) == {"Northwold"}  # its notes say status: draft
    assert named_councils(plain) == {"Dudley"}
    assert named_councils(named) == set(_cycle_councils()) - {"Northwold"}
    others = [c for c in _cycle_councils() if c != "Dudley"]
    text, claims = _leadership(plain)
    assert _names_in(text, others) == [] and _names_in(claims, others) == []
    text, claims = _leadership(named)
    # The funnel names, where there is room, the councils outside the limits: Kestrel Vale
    # above them, Northwold below, whose review is a draft and so stays "a council".
    assert "Kestrel Vale" in text
    assert "Northwold" not in text and "Northwold" not in claims
    assert "a council at 30% (below)" in text
    assert "except any whose review is still a draft" in text


def test_the_funnel_labels_only_the_councils_it_may_name():
    context = open_review("Dudley", "2022-24")
    table = context.results.position.funnels.judgements
    ax = charts.funnel_plot(table, highlight="Dudley", named=["Dudley"])
    labels = [t.get_gid() for t in ax.texts if str(t.get_gid()).startswith("funnel-label:")]
    assert labels == ["funnel-label:Dudley"]
    ax = charts.funnel_plot(table, highlight="Dudley", named=["Dudley", "Kestrel Vale"])
    labels = {t.get_gid() for t in ax.texts if str(t.get_gid()).startswith("funnel-label:")}
    assert labels == {"funnel-label:Dudley", "funnel-label:Kestrel Vale"}
    # Without ``named``, as the cross-council report draws it: both councils outside named.
    ax = charts.funnel_plot(table, highlight="Dudley")
    labels = {t.get_gid() for t in ax.texts if str(t.get_gid()).startswith("funnel-label:")}
    assert {"funnel-label:Kestrel Vale", "funnel-label:Northwold"} <= labels
    alt = charts.alt_text_funnel(table, highlight="Dudley")
    assert "Kestrel Vale 100% (above) and Northwold 30% (below)" in alt


def test_run_name_councils_reaches_the_leadership_notebook(tmp_path):
    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    assert parser.parse_args(["run", "--name-councils"]).name_councils is True
    assert parser.parse_args(["run"]).name_councils is False
    reviews = load_programme(SAMPLE_DIR).in_cycle("2022-24").reviews[:1]
    for option in (False, True):
        jobs = plan_jobs(reviews, data=SAMPLE_DIR, questions=None, reports_dir=tmp_path,
                         figures_dir=None, name_councils=option)
        given = {job.notebook: job.parameters.get("name_councils") for job in jobs}
        assert given == {"council_leadership": True if option else None,
                         "council_distributions": None}
