"""The library as analysts use it: frames without raw identifiers, helpful lookups, reprs."""

from __future__ import annotations

import pytest


def test_public_frames_carry_no_raw_case_identifiers_unless_asked(tmp_path):
    from review_lib.data.loading import load_programme

    programme = load_programme()
    for frame in (programme.ratings, programme.judgements, programme.not_applicable,
                  programme.reviews[0].ratings):
        assert "case_ref" not in frame.columns
    exported = tmp_path / "ratings.csv"
    programme.ratings.to_csv(exported)
    refs = set(programme.reviews[0].case_pseudonyms())
    assert not [ref for ref in refs if ref in exported.read_text()]
    traced = load_programme(keep_case_refs=True)
    assert "case_ref" in traced.ratings.columns and "case_ref" in traced.judgements.columns
    assert set(traced.reviews[0].judgements["case_ref"]) == refs


def test_a_misspelt_council_says_what_was_meant_in_one_line(sample_programme):
    with pytest.raises(KeyError) as raised:
        sample_programme.review("Dudly", "2022-24")
    message = str(raised.value)
    assert message.startswith("no review of 'Dudly' in cycle '2022-24'; did you mean 'Dudley'?")
    assert "Ashcombe, Brackenbury" in message  # what exists, alphabetically
    assert raised.value._render_traceback_() == [f"ReviewNotFound: {message}"]
    with pytest.raises(KeyError, match="cycles: 2019, 2022-24"):
        sample_programme.review("Dudley", "2021")
    with pytest.raises(KeyError, match="Kestrel Vale was reviewed in 2022-24"):
        sample_programme.review("Kestrel Vale", "2019")


def test_programme_and_review_show_a_small_table_and_no_paths(sample_programme):
    text = repr(sample_programme)
    assert text.splitlines()[0] == ("Programme: 14 councils, 2 cycles, 18 reviews, 0 warnings "
                                    "(cases per review below)")
    assert len(text.splitlines()) == 16 and "/" not in text.replace("2022-24", "")
    assert "<table>" in sample_programme._repr_html_()
    review = repr(sample_programme.review("Dudley", "2022-24"))
    assert review == ("Review(Dudley 2022-24: 20 cases, 240 answers, 4 auditors; from "
                      "dudley.xlsx)")


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["council_distributions", "council_leadership",
                                      "cross_council"])
def test_a_notebook_run_by_hand_with_the_defaults_writes_nothing_in_the_repository(
        tmp_path, notebook):
    import subprocess

    import papermill as pm

    from review_lib.paths import FIGURES_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, REPORTS_DIR

    def snapshot():
        files = {(str(p), p.stat().st_size, p.stat().st_mtime_ns)
                 for root in (FIGURES_DIR, REPORTS_DIR, NOTEBOOKS_DIR) if root.exists()
                 for p in root.rglob("*") if p.is_file()}
        status = (subprocess.run(["git", "status", "--porcelain", "--ignored", "--",
                                  "notebooks", "figures", "reports"], cwd=PROJECT_ROOT,
                                 capture_output=True, text=True).stdout
                  if (PROJECT_ROOT / ".git").exists() else "")
        return files, status

    before = snapshot()
    executed = pm.execute_notebook(str(NOTEBOOKS_DIR / f"{notebook}.ipynb"),
                                   str(tmp_path / "out.ipynb"), cwd=str(PROJECT_ROOT),
                                   kernel_name="python3", progress_bar=False)
    assert snapshot() == before
    # The charts are still shown, embedded in the notebook's output.
    outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
    assert any("data:image/png;base64," in str(o.get("data", {})) for o in outputs)
    # The defaults are the bundled sample's Dudley 2022-24 review, and say it is synthetic.
    shown = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    if notebook != "cross_council":
        assert "Practice Review 2022-24: Dudley" in shown
    assert "Synthetic sample data" in shown


def test_lab_strips_outputs_from_committed_notebooks_on_save(tmp_path):
    import runpy

    from review_lib.paths import NOTEBOOKS_DIR, PROJECT_ROOT

    class Config:
        class FileContentsManager:
            pre_save_hook = None

    settings = runpy.run_path(str(PROJECT_ROOT / ".jupyter" / "jupyter_server_config.py"),
                              init_globals={"get_config": lambda: Config})
    hook = Config.FileContentsManager.pre_save_hook
    assert hook is settings["strip_outputs"]

    class Manager:
        root_dir = str(PROJECT_ROOT)

    def model():
        return {"type": "notebook", "content": {"metadata": {"widgets": {}}, "cells": [
            {"cell_type": "code", "outputs": [{"text": "data"}], "execution_count": 3},
            {"cell_type": "markdown", "source": "text"}]}}

    committed = model()
    hook(committed, "notebooks/council_leadership.ipynb", Manager())
    cell = committed["content"]["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert "widgets" not in committed["content"]["metadata"]
    elsewhere = model()  # an analyst's own copy outside notebooks/ keeps its outputs
    hook(elsewhere, "reports/2022-24/dudley/findings.ipynb", Manager())
    assert elsewhere["content"]["cells"][0]["outputs"] == [{"text": "data"}]
    assert NOTEBOOKS_DIR == PROJECT_ROOT / "notebooks"


def test_cells_tagged_hide_are_collapsed_in_lab():
    import nbformat

    from review_lib.paths import NOTEBOOKS_DIR

    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        notebook = nbformat.read(str(path), as_version=4)
        hidden = [c for c in notebook.cells if "hide" in c.metadata.get("tags", [])]
        assert hidden, path.name
        for cell in hidden:
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, path.name


def test_sections_are_objects_with_their_data_and_show_themselves():
    import pickle

    import pandas as pd

    from review_lib.analysis.results import analyse_review
    from review_lib.analysis.summary import question_summary
    from review_lib.report import council as council_report
    from review_lib.report import cross as cross_report
    from review_lib.report.context import open_review
    from review_lib.report.section import Section

    context = open_review("Dudley", "2022-24")
    table = council_report.question_table(context)
    assert isinstance(table, Section) and not isinstance(table, str)
    assert table._repr_html_() == table.to_html() == str(table) == table.html
    assert "<table" in table.html
    # The section shows the analysis results, computed once, not a table of its own.
    results = analyse_review(context.review, context.programme)
    pd.testing.assert_frame_equal(table.frame.sort_index(), results.questions.sort_index())
    assert context.results.questions is not None and context.results is context.results
    summary = question_summary(context.review.ratings, context.review.not_applicable,
                               context.catalogue)
    pd.testing.assert_frame_equal(table.frame[summary.columns].sort_index(),
                                  summary.sort_index())
    assert "Table 3. Ratings by question" in table.text and "<" not in table.text
    findings = council_report.findings(context)
    assert findings.text.startswith("## Headline\n\nIn the 2022-24 Practice Review of Dudley")
    assert findings._repr_markdown_() == findings.text
    assert "[Chart: " in council_report.question_chart(context).text
    # Where the builder wrote Markdown, it is the section's: the findings keep their charts'
    # places in it, and the review team's notes are theirs.
    assert "[Chart: " in findings.text and findings.markdown is not None
    from review_lib.report import leadership

    meetings = leadership.meetings(context)
    assert meetings.markdown.startswith("## 3. Themes from the meetings")
    assert "<" not in meetings.markdown and "\n### " in meetings.markdown  # headings below
    assert pickle.loads(pickle.dumps(table)).frame.equals(table.frame)
    cycle = cross_report.open_cycle("2022-24", "Dudley")
    funnel = cross_report.funnel_section(cycle, "judgements")
    assert list(funnel.frame.index) == sorted(funnel.frame.index)
    assert {"p_above", "p_below", "flag"} <= set(funnel.frame.columns)
    assert repr(funnel).startswith(("Section('Programme average", 'Section("Programme average'))
    assert 'frame 14x' in repr(funnel)


def test_likert_draws_tidy_ratings_and_leaves_the_title_free(sample_programme):
    import matplotlib.pyplot as plt
    import numpy as np

    from review_lib.report import charts

    q3 = sample_programme.in_cycle("2022-24").ratings.query("question == 'Q3'")
    ax = charts.likert(q3, y="council")
    # One bar per council, in the order the data gives them; Good widths are the shares
    # counted here with plain pandas.
    good = (q3.assign(good=q3["rating"].astype(str) == "Good")
            .groupby(q3["council"].astype(str))["good"].mean() * 100)
    containers = {c.get_label(): c for c in ax.containers}
    assert set(containers) == {"Outstanding", "Good", "Requires Improvement", "Inadequate"}
    widths = [bar.get_width() for bar in containers["Good"]]
    councils = [t.get_text().split(" (n=")[0] for t in ax.get_yticklabels()]
    np.testing.assert_allclose(widths, [good[c] for c in councils])
    assert all(bar.get_width() <= 0 for bar in containers["Inadequate"])
    # The title goes where a reader expects it, and the legend is below the bars.
    ax.set_title("Community assets (Q3) by council")
    ax.figure.draw_without_rendering()
    assert ax.get_title(loc="left") == "Community assets (Q3) by council"  # the heading's place
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 < ax.get_window_extent().y0
    plt.close("all")


def test_likert_facets_by_auditor_in_a_facetgrid(dudley):
    import seaborn as sns

    from review_lib.report import charts

    grid = charts.likert(dudley.ratings, by="auditor", col_wrap=2)
    assert isinstance(grid, sns.FacetGrid)
    titles = [ax.get_title() for ax in grid.axes.flat]
    assert titles == sorted(dudley.auditors)
    limits = {ax.get_xlim() for ax in grid.axes.flat}
    assert len(limits) == 1  # every panel on one scale
    counts = charts.likert_counts(dudley.ratings[dudley.ratings["auditor"] == "PSW A"])
    assert list(counts.index) == [q.id for q in dudley.catalogue]
    assert (counts["n"] == 5).all()


def test_the_readme_recipes_run_as_written(monkeypatch):
    import re

    import matplotlib.pyplot as plt

    from review_lib.paths import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Recipes", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 8
    monkeypatch.chdir(PROJECT_ROOT)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README recipe", "exec"), namespace)
    assert namespace["subset"]["flag"].to_dict()["Northwold"] == "below998"
    assert namespace["out"].exists()
    plt.close("all")


def test_a_chart_section_hands_over_a_live_figure():
    from matplotlib.figure import Figure

    from review_lib.report import council as council_report
    from review_lib.report.context import open_review

    context = open_review("Dudley", "2022-24")
    chart = council_report.question_chart(context)
    assert "<img" in chart.html and chart.alt
    figure = chart.figure
    assert isinstance(figure, Figure) and figure is chart.figure  # drawn once, then kept
    assert figure.axes[0].get_title(loc="left") == "Ratings by question, Dudley 2022-24"
    assert len(figure.axes[0].get_yticklabels()) == len(context.catalogue)
    # A section made of a table and a chart keeps the chart's figure and alt text.
    auditors = council_report.auditor_section(context)
    assert isinstance(auditors.figure, Figure) and "4 auditors" in auditors.alt
    assert auditors.frame is context.results.auditors
    # Sections with no chart have none.
    assert council_report.question_table(context).figure is None
    # A section of many charts keeps every one, in the order the reader sees them.
    from review_lib.report import leadership

    audit = leadership.audit_data(context)
    assert len(audit.charts) == 2  # every question's chart, then one figure of a panel each
    places = [audit.html.index(c.html) for c in audit.charts]
    assert places == sorted(places)
    assert audit.charts[1].alt.startswith("12 bar charts") and "Q1" in audit.charts[1].alt
    panels = audit.figures[1].axes[0]
    headings = [t.get_text() for t in panels.texts
                if (t.get_gid() or "").startswith("panel-heading:")]
    assert len(headings) == len(context.catalogue)
    assert headings[:2] == ["Q1 Person's voice (n=20)", "Q2 Strengths (n=20)"]
