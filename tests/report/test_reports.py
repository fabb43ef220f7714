"""Council reports end to end: papermill runs, HTML a reader gets, metrics.json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import exact_flag, write_small_programme
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from review_lib.batch.run import run_batch
from review_lib.data.published import published_counts
from review_lib.paths import PROJECT_ROOT, SAMPLE_DIR
from review_lib.report.export import PLACEHOLDER_ALT, html_defects

pytestmark = pytest.mark.slow

@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    """Three small councils (6 cases, 3 questions) and one invalid file."""
    folder, questions = write_small_programme(tmp_path_factory.mktemp("small"))
    (folder / "broken.csv").write_text(
        "Council,Cycle,Case,Auditor,A1,A2,A3,Overall judgement\n"
        "Delta,2024,D1,PSW A,Good,Very good,Good,Good\n")
    return folder, questions


@pytest.fixture(scope="session")
def small_run(small_data, tmp_path_factory):
    folder, questions = small_data
    out = tmp_path_factory.mktemp("small-reports")
    summary = run_batch(data=folder, questions=questions, reports_dir=out / "reports",
                        figures_dir=out / "figures", jobs=2)
    return summary, out


def _html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def test_sample_run_produces_both_reports(sample_run):
    summary, out = sample_run
    assert not summary.failed, [o.message for o in summary.outcomes if not o.ok]
    for council in ("dudley", "northwold"):
        folder = out / "reports" / "2022-24" / council
        assert {p.name for p in folder.iterdir()} >= {
            "leadership.html", "distributions.html", "leadership.ipynb", "distributions.ipynb",
            "metrics.json"}
        assert sorted(p.name for p in (out / "figures" / "2022-24" / council).glob("*.png"))
    assert (out / "reports" / "index.html").exists()


def test_dudley_metrics_equal_the_published_totals(sample_run):
    _, out = sample_run
    metrics = json.loads((out / "reports/2022-24/dudley/metrics.json").read_text())
    assert metrics["council"] == "Dudley" and metrics["cycle"] == "2022-24"
    assert (metrics["n_cases"], metrics["n_ratings"]) == (20, 240)
    assert metrics["rating_counts"] == published_counts("Dudley", "2022-24", "ratings").to_dict()
    assert metrics["overall_counts"] == published_counts("Dudley", "2022-24", "overall").to_dict()
    share = metrics["good_or_better"]
    assert (share["count"], share["n"], share["share"]) == (18, 20, 0.9)
    assert share["ci_low"] == pytest.approx(0.69897, abs=1e-5)
    assert metrics["questions"]["Q11"]["rating_counts"] == {
        "Outstanding": 1, "Good": 11, "Requires Improvement": 7, "Inadequate": 1}
    assert metrics["questions"]["Q1"]["good_or_better"]["count"] == 19
    assert metrics["synthetic"] is True


def test_reports_are_fit_for_leadership(sample_run, small_run):
    for _, out in (sample_run, small_run):
        pages = _html_files(out / "reports")
        assert pages
        for page in pages:
            html = page.read_text(encoding="utf-8")
            assert html_defects(html) == [], page
            assert PLACEHOLDER_ALT not in html
            assert re.search(r"<title>[^<]+</title>", html)
            assert "<h1>" in html and "<h2" in html
            # Nothing is loaded from anywhere: every src/href is data:, # or relative.
            for ref in re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html):
                assert ref.startswith(("data:", "#")) or not re.match(r"^[a-z]+:|^//", ref), ref
            # No machine path leaks into what a reader sees.
            for leak in (str(out), str(PROJECT_ROOT), str(Path.home())):
                assert leak not in html, (page, leak)
            # Every link inside the page, and to another report, leads somewhere.
            ids = set(re.findall(r'\bid="([^"]+)"', html))
            for ref in re.findall(r'href="([^"]+)"', html):
                target, _, anchor = ref.partition("#")
                if target and not target.startswith("data:"):
                    assert (page.parent / target).exists(), (page, ref)
                elif anchor:
                    assert html_unescape(anchor) in {html_unescape(i) for i in ids}, (page, ref)


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_council_reports_have_footer_and_real_alt_text(sample_run):
    _, out = sample_run
    html = (out / "reports/2022-24/dudley/distributions.html").read_text()
    footer = re.search(r'<footer class="report-footer">(.*?)</footer>', html, re.S).group(1)
    assert "dudley.xlsx" in footer and "SHA-256" in footer
    assert re.search(r"[0-9a-f]{64}", footer)
    assert "review_lib 0." in footer and re.search(r"Run on \d{4}-\d{2}-\d{2}", footer)
    alts = re.findall(r'<img [^>]*alt="([^"]+)"', html)
    assert len(alts) >= 4
    assert any("12 questions" in a and "%" in a for a in alts)
    assert "Synthetic sample data" in html
    assert html.rstrip().endswith("</html>")
    assert html.rfind("report-footer") > html.rfind("<img ")


def _readable_text(path: Path) -> str:
    """A file's text; a Word file's or a spreadsheet's (the evidence pack, the action plan)
    from its XML."""
    if path.suffix in (".docx", ".xlsx"):
        import zipfile

        with zipfile.ZipFile(path) as package:
            return "\n".join(package.read(name).decode("utf-8", "replace")
                             for name in package.namelist())
    return path.read_text()


def test_cases_appear_only_by_pseudonym(sample_run, small_run):
    from review_lib.data.loading import load_programme

    refs = set(load_programme(SAMPLE_DIR, keep_case_refs=True).judgements["case_ref"])
    _, out = sample_run
    texts = [_readable_text(p) for p in (out / "reports").rglob("*") if p.is_file()]
    assert any("action-plan" in str(p) for p in (out / "reports").rglob("*"))
    assert any("Case 01" in t for t in texts)
    for text in texts:
        assert not [r for r in refs if r in text]
    _, small_out = small_run
    for path in (small_out / "reports").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".json"}:
            assert "SECRET-" not in path.read_text(), path


def test_executed_notebooks_name_no_machine_path(sample_run, small_run):
    for _, out in (sample_run, small_run):
        for path in (out / "reports").rglob("*.ipynb"):
            text = path.read_text()
            for leak in (str(out), str(PROJECT_ROOT), str(Path.home()) + "/"):
                assert leak not in text, (path, leak)


def test_custom_catalogue_and_small_data_render(small_run):
    summary, out = small_run
    ok = {o.job.label for o in summary.outcomes if o.ok}
    assert {"Alpha 2024 leadership", "Alpha 2024 distributions", "Beta 2024 leadership"} <= ok
    html = (out / "reports/2024/alpha/distributions.html").read_text()
    assert "A3 Oversight" in html and "Voice" in html
    metrics = json.loads((out / "reports/2024/alpha/metrics.json").read_text())
    assert metrics["n_ratings"] == 17 and metrics["n_not_applicable"] == 1
    assert set(metrics["questions"]) == {"A1", "A2", "A3"}


def test_invalid_file_is_isolated_and_reported(small_run, capsys):
    summary, out = small_run
    assert summary.failed
    names = [name for name, _ in summary.invalid_files]
    assert names == ["programme/broken.csv"]
    errors = summary.invalid_files[0][1]
    assert any("'Very good' is not a rating" in e and "row 2" in e for e in errors)
    assert not (out / "reports" / "2024" / "delta").exists()


def _papermill(cwd: Path, notebook: str, out: Path, *params: str):
    command = [sys.executable, "-m", "papermill", notebook, str(out), "--no-progress-bar",
               "-k", "python3", *params]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("where", ["root", "notebooks"])
def test_papermill_by_hand_works_from_root_and_notebooks(where, tmp_path, small_data):
    folder, questions = small_data
    cwd = PROJECT_ROOT if where == "root" else PROJECT_ROOT / "notebooks"
    notebook = ("notebooks/" if where == "root" else "") + (
        "council_distributions.ipynb" if where == "root" else "council_leadership.ipynb")
    out = tmp_path / "out.ipynb"
    result = _papermill(cwd, notebook, out, "-p", "council", "Beta", "-p", "cycle", "2024",
                        "-p", "data_dir", str(folder), "-p", "questions", str(questions),
                        "-p", "figures_dir", str(tmp_path / "figures"))
    assert result.returncode == 0, result.stderr[-2000:]
    executed = nbformat.read(str(out), as_version=4)
    shown = "".join(str(o.get("data", {}).get("text/html", ""))
                    for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "Practice Review 2024: Beta" in shown


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    for path in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path
        parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(parameters) == 1
        for line in parameters[0].source.splitlines():
            assert re.match(r"^\w+: (str|bool|int|float) = .+  # .+", line), line


def test_cross_council_report_and_metrics(sample_run):
    _, out = sample_run
    cycle_dir = out / "reports" / "2022-24"
    html = (cycle_dir / "cross-council.html").read_text()
    assert "<h1>Practice Review 2022-24: cross-council comparison</h1>" in html
    for heading in ("Councils against the programme average", "Change between cycles",
                    "Differences between councils, question by question", "Caveats"):
        assert heading in html
    assert "Kruskal-Wallis" in html and "Cochran" in html
    assert "Cochran's Q, p &lt; 0.0005, 2,000 shuffles" in html  # questions within records
    assert "p ≤ 0.006" in html  # Holm-adjusted bounds in the question-differences table
    assert "No clear evidence: the interval includes zero" in html
    assert "within what chance would give" not in html
    assert len(re.findall(r"<img ", html)) >= 5  # two funnels, heat map, judgements, change
    metrics = json.loads((cycle_dir / "metrics.json").read_text())
    assert metrics["method"] == "exact" and metrics["design_effect"] == 1.0
    councils = metrics["councils"]
    assert len(councils) == 14
    target = sum(f["successes"] for f in councils.values()) / sum(
        f["n"] for f in councils.values())
    assert target == pytest.approx(229 / 280) and metrics["target"] == pytest.approx(target)
    for figures in councils.values():
        assert set(figures) >= {"n", "successes", "share", "effective_n", "lower95",
                                "upper95", "lower998", "upper998", "p_above", "p_below",
                                "method", "flag"}
        assert figures["method"] == "exact" and figures["effective_n"] == figures["n"]
        assert figures["lower998"] <= figures["lower95"] <= figures["upper95"] <= \
            figures["upper998"]
        # One judgement per record: the p-values are scipy's binomial tails.
        x, n = figures["successes"], figures["n"]
        assert figures["p_above"] == pytest.approx(sps.binom.sf(x - 1, n, target), rel=1e-9)
        assert figures["p_below"] == pytest.approx(sps.binom.cdf(x, n, target), rel=1e-9)
        assert figures["flag"] == exact_flag(figures["p_above"], figures["p_below"])
        # At n = 20 no share can be above the upper 99.8% limit: it lies beyond 100%.
        assert figures["upper998"] > 1
    # 20 of 20: P = target^20 = 0.018, above the 95% limits but not the 99.8% ones.
    assert councils["Kestrel Vale"]["p_above"] == pytest.approx(target ** 20)
    assert councils["Kestrel Vale"]["flag"] == "above95"
    assert councils["Northwold"]["flag"] == "below998"
    assert {c for c, f in councils.items() if f["flag"] == "within"} == (
        set(councils) - {"Kestrel Vale", "Northwold"})
    assert councils["Dudley"]["n"] == 20 and councils["Dudley"]["share"] == 0.9
    # Question ratings: compared at their effective n, using each council's own design
    # effect or the programme's (within councils), whichever is larger.
    ratings = metrics["question_ratings"]
    deff = ratings["design_effect"]
    assert ratings["method"] == "exact" and deff == pytest.approx(3.8, abs=0.05)
    rating_target = ratings["target"]
    for council, figures in ratings["councils"].items():
        assert figures["design_effect"] >= deff - 1e-12
        assert figures["effective_n"] == pytest.approx(figures["n"] / figures["design_effect"])
        effective = figures["effective_n"]
        x = figures["share"] * effective
        assert figures["p_above"] == pytest.approx(
            sps.beta.cdf(rating_target, x, effective - x + 1), rel=1e-6, abs=1e-15), council
        assert figures["flag"] == exact_flag(figures["p_above"], figures["p_below"]), council
    flags = {c: f["flag"] for c, f in ratings["councils"].items()}
    assert flags == {**dict.fromkeys(councils, "within"), "Kestrel Vale": "above998",
                     "Northwold": "below998"}
    adjusted = metrics["question_ratings_adjusted"]["councils"]
    assert adjusted["Kestrel Vale"]["flag"] == "above998"
    assert adjusted["Northwold"]["flag"] == "below998"
    # The programme's share of question ratings, allowing for councils as well as records
    # (issue 26): over records alone the design effect is 4.8, over councils 30.5; the
    # Wilson interval at the effective n.
    pooled = metrics["programme_ratings"]
    assert (pooled["successes"], pooled["n"], pooled["clusters"]) == (2628, 3349, 280)
    assert pooled["councils"] == 14
    assert pooled["design_effect_records"] == pytest.approx(4.8, abs=0.05)
    assert pooled["design_effect"] == pytest.approx(30.5, abs=0.05)
    assert pooled["effective_n"] == pytest.approx(3349 / pooled["design_effect"])
    low, high = proportion_confint(pooled["share"] * pooled["effective_n"],
                                   pooled["effective_n"], method="wilson")
    assert (pooled["ci_low"], pooled["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_the_leadership_report_shows_the_councils_funnel_position(sample_run):
    _, out = sample_run
    html = (out / "reports/2022-24/dudley/leadership.html").read_text()
    alts = re.findall(r'<img [^>]*alt="([^"]+)"', html)
    assert any("Funnel plot" in a and "Dudley" in a for a in alts)
    assert (out / "figures/2022-24/dudley/funnel-position.png").exists()


def test_index_lists_cross_council_and_council_reports(sample_run):
    _, out = sample_run
    html = (out / "reports" / "index.html").read_text()
    assert 'href="2022-24/cross-council.html"' in html
    assert 'href="2022-24/dudley/leadership.html"' in html
    assert 'href="2022-24/northwold/distributions.html"' in html
    assert "18 of 20 (90%)" in html and "6 of 20 (30%)" in html
    northwold = re.search(r'<tr><th scope="row">Northwold</th>.*?</tr>', html).group(0)
    assert "below the 99.8% limits" in northwold
    dudley = re.search(r'<tr><th scope="row">Dudley</th>.*?</tr>', html).group(0)
    assert "inside the 95% limits (no clear evidence of a difference)" in dudley
    assert "70% to 97%" in dudley  # Wilson interval of 18 of 20
    # Each council's recommendations, and how many of its previous review's have an update.
    assert ('<tr><th scope="row">Dudley</th><td class="num">8</td>'
            '<td class="num">15 of 15 '
            "(2019)</td><td>final</td></tr>") in html
    assert ('<tr><th scope="row">Northwold</th><td class="num">8</td>'
            '<td class="num">6 of 6 '
            "(2019)</td><td>draft</td></tr>") in html
    assert 'href="2022-24/dudley/leadership.html#recommendations"' in html
    metrics = json.loads((out / "reports/2022-24/northwold/metrics.json").read_text())
    assert metrics["recommendations"]["previous"] == {
        "cycle": "2019", "count": 6, "updated": 6,
        "statuses": {"met": 2, "partly met": 2, "not met": 1, "replaced": 1, "none": 0}}
    made = metrics["recommendations"]["recommendations"]
    assert made[1]["questions"] == ["Q11"] and made[1]["follows"] == "R1"
    assert made[0]["urgent"] and made[0]["owner"] == "Head of Adult Social Care"
    assert len(metrics["recommendations"]["key_messages"]) == 4
